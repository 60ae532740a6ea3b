// Package worker builds the Temporal worker: ConversionWorkflow (one per
// transaction), the retention and rates workflows, their activities, and the
// schedules that start the latter two.
package worker

import (
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/convrelay/convrelay/activities"
	"github.com/convrelay/convrelay/workflows"
)

// Options tune the worker; zero values take the defaults.
type Options struct {
	TaskQueue string
	// MaxConcurrent bounds activities and workflow tasks in flight.
	MaxConcurrent int
	// CacheSize bounds the workflows kept in memory between their tasks (the SDK's
	// sticky cache, shared by every worker of the process).
	CacheSize int
	// Rates fetches reference rates for RatesWorkflow; nil leaves the activity
	// unregistered (the workflow is registered in any case).
	Rates *activities.Rates
}

// DefaultCacheSize: conversion workflows stay open for weeks and are mostly idle,
// so the SDK's default of 10,000 cached executions would hold memory that grows
// with traffic; an evicted workflow is rebuilt from its short history on its next
// postback.
const DefaultCacheSize = 2000

var cacheOnce sync.Once

// New builds a worker with the workflow and every activity registered.
func New(c client.Client, acts *activities.Activities, opts Options) sdkworker.Worker {
	if opts.TaskQueue == "" {
		opts.TaskQueue = workflows.DefaultTaskQueue
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 200
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultCacheSize
	}
	cacheOnce.Do(func() { sdkworker.SetStickyWorkflowCacheSize(opts.CacheSize) })
	w := sdkworker.New(c, opts.TaskQueue, sdkworker.Options{
		MaxConcurrentActivityExecutionSize:      opts.MaxConcurrent,
		MaxConcurrentLocalActivityExecutionSize: opts.MaxConcurrent,
		MaxConcurrentWorkflowTaskExecutionSize:  opts.MaxConcurrent,
		// Deliveries wait on the network, not the CPU: keep several polls open.
		MaxConcurrentActivityTaskPollers: 8,
		MaxConcurrentWorkflowTaskPollers: 8,
	})
	Register(w, acts)
	if opts.Rates != nil {
		w.RegisterActivityWithOptions(opts.Rates, activity.RegisterOptions{})
	}
	return w
}

// Register adds the workflow and activities to any registry (a worker, or the SDK
// test environment).
func Register(r sdkworker.Registry, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.ConversionWorkflow, workflow.RegisterOptions{Name: workflows.ConversionWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.RetentionWorkflow, workflow.RegisterOptions{Name: workflows.RetentionWorkflowName})
	r.RegisterActivityWithOptions(acts, activity.RegisterOptions{})
	r.RegisterWorkflowWithOptions(workflows.RatesWorkflow, workflow.RegisterOptions{Name: workflows.RatesWorkflowName})
}
