package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/convrelay/convrelay/internal/pgserver"
	"github.com/convrelay/convrelay/internal/store"
)

// ReportOptions size the report-latency phase.
type ReportOptions struct {
	Conversions int // default 1,000,000
	Clicks      int // default 5,000,000
	Runs        int // timed runs per shape (median printed); default 3
	ImportRows  int // rows in the CSV import measured afterwards; default 100,000
	DataDir     string
	Logger      *slog.Logger
}

// ReportLatency is one report shape's measured latency.
type ReportLatency struct {
	Shape  string  `json:"shape"`
	Groups int     `json:"groups"`
	Median float64 `json:"median_ms"`
	Max    float64 `json:"max_ms"`
	Reads  string  `json:"reads"` // the report count family it reads, or "rows"
	// Cost is the groups' cost added up (account currency; "" when the shape's
	// dimensions do not split clicks): the cost columns are read too.
	Cost string `json:"cost"`
}

// ReportResults are the phase's figures.
type ReportResults struct {
	Conversions int             `json:"conversions"`
	Clicks      int             `json:"clicks"`
	SeedSeconds float64         `json:"seed_seconds"`
	Shapes      []ReportLatency `json:"shapes"`
	// Loaded: the same shapes while the real intake takes a burst on the same
	// database (issue 28: under 500 ms also while the intake is loaded).
	Loaded  LoadedReports `json:"loaded"`
	Import  ImportRate    `json:"import"`
	Console []PageLatency `json:"console_pages"`
}

// reportShape is one report a person would ask for.
type reportShape struct {
	name    string
	groupBy []string
	days    int
	filters map[string]string
}

var reportShapes = []reportShape{
	{"campaign, 30 days", []string{"campaign"}, 30, nil},
	{"day, 30 days", []string{"day"}, 30, nil},
	{"campaign x day, 30 days", []string{"campaign", "day"}, 30, nil},
	{"sub1 (1,000 values), 30 days", []string{"sub1"}, 30, nil},
	{"country x device_type, 30 days", []string{"country", "device_type"}, 30, nil},
	{"day for one campaign, 30 days", []string{"day"}, 30, map[string]string{"traffic_source": "source1"}},
	{"status x event, 30 days", []string{"status", "event"}, 30, nil},
	{"campaign, 1 day", []string{"campaign"}, 1, nil},
	{"campaign, 90 days", []string{"campaign"}, 90, nil},
}

// RunReports starts its own PostgreSQL, seeds one account with the given volume
// and times the main report shapes through store.Report (the query the API runs).
func RunReports(ctx context.Context, o ReportOptions) (*ReportResults, error) {
	if o.Conversions <= 0 {
		o.Conversions = 1_000_000
	}
	if o.Clicks <= 0 {
		o.Clicks = 5_000_000
	}
	if o.Runs <= 0 {
		o.Runs = 3
	}
	if o.ImportRows <= 0 {
		o.ImportRows = 100_000
	}
	srv, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(o.DataDir, "reports-pg"), Fast: true, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	if err := srv.EnsureDatabase(ctx, "bench"); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, srv.URL("bench"), 4)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	// A throwaway key: the seeded account's secrets are sealed at rest like any.
	if err := useThrowawayKey(st); err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, st.Pool); err != nil {
		return nil, err
	}
	acct, key, err := st.CreateAccount(ctx, store.Account{Name: "bench", Currency: "USD", Timezone: "Europe/Berlin"})
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	res := &ReportResults{Conversions: o.Conversions, Clicks: o.Clicks}
	start := time.Now()
	fmt.Fprintf(os.Stderr, "seeding %d clicks and %d conversions...\n", o.Clicks, o.Conversions)
	// One statement: no count to report, only that it is still running.
	stopProgress := progressEvery(func(elapsed time.Duration) string { return fmt.Sprintf("seeding, %s", elapsed.Round(time.Second)) })
	err = st.SeedReportBench(ctx, acct.ID, o.Clicks, o.Conversions, now)
	stopProgress()
	if err != nil {
		return nil, fmt.Errorf("seed the report bench: %w", err)
	}
	res.SeedSeconds = time.Since(start).Seconds()
	loc, _ := time.LoadLocation(acct.Timezone)
	today := now.In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	if res.Shapes, err = timeShapes(ctx, st, acct, today, o.Runs); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: the report shapes again while the intake takes a burst...\n")
	if res.Loaded, err = timeShapesUnderIntake(ctx, srv.URL("bench"), st, acct, today, o.Runs); err != nil {
		return nil, err
	}
	if res.Import, err = measureImport(ctx, st, acct.ID, key, o.ImportRows, o.Logger); err != nil {
		return nil, err
	}
	if res.Console, err = measureConsole(ctx, st, acct.ID, key, o.Runs, o.Logger); err != nil {
		return nil, err
	}
	return res, nil
}

