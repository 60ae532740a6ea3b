package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	_ "modernc.org/sqlite" // reads the embedded Temporal's SQLite files (registered by the server too)

	"github.com/convrelay/convrelay/internal/cloudactions"
	"github.com/convrelay/convrelay/internal/devtemporal"
	"github.com/convrelay/convrelay/internal/store"
)

// The paths a conversion takes, as the end-to-end mix builds them (mixPath) plus
// the retried delivery of the cost phase.
const (
	PathOne       = "one postback"
	PathPending   = "pending then approved"
	PathDuplicate = "approved then a duplicate"
	PathSuppress  = "disable_postbacks"
	PathRetried   = "a delivery retried"
)

// mixPath is the path of the mix's i-th conversion (buildMix's cases).
func mixPath(i int) string {
	switch k := i % 20; {
	case k < 12:
		return PathOne
	case k < 16:
		return PathPending
	case k < 19:
		return PathDuplicate
	default:
		return PathSuppress
	}
}

// PathActions is the Temporal Cloud actions of the conversions of one path.
type PathActions struct {
	Path          string             `json:"path"`
	Conversions   int                `json:"conversions"` // histories counted
	PerConversion float64            `json:"actions_per_conversion"`
	Min           int                `json:"min"`
	Max           int                `json:"max"`
	ByKind        map[string]float64 `json:"by_kind_per_conversion"`
	Exempt        map[string]float64 `json:"exempt_per_conversion,omitempty"`
}

// StorageBytes is what a phase left in one store: the bytes in use before and
// after, and their difference per conversion.
type StorageBytes struct {
	Before        int64            `json:"before_bytes"`
	After         int64            `json:"after_bytes"`
	PerConversion float64          `json:"bytes_per_conversion"`
	Parts         map[string]int64 `json:"grown_bytes_by_part,omitempty"` // table (with its indexes and TOAST) or file/table -> growth
	// CountsPerConversion is the part of PerConversion in the report count tables:
	// rows of changes the API folds every minute, so bounded by time buckets and
	// keys rather than growing with conversions.
	CountsPerConversion float64 `json:"report_counts_bytes_per_conversion,omitempty"`
	Note                string  `json:"note,omitempty"`
}

// CostResult is what a conversion costs beyond CPU: Temporal Cloud actions per
// path (counted from the recorded histories, internal/cloudactions) and bytes
// per conversion in PostgreSQL and in Temporal's persistence after the end-to-end
// phase.
type CostResult struct {
	Actions          []PathActions `json:"actions"`
	MixPerConversion float64       `json:"actions_per_conversion_mix"` // the end-to-end mix's average
	Postgres         StorageBytes  `json:"postgres"`
	PostgresDatabase StorageBytes  `json:"postgres_database"` // pg_database_size: also free space kept in files
	Temporal         StorageBytes  `json:"temporal"`
}

// pgSizes is the bytes of every table of the app database's public schema with
// its indexes and TOAST (pg_total_relation_size), and the database's size.
func pgSizes(ctx context.Context, st *store.Store) (map[string]int64, int64, error) {
	rows, err := st.Pool.Query(ctx, `SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm')`)
	if err != nil {
		return nil, 0, fmt.Errorf("table sizes: %w", err)
	}
	defer rows.Close()
	sizes := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, 0, fmt.Errorf("table sizes: %w", err)
		}
		sizes[name] = n
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("table sizes: %w", err)
	}
	var db int64
	if err := st.Pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&db); err != nil {
		return nil, 0, fmt.Errorf("database size: %w", err)
	}
	return sizes, db, nil
}

// temporalSizes is the bytes in use in each of the embedded Temporal server's
// SQLite databases under dir ((page_count - freelist_count) * page_size, read
// through a read-only connection: in WAL mode that includes frames not yet
// checkpointed, and file sizes, which never shrink, would not tell), and per
// table and index ("<file>/<name>", from the dbstat table: the pages each uses).
func temporalSizes(ctx context.Context, dir string) (files, parts map[string]int64, err error) {
	files, parts = map[string]int64{}, map[string]int64{}
	for _, name := range []string{devtemporal.DefaultDBFile, devtemporal.VisibilityDBFile} {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			return nil, nil, fmt.Errorf("temporal persistence: %w", err)
		}
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			return nil, nil, fmt.Errorf("open %s: %w", name, err)
		}
		err = func() error {
			defer db.Close()
			var pages, free, size int64
			if err := db.QueryRowContext(ctx, `SELECT (SELECT page_count FROM pragma_page_count()),
				(SELECT freelist_count FROM pragma_freelist_count()), (SELECT page_size FROM pragma_page_size())`).Scan(&pages, &free, &size); err != nil {
				return err
			}
			files[name] = (pages - free) * size
			rows, err := db.QueryContext(ctx, `SELECT name, sum(pgsize) FROM dbstat GROUP BY name`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var table string
				var n int64
				if err := rows.Scan(&table, &n); err != nil {
					return err
				}
				parts[name+"/"+table] = n
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, nil, fmt.Errorf("size of %s: %w", name, err)
		}
	}
	return files, parts, nil
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// grown is the parts that grew from before to after.
func grown(before, after map[string]int64) map[string]int64 {
	g := map[string]int64{}
	for k, a := range after {
		if d := a - before[k]; d != 0 {
			g[k] = d
		}
	}
	return g
}

