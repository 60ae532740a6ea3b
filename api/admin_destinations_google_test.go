package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/store"
)

// A new google_ads destination goes through the Data Manager API unless it
// says otherwise; one stored before the choice existed stays on the Google
// Ads API, also when edited.
func TestGoogleAdsDestinationsChooseTheirAPI(t *testing.T) {
	h := newHarness(t, allowLoopback)
	token := newFakeEndpoint(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"at-dm","expires_in":3600,"token_type":"Bearer"}`)
	})
	var mu sync.Mutex
	var devTokens []string
	dm := newFakeEndpoint(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		mu.Lock()
		devTokens = append(devTokens, r.Header.Get("developer-token"))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer at-dm" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"requestId":"r-1"}`)
	})
	body := `{"type":"google_ads","endpoint":"` + dm.URL + `","config":{"customer_id":"123-456-7890",
		"conversion_action":"55","client_id":"cid","client_secret":"cs","refresh_token":"1//rt",
		"token_url":"` + token.URL + `/token"}}`
	code, out := h.admin("POST", "/destinations", body)
	if code != http.StatusCreated {
		t.Fatalf("create without developer token: %d %v", code, out)
	}
	if api := out["config"].(map[string]any)["api"]; api != "data_manager" {
		t.Errorf("new destination api = %v, want data_manager", api)
	}
	id := fmt.Sprint(out["id"])
	code, out = h.admin("POST", "/destinations/"+id+"/test", `{"gclid":"Cj0-test"}`)
	if code != http.StatusOK || out["delivered"] != true {
		t.Fatalf("test event: %d %v", code, out)
	}
	path, sent := dm.only(t)
	if path != "/v1/events:ingest" || sent["validateOnly"] != true {
		t.Errorf("data manager got %s %v", path, sent)
	}
	mu.Lock()
	if len(devTokens) != 1 || devTokens[0] != "" {
		t.Errorf("developer-token header %q sent to Data Manager", devTokens)
	}
	mu.Unlock()
	h.nothingRecorded()

	// An edit that leaves api out keeps it.
	if code, out = h.admin("PUT", "/destinations/"+id, body); code != http.StatusOK ||
		out["config"].(map[string]any)["api"] != "data_manager" {
		t.Errorf("edit: %d %v", code, out)
	}

	// Stored before the key existed: still the Google Ads API after an edit.
	old, err := h.st.CreateDestination(context.Background(), store.Destination{AccountID: h.account.ID, Type: "google_ads",
		Name: "old", Config: map[string]string{"customer_id": "1234567890", "conversion_action": "55",
			"developer_token": "dev", "access_token": "ya29.fixed"},
		FireOn: destinations.DefaultFireOn(destinations.TypeGoogleAds), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	code, out = h.admin("PUT", fmt.Sprintf("/destinations/%d", old.ID), `{"type":"google_ads","name":"old renamed",
		"config":{"customer_id":"1234567890","conversion_action":"55","developer_token":"dev","access_token":"ya29.fixed"}}`)
	if code != http.StatusOK || out["config"].(map[string]any)["api"] != "google_ads" {
		t.Errorf("edit of a stored destination: %d %v", code, out)
	}
}
