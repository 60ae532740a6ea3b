package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/convrelay/convrelay/internal/postback"
)

// Erasure kinds: what identifies the person whose data is erased.
const (
	EraseEmail   = "email"
	EraseClickID = "click_id"
	EraseRefID   = "ref_id"
)

// personalKeys are removed from a stored canonical postback (postback_log.canonical,
// conversions.postback) when it is erased or past its retention: what names,
// reaches or fingerprints a person. What stays (transaction id, status, value,
// currency, event, timestamp) is the account's record of the transaction.
var personalKeys = []string{"click_id", "ref_id", "email", "visitor_id", "page_id", "ip", "user_agent",
	"traits", "params", "passthrough", "items", "subs", "event_id", "ga_client_id"}

// personalKeysSQL is personalKeys as a SQL text[] literal (constants only).
var personalKeysSQL = "ARRAY['" + strings.Join(personalKeys, "','") + "']::text[]"

// erasedKeyPrefix starts the transaction key that replaces one built from the
// erased person's identifiers. "erased" is no match-key kind and a key made from
// a transaction id never holds ':' (postback.TransactionKey escapes it), so no
// later postback can produce it; the random rest makes it unique, so the
// unique indexes on tx_key and event_key can never refuse an erasure.
const erasedKeyPrefix = "erased:"

// Erase removes or anonymises everything about one person in an account, and
// nothing about anyone else. The person is found by whole values only, never
// substrings: identifier columns equal to the value (an email in any case), a
// stored postback whose identity fields (click id, ref id, email, visitor id,
// parsed, or for a request that could not be parsed, read from its parameters
// under the integration's names) hold the value, one of the person's click ids
// or visitor ids, and, for an email, any parameter or trait equal to it,
// URL-encoded or SHA-256 hashed.
//
// What is theirs:
//   - clicks with the identifier, and every other click of the same visitors:
//     deleted (IP, user agent, fbp/fbc, click ids, subs), with the visitor sessions;
//   - postback log rows that name them, and every other row of their transactions:
//     raw query and body, source address and their identity, traits and
//     parameters in the canonical form are removed; an error or note quoting
//     them is emptied;
//   - conversions of those transactions, or attributed to their clicks: the
//     stored postback loses the same keys, the click id goes, subs quoting them
//     go; a transaction key built from their identifiers (click:, ref:,
//     visitor:, email:) becomes "erased:<id>:<random>" (and the log rows' workflow
//     id and the deliveries' idempotency keys with it); a key that is the
//     network's transaction id stays, so a later status update still finds its
//     conversion;
//   - deliveries of those conversions: their last error.
//
// Other identifiers found on their rows (an email on a click found by ref id)
// are not followed: placeholder emails shared by many people are common, and
// following them would reach other people's rows. Erase by each identifier.
//
// It returns the rows changed per table; all in one transaction.
func (s *Store) Erase(ctx context.Context, accountID, kind, value string) (map[string]int64, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, fmt.Errorf("erase: empty %s", kind)
	}
	var clickWhere string
	switch kind {
	case EraseEmail:
		clickWhere = `lower(email) = lower($2)`
	case EraseClickID:
		clickWhere = `id = $2`
	case EraseRefID:
		clickWhere = `(ref_id = $2 OR external_id = $2)`
	default:
		return nil, fmt.Errorf("erase: unknown kind %q", kind)
	}
	counts := map[string]int64{}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		p := &person{kind: kind, value: value, clicks: map[string]bool{}, visitors: map[string]bool{}}
		if kind == EraseClickID {
			p.clicks[value] = true
		}
		if kind == EraseEmail {
			sum := sha256.Sum256([]byte(strings.ToLower(value)))
			p.emailHash = hex.EncodeToString(sum[:])
		}
		if err := p.eraseClicks(ctx, tx, accountID, clickWhere, counts); err != nil {
			return err
		}
		logIDs, err := p.findLogRows(ctx, tx, accountID)
		if err != nil {
			return err
		}
		convs, err := p.findConversions(ctx, tx, accountID, logIDs)
		if err != nil {
			return err
		}
		if err := p.scrub(ctx, tx, accountID, logIDs, convs, counts); err != nil {
			return err
		}
		return p.eraseCountKeys(ctx, tx, accountID, counts)
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// subCountTables keep report counts keyed by sub1 (migration 011), which a
// network or a landing page may fill with an email.
var subCountTables = []string{"click_counts_sub1", "click_counts_sub1_days", "conversion_counts_sub1", "conversion_counts_sub1_days"}

