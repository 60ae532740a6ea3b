// Package workflows holds ConversionWorkflow, one per transaction, with its pure
// state machine (transition.go), and the scheduled RetentionWorkflow and
// RatesWorkflow. This file is the conversion workflow's contract: everything a
// client needs to start, signal or query it; internal/dispatch is its only client
// that starts or signals one.
package workflows

import (
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
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

// TxKeyFromWorkflowID recovers the transaction key from a workflow id.
func TxKeyFromWorkflowID(accountID, workflowID string) string {
	return strings.TrimPrefix(workflowID, "conv/"+accountID+"/")
}

// Start describes a transaction's workflow as its first postback will leave it, so
// it starts with the search attributes and memo it will have (its first task then
// has nothing to upsert). Only AccountID and TxKey are required.
type Start struct {
	AccountID      string
	TxKey          string
	Integration    string
	Status         string
	TransactionID  string
	EventName      string
	ClickID        string
	Value          string // decimal text; "" when unknown
	Currency       string
	SettleWindow   time.Duration
	DeliveryWindow time.Duration
}

// StartOptions is the one place a transaction's workflow id and start options are
// built (dispatcher, re-drives): every start has the same id, reuse policy and
// search attributes.
func StartOptions(taskQueue string, s Start) (client.StartWorkflowOptions, Input) {
	attrs := []temporal.SearchAttributeUpdate{AccountIDKey.ValueSet(s.AccountID)}
	for _, a := range []struct {
		key   temporal.SearchAttributeKeyKeyword
		value string
	}{
		{IntegrationKey, s.Integration},
		{ConversionStatusKey, s.Status},
		{TransactionIDKey, s.TransactionID},
		{EventNameKey, s.EventName},
		{ClickIDKey, s.ClickID},
	} {
		if a.value != "" {
			attrs = append(attrs, a.key.ValueSet(a.value))
		}
	}
	memo := map[string]any{"account": s.AccountID}
	if s.Value != "" {
		memo["value"] = s.Value
	}
	if s.Currency != "" {
		memo["currency"] = s.Currency
	}
	if taskQueue == "" {
		taskQueue = DefaultTaskQueue
	}
	id := conv.WorkflowID(s.AccountID, s.TxKey)
	return client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(attrs...),
		Memo:                     memo,
		StaticSummary:            "transaction " + s.TxKey + " of account " + s.AccountID,
	}, Input{AccountID: s.AccountID, TxKey: s.TxKey, SettleWindow: s.SettleWindow, DeliveryWindow: s.DeliveryWindow}
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

// PostbackSignal hands one accepted postback to its transaction's workflow by
// reference: the workflow loads the postback from the postback log, so the signal's
// size never depends on the postback and no personal data enters the history.
type PostbackSignal struct {
	PostbackID  int64     `json:"postback_id"`
	AccountID   string    `json:"account_id"`
	Integration string    `json:"integration"`
	ReceivedAt  time.Time `json:"received_at"`
	// Postback is set only in signals sent before signal-by-reference (recorded
	// histories and workflows still running since); never set it.
	Postback *postback.Postback `json:"postback,omitempty"`
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
