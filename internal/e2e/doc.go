// Package e2e holds the full-path tests: HTTP in, the dispatcher, a real in-process
// Temporal server, the worker, PostgreSQL, and deliveries to fake platforms on
// 127.0.0.1. It has no non-test code.
package e2e