// eraseCountKeys blanks a sub1 count key that is the erased email (as sent, in
// any case, URL-encoded, or its SHA-256): a whole value, like every other match.
// The counts stay; the tables' triggers unfold a renamed row so the next fold
// merges it with the blank key's (migration 011). Other identifiers are not
// looked for there: a short ref id is also someone else's sub id.
func (p *person) eraseCountKeys(ctx context.Context, tx pgx.Tx, accountID string, counts map[string]int64) error {
	if p.kind != EraseEmail {
		return nil
	}
	forms := []string{strings.ToLower(p.value), strings.ToLower(url.QueryEscape(p.value)), p.emailHash}
	for _, table := range subCountTables {
		tag, err := tx.Exec(ctx, `UPDATE `+table+` SET sub1 = '' WHERE account_id = $1 AND lower(sub1) = ANY($2)`, accountID, forms)
		if err != nil {
			return fmt.Errorf("erase %s: %w", table, err)
		}
		if n := tag.RowsAffected(); n > 0 {
			counts[table] = n
		}
	}
	return nil
}

// person is who is being erased: the identifier given, and what was found of
// them along the way.
type person struct {
	kind, value string
	emailHash   string
	clicks      map[string]bool // their click ids (and the value itself for a click_id)
	visitors    map[string]bool // visitor ids of their clicks
	formList    []string        // forms(), once the clicks are known
}

