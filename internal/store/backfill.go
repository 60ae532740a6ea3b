package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
)

// OriginBackfill marks a delivery made by a backfill (deliveries.origin).
const OriginBackfill = "backfill"

// BackfillParams choose what a backfill re-sends to one destination.
type BackfillParams struct {
	AccountID     string
	DestinationID int64
	// Since: only conversions whose conversion time is at or after it.
	Since time.Time
	// ClickSince, when not zero: a conversion whose known click is older is
	// skipped (Google Ads counts its window from the click).
	ClickSince time.Time
	// BatchSize is the number of conversions handled per database
	// transaction (0: 500). Each batch locks its conversions, so a live status
	// change of one of them waits for the batch, never interleaves with it.
	BatchSize int
}

// BackfillResult counts what a backfill found and did. Found is the sum of
// the others: each conversion is created, already delivered or skipped once.
type BackfillResult struct {
	// Found: approved conversions in the window (of the destination's
	// campaign, for a campaign's destination).
	Found int
	// Created: deliveries made now, pending, to hand to the workflows.
	Created []DeliveryHandOver
	// AlreadyDelivered: the destination has the conversion or is being sent
	// it (live, or by an earlier backfill).
	AlreadyDelivered int
	// SkippedFireOn: the destination takes neither approved nor first.
	SkippedFireOn int
	// SkippedSuppressed: the network asked for no postbacks of the
	// transaction (disable_postbacks).
	SkippedSuppressed int
	// SkippedFailed: an earlier delivery of it to this destination failed;
	// re-drive that one from the delivery log instead.
	SkippedFailed int
	// SkippedClickTooOld: its click is older than the platform accepts.
	SkippedClickTooOld int
	// Capped: past a cap of the destination's campaign (caps.go), recorded
	// capped or cap_rejected now and not sent, or held so by a live delivery.
	Capped int
	// SkippedRouting: the destination's routing (only_events,
	// only_integrations, only_campaigns) does not take it.
	SkippedRouting int
}

// backfillWhere selects an account's approved conversions in the window; $1
// account, $2 since, $3 campaign (NULL: any), $4 after this id.
const backfillWhere = `c.account_id = $1 AND c.status = 'approved' AND c.deleted_at IS NULL AND c.converted_at >= $2
	AND ($3::bigint IS NULL OR c.campaign_id = $3) AND c.id > $4`

