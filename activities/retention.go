package activities

import (
	"context"
	"time"
)

// PurgeInput names one batch of the retention job.
type PurgeInput struct {
	Table  string    `json:"table"`
	Before time.Time `json:"before"`
	Limit  int       `json:"limit"`
}

// PurgeResult says how many rows the batch deleted.
type PurgeResult struct {
	Deleted int64 `json:"deleted"`
}

// PurgeBatch deletes one batch of rows older than the retention period: one
// short statement, so the job never holds long locks.
func (a *Activities) PurgeBatch(ctx context.Context, in PurgeInput) (PurgeResult, error) {
	n, err := a.Store.PurgeBatch(ctx, in.Table, in.Before, in.Limit)
	if err != nil {
		return PurgeResult{}, err
	}
	return PurgeResult{Deleted: n}, nil
}
