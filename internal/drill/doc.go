// Package drill runs fault drills against the production binary: it assembles a
// stack from parts it can break (a local PostgreSQL cluster, an embedded Temporal
// server, `convrelay api` and `convrelay worker` as subprocesses, fake
// destinations on 127.0.0.1), sends a known set of postbacks while a fault
// happens, and checks that every transaction ended in exactly one conversion in
// the expected state and that each destination received each event exactly once.
//
// It links the Temporal server (through devtemporal), so only cmd/convrelay-drill
// and tests import it.
package drill
