// Package cloudactions counts the Temporal Cloud billable actions of a workflow
// run from its event history: what one conversion costs on Temporal Cloud.
//
// Source: Temporal Cloud "Actions" (https://docs.temporal.io/cloud/actions, read
// from temporalio/documentation docs/evaluate/cloud/actions.mdx at commit
// 24afc58a45403e4942a36ac4e4805c05c4298fb9), which maps each action type to the
// history event it shows as; and, for how markers are batched, the server's own
// action metric (go.temporal.io/server v1.32.1, common/rpc/interceptor/telemetry.go:
// all RecordMarker commands of one RespondWorkflowTaskCompleted are one
// "command_BatchMarkers" action).
//
// What counts, per event of one run's history:
//
//	event                                          actions
//	WORKFLOW_EXECUTION_STARTED                     1 (client start, Continue-As-New's new run, child start)
//	  followed at once by WORKFLOW_EXECUTION_SIGNALED  that signal is part of the Signal-With-Start: 1 in all
//	WORKFLOW_EXECUTION_SIGNALED                    1 (client signal, Signal-With-Start on a running workflow, external signal)
//	TIMER_STARTED                                  1 (also the SDK's implicit timers)
//	ACTIVITY_TASK_SCHEDULED                        1
//	ACTIVITY_TASK_STARTED                          attempt-1 (the retries; intermediate attempts write no event)
//	MARKER_RECORDED                                1 per workflow task that recorded any (local activities,
//	                                               side effects, version markers: one batch per task)
//	WORKFLOW_TASK_COMPLETED                        metering_metadata.nonfirst_local_activity_execution_attempts
//	                                               (local activity retries)
//	UPSERT_WORKFLOW_SEARCH_ATTRIBUTES              1, unless it only sets TemporalChangeVersion (exempt)
//	WORKFLOW_EXECUTION_OPTIONS_UPDATED             1
//	START_CHILD_WORKFLOW_EXECUTION_INITIATED       2 (the intent and the attempt)
//	WORKFLOW_EXECUTION_UPDATE_ACCEPTED             1 (rejected updates write no event)
//	WORKFLOW_TASK_FAILED cause RESET_WORKFLOW      1
//	NEXUS_OPERATION_SCHEDULED, _CANCEL_REQUESTED   1
//
// Not counted: workflow tasks, completions, timer fired, activity completed,
// SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED (billed in the signaled run),
// WORKFLOW_EXECUTION_CONTINUED_AS_NEW (billed as the new run's start), and
// WORKFLOW_PROPERTIES_MODIFIED (a memo upsert: not in Cloud's list, although the
// self-hosted server's action metric counts the command). Billed but invisible in
// a history, hence never counted here: queries, activity heartbeats, workflow task
// heartbeats of long local activities, schedules, exports. Exempt reports what
// was seen and not billed, so a reader can check the choices.
package cloudactions

import (
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

// Kinds of actions, the keys of Count.ByKind.
const (
	KindStart             = "start"
	KindSignalWithStart   = "signal_with_start"
	KindSignal            = "signal"
	KindTimer             = "timer"
	KindActivity          = "activity"
	KindActivityRetry     = "activity_retry"
	KindLocalActivities   = "markers" // one per workflow task with markers
	KindLocalRetry        = "local_activity_retry"
	KindUpsert            = "upsert_search_attributes"
	KindOptionsUpdated    = "options_updated"
	KindChildWorkflow     = "child_workflow"
	KindUpdate            = "update"
	KindReset             = "reset"
	KindNexus             = "nexus"
	ExemptChangeVersion   = "upsert_TemporalChangeVersion"
	ExemptPropertyChange  = "workflow_properties_modified"
	ExemptSignalWithStart = "signal_of_signal_with_start"
)

// changeVersion is the search attribute GetVersion upserts, exempt from actions.
const changeVersion = "TemporalChangeVersion"

// Count is the billable actions of one run.
type Count struct {
	Total  int            `json:"total"`
	ByKind map[string]int `json:"by_kind"`
	Exempt map[string]int `json:"exempt,omitempty"` // events seen and, per the source, not billed
}

// Add adds another run's count (a transaction that spans runs, or a sum over runs).
func (c *Count) Add(o Count) {
	c.Total += o.Total
	for k, n := range o.ByKind {
		c.bill(k, 0)
		c.ByKind[k] += n
	}
	for k, n := range o.Exempt {
		c.exempt(k, n)
	}
}

func (c *Count) bill(kind string, n int) {
	if c.ByKind == nil {
		c.ByKind = map[string]int{}
	}
	c.ByKind[kind] += n
	c.Total += n
}

func (c *Count) exempt(kind string, n int) {
	if c.Exempt == nil {
		c.Exempt = map[string]int{}
	}
	c.Exempt[kind] += n
}

// Of counts the billable actions of one run's history events, in event order.
func Of(events []*historypb.HistoryEvent) Count {
	c := Count{ByKind: map[string]int{}}
	markerTasks := map[int64]bool{}
	for i, e := range events {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			if i+1 < len(events) && events[i+1].GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED &&
				events[i+1].GetEventId() == e.GetEventId()+1 {
				c.bill(KindSignalWithStart, 1)
			} else {
				c.bill(KindStart, 1)
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			if i > 0 && events[i-1].GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED &&
				e.GetEventId() == events[i-1].GetEventId()+1 {
				c.exempt(ExemptSignalWithStart, 1)
			} else {
				c.bill(KindSignal, 1)
			}
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			c.bill(KindTimer, 1)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			c.bill(KindActivity, 1)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			if a := e.GetActivityTaskStartedEventAttributes().GetAttempt(); a > 1 {
				c.bill(KindActivityRetry, int(a-1))
			}
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			task := e.GetMarkerRecordedEventAttributes().GetWorkflowTaskCompletedEventId()
			if !markerTasks[task] {
				markerTasks[task] = true
				c.bill(KindLocalActivities, 1)
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			if n := e.GetWorkflowTaskCompletedEventAttributes().GetMeteringMetadata().GetNonfirstLocalActivityExecutionAttempts(); n > 0 {
				c.bill(KindLocalRetry, int(n))
			}
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			fields := e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
			onlyVersion := len(fields) > 0
			for k := range fields {
				if k != changeVersion {
					onlyVersion = false
				}
			}
			if onlyVersion {
				c.exempt(ExemptChangeVersion, 1)
			} else {
				c.bill(KindUpsert, 1)
			}
		case enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
			c.exempt(ExemptPropertyChange, 1)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
			c.bill(KindOptionsUpdated, 1)
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
			c.bill(KindChildWorkflow, 2)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			c.bill(KindUpdate, 1)
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			if e.GetWorkflowTaskFailedEventAttributes().GetCause() == enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW {
				c.bill(KindReset, 1)
			}
		case enumspb.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED, enumspb.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED:
			c.bill(KindNexus, 1)
		}
	}
	return c
}