// storageSnapshot is the sizes of both stores at one moment.
type storageSnapshot struct {
	pgTables   map[string]int64
	pgDatabase int64
	temporal   map[string]int64 // file -> bytes in use
	tables     map[string]int64 // file/table or index -> bytes
	temporalOK error
}

func snapshotStorage(ctx context.Context, st *store.Store, temporalDir string) (storageSnapshot, error) {
	var s storageSnapshot
	var err error
	if s.pgTables, s.pgDatabase, err = pgSizes(ctx, st); err != nil {
		return s, err
	}
	s.temporal, s.tables, s.temporalOK = temporalSizes(ctx, temporalDir)
	return s, nil
}

// storageCost fills the bytes of res from snapshots before and after n conversions.
func storageCost(res *CostResult, before, after storageSnapshot, n int) {
	per := func(b, a int64) float64 { return float64(a-b) / float64(n) }
	res.Postgres = StorageBytes{Before: sum(before.pgTables), After: sum(after.pgTables), Parts: grown(before.pgTables, after.pgTables),
		Note: "app database, public schema: tables with their indexes and TOAST (pg_total_relation_size)"}
	res.Postgres.PerConversion = per(res.Postgres.Before, res.Postgres.After)
	for table, b := range res.Postgres.Parts {
		if strings.Contains(table, "_counts") {
			res.Postgres.CountsPerConversion += float64(b) / float64(n)
		}
	}
	res.PostgresDatabase = StorageBytes{Before: before.pgDatabase, After: after.pgDatabase, PerConversion: per(before.pgDatabase, after.pgDatabase),
		Note: "pg_database_size of the app database"}
	if before.temporalOK != nil || after.temporalOK != nil {
		res.Temporal.Note = fmt.Sprintf("not measured: %v %v", before.temporalOK, after.temporalOK)
		return
	}
	res.Temporal = StorageBytes{Before: sum(before.temporal), After: sum(after.temporal), Parts: grown(before.tables, after.tables),
		Note: "embedded Temporal's SQLite databases (default store and visibility), pages in use"}
	res.Temporal.PerConversion = per(res.Temporal.Before, res.Temporal.After)
}

// phaseWorkflows is the (transaction id, workflow id) of every postback after
// startID whose transaction id starts with prefix.
func phaseWorkflows(ctx context.Context, st *store.Store, startID int64, prefix string) (map[string]string, error) {
	rows, err := st.Pool.Query(ctx, `SELECT DISTINCT transaction_id, workflow_id FROM postback_log
		WHERE id > $1 AND starts_with(transaction_id, $2) AND workflow_id <> ''`, startID, prefix)
	if err != nil {
		return nil, fmt.Errorf("workflows of the phase: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var tx, wf string
		if err := rows.Scan(&tx, &wf); err != nil {
			return nil, fmt.Errorf("workflows of the phase: %w", err)
		}
		out[tx] = wf
	}
	return out, rows.Err()
}

// historyActions reads a workflow's current run's history and counts its actions.
func historyActions(ctx context.Context, c client.Client, workflowID string) (cloudactions.Count, error) {
	var evs []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return cloudactions.Count{}, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		evs = append(evs, ev)
	}
	return cloudactions.Of(evs), nil
}

// countActions counts the actions of the given workflows (transaction id ->
// workflow id), each put on a path by pathOf, and sums them per path.
func countActions(ctx context.Context, c client.Client, wfs map[string]string, pathOf func(tx string) string) ([]PathActions, error) {
	type one struct {
		path string
		n    cloudactions.Count
	}
	txs := make([]string, 0, len(wfs))
	for tx := range wfs {
		txs = append(txs, tx)
	}
	results := make([]one, len(txs))
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				n, err := historyActions(ctx, c, wfs[txs[i]])
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				results[i] = one{pathOf(txs[i]), n}
			}
		}()
	}
	for i := range txs {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	byPath := map[string]*PathActions{}
	sums := map[string]*cloudactions.Count{}
	for _, r := range results {
		p := byPath[r.path]
		if p == nil {
			p = &PathActions{Path: r.path, Min: r.n.Total, Max: r.n.Total}
			byPath[r.path], sums[r.path] = p, &cloudactions.Count{}
		}
		p.Conversions++
		p.Min, p.Max = min(p.Min, r.n.Total), max(p.Max, r.n.Total)
		sums[r.path].Add(r.n)
	}
	out := make([]PathActions, 0, len(byPath))
	for path, p := range byPath {
		s, n := sums[path], float64(p.Conversions)
		p.PerConversion = float64(s.Total) / n
		p.ByKind, p.Exempt = map[string]float64{}, map[string]float64{}
		for k, v := range s.ByKind {
			p.ByKind[k] = float64(v) / n
		}
		for k, v := range s.Exempt {
			p.Exempt[k] = float64(v) / n
		}
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return pathOrder(out[i].Path) < pathOrder(out[j].Path) })
	return out, nil
}

