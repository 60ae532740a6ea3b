package destinations

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// The life of one conversion: pending at 0.01, approved at 25, a new value
// of 30, rejected, re-approved. Each destination type with each fire_on gets
// exactly the events the policy says, once.
func TestLifeEventsSequencePerDestinationType(t *testing.T) {
	d := decimal.RequireFromString
	seq := []ConversionState{
		{"pending", d("0.01")}, {"approved", d("25")}, {"approved", d("30")}, {"rejected", d("30")}, {"approved", d("30")},
	}
	const none = "-"
	cases := []struct {
		typ    Type
		fireOn FireOn
		want   []string // per step: the event sent, or "-"
	}{
		{TypeMeta, DefaultFireOn(TypeMeta), []string{none, "approved", none, none, none}},
		{TypeMeta, FireOnOf(LifeFirst), []string{"first", none, none, none, none}}, // fire_on=first before 004
		{TypeMeta, FireOnOf(LifeFirst, LifeApproved), []string{"first", none, none, none, none}},
		{TypeTikTok, DefaultFireOn(TypeTikTok), []string{none, "approved", none, none, none}},
		{TypeGA4, DefaultFireOn(TypeGA4), []string{none, "approved", none, none, none}},
		{TypeGoogleAds, DefaultFireOn(TypeGoogleAds), []string{none, "approved", "value_change", "rejected", "approved"}},
		{TypeGoogleAds, FireOnOf(LifeApproved), []string{none, "approved", none, none, none}},
		{TypeGoogleAds, FireOnOf(LifeFirst, LifeValueChange, LifeRejected), []string{"first", "value_change", "value_change", "rejected", none}},
		{TypePostback, DefaultFireOn(TypePostback), []string{none, "approved", none, none, "approved"}},
		{TypePostback, FireOnOf(LifeFirst), []string{"first", none, none, none, none}},
		{TypePostback, FireOnOf(LifeApproved, LifeRejected), []string{none, "approved", none, "rejected", "approved"}},
		{TypePostback, FireOnAll, []string{"first", "approved", "value_change", "rejected", "approved"}},
		{TypeWebhook, DefaultFireOn(TypeWebhook), []string{"first", "approved", "value_change", "rejected", "approved"}},
		{TypeWebhook, FireOnOf(LifeFirst, LifeRejected), []string{"first", none, none, "rejected", none}}, // webhooks before 004
	}
	for _, c := range cases {
		prev := ConversionState{}
		var sent Delivered
		var got []string
		for _, next := range seq {
			evs := LifeEvents(c.typ, c.fireOn, prev, next, sent)
			if len(evs) > 1 {
				t.Fatalf("%s %s: %d events for one change", c.typ, c.fireOn, len(evs))
			}
			step := none
			for _, e := range evs {
				step = string(e)
				sent = sent.After(e, next)
			}
			got = append(got, step)
			// The same change seen again (a retried postback) sends nothing.
			if again := LifeEvents(c.typ, c.fireOn, next, next, sent); len(again) != 0 {
				t.Errorf("%s %s: repeat of %v sends %v", c.typ, c.fireOn, next, again)
			}
			prev = next
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s fire_on=%s: got %v, want %v", c.typ, c.fireOn, got, c.want)
		}
	}
}

func TestLifeEventsApprovedAtOnce(t *testing.T) {
	approved := ConversionState{"approved", decimal.NewFromInt(25)}
	for _, c := range []struct {
		typ    Type
		fireOn FireOn
		want   LifeEvent
	}{
		{TypeMeta, FireOnOf(LifeFirst), LifeFirst},
		{TypeMeta, FireOnOf(LifeApproved), LifeApproved},
		{TypeWebhook, FireOnAll, LifeApproved}, // one event, not first and approved
	} {
		got := LifeEvents(c.typ, c.fireOn, ConversionState{}, approved, Delivered{})
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s %s: %v, want %s", c.typ, c.fireOn, got, c.want)
		}
	}
	// A pending that is rejected before anything was delivered retracts nothing.
	if got := LifeEvents(TypeGoogleAds, FireOnAll, ConversionState{Status: "pending"}, ConversionState{Status: "rejected"}, Delivered{}); got != nil {
		t.Errorf("rejection of an undelivered conversion sends %v", got)
	}
}

