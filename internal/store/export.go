package store

import (
	"context"
	"fmt"
	"time"
)

// ConversionCSVHeader names the columns ExportConversions produces, in order.
var ConversionCSVHeader = []string{"id", "transaction_id", "status", "event_name", "value", "currency", "value_account",
	"account_currency", "rate", "rate_date", "click_id", "campaign_id", "traffic_source", "integration", "attributed",
	"country", "device_type", "os", "browser", "sub1", "sub2", "sub3", "sub4", "sub5", "sub6", "sub7", "sub8", "sub9", "sub10",
	"converted_at", "created_at", "updated_at"}

// PostbackCSVHeader names the columns ExportPostbacks produces, in order.
var PostbackCSVHeader = []string{"id", "received_at", "integration", "method", "path", "raw_query", "raw_body",
	"transaction_id", "workflow_id", "outcome", "error", "note", "processed_at"}

const isoUTC = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`

func utcText(col string) string {
	return `coalesce(to_char(` + col + ` AT TIME ZONE 'UTC', ` + isoUTC + `), '')`
}

// ExportConversions calls each with every conversion of an account converted in
// [from, to), oldest first, as text columns (ConversionCSVHeader). Rows come from
// one cursor, so memory does not grow with the account's size.
func (s *Store) ExportConversions(ctx context.Context, accountID string, from, to time.Time, each func([]string) error) error {
	subs := ""
	for i := 1; i <= 10; i++ {
		subs += fmt.Sprintf(", coalesce(v.subs->>'sub%d', '')", i)
	}
	return s.streamText(ctx, len(ConversionCSVHeader), `SELECT v.id::text, v.transaction_id, v.status, v.event_name, trim_scale(v.value)::text,
			v.currency, coalesce(trim_scale(v.value_account)::text, ''), coalesce(v.account_currency, ''), coalesce(trim_scale(v.rate)::text, ''),
			coalesce(v.rate_date::text, ''), v.click_id, coalesce(v.campaign_id::text, ''), v.traffic_source, v.integration,
			v.attributed::text, v.country, v.device_type, v.os, v.browser`+subs+`,
			`+utcText("v.converted_at")+`, `+utcText("v.created_at")+`, `+utcText("v.updated_at")+`
		FROM conversions v WHERE v.account_id = $1 AND v.converted_at >= $2 AND v.converted_at < $3
		ORDER BY v.converted_at, v.id`, []any{accountID, from, to}, each)
}

// ExportPostbacks calls each with every postback log row of an account received
// in [from, to), oldest first (PostbackCSVHeader). The source address is left out.
func (s *Store) ExportPostbacks(ctx context.Context, accountID string, from, to time.Time, each func([]string) error) error {
	return s.streamText(ctx, len(PostbackCSVHeader), `SELECT id::text, `+utcText("received_at")+`, integration, method, path,
			raw_query, raw_body, transaction_id, workflow_id, outcome, error, note, `+utcText("processed_at")+`
		FROM postback_log WHERE account_id = $1 AND received_at >= $2 AND received_at < $3 ORDER BY id`,
		[]any{accountID, from, to}, each)
}

// streamText runs a query whose columns are all text and hands each row to each,
// reusing one slice (each must not keep it).
func (s *Store) streamText(ctx context.Context, n int, sql string, args []any, each func([]string) error) error {
	rows, err := s.Pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer rows.Close()
	vals := make([]string, n)
	dst := make([]any, n)
	for i := range vals {
		dst[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := each(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