func pathOrder(p string) int {
	for i, q := range []string{PathOne, PathPending, PathDuplicate, PathSuppress, PathRetried} {
		if p == q {
			return i
		}
	}
	return 99
}

// e2ePrefix is the end-to-end phase's transaction ids' prefix (buildMix).
const e2ePrefix = "E2E-"

// endToEndActions counts the actions of the end-to-end phase's conversions (the
// postbacks after startID), per path of the mix, and the mix's average.
func endToEndActions(ctx context.Context, c client.Client, st *store.Store, startID int64) ([]PathActions, float64, error) {
	wfs, err := phaseWorkflows(ctx, st, startID, e2ePrefix)
	if err != nil {
		return nil, 0, err
	}
	paths, err := countActions(ctx, c, wfs, func(tx string) string {
		i, err := strconv.Atoi(strings.TrimPrefix(tx, e2ePrefix))
		if err != nil {
			return "other"
		}
		return mixPath(i)
	})
	if err != nil {
		return nil, 0, err
	}
	var total float64
	var n int
	for _, p := range paths {
		total += p.PerConversion * float64(p.Conversions)
		n += p.Conversions
	}
	if n == 0 {
		return paths, 0, fmt.Errorf("no end-to-end workflow found")
	}
	return paths, total / float64(n), nil
}

// retriedConversions is how many conversions the retried-delivery path sends.
const retriedConversions = 10

// retriedActions sends a few approved conversions to a fixture whose webhook
// fails every transaction's first delivery attempt (503), waits until each is
// delivered on its retry, and counts their actions: the path the mix does not
// take (its destinations answer at once).
func retriedActions(ctx context.Context, st *store.Store, c client.Client, apiBase, accountID string, conns int) (PathActions, error) {
	f, err := newFixture(ctx, st, apiBase, accountID, "bench retried", retriedConversions)
	if err != nil {
		return PathActions{}, fmt.Errorf("retried delivery: %w", err)
	}
	defer f.close()
	f.hook.failFirst.Store(true)
	startID, err := lastPostbackID(ctx, st)
	if err != nil {
		return PathActions{}, fmt.Errorf("retried delivery: %w", err)
	}
	const prefix = "RTY-"
	qs := make([]string, retriedConversions)
	for i := range qs {
		qs[i] = "click_id=" + f.clicks[i] + "&transaction_id=" + prefix + strconv.Itoa(i) + "&commission=4.99&status=approved"
	}
	r := Burst(ctx, NewClient(conns), conns, len(qs), func(i int) (*http.Request, error) { return f.request(qs[i]) },
		answeredOK)
	if r.Errors > 0 {
		return PathActions{}, fmt.Errorf("retried delivery: %d postbacks not accepted: %s", r.Errors, r.FirstError)
	}
	if err := waitDrained(ctx, st, startID, len(qs), 2*len(qs), f); err != nil {
		return PathActions{}, fmt.Errorf("retried delivery: %w", err)
	}
	// The retried activity's completion is recorded by one more workflow task.
	time.Sleep(2 * time.Second)
	wfs, err := phaseWorkflows(ctx, st, startID, prefix)
	if err != nil {
		return PathActions{}, err
	}
	paths, err := countActions(ctx, c, wfs, func(string) string { return PathRetried })
	if err != nil || len(paths) != 1 {
		return PathActions{}, fmt.Errorf("retried delivery: %d paths, %v", len(paths), err)
	}
	return paths[0], nil
}

// printCost is the rows of actions and bytes per conversion.
func printCost(w io.Writer, c CostResult) {
	if len(c.Actions) == 0 {
		return
	}
	var parts []string
	for _, p := range c.Actions {
		s := fmt.Sprintf("%s %.2f", p.Path, p.PerConversion)
		if p.Min != p.Max {
			s += fmt.Sprintf(" (%d-%d)", p.Min, p.Max)
		}
		parts = append(parts, s)
	}
	fmt.Fprintf(w, "%-11s %14s %10s %10s %10s Temporal Cloud actions per conversion (internal/cloudactions): mix %.2f; %s\n",
		"  actions", "", "", "", "", c.MixPerConversion, strings.Join(parts, ", "))
	temporal := fmt.Sprintf("%.0f B", c.Temporal.PerConversion)
	if strings.HasPrefix(c.Temporal.Note, "not measured") {
		temporal = c.Temporal.Note
	}
	fmt.Fprintf(w, "%-11s %14s %10s %10s %10s bytes per conversion: PostgreSQL %.0f B tables and indexes (of which %.0f B report counts' rows of changes; %.0f B pg_database_size), Temporal persistence %s (SQLite pages in use)\n",
		"  bytes", "", "", "", "", c.Postgres.PerConversion, c.Postgres.CountsPerConversion, c.PostgresDatabase.PerConversion, temporal)
}
