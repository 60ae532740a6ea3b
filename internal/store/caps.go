package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/convrelay/convrelay/internal/destinations"
)

// Caps bound what a campaign's traffic source is sent (docs/rules.md). Each
// delivery that tells the source of a new conversion (life event first or
// approved) takes one slot of every cap that applies to its event, daily (the
// day in the account's time zone when it is recorded) and total. Slots are
// rows of campaign_cap_usage taken by a conditional UPDATE (used < cap) in the
// transaction that records the conversion and creates the delivery: a
// concurrent transaction waits for the row and sees the new count, so two
// transactions never both take the last slot. A delivery that finds no slot
// is recorded as capped (hold: an operator may re-drive it) or cap_rejected,
// and never sent; it takes no slot. Value changes and rejections take none.

// campaignCaps are the caps of the campaign a destination belongs to (nil
// campaignID: none).
type campaignCaps struct {
	campaignID *int64
	caps       []Cap
	action     string
	day        string // today in the account's time zone, YYYY-MM-DD
}

// takesSlot: the life events that tell the source of a new conversion.
func takesSlot(e destinations.LifeEvent) bool {
	return e == destinations.LifeFirst || e == destinations.LifeApproved
}

// capSlot is one counter a delivery must take.
type capSlot struct {
	event, period string
	limit         int
	what          string // for the note: "daily cap 2 (every event) on 2026-12-06"
}

// slotsFor lists the counters a delivery of event takes, in a fixed order so
// concurrent transactions lock them in the same order.
func (cc campaignCaps) slotsFor(event string) []capSlot {
	var out []capSlot
	for _, c := range cc.caps {
		ev := strings.TrimSpace(c.Event)
		if ev != "" && ev != event {
			continue
		}
		label := "every event"
		if ev != "" {
			label = ev
		}
		if c.Daily != nil {
			out = append(out, capSlot{ev, cc.day, *c.Daily, fmt.Sprintf("daily cap %d (%s) on %s", *c.Daily, label, cc.day)})
		}
		if c.Total != nil {
			out = append(out, capSlot{ev, "total", *c.Total, fmt.Sprintf("total cap %d (%s)", *c.Total, label)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].event != out[j].event {
			return out[i].event < out[j].event
		}
		return out[i].period < out[j].period
	})
	return out
}

// takeCapSlots takes one slot of every cap that applies to event, all or
// none; it returns "" when taken, or which cap is full.
func takeCapSlots(ctx context.Context, tx pgx.Tx, cc campaignCaps, event string) (string, error) {
	slots := cc.slotsFor(event)
	if len(slots) == 0 {
		return "", nil
	}
	// A savepoint, so a full second cap gives back the slot of the first.
	sp, err := tx.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("take cap slots: %w", err)
	}
	defer sp.Rollback(ctx) //nolint:errcheck // after Commit it does nothing
	for _, sl := range slots {
		if _, err := sp.Exec(ctx, `INSERT INTO campaign_cap_usage (campaign_id, event_name, period) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, *cc.campaignID, sl.event, sl.period); err != nil {
			return "", fmt.Errorf("cap counter: %w", err)
		}
		tag, err := sp.Exec(ctx, `UPDATE campaign_cap_usage SET used = used + 1
			WHERE campaign_id = $1 AND event_name = $2 AND period = $3 AND used < $4`, *cc.campaignID, sl.event, sl.period, sl.limit)
		if err != nil {
			return "", fmt.Errorf("take cap slot: %w", err)
		}
		if tag.RowsAffected() == 0 {
			if err := sp.Rollback(ctx); err != nil {
				return "", fmt.Errorf("give back cap slots: %w", err)
			}
			return "not sent: " + sl.what + " reached", nil
		}
	}
	if err := sp.Commit(ctx); err != nil {
		return "", fmt.Errorf("take cap slots: %w", err)
	}
	return "", nil
}

// CapUsage is how many slots of a campaign's caps are taken.
type CapUsage struct {
	Event  string `json:"event"`
	Period string `json:"period"` // "total" or a day
	Used   int    `json:"used"`
}

// CampaignCapUsage lists a campaign's counters (today's and the totals).
func (s *Store) CampaignCapUsage(ctx context.Context, accountID string, campaignID int64) ([]CapUsage, error) {
	rows, err := s.Pool.Query(ctx, `SELECT u.event_name, u.period, u.used FROM campaign_cap_usage u
		JOIN campaigns c ON c.id = u.campaign_id JOIN accounts a ON a.id = c.account_id
		WHERE c.account_id = $1 AND c.id = $2
		  AND u.period IN ('total', to_char(now() AT TIME ZONE a.timezone, 'YYYY-MM-DD'))
		ORDER BY u.event_name, u.period`, accountID, campaignID)
	if err != nil {
		return nil, fmt.Errorf("cap usage of campaign %d: %w", campaignID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (CapUsage, error) {
		var u CapUsage
		return u, r.Scan(&u.Event, &u.Period, &u.Used)
	})
}
