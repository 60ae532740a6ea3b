package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
	"github.com/convrelay/convrelay/internal/store"
)

// ImportIntegration names the postback log's rows that came from a CSV import.
const ImportIntegration = "import"

// ImportRow decides one CSV row, read as a postback of the given preset whose
// parameters are vals, and returns the log entry to write and its idempotency
// key (a hash of the account and the row's parameters in a fixed order, so a
// row imported twice is a duplicate). The row passes the same steps as a live
// postback: the same limits and the same (keyed) transaction key.
func (p *Pipeline) ImportRow(ctx context.Context, accountID, preset string, vals url.Values, now time.Time) (store.ImportedPostback, error) {
	query := vals.Encode() // sorted: the key does not depend on column order
	d, err := p.Decide(ctx, accountID, postback.Integration{Preset: preset}, postback.Request{RawQuery: query}, now)
	if err != nil {
		return store.ImportedPostback{}, err
	}
	sum := sha256.Sum256([]byte(accountID + "\x00" + query))
	return store.ImportedPostback{Key: hex.EncodeToString(sum[:]), Entry: store.LogEntry{
		AccountID: accountID, Integration: ImportIntegration, Method: http.MethodPost,
		Path: "/v1/accounts/" + accountID + "/imports", RawQuery: query, ReceivedAt: now.UTC(),
		Canonical: d.Canonical, TransactionID: d.Postback.TransactionID, WorkflowID: d.WorkflowID,
		Outcome: string(conv.OutcomeAccepted)}}, nil
}
