package destinations

import (
	"strings"
	"testing"
)

func TestValidateAcceptsCompleteDestinations(t *testing.T) {
	for _, d := range []Destination{
		metaDest(""), tiktokDest(""), googleDest("https://proxy.internal:8443/gads"), ga4Dest(""),
		postbackDest("https://tracker.example.com/pb?cid={click_id}&p={payout}", "POST"),
		webhookDest("https://hooks.example.com/in"),
	} {
		if err := Validate(d); err != nil {
			t.Errorf("%s: %v", d.Type, err)
		}
	}
}

func TestValidateNamesMissingKeys(t *testing.T) {
	cases := map[Type][]string{
		TypeMeta:      {"pixel_id", "access_token"},
		TypeTikTok:    {"pixel_code", "access_token"},
		TypeGoogleAds: {"customer_id", "conversion_action", "developer_token", "client_id", "client_secret", "refresh_token"},
		TypeGA4:       {"measurement_id", "api_secret"},
		TypePostback:  {"url"},
		TypeWebhook:   {"url", "secret"},
	}
	for typ, keys := range cases {
		err := Validate(Destination{Type: typ, Name: "x", Config: map[string]string{"unrelated": "1"}})
		if err == nil {
			t.Errorf("%s: empty config accepted", typ)
			continue
		}
		for _, k := range keys {
			if !strings.Contains(err.Error(), `"`+k+`"`) {
				t.Errorf("%s: %q does not name %q", typ, err, k)
			}
		}
	}
	d := metaDest("")
	d.Config["access_token"] = "   "
	if err := Validate(d); err == nil || !strings.Contains(err.Error(), `"access_token"`) || strings.Contains(err.Error(), "pixel_id") {
		t.Errorf("blank token: %v", err)
	}
}

func TestValidateRejectsBadValues(t *testing.T) {
	bad := map[string]Destination{}
	d := metaDest("ftp://graph.example.com")
	bad["endpoint scheme"] = d
	d = metaDest("")
	d.Config = clone(d.Config, "api_version", "v26/../../x")
	bad["meta version"] = d
	d = metaDest("")
	d.Config = clone(d.Config, "action_source", "carrier_pigeon")
	bad["meta action_source"] = d
	d = googleDest("")
	d.Config = clone(d.Config, "customer_id", "abc")
	bad["google customer id"] = d
	d = googleDest("")
	d.Config = clone(d.Config, "api_version", "26")
	bad["google version"] = d
	bad["postback method"] = postbackDest("https://t.example.com/pb", "PUT")
	bad["postback relative"] = postbackDest("/pb?c={click_id}", "")
	bad["webhook scheme"] = webhookDest("javascript:alert(1)")
	bad["unknown type"] = Destination{Type: "fax"}
	for name, d := range bad {
		if err := Validate(d); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func clone(m map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}
