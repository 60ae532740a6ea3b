package cloudactions

import (
	"os"
	"reflect"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// h builds a history from event types, numbering events from 1; set mutates
// events that need attributes.
func h(types ...enumspb.EventType) []*historypb.HistoryEvent {
	evs := make([]*historypb.HistoryEvent, len(types))
	for i, t := range types {
		evs[i] = &historypb.HistoryEvent{EventId: int64(i + 1), EventType: t}
	}
	return evs
}

func marker(wftCompleted int64) *historypb.HistoryEvent_MarkerRecordedEventAttributes {
	return &historypb.HistoryEvent_MarkerRecordedEventAttributes{MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{
		MarkerName: "LocalActivity", WorkflowTaskCompletedEventId: wftCompleted}}
}

func upsert(names ...string) *historypb.HistoryEvent_UpsertWorkflowSearchAttributesEventAttributes {
	f := map[string]*commonpb.Payload{}
	for _, n := range names {
		f[n] = &commonpb.Payload{}
	}
	return &historypb.HistoryEvent_UpsertWorkflowSearchAttributesEventAttributes{UpsertWorkflowSearchAttributesEventAttributes: &historypb.UpsertWorkflowSearchAttributesEventAttributes{
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: f}}}
}

const (
	started   = enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
	signaled  = enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
	scheduled = enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
	wftStart  = enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED
	completed = enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
	markerEv  = enumspb.EVENT_TYPE_MARKER_RECORDED
	upsertEv  = enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
	timer     = enumspb.EVENT_TYPE_TIMER_STARTED
)

func TestOfHandMadeHistories(t *testing.T) {
	// Signal-With-Start, one workflow task recording a version marker and three
	// local activities, the version's upsert, the settle timer: 3 actions.
	sws := h(started, signaled, scheduled, wftStart, completed, markerEv, upsertEv, timer, markerEv, markerEv, markerEv)
	for _, i := range []int{5, 8, 9, 10} {
		sws[i].Attributes = marker(5)
	}
	sws[6].Attributes = upsert("TemporalChangeVersion")
	if got := Of(sws); got.Total != 3 || !reflect.DeepEqual(got.ByKind, map[string]int{KindSignalWithStart: 1, KindLocalActivities: 1, KindTimer: 1}) ||
		got.Exempt[ExemptChangeVersion] != 1 || got.Exempt[ExemptSignalWithStart] != 1 {
		t.Errorf("signal-with-start path: %+v", got)
	}

	// A plain start, then a signal later: 2 actions, not one.
	plain := h(started, scheduled, wftStart, completed, signaled)
	if got := Of(plain); got.Total != 2 || got.ByKind[KindStart] != 1 || got.ByKind[KindSignal] != 1 {
		t.Errorf("start then signal: %+v", got)
	}

	// Markers of two workflow tasks are two actions; an upsert of a user search
	// attribute (with or without the version) is one; a memo change none.
	two := h(started, scheduled, wftStart, completed, markerEv, markerEv, signaled, scheduled, wftStart, completed, markerEv, upsertEv,
		enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED)
	two[4].Attributes, two[5].Attributes, two[10].Attributes = marker(4), marker(4), marker(10)
	two[11].Attributes = upsert("ConversionStatus", "TemporalChangeVersion")
	if got := Of(two); got.Total != 5 || got.ByKind[KindLocalActivities] != 2 || got.ByKind[KindUpsert] != 1 || got.Exempt[ExemptPropertyChange] != 1 {
		t.Errorf("two tasks with markers: %+v", got)
	}

	// An activity started on its third attempt: scheduled 1 + 2 retries; local
	// activity retries from the task's metering; a child is 2; an accepted update 1.
	act := h(started, scheduled, wftStart, completed, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED,
		enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW)
	act[3].Attributes = &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{
		MeteringMetadata: &commonpb.MeteringMetadata{NonfirstLocalActivityExecutionAttempts: 4}}}
	act[5].Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{Attempt: 3}}
	want := map[string]int{KindStart: 1, KindLocalRetry: 4, KindActivity: 1, KindActivityRetry: 2, KindChildWorkflow: 2, KindUpdate: 1}
	if got := Of(act); got.Total != 11 || !reflect.DeepEqual(got.ByKind, want) {
		t.Errorf("activities, child, update: %+v, want 11 %v", got, want)
	}

	var sum Count
	sum.Add(Of(sws))
	sum.Add(Of(plain))
	if sum.Total != 5 || sum.ByKind[KindTimer] != 1 || sum.ByKind[KindStart] != 1 || sum.Exempt[ExemptChangeVersion] != 1 {
		t.Errorf("sum: %+v", sum)
	}
}

// The histories recorded from real runs (workflows/testdata): the baseline
// conversion (pending, approved, duplicate, rejected) and one whose delivery was
// handed over and retried, counted by hand from their events.
func TestOfRecordedHistories(t *testing.T) {
	for file, want := range map[string]Count{
		// SWS 1; the first task's markers 1; settle timer 1; three signals 3;
		// their tasks' markers 3; two ConversionStatus upserts 2.
		"conversion_pending_approved_duplicate_rejected_v6_baseline.json": {Total: 11, ByKind: map[string]int{KindSignalWithStart: 1,
			KindLocalActivities: 4, KindTimer: 1, KindSignal: 3, KindUpsert: 2}},
		// SWS 1; markers of two tasks 2; settle and hand-over timers 2; two
		// signals 2; the Deliver activity 1, started on attempt 2: 1 retry.
		"conversion_redelivered_in_flight_v7_one_sender.json": {Total: 9, ByKind: map[string]int{KindSignalWithStart: 1,
			KindLocalActivities: 2, KindTimer: 2, KindSignal: 2, KindActivity: 1, KindActivityRetry: 1}},
	} {
		f, err := os.Open("../../workflows/testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		got := Of(hist.GetEvents())
		if got.Total != want.Total || !reflect.DeepEqual(got.ByKind, want.ByKind) {
			t.Errorf("%s: %d %v, want %d %v", file, got.Total, got.ByKind, want.Total, want.ByKind)
		}
	}
}
