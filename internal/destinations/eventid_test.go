package destinations

import (
	"strings"
	"testing"
)

// The event_id Meta and TikTok receive follows each destination's
// event_id_source, and falls back to the internal key when the chosen source
// is empty for this conversion.
func TestPixelEventIDSource(t *testing.T) {
	cases := []struct {
		source, pixelID, txID, want string
	}{
		{"", "pix-1", "TX-42", "tx-42:dest-7:Purchase"},
		{"internal", "pix-1", "TX-42", "tx-42:dest-7:Purchase"},
		{"postback", "pix-1", "TX-42", "pix-1"},
		{"postback", "  ", "TX-42", "tx-42:dest-7:Purchase"},
		{"transaction_id", "pix-1", "TX-42", "TX-42"},
		{"transaction_id", "pix-1", "", "tx-42:dest-7:Purchase"},
	}
	for _, c := range cases {
		conv := sampleConversion()
		conv.PixelEventID, conv.TransactionID = c.pixelID, c.txID

		mf := newFake(t, 200, `{"events_received":1}`)
		md := metaDest(mf.URL)
		md.Config["event_id_source"] = c.source
		if _, de := send(t, md, conv); de != nil {
			t.Fatalf("meta: %v", de)
		}
		wantString(t, path(t, decode(t, mf.only(t).Body), "data", 0, "event_id"), c.want)

		tf := newFake(t, 200, tiktokOK)
		td := tiktokDest(tf.URL)
		td.Config["event_id_source"] = c.source
		if _, de := send(t, td, conv); de != nil {
			t.Fatalf("tiktok: %v", de)
		}
		wantString(t, path(t, decode(t, tf.only(t).Body), "data", 0, "event_id"), c.want)
	}
}

func TestEventIDSourceValidation(t *testing.T) {
	d := metaDest("")
	d.Config["event_id_source"] = "click_id"
	if err := Validate(d); err == nil || !strings.Contains(err.Error(), "event_id_source") {
		t.Errorf("unknown source accepted: %v", err)
	}
	g := Destination{Type: TypeGA4, Name: "ga", Config: map[string]string{"measurement_id": "G-1", "api_secret": "s",
		"event_id_source": "postback"}}
	if err := Validate(g); err == nil {
		t.Error("event_id_source accepted on ga4, which has no pixel deduplication by event_id")
	}
	d.Config["event_id_source"] = "postback"
	if err := Validate(d); err != nil {
		t.Errorf("postback source refused: %v", err)
	}
}
