package drill

import (
	"context"
	"fmt"
	"net/http"

	"github.com/shopspring/decimal"
)

// conversionRow is what the admin API lists of a conversion.
type conversionRow struct {
	ID            int64           `json:"id"`
	TransactionID string          `json:"transaction_id"`
	Status        string          `json:"status"`
	Value         decimal.Decimal `json:"value"`
	Deliveries    []struct {
		Kind            string `json:"kind"`
		Status          string `json:"status"`
		DestinationType string `json:"destination_type"`
	} `json:"deliveries"`
}

// snapshot is the product's view of one account, read through the admin API.
type snapshot struct {
	byTx        map[string][]conversionRow
	unprocessed int // accepted postbacks the workflow has not applied yet
	pendingDel  int // deliveries not yet delivered (or retrying)
	failedDel   int // deliveries given up
	failedPB    int // postbacks accepted that the product marked failed
}

func (e *env) snapshot(ctx context.Context) (snapshot, error) {
	s := snapshot{byTx: map[string][]conversionRow{}}
	cursor := ""
	for {
		var page struct {
			Conversions []conversionRow `json:"conversions"`
			Next        *string         `json:"next_cursor"`
		}
		if err := e.acct.admin(ctx, "GET", "/conversions?limit=500"+cursor, nil, http.StatusOK, &page); err != nil {
			return s, err
		}
		for _, c := range page.Conversions {
			s.byTx[c.TransactionID] = append(s.byTx[c.TransactionID], c)
			for _, d := range c.Deliveries {
				switch d.Status {
				case "pending":
					s.pendingDel++
				case "failed":
					s.failedDel++
				}
			}
		}
		if page.Next == nil {
			break
		}
		cursor = "&cursor=" + *page.Next
	}
	// The intake logs every accepted postback as "accepted"; processing
	// keeps it or turns it into duplicate or suppressed.
	var err error
	if s.unprocessed, s.failedPB, err = unappliedOf(ctx, e.acct); err != nil {
		return s, err
	}
	return s, nil
}

// settled says nothing is left to happen: every postback applied, every delivery done.
func (s snapshot) settled() bool { return s.unprocessed == 0 && s.pendingDel == 0 }

func (s snapshot) backlog() string {
	return fmt.Sprintf("%d postbacks not applied, %d deliveries pending, %d failed", s.unprocessed, s.pendingDel, s.failedDel)
}
