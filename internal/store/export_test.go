package store

import "context"

// ReportFromRows is Report reading the rows, never the report counts: tests
// compare the two.
func (s *Store) ReportFromRows(ctx context.Context, q ReportQuery) ([]ReportRow, error) {
	return s.report(ctx, q, false, false)
}

// ReportFromCountsUnfolded is Report reading the counts as they are, without
// folding them first: tests read rows of changes and renamed rows too.
func (s *Store) ReportFromCountsUnfolded(ctx context.Context, q ReportQuery) ([]ReportRow, error) {
	return s.report(ctx, q, true, false)
}

// ReadsCounts tells whether Report reads the report counts for q.
func (q ReportQuery) ReadsCounts() bool { return q.counted() }