// eraseClicks deletes the person's clicks, the other clicks of the same
// visitors and those visitors' sessions, remembering the ids.
func (p *person) eraseClicks(ctx context.Context, tx pgx.Tx, accountID, clickWhere string, counts map[string]int64) error {
	rows, err := tx.Query(ctx, `SELECT id, visitor_id FROM clicks WHERE account_id = $1 AND `+clickWhere, accountID, p.value)
	if err != nil {
		return fmt.Errorf("erase: find clicks: %w", err)
	}
	var id, visitor string
	_, err = pgx.ForEachRow(rows, []any{&id, &visitor}, func() error {
		p.clicks[id] = true
		if visitor != "" {
			p.visitors[visitor] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("erase: find clicks: %w", err)
	}
	visitors := keys(p.visitors)
	rows, err = tx.Query(ctx, `DELETE FROM clicks WHERE account_id = $1 AND (id = ANY($2) OR (visitor_id <> '' AND visitor_id = ANY($3)))
		RETURNING id`, accountID, keys(p.clicks), visitors)
	if err != nil {
		return fmt.Errorf("erase clicks: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("erase clicks: %w", err)
	}
	for _, id := range ids {
		p.clicks[id] = true
	}
	counts["clicks"] = int64(len(ids))
	tag, err := tx.Exec(ctx, `DELETE FROM visitors WHERE account_id = $1 AND id = ANY($2)`, accountID, visitors)
	if err != nil {
		return fmt.Errorf("erase visitors: %w", err)
	}
	counts["visitors"] = tag.RowsAffected()
	return nil
}

// forms are the strings the person's identifiers may be stored as: as sent,
// URL-encoded and, for an email, its SHA-256. They only narrow the rows read
// (substring search); whether a row is the person's is decided on whole values.
func (p *person) forms() []string {
	if p.formList != nil {
		return p.formList
	}
	vals := append([]string{p.value}, keys(p.clicks)...)
	vals = append(vals, keys(p.visitors)...)
	var out []string
	seen := map[string]bool{}
	add := func(v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, v := range vals {
		add(v)
		add(url.QueryEscape(v))
		add(url.PathEscape(v))
	}
	add(p.emailHash)
	p.formList = out
	return out
}

func likePatterns(forms []string) []string {
	out := make([]string, len(forms))
	for i, f := range forms {
		out[i] = "%" + likeEscape(f) + "%"
	}
	return out
}

// jsonStringPatterns find the forms as whole JSON strings in jsonb text, which
// is how a canonical postback holds every value it is judged by.
func jsonStringPatterns(forms []string) []string {
	out := make([]string, 0, len(forms))
	for _, f := range forms {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // as jsonb prints strings
		if enc.Encode(f) != nil {
			continue
		}
		out = append(out, "%"+likeEscape(strings.TrimSpace(b.String()))+"%")
	}
	return out
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// identity is what names someone in a stored postback.
func (p *person) matchesIdentity(field, v string) bool {
	if v == "" {
		return false
	}
	switch field {
	case postback.IdentityClickID:
		return p.clicks[v]
	case postback.IdentityRefID:
		return p.kind == EraseRefID && v == p.value
	case postback.IdentityEmail:
		return p.kind == EraseEmail && strings.EqualFold(v, p.value)
	case postback.IdentityVisitorID:
		return p.visitors[v]
	}
	return false
}

// matchesAnyValue is, for an email, a whole parameter or trait value that is
// the address (any case, URL-encoded or not) or its SHA-256. Other kinds are
// matched by identity fields only: a short ref id such as "12" is also a
// payout, a sub id or a page number of someone else.
func (p *person) matchesAnyValue(v string) bool {
	if p.kind != EraseEmail || v == "" {
		return false
	}
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, p.value) || strings.EqualFold(v, p.emailHash) {
		return true
	}
	dec, err := url.QueryUnescape(v)
	return err == nil && strings.EqualFold(dec, p.value)
}

// ownsCanonical says whether a stored canonical postback is the person's.
func (p *person) ownsCanonical(raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	var pb postback.Postback
	if json.Unmarshal(raw, &pb) != nil {
		// Not a postback this version can read: fall back to its string values.
		return p.ownsJSONStrings(raw)
	}
	if p.matchesIdentity(postback.IdentityClickID, pb.ClickID) || p.matchesIdentity(postback.IdentityRefID, pb.RefID) ||
		p.matchesIdentity(postback.IdentityEmail, pb.Email) || p.matchesIdentity(postback.IdentityEmail, pb.Traits.Email) ||
		p.matchesIdentity(postback.IdentityVisitorID, pb.VisitorID) {
		return true
	}
	if p.kind != EraseEmail {
		return false
	}
	return p.ownsJSONStrings(raw)
}

// ownsJSONStrings looks at every string value of a JSON document as a whole:
// identity keys by their identity, any string for an email.
func (p *person) ownsJSONStrings(raw []byte) bool {
	var doc any
	if json.Unmarshal(raw, &doc) != nil {
		return false
	}
	found := false
	var walk func(key string, v any)
	walk = func(key string, v any) {
		if found {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(k, e)
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case string:
			if p.matchesIdentity(key, x) || p.matchesAnyValue(x) {
				found = true
			}
		}
	}
	walk("", doc)
	return found
}

// ownsRequest says whether a stored request that has no canonical form (it was
// refused or could not be parsed) is the person's, by its parameters.
func (p *person) ownsRequest(rawQuery, rawBody string, integ postback.Integration) bool {
	ids, all := postback.IdentityFields(postback.Request{RawQuery: rawQuery, Body: []byte(rawBody)}, integ)
	for _, id := range ids {
		if p.matchesIdentity(id.Field, id.Value) {
			return true
		}
	}
	for _, prm := range all {
		if p.matchesAnyValue(prm.Value) {
			return true
		}
	}
	return false
}

// findLogRows returns the ids of the postback log rows that name the person.
func (p *person) findLogRows(ctx context.Context, tx pgx.Tx, accountID string) ([]int64, error) {
	integs := map[string]postback.Integration{}
	rows, err := tx.Query(ctx, `SELECT slug, preset, field_map FROM integrations WHERE account_id = $1`, accountID)
	if err != nil {
		return nil, fmt.Errorf("erase: integrations: %w", err)
	}
	var slug, preset string
	var fieldMap map[string]string
	if _, err := pgx.ForEachRow(rows, []any{&slug, &preset, &fieldMap}, func() error {
		integs[slug] = postback.Integration{Preset: preset, FieldMap: fieldMap}
		fieldMap = nil
		return nil
	}); err != nil {
		return nil, fmt.Errorf("erase: integrations: %w", err)
	}
	// Rows with a canonical form are judged by it, so only those holding a form
	// as a whole JSON string are read; the others by their raw parameters.
	rows, err = tx.Query(ctx, `SELECT id, integration, raw_query, raw_body, canonical FROM postback_log
		WHERE account_id = $1 AND (canonical::text ILIKE ANY($3)
			OR (canonical IS NULL AND (raw_query ILIKE ANY($2) OR raw_body ILIKE ANY($2))))`,
		accountID, likePatterns(p.forms()), jsonStringPatterns(p.forms()))
	if err != nil {
		return nil, fmt.Errorf("erase: find postbacks: %w", err)
	}
	var ids []int64
	var id int64
	var integ, rawQuery, rawBody string
	var canonical []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &integ, &rawQuery, &rawBody, &canonical}, func() error {
		owned := p.ownsCanonical(canonical)
		if !owned && len(canonical) == 0 {
			owned = p.ownsRequest(rawQuery, rawBody, integs[integ])
		}
		if owned {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("erase: find postbacks: %w", err)
	}
	return ids, nil
}

// erasedConversion is one of the person's conversions and its key after erasure.
type erasedConversion struct {
	id             int64
	oldKey, newKey string
}

// findConversions returns the person's conversions: attributed to one of their
// clicks, recorded from one of their postbacks, of a transaction one of their
// postbacks belongs to, whose stored postback names them, or whose key is built
// from their identifier.
func (p *person) findConversions(ctx context.Context, tx pgx.Tx, accountID string, logIDs []int64) ([]erasedConversion, error) {
	rows, err := tx.Query(ctx, `SELECT v.id, v.tx_key, v.postback,
			v.click_id = ANY($2)
			OR EXISTS (SELECT 1 FROM conversion_events e WHERE e.conversion_id = v.id AND e.postback_id = ANY($3))
			OR EXISTS (SELECT 1 FROM postback_log l WHERE l.id = ANY($3) AND l.workflow_id = 'conv/' || v.account_id || '/' || v.tx_key)
		FROM conversions v
		WHERE v.account_id = $1 AND (v.click_id = ANY($2)
			OR EXISTS (SELECT 1 FROM conversion_events e WHERE e.conversion_id = v.id AND e.postback_id = ANY($3))
			OR EXISTS (SELECT 1 FROM postback_log l WHERE l.id = ANY($3) AND l.workflow_id = 'conv/' || v.account_id || '/' || v.tx_key)
			OR v.postback::text ILIKE ANY($5) OR v.tx_key ILIKE ANY($4))`,
		accountID, keys(p.clicks), logIDs, likePatterns(p.forms()), jsonStringPatterns(p.forms()))
	if err != nil {
		return nil, fmt.Errorf("erase: find conversions: %w", err)
	}
	var out []erasedConversion
	var id int64
	var key string
	var pb []byte
	var linked bool
	_, err = pgx.ForEachRow(rows, []any{&id, &key, &pb, &linked}, func() error {
		if linked || p.ownsCanonical(pb) || p.ownsKey(key) {
			c := erasedConversion{id: id, oldKey: key, newKey: key}
			if personalKey(key) || p.ownsTxKey(key) {
				c.newKey = erasedKeyPrefix + strconv.FormatInt(id, 10) + ":" + randomHex()
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("erase: find conversions: %w", err)
	}
	return out, nil
}

// ownsKey says whether a transaction key is built from the person's identifier
// ("click:<id>:<event>", "ref:<id>:<event>", "visitor:<vid>:<p>:<event>",
// "email:<address>:<event>"), comparing whole unescaped parts.
func (p *person) ownsKey(key string) bool {
	kind, rest, ok := strings.Cut(key, ":")
	if !ok {
		return false
	}
	part, _, _ := strings.Cut(rest, ":")
	if v, err := url.PathUnescape(part); err == nil {
		part = v
	}
	switch kind {
	case "click":
		return p.matchesIdentity(postback.IdentityClickID, part)
	case "ref":
		return p.matchesIdentity(postback.IdentityRefID, part)
	case "visitor":
		return p.matchesIdentity(postback.IdentityVisitorID, part)
	case "email":
		return p.matchesIdentity(postback.IdentityEmail, part)
	}
	return false
}

// personalKey says whether a transaction key is built from a person's
// identifiers rather than from the network's transaction id.
func personalKey(key string) bool {
	for _, kind := range []string{"click", "ref", "visitor", "email"} {
		if strings.HasPrefix(key, kind+":") || strings.HasPrefix(key, kind+"#") {
			return true
		}
	}
	return false
}

// isForm says whether a whole value is one of the person's identifiers in one
// of its stored forms (any case).
func (p *person) isForm(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	for _, f := range p.forms() {
		if strings.EqualFold(v, f) {
			return true
		}
	}
	return false
}

// quotes says whether free text (an error, a note) of one of the person's own
// rows quotes one of their identifiers anywhere.
func (p *person) quotes(text string) bool {
	lt := strings.ToLower(text)
	for _, f := range p.forms() {
		if strings.Contains(lt, strings.ToLower(f)) {
			return true
		}
	}
	return false
}

// ownsTxKey says whether a transaction key names the person: built from their
// identifier, or a transaction id that is one of their identifiers.
func (p *person) ownsTxKey(key string) bool {
	if p.ownsKey(key) {
		return true
	}
	if v, err := url.PathUnescape(key); err == nil && p.isForm(v) {
		return true
	}
	return p.isForm(key)
}

// scrubDoc removes the personal keys from a stored canonical postback and
// empties any other string value that is one of the person's identifiers.
func (p *person) scrubDoc(raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return raw, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return []byte(`{}`), nil
	}
	for _, k := range personalKeys {
		delete(doc, k)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		case string:
			if p.isForm(x) {
				return ""
			}
		}
		return v
	}
	walk(doc)
	return json.Marshal(doc)
}

// scrub rewrites the person's rows found above.
func (p *person) scrub(ctx context.Context, tx pgx.Tx, accountID string, logIDs []int64, convs []erasedConversion, counts map[string]int64) error {
	renamed := map[string]string{} // old workflow id -> new
	var oldWF []string
	for _, c := range convs {
		wf := "conv/" + accountID + "/" + c.oldKey
		oldWF = append(oldWF, wf)
		renamed[wf] = "conv/" + accountID + "/" + c.newKey
	}
	// The postback log: the rows naming them and every row of their transactions.
	rows, err := tx.Query(ctx, `SELECT id, canonical, workflow_id, transaction_id, error, note FROM postback_log
		WHERE account_id = $1 AND (id = ANY($2) OR workflow_id = ANY($3)) FOR UPDATE`, accountID, logIDs, oldWF)
	if err != nil {
		return fmt.Errorf("erase postback_log: %w", err)
	}
	var lIDs []int64
	var lCanon [][]byte
	var lWF, lTx, lErr, lNote []string
	var id int64
	var canonical []byte
	var wf, txID, errText, note string
	_, err = pgx.ForEachRow(rows, []any{&id, &canonical, &wf, &txID, &errText, &note}, func() error {
		doc, err := p.scrubDoc(canonical)
		if err != nil {
			return err
		}
		if n, ok := renamed[wf]; ok {
			wf = n
		} else if key, ok := strings.CutPrefix(wf, "conv/"+accountID+"/"); ok && p.ownsTxKey(key) {
			wf = "conv/" + accountID + "/" + erasedKeyPrefix + "log" + strconv.FormatInt(id, 10) + ":" + randomHex()
		}
		if p.isForm(txID) {
			txID = ""
		}
		if p.quotes(errText) {
			errText = ""
		}
		if p.quotes(note) {
			note = ""
		}
		lIDs, lCanon, lWF, lTx, lErr, lNote = append(lIDs, id), append(lCanon, doc), append(lWF, wf), append(lTx, txID),
			append(lErr, errText), append(lNote, note)
		return nil
	})
	if err != nil {
		return fmt.Errorf("erase postback_log: %w", err)
	}
	tag, err := tx.Exec(ctx, `UPDATE postback_log l SET raw_query = '', raw_body = '', source_ip = '',
			canonical = m.c::jsonb, workflow_id = m.w, transaction_id = m.t, error = m.e, note = m.n
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS m(i, c, w, t, e, n)
		WHERE l.account_id = $1 AND l.id = m.i`, accountID, lIDs, bytesToText(lCanon), lWF, lTx, lErr, lNote)
	if err != nil {
		return fmt.Errorf("erase postback_log: %w", err)
	}
	counts["postback_log"] = tag.RowsAffected()

	// Their conversions.
	convIDs := make([]int64, len(convs))
	newKeys := make([]string, len(convs))
	byID := map[int64]erasedConversion{}
	for i, c := range convs {
		convIDs[i], newKeys[i] = c.id, c.newKey
		byID[c.id] = c
	}
	rows, err = tx.Query(ctx, `SELECT id, postback, subs, transaction_id, unattributed_reason FROM conversions
		WHERE account_id = $1 AND id = ANY($2) FOR UPDATE`, accountID, convIDs)
	if err != nil {
		return fmt.Errorf("erase conversions: %w", err)
	}
	var cIDs []int64
	var cDoc, cSubs [][]byte
	var cKey, cTx, cReason []string
	var subs []byte
	var reason string
	_, err = pgx.ForEachRow(rows, []any{&id, &canonical, &subs, &txID, &reason}, func() error {
		doc, err := p.scrubDoc(canonical)
		if err != nil {
			return err
		}
		var sm map[string]any
		if json.Unmarshal(subs, &sm) != nil {
			sm = map[string]any{}
		}
		for k, v := range sm {
			if s, ok := v.(string); ok && p.quotes(s) {
				delete(sm, k)
			}
		}
		subsOut, err := json.Marshal(sm)
		if err != nil {
			return err
		}
		if p.isForm(txID) {
			txID = ""
		}
		if p.quotes(reason) {
			reason = ""
		}
		cIDs, cDoc, cSubs, cKey, cTx, cReason = append(cIDs, id), append(cDoc, doc), append(cSubs, subsOut),
			append(cKey, byID[id].newKey), append(cTx, txID), append(cReason, reason)
		return nil
	})
	if err != nil {
		return fmt.Errorf("erase conversions: %w", err)
	}
	tag, err = tx.Exec(ctx, `UPDATE conversions v SET tx_key = m.k, click_id = '', postback = m.d::jsonb, subs = m.s::jsonb,
			transaction_id = m.t, unattributed_reason = m.r, updated_at = now()
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS m(i, k, d, s, t, r)
		WHERE v.account_id = $1 AND v.id = m.i`, accountID, cIDs, cKey, bytesToText(cDoc), bytesToText(cSubs), cTx, cReason)
	if err != nil {
		return fmt.Errorf("erase conversions: %w", err)
	}
	counts["conversions"] = tag.RowsAffected()

	// Their deliveries: the errors platforms answered, and the idempotency keys
	// derived from a key that named them (made unique by the delivery's id).
	var changedKey []int64
	for _, c := range convs {
		if c.newKey != c.oldKey {
			changedKey = append(changedKey, c.id)
		}
	}
	tag, err = tx.Exec(ctx, `UPDATE deliveries d SET last_error = '',
			event_key = CASE WHEN d.conversion_id = ANY($3) THEN '`+erasedKeyPrefix+`' || d.id || ':' || md5(random()::text) ELSE d.event_key END
		WHERE d.account_id = $1 AND d.conversion_id = ANY($2)`, accountID, convIDs, changedKey)
	if err != nil {
		return fmt.Errorf("erase deliveries: %w", err)
	}
	counts["deliveries"] = tag.RowsAffected()
	return nil
}

func bytesToText(bs [][]byte) []*string {
	out := make([]*string, len(bs))
	for i, b := range bs {
		if b != nil {
			s := string(b)
			out[i] = &s
		}
	}
	return out
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// ErasureColumns says, for every text and JSON column of the tables that hold
// an account's data, what erasure (and retention) does with it; "table.*"
// covers a table of configuration. A test keeps the list complete: a new column
// must be classified before it ships.
var ErasureColumns = map[string]string{
	"api_keys.*":     "configuration (hashed admin keys), no personal data",
	"campaigns.*":    "configuration, no personal data",
	"destinations.*": "configuration, no personal data",
	"integrations.*": "configuration, no personal data",
	"users.*":        "team members, not customers: a customer's erasure does not touch them; revoking keeps the row for the audit log",
	"audit_log.*":    "changes to configuration, by team members: no customer personal data (an erasure records the kind of identifier and counts, never the value; secrets masked); retention deletes entries after CONVRELAY_RETENTION_AUDIT_LOG",

	"clicks.*":   "erasure deletes the person's clicks and every click of the same visitors; retention deletes clicks",
	"tag_hits.*": "a tag hit's consent flag and page URL go with its click (ON DELETE CASCADE): erasure and retention delete them",
	"visitors.*": "erasure deletes the person's visitor sessions; retention deletes them with the clicks",

	"postback_log.raw_query":      "erased: emptied; retention deletes the row",
	"postback_log.raw_body":       "erased: emptied; retention deletes the row",
	"postback_log.source_ip":      "erased: emptied (a browser's address for browser conversions); retention deletes the row",
	"postback_log.canonical":      "erased: personal keys removed, other values equal to an identifier emptied",
	"postback_log.error":          "erased: emptied when it quotes an identifier",
	"postback_log.note":           "erased: emptied when it quotes an identifier",
	"postback_log.transaction_id": "erased: emptied when it is an identifier",
	"postback_log.workflow_id":    "erased: follows the conversion's new key; a key naming the person becomes erased:…",
	"postback_log.import_key":     "kept: SHA-256 of the account and the imported row (idempotent re-import); deleted with the row",
	"postback_log.integration":    "no personal data",
	"postback_log.method":         "no personal data",
	"postback_log.path":           "no personal data (account and integration)",
	"postback_log.outcome":        "no personal data",
	"postback_log.failed_reason":  "no personal data (a class name)",
	"postback_log.claimed_by":     "no personal data (an instance name)",
	"postback_log.trace_parent":   "no personal data (a trace id)",

	"conversions.consent_ad_user_data":       "no personal data: the consent signal (granted, denied or none) the postbacks carried",
	"conversions.consent_ad_personalization": "no personal data: the consent signal (granted, denied or none) the postbacks carried",
	"conversions.tx_key":                     "erased: a key built from the person's identifiers becomes erased:<id>:<random>; a network's transaction id stays",
	"conversions.click_id":                   "erased: emptied; retention empties it with the stored postback",
	"conversions.postback":                   "erased: personal keys removed; retention removes them after CONVRELAY_RETENTION_CONVERSION_PERSONAL",
	"conversions.subs":                       "erased: subs quoting an identifier removed; retention empties them",
	"conversions.transaction_id":             "erased: emptied when it is an identifier",
	"conversions.unattributed_reason":        "erased: emptied when it quotes an identifier; retention removes the ids it quotes",
	"conversions.country":                    "kept: report dimension (two letters)",
	"conversions.device_type":                "kept: report dimension",
	"conversions.os":                         "kept: report dimension",
	"conversions.browser":                    "kept: report dimension",
	"conversions.currency":                   "no personal data",
	"conversions.account_currency":           "no personal data",
	"conversions.event_name":                 "no personal data",
	"conversions.integration":                "no personal data",
	"conversions.status":                     "no personal data",
	"conversions.traffic_source":             "no personal data",

	"conversion_events.from_status": "no personal data",
	"conversion_events.to_status":   "no personal data",

	"deliveries.last_error": "erased: emptied; retention deletes finished deliveries",
	"deliveries.event_key":  "erased: re-keyed (erased:<id>:<random>) when the conversion's key named the person",
	"deliveries.kind":       "no personal data",
	"deliveries.origin":     "no personal data",
	"deliveries.status":     "no personal data",

	"click_counts.*":      "counts, no personal data (with the clicks' cost, migration 018)",
	"costs.*":             "campaign costs per day or hour (migration 018), no personal data",
	"conversion_counts.*": "counts, no personal data",

	// Migration 011: the same counts by sub1 and by country x device.
	"click_counts_sub1.sub1":                       "erased: emptied when it is the erased email (eraseCountKeys)",
	"click_counts_sub1_days.sub1":                  "erased: emptied when it is the erased email (eraseCountKeys)",
	"conversion_counts_sub1.sub1":                  "erased: emptied when it is the erased email (eraseCountKeys)",
	"conversion_counts_sub1_days.sub1":             "erased: emptied when it is the erased email (eraseCountKeys)",
	"conversion_counts_sub1.traffic_source":        "counts, no personal data",
	"conversion_counts_sub1.status":                "counts, no personal data",
	"conversion_counts_sub1.account_currency":      "counts, no personal data",
	"conversion_counts_sub1_days.traffic_source":   "counts, no personal data",
	"conversion_counts_sub1_days.status":           "counts, no personal data",
	"conversion_counts_sub1_days.account_currency": "counts, no personal data",
	"click_counts_geo.*":                           "counts by country and device type, no personal data",
	"click_counts_geo_days.*":                      "counts by country and device type, no personal data",
	"conversion_counts_geo.*":                      "counts by country and device type, no personal data",
	"conversion_counts_geo_days.*":                 "counts by country and device type, no personal data",
}
