package destinations

import (
	"testing"
	"time"
)

// Each platform's backfill window is the age of event it accepts (Meta and
// TikTok 7 days, GA4 72 hours, Google Ads 90 days counted from the click too);
// webhooks and traffic-source postbacks are capped at 30 days.
func TestBackfillWindowPerDestinationType(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		t          Type
		days       int
		age, click time.Duration
	}{
		{TypeMeta, 7, 7 * day, 0},
		{TypeTikTok, 7, 7 * day, 0},
		{TypeGA4, 3, 72 * time.Hour, 0},
		{TypeGoogleAds, 90, 90 * day, 90 * day},
		{TypeWebhook, 30, 30 * day, 0},
		{TypePostback, 30, 30 * day, 0},
	} {
		w := BackfillWindowOf(c.t)
		if w.Days() != c.days || w.Age != c.age || w.ClickAge != c.click || w.Why == "" {
			t.Errorf("%s: window %+v (%d days), want %d days, age %s, click age %s, with its reason", c.t, w, w.Days(), c.days, c.age, c.click)
		}
	}
}

// A backfilled conversion is what the destination would have been sent had it
// existed at the approval: the approval when it takes approvals, else the
// conversion as first recorded, else nothing.
func TestBackfillEventFollowsFireOn(t *testing.T) {
	for _, c := range []struct {
		t     Type
		f     FireOn
		want  LifeEvent
		takes bool
	}{
		{TypeMeta, DefaultFireOn(TypeMeta), LifeApproved, true},
		{TypeMeta, FireOnOf(LifeFirst), LifeFirst, true},
		{TypeGoogleAds, DefaultFireOn(TypeGoogleAds), LifeApproved, true},
		{TypeWebhook, FireOnAll, LifeApproved, true},
		{TypePostback, FireOnOf(LifeFirst, LifeApproved), LifeApproved, true},
		{TypePostback, FireOnOf(LifeValueChange, LifeRejected), "", false},
		{TypeGoogleAds, FireOnOf(LifeRejected), "", false},
	} {
		got, takes := BackfillEvent(c.t, c.f)
		if got != c.want || takes != c.takes {
			t.Errorf("%s fire_on %s: %q %v, want %q %v", c.t, c.f, got, takes, c.want, c.takes)
		}
	}
}
