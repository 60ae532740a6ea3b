package postback

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

type fuzzSeed struct {
	name, query string
	body        string
	contentType string
	preset      string
}

// fuzzSeeds are real payloads from the seeds and the networks' formats; the
// same inputs live under testdata/fuzz/FuzzParse.
var fuzzSeeds = []fuzzSeed{
	{"seed000_filled", "click_id=CAxaduSFl0fpiROSdRkptrJ5REfN2GeEnE&commission=4.99&currency=USD&transaction_id=10492A&brand_name=Apple%20Inc&event_name=CompleteRegistration&email=jsmith%40example.com&name=John%20Smith", "", "", "custom"},
	{"seed000_template", "click_id={click_id}&commission={commission}&currency={currency}&transaction_id={transaction_id}&brand_name={brand_name}&event_name=CompleteRegistration&email={email}&name={name}", "", "", "custom"},
	{"seed000_hasoffers_log", "", seed000HasOffersLog, "application/json", "hasoffers"},
	{"seed001_json", "", seed001JSON, "application/json", "custom"},
	{"seed001_query", seed001Query, "", "", "custom"},
	{"seed003_gala", "", seed003Payload, "application/json", "galapartners"},
	{"seed004_hit", "hit=abc123&tx=T1&rev=2.50&status=hold&disable_postbacks=true", "", "", "funnelflux"},
	{"seed004_vid", "vid=V9&p=P3&tx=T2&rev=-1&status=rejected", "", "", "funnelflux"},
	{"seed002_trackier_post", "", `{"click_id":"98367","txn_id":"ORD-1001","revenue":"10.00","currency":"INR","status":"approved"}`, "application/json", "trackier"},
	{"impact", "SubId1=clk_8f3a&ActionId=19816.4522.123456&Payout=12.50&Amount=250.00&Currency=USD&EventDate=2024-03-05T10%3A20%3A30-08%3A00&Status=REVERSED&CampaignName=Acme", "", "", "impact"},
	{"everflow", "sub1=abc&payout=3.25&amount=100&transaction_id=7f8e&status=invalid", "", "", "everflow"},
	{"cake", "s2=clk42&price=15.00&leadid=8A1B2C3D&utcunixtime=1700000000", "", "", "cake"},
	{"affise", "sub1=clk7&sum=2.50&currency=eur&transactionid=AF-77&status=5&timestamp=1700000000", "", "", "affise"},
	{"voluum", "cid=c384EFV6JHQODRN70575OK6UG5&payout=1.5&txid=T1&et=deposit", "", "", "voluum"},
	{"keitaro", "subid=3a1b2c&status=lead&payout=5&tid=2&currency=usd", "", "", "keitaro"},
	{"form_items", "", "click_id=c&items=%5B%7B%22id%22%3A%221%22%2C%22price%22%3A%229%2C99%22%7D%5D&xat_a=1", "application/x-www-form-urlencoded", "custom"},
	{"multipart", "", "--XYZ\r\nContent-Disposition: form-data; name=\"click_id\"\r\n\r\nabc\r\n--XYZ\r\nContent-Disposition: form-data; name=\"commission\"\r\n\r\n4.99\r\n--XYZ--\r\n", "multipart/form-data; boundary=XYZ", "custom"},
	{"field_map", "sub1=abc&payout=3&amount=999", "", "", "map:custom"},
	{"clash", "click_id={click_id}&commission=5", `{"click_id":"b","value":7,"xat_z":{"n":1}}`, "application/json", "custom"},
	{"malformed_json", "click_id=c", `{"click_id": "abc", "value": 1.2.3}`, "application/json", "custom"},
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.query, []byte(s.body), s.contentType, s.preset)
	}
	f.Fuzz(func(t *testing.T, query string, body []byte, contentType, preset string) {
		integ := fuzzIntegration(preset)
		pb, err := Parse(Request{RawQuery: query, Body: body, ContentType: contentType}, integ)
		if err != nil {
			if pb != nil {
				t.Fatalf("result and error together: %v", err)
			}
			var ve *Error
			switch {
			case errors.As(err, &ve):
				if ve.Field == "" || ve.Message == "" || errors.Is(err, ErrMalformedBody) {
					t.Fatalf("incomplete or ambiguous validation error: %#v", ve)
				}
			case errors.Is(err, ErrMalformedBody):
			default:
				t.Fatalf("error is neither *Error nor a malformed body: %T %v", err, err)
			}
			return
		}
		checkInvariants(t, pb)
		back := roundTrip(t, pb)
		if back.MatchKey() != pb.MatchKey() || back.TransactionKey() != pb.TransactionKey() {
			t.Fatalf("keys changed across JSON")
		}
	})
}

// fuzzIntegration turns the fuzzed preset string into a valid integration;
// a "map:" prefix adds a custom field map.
func fuzzIntegration(preset string) Integration {
	var integ Integration
	if rest, ok := strings.CutPrefix(preset, "map:"); ok {
		preset = rest
		integ.FieldMap = map[string]string{"sub1": "click_id", "payout": "commission", "amount": ""}
	}
	if _, ok := LookupPreset(preset); ok {
		integ.Preset = preset
	}
	return integ
}

func checkInvariants(t *testing.T, pb *Postback) {
	t.Helper()
	mk, tk := pb.MatchKey(), pb.TransactionKey()
	if mk == "" || tk == "" {
		t.Fatalf("accepted without identity: %+v", pb)
	}
	for _, k := range []string{mk, tk} {
		assertSafeKey(t, k)
	}
	switch pb.Status {
	case StatusPending, StatusApproved, StatusRejected:
	default:
		t.Fatalf("status %q", pb.Status)
	}
	switch pb.EventSource {
	case EventSourceEventName, EventSourceConversionType, EventSourceAutomatic:
	default:
		t.Fatalf("event source %q", pb.EventSource)
	}
	if pb.EventName == "" || len(pb.Passthrough) > maxPassthrough {
		t.Fatalf("event %q, %d passthrough", pb.EventName, len(pb.Passthrough))
	}
	if pb.Currency != "" && !IsCurrency(pb.Currency) {
		t.Fatalf("currency %q", pb.Currency)
	}
	for _, p := range append(append([]Param{}, pb.Params...), pb.Passthrough...) {
		for _, s := range []string{p.Name, p.Value} {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("unstorable text %q", s)
			}
		}
	}
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/FuzzParse from fuzzSeeds
// when CONVRELAY_WRITE_FUZZ_CORPUS=1; otherwise it checks the files exist.
func TestWriteFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	for _, s := range fuzzSeeds {
		path := filepath.Join(dir, "seed_"+s.name)
		if os.Getenv("CONVRELAY_WRITE_FUZZ_CORPUS") != "1" {
			if _, err := os.Stat(path); err != nil {
				t.Errorf("corpus file missing: %v", err)
			}
			continue
		}
		content := fmt.Sprintf("go test fuzz v1\nstring(%s)\n[]byte(%s)\nstring(%s)\nstring(%s)\n",
			strconv.Quote(s.query), strconv.Quote(s.body), strconv.Quote(s.contentType), strconv.Quote(s.preset))
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
