// Package workflows holds ConversionWorkflow, one per transaction, and its pure
// state machine. This file is the workflow's contract: everything a client needs to
// start, signal or query it.
package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/convrelay/convrelay/internal/conv"
	"github.com/convrelay/convrelay/internal/postback"
)

// Names shared by the workflow, the worker and its clients.
const (
	DefaultTaskQueue       = "convrelay"
	ConversionWorkflowName = "ConversionWorkflow"
	PostbackSignalName     = "postback"
	RedeliverSignalName    = "redeliver"
	StateQueryName         = "state"
)

// Defaults for a transaction's lifetime and its deliveries' retry window.
const (
	DefaultSettleWindow   = 45 * 24 * time.Hour
	DefaultDeliveryWindow = 24 * time.Hour
)

// Search attributes operators filter on in the Temporal UI (all Keyword). None is
// called Status: that name clashes with the UI's own column.
var (
	TransactionIDKey    = temporal.NewSearchAttributeKeyKeyword("TransactionId")
	ClickIDKey          = temporal.NewSearchAttributeKeyKeyword("ClickId")
	AccountIDKey        = temporal.NewSearchAttributeKeyKeyword("AccountId")
	ConversionStatusKey = temporal.NewSearchAttributeKeyKeyword("ConversionStatus")
	EventNameKey        = temporal.NewSearchAttributeKeyKeyword("EventName")
	IntegrationKey      = temporal.NewSearchAttributeKeyKeyword("Integration")
)

// SearchAttributeNames lists the custom search attributes the namespace must have.
var SearchAttributeNames = []string{"TransactionId", "ClickId", "AccountId", "ConversionStatus", "EventName", "Integration"}

// WorkflowID is the id of a transaction's workflow: conv/<account>/<transaction key>.
func WorkflowID(accountID, txKey string) string { return "conv/" + accountID + "/" + txKey }

// TxKeyFromWorkflowID recovers the transaction key from a workflow id.
func TxKeyFromWorkflowID(accountID, workflowID string) string {
	return strings.TrimPrefix(workflowID, "conv/"+accountID+"/")
}

// Input starts (or continues) a transaction's workflow.
type Input struct {
	AccountID      string        `json:"account_id"`
	TxKey          string        `json:"tx_key"`
	SettleWindow   time.Duration `json:"settle_window"`
	DeliveryWindow time.Duration `json:"delivery_window"`
	// MaxPostbacksPerRun continues as new after this many postbacks even if the
	// server has not suggested it yet (0: only when suggested).
	MaxPostbacksPerRun int `json:"max_postbacks_per_run,omitempty"`

	// Carried over continue-as-new.
	Deadline time.Time         `json:"deadline,omitzero"`
	State    *conv.State       `json:"state,omitempty"`
	History  []conv.Transition `json:"history,omitempty"`
	Seen     []int64           `json:"seen,omitempty"`
	Pending  []PostbackSignal  `json:"pending,omitempty"`
	Redrive  []RedeliverSignal `json:"redrive,omitempty"`
}

// PostbackSignal hands one accepted postback to its transaction's workflow.
type PostbackSignal struct {
	PostbackID  int64             `json:"postback_id"`
	AccountID   string            `json:"account_id"`
	Integration string            `json:"integration"`
	ReceivedAt  time.Time         `json:"received_at"`
	Postback    postback.Postback `json:"postback"`
}

// RedeliverSignal re-drives one failed delivery.
type RedeliverSignal struct {
	Delivery conv.DeliveryRef `json:"delivery"`
}

// StateView is what the `state` query returns.
type StateView struct {
	AccountID          string            `json:"account_id"`
	TxKey              string            `json:"tx_key"`
	State              conv.State        `json:"state"`
	History            []conv.Transition `json:"history"`
	Deadline           time.Time         `json:"settle_deadline"`
	DeliveriesInFlight int               `json:"deliveries_in_flight"`
	DeliveriesFailed   int               `json:"deliveries_failed"`
}