func TestFireOnForms(t *testing.T) {
	cases := []struct {
		json string
		want FireOn
		ok   bool
	}{
		{`"first"`, FireOnOf(LifeFirst), true},
		{`"approved"`, FireOnOf(LifeApproved), true},
		{`["approved","rejected"]`, FireOnOf(LifeApproved, LifeRejected), true},
		{`"approved, value_change"`, FireOnOf(LifeApproved, LifeValueChange), true},
		{`"all"`, FireOnAll, true},
		{`[]`, 0, true},
		{`["approved","refunded"]`, 0, false},
		{`"sometimes"`, 0, false},
		{`3`, 0, false},
	}
	for _, c := range cases {
		var f FireOn
		err := json.Unmarshal([]byte(c.json), &f)
		if (err == nil) != c.ok || c.ok && f != c.want {
			t.Errorf("%s: got %v, %v; want %v ok=%v", c.json, f, err, c.want, c.ok)
		}
	}
	f := FireOnOf(LifeRejected, LifeFirst)
	if b, _ := json.Marshal(f); string(b) != `["first","rejected"]` {
		t.Errorf("marshal %s", b)
	}
	v, _ := f.Value()
	var back FireOn
	if v != "first,rejected" || back.Scan(v) != nil || back != f {
		t.Errorf("stored form %v scanned back as %v", v, back)
	}
}

func TestFireOnValidationAndDefaults(t *testing.T) {
	for _, typ := range []Type{TypeMeta, TypeTikTok, TypeGA4, TypeGoogleAds, TypePostback, TypeWebhook} {
		if err := ValidateFireOn(typ, DefaultFireOn(typ)); err != nil {
			t.Errorf("%s default refused: %v", typ, err)
		}
		if DefaultFireOn(typ).Has(LifeFirst) && typ != TypeWebhook {
			t.Errorf("%s default sends a pending conversion", typ)
		}
		if err := ValidateFireOn(typ, 0); err == nil {
			t.Errorf("%s: empty fire_on accepted", typ)
		}
	}
	for _, typ := range []Type{TypeMeta, TypeTikTok, TypeGA4} {
		if err := ValidateFireOn(typ, FireOnOf(LifeApproved, LifeValueChange)); err == nil {
			t.Errorf("%s accepts value_change, which it would count twice", typ)
		}
	}
	if err := ValidateFireOn(TypeGoogleAds, FireOnAll); err != nil {
		t.Errorf("google_ads: %v", err)
	}
}

func TestKindFor(t *testing.T) {
	cases := []struct {
		typ  Type
		ev   LifeEvent
		want string
	}{
		{TypeGoogleAds, LifeApproved, KindConversion},
		{TypeGoogleAds, LifeFirst, KindConversion},
		{TypeGoogleAds, LifeValueChange, KindRestatement},
		{TypeGoogleAds, LifeRejected, KindRetraction},
		{TypeWebhook, LifeRejected, KindReversal},
		{TypeWebhook, LifeValueChange, KindConversion},
		{TypePostback, LifeRejected, KindConversion},
		{TypeMeta, LifeApproved, KindConversion},
	}
	for _, c := range cases {
		if got := KindFor(c.typ, c.ev); got != c.want {
			t.Errorf("KindFor(%s, %s) = %s, want %s", c.typ, c.ev, got, c.want)
		}
	}
}

func TestAdjustmentsOnlyReachGoogleAds(t *testing.T) {
	f := newFake(t, 200, `{"events_received":1}`)
	c := sampleConversion()
	c.Kind = KindRestatement
	_, de := deliver(t, metaDest(f.URL), c)
	if de == nil || de.Retryable || f.count() != 0 {
		t.Fatalf("restatement to Meta: %v, %d requests; want a permanent refusal and nothing sent", de, f.count())
	}
}
