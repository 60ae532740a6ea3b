// Package admin holds one method per account use case (integrations and their
// tokens, destinations: save, test, backfill; re-drives; reports and their CSV;
// campaign costs and their CSV import),
// returning typed results and one error type with kinds. The JSON API and the
// console are adapters over it: neither builds a use case of its own.
package admin

import (
	"log/slog"

	"go.temporal.io/sdk/client"

	"github.com/convrelay/convrelay/internal/accountcache"
	"github.com/convrelay/convrelay/internal/config"
	"github.com/convrelay/convrelay/internal/destinations"
	"github.com/convrelay/convrelay/internal/store"
)

// Service is the admin layer of one process.
type Service struct {
	Store    *store.Store
	Temporal client.Client // re-drives and backfills; nil: they answer unavailable
	Config   config.Config
	Accounts *accountcache.Reader
	Sender   *destinations.Sender // sends test events
	// Importer decides CSV import rows (the intake pipeline); nil: imports
	// answer unavailable.
	Importer RowImporter
	Logger   *slog.Logger
	// Poke tells the dispatcher a postback waits in the log.
	Poke func()

	reports reportGate // report_gate.go
}

func (s *Service) poke() {
	if s.Poke != nil {
		s.Poke()
	}
}
