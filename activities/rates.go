package activities

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/convrelay/convrelay/internal/rates"
	"github.com/convrelay/convrelay/internal/store"
)

// Rates fetches daily reference rates for RatesWorkflow. It is its own struct (not
// a method of Activities) because only it needs the rates source.
type Rates struct {
	Store  *store.Store
	Client *http.Client
	URL    string // ECB-format XML; empty: rates.DefaultURL
	Logger *slog.Logger
}

// FetchRatesResult says what one fetch stored and converted (counts only).
type FetchRatesResult struct {
	Days         int    `json:"days"`
	Rates        int    `json:"rates"`
	Latest       string `json:"latest"`
	Converted    int64  `json:"converted"`
	StillPending int64  `json:"still_pending"`
}

// FetchRates stores the source's rates, then converts the conversions that were
// waiting for them. Both steps are idempotent, so Temporal may retry freely.
func (r *Rates) FetchRates(ctx context.Context) (FetchRatesResult, error) {
	url := r.URL
	if url == "" {
		url = rates.DefaultURL
	}
	client := r.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	days, err := rates.Fetch(ctx, client, url)
	if err != nil {
		return FetchRatesResult{}, err
	}
	n, err := r.Store.SaveRates(ctx, days)
	if err != nil {
		return FetchRatesResult{}, err
	}
	res := FetchRatesResult{Days: len(days), Rates: n}
	for _, d := range days {
		if s := d.Date.Format(time.DateOnly); s > res.Latest {
			res.Latest = s
		}
	}
	if res.Converted, err = r.Store.ConvertPending(ctx, ""); err != nil {
		return res, fmt.Errorf("after storing rates: %w", err)
	}
	if res.StillPending, err = r.Store.UnconvertedCount(ctx, ""); err != nil {
		return res, err
	}
	if r.Logger != nil {
		r.Logger.Info("rates fetched", "days", res.Days, "latest", res.Latest, "converted", res.Converted, "still_pending", res.StillPending)
	}
	return res, nil
}
