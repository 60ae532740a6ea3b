package api_test

import (
	"context"
	"net/http"
	"testing"
)

// TestGlobalPBFilesUnderTheAccountOfTheClickedHit pins FunnelFlux's global /pb:
// the conversion belongs to the account that owns the hit, not to the
// installation's default account. With two accounts and the click in the
// non-default one, filing it under the default would put a conversion (and its
// deliveries) in another customer's books.
func TestGlobalPBFilesUnderTheAccountOfTheClickedHit(t *testing.T) {
	h := newHarness(t) // h.account is CONVRELAY_DEFAULT_ACCOUNT
	owner, ownerKey := h.otherAccount("UTC")
	code, click := h.do("POST", "/v1/accounts/"+owner.ID+"/clicks", "application/json", `{"external_id":"ext-1"}`,
		"Authorization", "Bearer "+ownerKey)
	if code != http.StatusCreated {
		t.Fatalf("create click in the owner's account: %d %v", code, click)
	}
	hit, _ := click["click_id"].(string)
	if hit == "" {
		t.Fatalf("click answered no click_id: %v", click)
	}

	pb, err := h.st.GetIntegration(context.Background(), owner.ID, "pb")
	if err != nil || len(pb.Tokens) == 0 {
		t.Fatalf("owner's pb integration: %v", err)
	}
	// The global /pb takes the token of the account that owns the hit.
	code, body := h.do("GET", "/pb?hit="+hit+"&tx=OWN-1&rev=3.50&status=approved&token="+pb.Tokens[0].Secret, "", "")
	if code != http.StatusOK {
		t.Fatalf("/pb answered %d %v", code, body)
	}
	if want := "conv/" + owner.ID + "/OWN-1"; body["workflow_id"] != want {
		t.Fatalf("/pb workflow_id = %v, want %s (the hit's account, not the default %s)", body["workflow_id"], want, h.account.ID)
	}

	// The log row is the owner's, and the default account has none.
	code, logBody := h.do("GET", "/v1/accounts/"+owner.ID+"/postbacks?transaction_id=OWN-1", "", "", "Authorization", "Bearer "+ownerKey)
	rows, _ := logBody["postbacks"].([]any)
	if code != http.StatusOK || len(rows) != 1 {
		t.Fatalf("owner's postback log for OWN-1: %d %v, want one row", code, logBody)
	}
	if row, _ := rows[0].(map[string]any); row["outcome"] != "accepted" {
		t.Fatalf("owner's log row = %v, want accepted", row)
	}
	for _, r := range h.log() {
		if r.TransactionID == "OWN-1" {
			t.Fatalf("default account logged the owner's postback: %+v", r)
		}
	}
}
