package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"

	"github.com/convrelay/convrelay/internal/store"
)

// ErrTypePermanent marks a database step's failure that no retry can fix: the
// workflow stops retrying and records the postback as failed with the class in
// the error's details.
const ErrTypePermanent = "PermanentFailure"

// permanent wraps err as a non-retryable failure of the given class (one of the
// store.Failed* classes).
func permanent(class string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, err, class)
}

// classifyDB turns an error from PostgreSQL into a permanent failure when the
// database refused the data or the statement itself (retrying sends the same
// thing again); anything else (connection lost, shutdown, deadlock, serialization,
// out of resources) stays retryable.
func classifyDB(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 {
		switch pgErr.Code[:2] {
		case "22", "23": // data exception, integrity constraint violation
			return permanent(store.FailedInvalidData, err)
		case "42", "0A": // syntax or access rule, feature not supported: a bug to fix, then re-drive
			return permanent(store.FailedInternal, err)
		}
	}
	return err
}

// FailureClass reads the class of a permanent failure returned by an activity;
// ok is false for any other error (retryable).
func FailureClass(err error) (class string, ok bool) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrTypePermanent {
		return "", false
	}
	if appErr.HasDetails() && appErr.Details(&class) == nil && class != "" {
		return class, true
	}
	return store.FailedInternal, true
}

// MarkPostbackFailedInput names a postback that can never be applied and why.
type MarkPostbackFailedInput struct {
	PostbackID int64  `json:"postback_id"`
	Class      string `json:"class"`
	Reason     string `json:"reason"`
}

// MarkPostbackFailed records that an accepted postback can never be applied: its
// log row shows outcome failed with the reason, it is counted in /metrics by
// class, and it can be re-driven after the cause is fixed.
func (a *Activities) MarkPostbackFailed(ctx context.Context, in MarkPostbackFailedInput) error {
	if err := a.Store.MarkFailed(ctx, in.PostbackID, in.Class, in.Reason); err != nil {
		return fmt.Errorf("mark postback failed: %w", err)
	}
	if a.Logger != nil {
		a.Logger.Warn("postback failed for good", "postback_id", in.PostbackID, "class", in.Class, "reason", in.Reason)
	}
	return nil
}
