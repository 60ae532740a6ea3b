// Package setup holds the tests of the repository's set-up scripts
// (scripts/deps.sh, shared by `make run`, `make test` and .ci/run).
package setup
