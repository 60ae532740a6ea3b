package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/destinations"
)

// LoadState reads a transaction's current state; a transaction never seen has the
// empty status.
func (s *Store) LoadState(ctx context.Context, accountID, txKey string) (conv.State, error) {
	return loadState(ctx, s.Pool, accountID, txKey)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func loadState(ctx context.Context, q querier, accountID, txKey string) (conv.State, error) {
	var st conv.State
	var status string
	// The transaction's latest conversion: its own, or its last rebill (mode new).
	err := q.QueryRow(ctx, `SELECT id, status, value, currency, event_name, click_id, rebill FROM conversions
		WHERE account_id = $1 AND tx_key = $2 ORDER BY rebill DESC LIMIT 1`, accountID, txKey).
		Scan(&st.ConversionID, &status, &st.Value, &st.Currency, &st.EventName, &st.ClickID, &st.Rebill)
	if errors.Is(err, pgx.ErrNoRows) {
		return conv.State{}, nil
	}
	if err != nil {
		return conv.State{}, fmt.Errorf("load state of %s: %w", txKey, err)
	}
	st.Status = conv.Status(status)
	return st, nil
}

// RecordParams is everything needed to record one postback's effect.
type RecordParams struct {
	PostbackID       int64
	AccountID        string
	TxKey            string
	TransactionID    string
	Integration      string
	EventName        string
	Currency         string
	ConvertedAt      time.Time
	Postback         json.RawMessage
	Attribution      conv.Attribution
	Decision         conv.Decision
	DisablePostbacks bool
	// Rebill is the conversion of the transaction the decision applies to:
	// 0 its own, n its n-th new conversion (duplicate mode new).
	Rebill int
}

// EventKey is the stable idempotency key of one (conversion, destination, event):
// txKey is the conversion's key (conv.ConversionKey: the transaction key for its own);
// it becomes Meta/TikTok event_id, Google order_id and the webhook id.
func EventKey(accountID, txKey string, destinationID int64, kind string) string {
	sum := sha256.Sum256([]byte(accountID + "\x00" + txKey + "\x00" + strconv.FormatInt(destinationID, 10) + "\x00" + kind))
	return hex.EncodeToString(sum[:16])
}

// Record applies one postback's decision in a single transaction: the conversion
// row, its history entry, the deliveries it causes and the postback's outcome. A
// postback already recorded (a retried activity, a re-sent signal) changes nothing
// and returns what it produced the first time.
func (s *Store) Record(ctx context.Context, p RecordParams) (conv.RecordResult, error) {
	var res conv.RecordResult
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var processed *time.Time
		var outcome string
		var canonical []byte
		err := tx.QueryRow(ctx, `SELECT processed_at, outcome, canonical FROM postback_log WHERE id = $1 FOR UPDATE`, p.PostbackID).
			Scan(&processed, &outcome, &canonical)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("lock postback %d: %w", p.PostbackID, err)
		}
		if len(p.Postback) == 0 {
			p.Postback = canonical // handed over by reference: the log holds the content
		}
		if processed != nil {
			st, err := loadState(ctx, tx, p.AccountID, p.TxKey)
			if err != nil {
				return err
			}
			refs, err := pendingDeliveriesOf(ctx, tx, p.PostbackID)
			if err != nil {
				return err
			}
			res = conv.RecordResult{State: st, Outcome: conv.Outcome(outcome), Deliveries: refs}
			return nil
		}
		if !p.Decision.Apply {
			st, err := loadState(ctx, tx, p.AccountID, p.TxKey)
			if err != nil {
				return err
			}
			res = conv.RecordResult{State: st, Outcome: conv.OutcomeDuplicate}
			return markProcessed(ctx, tx, p.PostbackID, conv.OutcomeDuplicate, p.Decision.Note)
		}
		st, err := upsertConversion(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := convertAndDimension(ctx, tx, st.ConversionID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO conversion_events (conversion_id, postback_id, from_status, to_status, value)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (postback_id) DO NOTHING`,
			st.ConversionID, p.PostbackID, string(p.Decision.From), string(p.Decision.To), p.Decision.Value); err != nil {
			return fmt.Errorf("record history: %w", err)
		}
		refs, err := createDeliveries(ctx, tx, p, st.ConversionID)
		if err != nil {
			return err
		}
		res = conv.RecordResult{State: st, Outcome: conv.OutcomeAccepted, Deliveries: refs}
		if p.DisablePostbacks {
			res.Outcome = conv.OutcomeSuppressed
		}
		note := p.Decision.Note
		if !p.Attribution.Attributed && p.Attribution.Reason != "" {
			note = strings.TrimPrefix(note+"; unattributed: "+p.Attribution.Reason, "; ")
		}
		return markProcessed(ctx, tx, p.PostbackID, res.Outcome, note)
	})
	if err != nil {
		return conv.RecordResult{}, fmt.Errorf("record conversion: %w", err)
	}
	return res, nil
}

func markProcessed(ctx context.Context, tx pgx.Tx, postbackID int64, outcome conv.Outcome, note string) error {
	if _, err := tx.Exec(ctx, `UPDATE postback_log SET outcome = $2, note = $3, processed_at = now() WHERE id = $1`,
		postbackID, string(outcome), note); err != nil {
		return fmt.Errorf("mark postback %d processed: %w", postbackID, err)
	}
	return nil
}

func upsertConversion(ctx context.Context, tx pgx.Tx, p RecordParams) (conv.State, error) {
	a := p.Attribution
	var campaign any
	if a.CampaignID != 0 {
		campaign = a.CampaignID
	}
	postback := p.Postback
	if len(postback) == 0 {
		postback = json.RawMessage(`{}`)
	}
	st := conv.State{Status: p.Decision.To, Value: p.Decision.Value, Currency: p.Currency, EventName: p.EventName, ClickID: a.ClickID,
		Rebill: p.Rebill}
	// Attribution found once is kept: a later postback without a click id must not erase it.
	err := tx.QueryRow(ctx, `INSERT INTO conversions (account_id, tx_key, transaction_id, integration, status, value, currency,
			event_name, click_id, campaign_id, traffic_source, attributed, unattributed_reason, postback, converted_at, deleted_at, country,
			consent_ad_user_data, consent_ad_personalization, rebill)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, CASE WHEN $5 = 'rejected' THEN now() END,
			CASE WHEN $14::jsonb #>> '{traits,country}' ~ '^[A-Za-z]{2}$' THEN upper($14::jsonb #>> '{traits,country}') ELSE '' END,
			CASE WHEN $14::jsonb #>> '{consent,ad_user_data}' IN ('granted', 'denied') THEN $14::jsonb #>> '{consent,ad_user_data}' ELSE '' END,
			CASE WHEN $14::jsonb #>> '{consent,ad_personalization}' IN ('granted', 'denied') THEN $14::jsonb #>> '{consent,ad_personalization}' ELSE '' END,
			$16)
		ON CONFLICT (account_id, tx_key, rebill) DO UPDATE SET
			status = EXCLUDED.status, value = EXCLUDED.value, currency = EXCLUDED.currency, event_name = EXCLUDED.event_name,
			click_id = CASE WHEN conversions.attributed THEN conversions.click_id ELSE EXCLUDED.click_id END,
			campaign_id = CASE WHEN conversions.attributed THEN conversions.campaign_id ELSE EXCLUDED.campaign_id END,
			traffic_source = CASE WHEN conversions.attributed THEN conversions.traffic_source ELSE EXCLUDED.traffic_source END,
			unattributed_reason = CASE WHEN conversions.attributed THEN '' ELSE EXCLUDED.unattributed_reason END,
			attributed = conversions.attributed OR EXCLUDED.attributed,
			postback = EXCLUDED.postback, updated_at = now(),
			country = CASE WHEN EXCLUDED.country <> '' THEN EXCLUDED.country ELSE conversions.country END,
			-- A postback without a consent signal keeps the one an earlier postback carried.
			consent_ad_user_data = CASE WHEN EXCLUDED.consent_ad_user_data <> '' THEN EXCLUDED.consent_ad_user_data
				ELSE conversions.consent_ad_user_data END,
			consent_ad_personalization = CASE WHEN EXCLUDED.consent_ad_personalization <> '' THEN EXCLUDED.consent_ad_personalization
				ELSE conversions.consent_ad_personalization END,
			deleted_at = CASE WHEN EXCLUDED.status = 'rejected' THEN now() ELSE NULL END
		RETURNING id, click_id`,
		p.AccountID, p.TxKey, p.TransactionID, p.Integration, string(p.Decision.To), p.Decision.Value, p.Currency,
		p.EventName, a.ClickID, campaign, a.TrafficSource, a.Attributed, a.Reason, postback, p.ConvertedAt, p.Rebill).
		Scan(&st.ConversionID, &st.ClickID)
	if err != nil {
		return conv.State{}, fmt.Errorf("upsert conversion %s: %w", p.TxKey, err)
	}
	return st, nil
}

// convertAndDimension, in one round trip, sets the conversion's value in its
// account's currency (NULL until the rate is known: ConvertPending converts it
// later) and copies the report dimensions of its attributed click, so reports read
// the conversions table alone.
func convertAndDimension(ctx context.Context, tx pgx.Tx, conversionID int64) error {
	batch := &pgx.Batch{}
	batch.Queue(convertSQL(`v.id = $1`, false), conversionID)
	batch.Queue(`UPDATE conversions v SET subs = k.subs, device_type = k.device_type, os = k.os, browser = k.browser,
			country = CASE WHEN k.country <> '' THEN k.country ELSE v.country END
		FROM clicks k WHERE v.id = $1 AND v.attributed AND k.account_id = v.account_id AND k.id = v.click_id`, conversionID)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("convert conversion %d: %w", conversionID, err)
	}
	return nil
}

// createDeliveries inserts the deliveries this transition causes. Each destination
// fires once per life event of its fire_on (destinations.LifeEvents), for the
// conversions its routing takes (destinations.Route: event, integration,
// campaign); a conversion it does not take gets no row at all, like a life event
// outside fire_on. An ad-platform delivery of an EEA conversion without a consent
// signal, in an account whose eea_without_consent is skip, is written as
// 'skipped' with the reason and never sent. A campaign's traffic-source delivery
// that tells the source of a new conversion takes a slot of each of the
// campaign's caps (caps.go); past one it is written capped or cap_rejected with
// the reason and not handed over. The unique event_key makes a second insert a
// no-op.
func createDeliveries(ctx context.Context, tx pgx.Tx, p RecordParams, conversionID int64) ([]conv.DeliveryRef, error) {
	// A campaign's traffic-source destination comes with the campaign's caps
	// and the day in the account's time zone they count by.
	rows, err := tx.Query(ctx, `SELECT d.id, d.type, d.name, d.fire_on, d.config, c.id, coalesce(c.caps, '[]'), coalesce(c.cap_action, ''),
			CASE WHEN c.id IS NOT NULL THEN to_char(now() AT TIME ZONE a.timezone, 'YYYY-MM-DD') ELSE '' END
		FROM destinations d
		JOIN accounts a ON a.id = d.account_id
		LEFT JOIN campaigns c ON d.config->>'managed_by' = 'campaign' AND c.id = d.campaign_id AND c.caps <> '[]'
		WHERE d.account_id = $1 AND d.enabled AND d.deleted_at IS NULL AND (d.campaign_id IS NULL OR d.campaign_id = $2)
		ORDER BY d.id`, p.AccountID, p.Attribution.CampaignID)
	if err != nil {
		return nil, fmt.Errorf("list destinations: %w", err)
	}
	type dest struct {
		id        int64
		typ, name string
		fireOn    destinations.FireOn
		caps      campaignCaps
		cfg       map[string]string // plain keys only are read (routing): secrets stay sealed
	}
	var dests []dest
	for rows.Next() {
		var d dest
		var fireOn string
		if err := rows.Scan(&d.id, &d.typ, &d.name, &fireOn, &d.cfg, &d.caps.campaignID, &d.caps.caps, &d.caps.action, &d.caps.day); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan destination: %w", err)
		}
		if d.fireOn, err = parseFireOn(fireOn); err != nil {
			rows.Close()
			return nil, err
		}
		dests = append(dests, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list destinations: %w", err)
	}
	// Routing: the destinations that take this conversion.
	taken := dests[:0]
	for _, d := range dests {
		route, err := destinations.RouteOf(d.cfg)
		if err != nil {
			// Refused when the destination is saved, so only a config written
			// around the API gets here: it takes nothing (never more than the
			// operator meant), rather than failing a step the workflow retries
			// for as long as the database is down.
			continue
		}
		if ok, _ := route.Takes(p.EventName, p.Integration, p.Attribution.CampaignID); ok {
			taken = append(taken, d)
		}
	}
	dests = taken
	if len(dests) == 0 {
		return nil, nil
	}
	var consentSkip string
	for _, d := range dests {
		if destinations.IsAdPlatform(destinations.Type(d.typ)) {
			// One more round trip, only when an ad platform may be sent to.
			if consentSkip, err = consentSkipReason(ctx, tx, conversionID); err != nil {
				return nil, err
			}
			break
		}
	}
	had, err := deliveredSoFar(ctx, tx, conversionID)
	if err != nil {
		return nil, err
	}
	type plan struct {
		destID    int64
		typ, name string
		kind, key string
		status    string // pending, suppressed, skipped, capped or cap_rejected
		note      string // why it is not sent (last_error)
	}
	status := "pending"
	if p.DisablePostbacks {
		status = "suppressed"
	}
	var plans []plan
	prev := destinations.ConversionState{Status: string(p.Decision.From)}
	next := destinations.ConversionState{Status: string(p.Decision.To), Value: p.Decision.Value}
	for _, d := range dests {
		h := had[d.id]
		if h == nil {
			h = &destinationHad{keys: map[string]bool{}}
		}
		if h.suppressed {
			// The network asked for no deliveries of this transaction: its later
			// changes are not told either.
			continue
		}
		sent := destinations.Delivered{Holds: h.holds, Value: h.value}
		for _, e := range destinations.LifeEvents(destinations.Type(d.typ), d.fireOn, prev, next, sent) {
			kind := destinations.KindFor(destinations.Type(d.typ), e)
			// The first delivery of a kind keeps the key it always had (existing
			// conversions, Google's order id); each later revision gets its own.
			convKey := conv.ConversionKey(p.TxKey, p.Rebill)
			key := EventKey(p.AccountID, convKey, d.id, kind)
			if h.keys[key] {
				key = EventKey(p.AccountID, convKey, d.id, kind+"#"+strconv.Itoa(h.count+1))
			}
			pl := plan{destID: d.id, typ: d.typ, name: d.name, kind: kind, key: key, status: status}
			switch {
			case status == "pending" && consentSkip != "" && destinations.IsAdPlatform(destinations.Type(d.typ)):
				pl.status, pl.note = "skipped", consentSkip
			case status == "pending" && takesSlot(e) && d.caps.campaignID != nil:
				over, err := takeCapSlots(ctx, tx, d.caps, p.EventName)
				if err != nil {
					return nil, err
				}
				if over != "" {
					pl.status, pl.note = "capped", over
					if d.caps.action == CapReject {
						pl.status = "cap_rejected"
					}
				}
			}
			plans = append(plans, pl)
		}
	}
	if len(plans) == 0 {
		return nil, nil
	}
	// One round trip for all of them: this runs for every new conversion.
	batch := &pgx.Batch{}
	for _, pl := range plans {
		batch.Queue(`INSERT INTO deliveries (account_id, conversion_id, destination_id, postback_id, kind, event_key, status, value, last_error)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_key) DO NOTHING RETURNING id`,
			p.AccountID, conversionID, pl.destID, p.PostbackID, pl.kind, pl.key, pl.status, p.Decision.Value, pl.note)
	}
	results := tx.SendBatch(ctx, batch)
	defer results.Close()
	var refs []conv.DeliveryRef
	for _, pl := range plans {
		var id int64
		err := results.QueryRow().Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // this revision was made already
		}
		if err != nil {
			return nil, fmt.Errorf("create delivery: %w", err)
		}
		if pl.status == "pending" {
			refs = append(refs, conv.DeliveryRef{ID: id, DestinationID: pl.destID, DestinationType: pl.typ, Summary: deliverySummary(pl.typ, pl.name, pl.kind)})
		}
	}
	if err := results.Close(); err != nil {
		return nil, fmt.Errorf("create deliveries: %w", err)
	}
	return refs, nil
}

// consentSkipReason says why the conversion must not reach ad platforms: it is
// from an EEA country, carried no consent signal, and its account's
// eea_without_consent is skip. "" when it may. The country is the conversion's
// (its click's, else the postback's), set before deliveries are made.
func consentSkipReason(ctx context.Context, tx pgx.Tx, conversionID int64) (string, error) {
	var country, adUserData, adPersonalization, policy string
	err := tx.QueryRow(ctx, `SELECT v.country, v.consent_ad_user_data, v.consent_ad_personalization, a.eea_without_consent
		FROM conversions v JOIN accounts a ON a.id = v.account_id WHERE v.id = $1`, conversionID).
		Scan(&country, &adUserData, &adPersonalization, &policy)
	if err != nil {
		return "", fmt.Errorf("consent of conversion %d: %w", conversionID, err)
	}
	pol, _ := destinations.ParseEEAPolicy(policy)
	signal := destinations.Consent{AdUserData: destinations.ConsentStatus(adUserData),
		AdPersonalization: destinations.ConsentStatus(adPersonalization)}
	if _, skip := destinations.ConsentFor(signal, country, pol); skip {
		return destinations.ConsentSkipReason(country), nil
	}
	return "", nil
}

// destinationHad is what one destination was sent of a conversion so far.
type destinationHad struct {
	count      int
	keys       map[string]bool
	suppressed bool
	holds      bool // it has the conversion (sent, or being sent), not taken back
	value      decimal.Decimal
}

// deliveredSoFar reads, per destination, the deliveries of a conversion in order.
// A delivery made before life events carries no value; the conversion's value
// before this change stands in for it.
func deliveredSoFar(ctx context.Context, tx pgx.Tx, conversionID int64) (map[int64]*destinationHad, error) {
	rows, err := tx.Query(ctx, `SELECT x.destination_id, x.kind, x.status, x.event_key,
			coalesce(x.value, (SELECT e.value FROM conversion_events e WHERE e.conversion_id = x.conversion_id
				AND e.created_at <= x.created_at ORDER BY e.id DESC LIMIT 1), 0)
		FROM deliveries x WHERE x.conversion_id = $1 ORDER BY x.id`, conversionID)
	if err != nil {
		return nil, fmt.Errorf("deliveries of conversion %d: %w", conversionID, err)
	}
	defer rows.Close()
	out := map[int64]*destinationHad{}
	for rows.Next() {
		var destID int64
		var kind, status, key string
		var value decimal.Decimal
		if err := rows.Scan(&destID, &kind, &status, &key, &value); err != nil {
			return nil, fmt.Errorf("scan delivery: %w", err)
		}
		h := out[destID]
		if h == nil {
			h = &destinationHad{keys: map[string]bool{}}
			out[destID] = h
		}
		h.count++
		h.keys[key] = true
		switch {
		case status == "suppressed":
			h.suppressed = true
		case status == "failed" || status == "skipped" || status == "capped" || status == "cap_rejected":
			// Never received (given up on, skipped for consent, or past a
			// campaign cap): changes nothing the destination has.
		case kind == destinations.KindReversal || kind == destinations.KindRetraction:
			h.holds, h.value = false, decimal.Zero
		default:
			h.holds, h.value = true, value
		}
	}
	return out, rows.Err()
}

func deliverySummary(typ, name, kind string) string {
	s := "deliver to " + typ + " " + name
	if kind == "reversal" {
		s = "send reversal to " + typ + " " + name
	}
	return s
}

func pendingDeliveriesOf(ctx context.Context, q querier, postbackID int64) ([]conv.DeliveryRef, error) {
	rows, err := q.Query(ctx, `SELECT x.id, x.destination_id, d.type, d.name, x.kind FROM deliveries x
		JOIN destinations d ON d.id = x.destination_id
		WHERE x.postback_id = $1 AND x.status = 'pending' ORDER BY x.id`, postbackID)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of postback %d: %w", postbackID, err)
	}
	defer rows.Close()
	var refs []conv.DeliveryRef
	for rows.Next() {
		var r conv.DeliveryRef
		var name, kind string
		if err := rows.Scan(&r.ID, &r.DestinationID, &r.DestinationType, &name, &kind); err != nil {
			return nil, fmt.Errorf("scan delivery: %w", err)
		}
		r.Summary = deliverySummary(r.DestinationType, name, kind)
		refs = append(refs, r)
	}
	return refs, rows.Err()
}

// Conversion is a conversion as the admin API shows it (api/views.go is its
// JSON). The fields without a `db:"-"` are columns of conversionColumns.
type Conversion struct {
	ID            int64
	TransactionID string
	TxKey         string
	Rebill        int // 0: the transaction's own conversion; n: its n-th new one (duplicate mode new)
	Integration   string
	Status        string
	Value         decimal.Decimal
	Currency      string
	// In the account's currency; nil until the rate of the conversion's date is known.
	ValueAccount       *decimal.Decimal
	AccountCurrency    *string
	Rate               *decimal.Decimal
	RateDate           *time.Time
	EventName          string
	ClickID            string
	CampaignID         *int64
	TrafficSource      string
	Attributed         bool
	UnattributedReason string
	ConvertedAt        time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
	DeletedAt          *time.Time
	WorkflowID         string          `db:"-"`
	Consent            ConsentSignal   `db:"-"` // what its postbacks carried
	Source             *SourceClick    `db:"-"` // the attributed click's source data
	History            []HistoryEntry  `db:"-"`
	Deliveries         []Delivery      `db:"-"`
	Postback           json.RawMessage `db:"-"`
}

// ConsentSignal is the consent a conversion's postbacks carried: "granted",
// "denied" or "" (no signal) for each.
type ConsentSignal struct {
	AdUserData        string
	AdPersonalization string
}

// HistoryEntry is one transition of a conversion.
type HistoryEntry struct {
	PostbackID *int64
	From       string
	To         string
	Value      decimal.Decimal
	At         time.Time
}

// conversionRow is one row of conversionColumns, mapped by name: the
// conversion, the account its workflow id is made of, its consent, and its
// attributed click's source data (HasSource false: no click joined).
type conversionRow struct {
	Conversion
	AccountID string
	ConsentSignal
	HasSource bool
	SourceClick
}

const conversionColumns = `v.id, v.transaction_id, v.tx_key, v.integration, v.status, v.value, v.currency, v.event_name, v.click_id,
	v.campaign_id, v.traffic_source, v.attributed, v.unattributed_reason, v.converted_at, v.created_at, v.updated_at, v.deleted_at,
	v.account_id, v.value_account, v.account_currency, v.rate, v.rate_date,
	v.consent_ad_user_data AS ad_user_data, v.consent_ad_personalization AS ad_personalization,
	k.id IS NOT NULL AS has_source, coalesce(k.external_id, '') AS external_id, coalesce(k.visitor_id, '') AS visitor_id,
	coalesce(k.fbclid, '') AS fbclid, coalesce(k.gclid, '') AS gclid, coalesce(k.gbraid, '') AS gbraid,
	coalesce(k.wbraid, '') AS wbraid, coalesce(k.ttclid, '') AS ttclid, coalesce(k.ttp, '') AS ttp,
	coalesce(k.ga_client_id, '') AS ga_client_id, coalesce(k.fbc, '') AS fbc, coalesce(k.fbp, '') AS fbp,
	coalesce(k.ip, '') AS ip, coalesce(k.user_agent, '') AS user_agent, coalesce(k.referrer, '') AS referrer, v.rebill`

// conversionFrom joins the attributed click: its source data is what forwarding uses.
const conversionFrom = ` FROM conversions v LEFT JOIN clicks k ON v.attributed AND k.account_id = v.account_id AND k.id = v.click_id `

// conversion completes a row: its workflow id, consent and source, and no
// deliveries until they are loaded.
func (r conversionRow) conversion() Conversion {
	c := r.Conversion
	c.WorkflowID = conv.WorkflowID(r.AccountID, c.TxKey)
	c.Consent = r.ConsentSignal
	c.Deliveries = []Delivery{}
	if r.HasSource {
		src := r.SourceClick
		c.Source = &src
	}
	return c
}

// ConversionFilter narrows a conversions listing.
type ConversionFilter struct {
	TransactionID string
	ClickID       string
	Status        string
	Before        int64
	Limit         int
	// Campaigns limits the listing to these campaigns (a scoped principal); empty: all.
	Campaigns []int64
}

// ListConversions lists an account's conversions, newest first, each with its deliveries.
func (s *Store) ListConversions(ctx context.Context, accountID string, f ConversionFilter) ([]Conversion, error) {
	rows, err := collectRows[conversionRow](s.Pool.Query(ctx, `SELECT `+conversionColumns+conversionFrom+`
		WHERE v.account_id = $1 AND ($2 = '' OR v.transaction_id = $2) AND ($3 = '' OR v.click_id = $3)
		  AND ($4 = '' OR v.status = $4) AND ($5 = 0 OR v.id < $5)
		  AND (cardinality($7::bigint[]) = 0 OR v.campaign_id = ANY($7::bigint[]))
		ORDER BY v.id DESC LIMIT $6`, accountID, f.TransactionID, f.ClickID, f.Status, f.Before, f.Limit, orEmpty(f.Campaigns)))
	if err != nil {
		return nil, fmt.Errorf("list conversions: %w", err)
	}
	out := make([]Conversion, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		out[i], ids[i] = r.conversion(), r.ID
	}
	dels, err := s.deliveriesOfConversions(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if d := dels[out[i].ID]; d != nil {
			out[i].Deliveries = d
		}
	}
	return out, nil
}

// GetConversion loads one conversion with its history and deliveries.
func (s *Store) GetConversion(ctx context.Context, accountID string, id int64) (Conversion, error) {
	r, err := collectOneRow[conversionRow](s.Pool.Query(ctx, `SELECT `+conversionColumns+conversionFrom+`WHERE v.account_id = $1 AND v.id = $2`, accountID, id))
	if err != nil {
		return Conversion{}, fmt.Errorf("get conversion %d: %w", id, notFound(err))
	}
	c := r.conversion()
	if err := s.Pool.QueryRow(ctx, `SELECT postback FROM conversions WHERE id = $1`, id).Scan(&c.Postback); err != nil {
		return Conversion{}, fmt.Errorf("get conversion postback: %w", err)
	}
	c.History, err = collectRows[HistoryEntry](s.Pool.Query(ctx, `SELECT postback_id, from_status AS "from", to_status AS "to",
		value, created_at AS at FROM conversion_events WHERE conversion_id = $1 ORDER BY id`, id))
	if err != nil {
		return Conversion{}, fmt.Errorf("get conversion history: %w", err)
	}
	dels, err := s.deliveriesOfConversions(ctx, []int64{id})
	if err != nil {
		return Conversion{}, err
	}
	if d := dels[id]; d != nil {
		c.Deliveries = d
	}
	return c, nil
}

// destinationTakesFirst keeps this one-delivery-per-transaction path working
// with fire_on sets (migration 004) until the life-event policy
// (destinations.LifeEvents) replaces it: a set without "first" waits for
// the approval, as fire_on=approved did.
func destinationTakesFirst(fireOn string) bool {
	f, err := destinations.ParseFireOn(fireOn)
	return err != nil || f.Has(destinations.LifeFirst)
}