// timeShapes times every report shape through store.Report (the query the API
// runs), o.Runs times each.
func timeShapes(ctx context.Context, st *store.Store, acct store.Account, today time.Time, runs int) ([]ReportLatency, error) {
	var out []ReportLatency
	for _, sh := range reportShapes {
		q := store.ReportQuery{AccountID: acct.ID, GroupBy: sh.groupBy, From: today.AddDate(0, 0, 1-sh.days), To: today.AddDate(0, 0, 1),
			TZ: today.Location().String(), Currency: acct.Currency, Filters: sh.filters}
		var times []float64
		groups, cost := 0, ""
		for i := 0; i < runs; i++ {
			t0 := time.Now()
			rows, err := st.Report(ctx, q)
			if err != nil {
				return nil, fmt.Errorf("report %s: %w", sh.name, err)
			}
			times = append(times, float64(time.Since(t0).Microseconds())/1000)
			groups = len(rows)
			cost = totalCost(rows)
		}
		sort.Float64s(times)
		out = append(out, ReportLatency{Shape: sh.name, Groups: groups, Median: times[len(times)/2], Max: times[len(times)-1],
			Reads: q.Reads(), Cost: cost})
	}
	return out, nil
}

// totalCost adds up a report's cost column ("" when it has none).
func totalCost(rows []store.ReportRow) string {
	var total decimal.Decimal
	for _, r := range rows {
		if r.Cost == nil {
			return ""
		}
		total = total.Add(*r.Cost)
	}
	return total.StringFixed(2)
}

// Print writes the phase's table; a shape over one second is flagged.
func (r *ReportResults) Print(w io.Writer) {
	fmt.Fprintf(w, "\nReport latency (%d conversions, %d clicks; seeded in %.0f s)\n", r.Conversions, r.Clicks, r.SeedSeconds)
	fmt.Fprintf(w, "%-34s %8s %10s %10s %-6s %s\n", "shape", "groups", "median ms", "max ms", "reads", "cost")
	for _, s := range r.Shapes {
		flag := ""
		if s.Median > 1000 {
			flag = "  over 1 s"
		}
		fmt.Fprintf(w, "%-34s %8d %10.0f %10.0f %-6s %s%s\n", s.Shape, s.Groups, s.Median, s.Max, s.Reads, s.Cost, flag)
	}
	r.Loaded.print(w)
	if im := r.Import; im.Rows > 0 {
		fmt.Fprintf(w, "CSV import: %d rows in %.1f s (%.0f rows/s), peak heap %.0f MB\n", im.Rows, im.Seconds, im.RowsPerSecond, im.PeakHeapMB)
	}
	printConsole(w, r.Console)
}

// ImportRate is the CSV import's measured throughput.
type ImportRate struct {
	Rows          int     `json:"rows"`
	Seconds       float64 `json:"seconds"`
	RowsPerSecond float64 `json:"rows_per_second"`
	// PeakHeapMB is the largest heap in use sampled during the import: it stays
	// flat with the file's size because rows are streamed.
	PeakHeapMB float64 `json:"peak_heap_mb"`
}