// Backfill makes a delivery to one destination for each approved conversion
// of the window that the destination does not have yet, as if the destination
// had existed when the conversion was approved: the life event its fire_on
// takes for an approval (approved, else first), the conversion's current
// value, and the idempotency key a live delivery of that event would have had,
// so a backfill repeated, or one racing a live status change, never makes a
// second delivery of the same revision. The deliveries are marked
// origin=backfill and left pending: the caller hands them to the workflows.
// On an error, the result still lists the deliveries of the batches committed
// before it.
func (s *Store) Backfill(ctx context.Context, p BackfillParams) (BackfillResult, error) {
	var res BackfillResult
	var typ, name, fireOnText string
	var campaign *int64
	var enabled bool
	var cfg map[string]string
	err := s.Pool.QueryRow(ctx, `SELECT type, name, fire_on, campaign_id, enabled, config FROM destinations
		WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL`, p.AccountID, p.DestinationID).
		Scan(&typ, &name, &fireOnText, &campaign, &enabled, &cfg)
	if err != nil {
		return res, fmt.Errorf("backfill destination %d: %w", p.DestinationID, notFound(err))
	}
	if !enabled {
		return res, fmt.Errorf("backfill destination %d: it is disabled: %w", p.DestinationID, ErrConflict)
	}
	fireOn, err := parseFireOn(fireOnText)
	if err != nil {
		return res, fmt.Errorf("backfill destination %d: %w", p.DestinationID, err)
	}
	event, takes := destinations.BackfillEvent(destinations.Type(typ), fireOn)
	if !takes {
		// Nothing to lock or write: count what it would have been offered.
		err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM conversions c WHERE `+backfillWhere,
			p.AccountID, p.Since, campaign, int64(0)).Scan(&res.Found)
		if err != nil {
			return res, fmt.Errorf("backfill destination %d: count conversions: %w", p.DestinationID, err)
		}
		res.SkippedFireOn = res.Found
		return res, nil
	}
	route, err := destinations.RouteOf(cfg)
	if err != nil {
		return res, fmt.Errorf("backfill destination %d: %w", p.DestinationID, err)
	}
	kind := destinations.KindFor(destinations.Type(typ), event)
	// A campaign's traffic source is sent no more than its caps allow, backfill
	// or not.
	var caps campaignCaps
	err = s.Pool.QueryRow(ctx, `SELECT c.id, c.caps, c.cap_action, to_char(now() AT TIME ZONE a.timezone, 'YYYY-MM-DD')
		FROM destinations d JOIN campaigns c ON c.id = d.campaign_id JOIN accounts a ON a.id = d.account_id
		WHERE d.id = $1 AND d.config->>'managed_by' = 'campaign' AND c.caps <> '[]'`, p.DestinationID).
		Scan(&caps.campaignID, &caps.caps, &caps.action, &caps.day)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return res, fmt.Errorf("backfill destination %d: caps: %w", p.DestinationID, err)
	}
	batch := p.BatchSize
	if batch <= 0 {
		batch = 500
	}
	var clickSince *time.Time
	if !p.ClickSince.IsZero() {
		clickSince = &p.ClickSince
	}
	summary := "backfill to " + typ + " " + name
	var after int64
	for {
		var n int
		var part BackfillResult
		err := s.InTx(ctx, func(tx pgx.Tx) error {
			part = BackfillResult{}
			var err error
			n, after, err = backfillBatch(ctx, tx, p, campaign, clickSince, after, batch, kind, summary, typ, caps, route, &part)
			return err
		})
		if err != nil {
			// res holds the batches committed before: their deliveries exist
			// and still need their hand-over.
			return res, fmt.Errorf("backfill destination %d: %w", p.DestinationID, err)
		}
		res.add(part)
		if n < batch {
			return res, nil
		}
	}
}

func (r *BackfillResult) add(o BackfillResult) {
	r.Found += o.Found
	r.Created = append(r.Created, o.Created...)
	r.AlreadyDelivered += o.AlreadyDelivered
	r.SkippedFireOn += o.SkippedFireOn
	r.SkippedSuppressed += o.SkippedSuppressed
	r.SkippedFailed += o.SkippedFailed
	r.SkippedClickTooOld += o.SkippedClickTooOld
	r.Capped += o.Capped
	r.SkippedRouting += o.SkippedRouting
}

// backfillInsert makes one pending backfill delivery, awaiting its workflow.
const backfillInsert = `INSERT INTO deliveries (account_id, conversion_id, destination_id, kind, event_key, status, value, origin,
		awaiting_workflow_since)
	VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, now()) ON CONFLICT (event_key) DO NOTHING RETURNING id`

// backfillCandidate is one conversion of a batch and what its destination
// has of it.
type backfillCandidate struct {
	id, campaignID                                        int64
	txKey, transactionID, integration, eventName, clickID string
	convKey                                               string // conv.ConversionKey: its deliveries' idempotency keys
	rebill                                                int
	currency                                              string
	value                                                 decimal.Decimal
	clickTooOld, suppressed                               bool
	had                                                   string // statuses of its deliveries to the destination
}

// backfillBatch handles the next batch of conversions after id after, each
// locked until the batch commits. It returns how many it read and the last id.
func backfillBatch(ctx context.Context, tx pgx.Tx, p BackfillParams, campaign *int64, clickSince *time.Time, after int64,
	limit int, kind, summary, typ string, caps campaignCaps, route destinations.Route, res *BackfillResult) (int, int64, error) {
	rows, err := tx.Query(ctx, `SELECT c.id, c.tx_key, c.transaction_id, c.integration, c.event_name,
			CASE WHEN c.attributed THEN c.click_id ELSE '' END, c.currency, c.value,
			coalesce($6::timestamptz IS NOT NULL AND k.created_at < $6::timestamptz, false),
			EXISTS (SELECT 1 FROM deliveries x WHERE x.conversion_id = c.id AND x.status = 'suppressed')
				OR EXISTS (SELECT 1 FROM conversion_events e JOIN postback_log l ON l.id = e.postback_id
					WHERE e.conversion_id = c.id AND l.outcome = 'suppressed'),
			coalesce((SELECT string_agg(DISTINCT x.status, ',') FROM deliveries x
				WHERE x.conversion_id = c.id AND x.destination_id = $7), ''),
			coalesce(c.campaign_id, 0), c.rebill
		FROM conversions c
		LEFT JOIN clicks k ON c.attributed AND k.account_id = c.account_id AND k.id = c.click_id
		WHERE `+backfillWhere+`
		ORDER BY c.id LIMIT $5
		FOR UPDATE OF c`, p.AccountID, p.Since, campaign, after, limit, clickSince, p.DestinationID)
	if err != nil {
		return 0, after, fmt.Errorf("select conversions: %w", err)
	}
	var cands []backfillCandidate
	for rows.Next() {
		var c backfillCandidate
		if err := rows.Scan(&c.id, &c.txKey, &c.transactionID, &c.integration, &c.eventName, &c.clickID, &c.currency, &c.value,
			&c.clickTooOld, &c.suppressed, &c.had, &c.campaignID, &c.rebill); err != nil {
			rows.Close()
			return 0, after, fmt.Errorf("scan conversion: %w", err)
		}
		c.convKey = conv.ConversionKey(c.txKey, c.rebill)
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, after, fmt.Errorf("select conversions: %w", err)
	}
	if len(cands) == 0 {
		return 0, after, nil
	}
	res.Found += len(cands)
	b := &pgx.Batch{}
	var queued []backfillCandidate
	for _, c := range cands {
		takes, _ := route.Takes(c.eventName, c.integration, c.campaignID)
		switch {
		case !takes:
			res.SkippedRouting++
		case c.suppressed:
			res.SkippedSuppressed++
		case strings.Contains(c.had, "pending") || strings.Contains(c.had, "delivered"):
			res.AlreadyDelivered++
		case strings.Contains(c.had, "capped") || strings.Contains(c.had, "cap_rejected"):
			res.Capped++ // held (release it from the delivery log) or rejected past a cap
		case c.had != "":
			res.SkippedFailed++ // only failed ones: re-driving those sends it
		case c.clickTooOld:
			res.SkippedClickTooOld++
		case caps.campaignID != nil:
			over, err := takeCapSlots(ctx, tx, caps, c.eventName)
			if err != nil {
				return 0, after, err
			}
			if over == "" {
				b.Queue(backfillInsert, p.AccountID, c.id, p.DestinationID, kind, EventKey(p.AccountID, c.convKey, p.DestinationID, kind), c.value, OriginBackfill)
				queued = append(queued, c)
				continue
			}
			status := "capped"
			if caps.action == CapReject {
				status = "cap_rejected"
			}
			if _, err := tx.Exec(ctx, `INSERT INTO deliveries (account_id, conversion_id, destination_id, kind, event_key, status, value, origin,
					last_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_key) DO NOTHING`,
				p.AccountID, c.id, p.DestinationID, kind, EventKey(p.AccountID, c.convKey, p.DestinationID, kind), status, c.value,
				OriginBackfill, over); err != nil {
				return 0, after, fmt.Errorf("record capped delivery of conversion %d: %w", c.id, err)
			}
			res.Capped++
		default:
			b.Queue(backfillInsert, p.AccountID, c.id, p.DestinationID, kind, EventKey(p.AccountID, c.convKey, p.DestinationID, kind), c.value, OriginBackfill)
			queued = append(queued, c)
		}
	}
	last := cands[len(cands)-1].id
	if len(queued) == 0 {
		return len(cands), last, nil
	}
	results := tx.SendBatch(ctx, b)
	for _, c := range queued {
		var id int64
		err := results.QueryRow().Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			// The key is taken: a delivery of this revision exists already
			// (of another conversion row of the same transaction key, or made
			// between our read and our write).
			res.AlreadyDelivered++
			continue
		}
		if err != nil {
			_ = results.Close()
			return 0, after, fmt.Errorf("create delivery of conversion %d: %w", c.id, err)
		}
		res.Created = append(res.Created, DeliveryHandOver{
			AccountID: p.AccountID,
			Ref:       conv.DeliveryRef{ID: id, DestinationID: p.DestinationID, DestinationType: typ, Summary: summary},
			TxKey:     c.txKey, Status: string(conv.StatusApproved), TransactionID: c.transactionID, Integration: c.integration, EventName: c.eventName,
			ClickID: c.clickID, Value: c.value, Currency: c.currency,
		})
	}
	if err := results.Close(); err != nil {
		return 0, after, fmt.Errorf("create deliveries: %w", err)
	}
	return len(cands), last, nil
}
