// Package rates reads daily reference exchange rates in the European Central
// Bank's XML format (eurofxref-daily.xml; the 90-day and full history files have
// the same shape with more days). The rates schedule stores them so conversions
// can be valued in their account's currency.
package rates

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/store"
)

// DefaultURL is the ECB's daily reference rates (EUR base), published on working
// days around 16:00 CET.
const DefaultURL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"

// Base is the currency the ECB quotes against.
const Base = "EUR"

// maxBody bounds what is read from the source (the full history file is ~6 MB).
const maxBody = 16 << 20

// envelope mirrors gesmes:Envelope > Cube > Cube[time] > Cube[currency, rate]; the
// names are matched without their namespaces.
type envelope struct {
	Days []struct {
		Time  string `xml:"time,attr"`
		Rates []struct {
			Currency string `xml:"currency,attr"`
			Rate     string `xml:"rate,attr"`
		} `xml:"Cube"`
	} `xml:"Cube>Cube"`
}

// Parse reads an ECB reference-rates document. Every rate is kept as the decimal
// written (never a float).
func Parse(r io.Reader) ([]store.DayRates, error) {
	var env envelope
	if err := xml.NewDecoder(r).Decode(&env); err != nil {
		return nil, fmt.Errorf("parse ECB rates: %w", err)
	}
	var days []store.DayRates
	for _, d := range env.Days {
		date, err := time.Parse(time.DateOnly, d.Time)
		if err != nil {
			return nil, fmt.Errorf("parse ECB rates: day %q: %w", d.Time, err)
		}
		day := store.DayRates{Date: date, Base: Base, Rates: map[string]decimal.Decimal{}}
		for _, q := range d.Rates {
			code := strings.ToUpper(strings.TrimSpace(q.Currency))
			rate, err := decimal.NewFromString(strings.TrimSpace(q.Rate))
			if len(code) != 3 || err != nil || !rate.IsPositive() {
				return nil, fmt.Errorf("parse ECB rates: %s: bad rate %q for %q", d.Time, q.Rate, q.Currency)
			}
			day.Rates[code] = rate
		}
		days = append(days, day)
	}
	if len(days) == 0 {
		return nil, errors.New("parse ECB rates: no day in the document")
	}
	return days, nil
}

// Fetch downloads and parses the rates at url.
func Fetch(ctx context.Context, client *http.Client, url string) ([]store.DayRates, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch rates: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch rates: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch rates: %s answered %d", req.URL.Host, resp.StatusCode)
	}
	return Parse(io.LimitReader(resp.Body, maxBody))
}
