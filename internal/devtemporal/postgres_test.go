package devtemporal

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	persistencesql "go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	"go.temporal.io/server/common/resolver"
	dbschemas "go.temporal.io/server/schema"
	pgschema "go.temporal.io/server/schema/postgresql/v12"

	"github.com/convrelay/convrelay/internal/pgtest"
)

func TestParsePostgresURL(t *testing.T) {
	pt, err := parsePostgresURL("postgres://bob:s3cret@db.local/app?sslmode=disable&application_name=x")
	if err != nil {
		t.Fatal(err)
	}
	if pt.host != "db.local:5432" || pt.user != "bob" || pt.password != "s3cret" ||
		pt.defaultDB != "app_temporal" || pt.visibility != "app_temporal_visibility" ||
		pt.attrs["sslmode"] != "disable" || pt.attrs["application_name"] != "x" {
		t.Fatalf("parsed %+v", pt)
	}
	if got, want := pt.dbURL("other"), "postgres://bob:s3cret@db.local/other?sslmode=disable&application_name=x"; got != want {
		t.Fatalf("dbURL = %q, want %q", got, want)
	}
	if _, err := parsePostgresURL("postgres://bob@h:1/" + strings.Repeat("d", 50)); err == nil {
		t.Fatal("a database name too long for the derived names was accepted")
	}
}

// The schema.sql that a new store gets must be the newest versioned schema,
// and the recorded version the one the server requires.
func TestEmbeddedSchemaVersions(t *testing.T) {
	for dir, version := range map[string]string{
		postgresDefaultSchemaDir:    pgschema.Version,
		postgresVisibilitySchemaDir: pgschema.VisibilityVersion,
	} {
		if _, err := fs.Stat(dbschemas.Assets(), path.Join(dir, "schema.sql")); err != nil {
			t.Fatal(err)
		}
		pending, err := pendingSchemaUpdates(dir, version)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 0 {
			t.Fatalf("%s: versioned directories newer than %s: %s", dir, version, pending[0].dir)
		}
		all, err := pendingSchemaUpdates(dir, "0.0")
		if err != nil {
			t.Fatal(err)
		}
		if len(all) == 0 || all[len(all)-1].manifest.CurrVersion != version {
			t.Fatalf("%s: newest versioned directory is not %s", dir, version)
		}
	}
}

// A store set up by an older server (here: from nothing, through every
// versioned update) ends at the required version with the same tables,
// columns and indexes as one created from schema.sql; setup is idempotent.
func TestPostgresSchemaUpdatePath(t *testing.T) {
	pt, err := parsePostgresURL(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pt.u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	for _, c := range []struct{ dir, version string }{
		{postgresDefaultSchemaDir, pgschema.Version},
		{postgresVisibilitySchemaDir, pgschema.VisibilityVersion},
	} {
		fresh, old := pt.defaultDB+"_f", pt.defaultDB+"_o"
		for _, name := range []string{fresh, old} {
			if err := ensurePostgresDatabase(ctx, conn, name); err != nil {
				t.Fatal(err)
			}
		}
		freshCfg, oldCfg := pt.sqlConfig(fresh, 2), pt.sqlConfig(old, 2)

		// "Older server": version tables holding 0.0, no schema yet.
		db, err := persistencesql.NewSQLAdminDB(sqlplugin.DbKindUnknown, oldCfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateSchemaVersionTables(); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateSchemaVersion(old, "0.0", "0.0"); err != nil {
			t.Fatal(err)
		}
		_ = db.Close()

		for i := 0; i < 2; i++ { // the second round must be a no-op
			if err := setupPostgresSchema(freshCfg, c.dir, c.version); err != nil {
				t.Fatalf("%s: fresh setup (round %d): %v", c.dir, i, err)
			}
			if err := setupPostgresSchema(oldCfg, c.dir, c.version); err != nil {
				t.Fatalf("%s: update from 0.0 (round %d): %v", c.dir, i, err)
			}
		}
		for _, name := range []string{fresh, old} {
			if got := schemaVersion(t, pt, name); got != c.version {
				t.Errorf("%s: %s at version %q, want %s", c.dir, name, got, c.version)
			}
		}
		f, o := describeSchema(t, pt, fresh), describeSchema(t, pt, old)
		// v1.0's cluster_metadata table, superseded by cluster_metadata_info,
		// is never dropped by the updates (and unused).
		o = slices.DeleteFunc(o, func(s string) bool {
			return strings.HasPrefix(s, "column cluster_metadata.") || strings.Contains(s, " cluster_metadata_pkey ")
		})
		if missing, extra := diff(f, o); len(missing)+len(extra) > 0 {
			t.Errorf("%s: schema after the updates differs from schema.sql:\n  missing: %v\n  extra:   %v", c.dir, missing, extra)
		}
		for _, name := range []string{fresh, old} {
			if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func schemaVersion(t *testing.T, pt *postgresTarget, db string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pt.dbURL(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, `SELECT curr_version FROM schema_version WHERE version_partition = 0 AND db_name = $1`, db).Scan(&v); err != nil {
		t.Fatalf("schema version of %s: %v", db, err)
	}
	return v
}

// describeSchema lists a database's columns (with types) and index definitions.
func describeSchema(t *testing.T, pt *postgresTarget, db string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pt.dbURL(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `
		SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(generation_expression, '')
		FROM information_schema.columns WHERE table_schema = 'public'
		UNION ALL
		SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func diff(want, got []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

func TestPostgresRestart(t *testing.T) {
	pgURL := pgtest.NewDatabase(t)
	txID := fmt.Sprintf("tx-%d", time.Now().UnixNano())

	s1 := startServer(t, Options{
		PostgresURL:      pgURL,
		UIPort:           0,
		SearchAttributes: testSearchAttributes,
		Logger:           testLogger(),
	})
	// A second server on the same store is refused.
	if s, err := Start(context.Background(), Options{PostgresURL: pgURL, UIPort: -1, Logger: testLogger()}); err == nil {
		_ = s.Stop()
		t.Fatal("second Start on a PostgreSQL store in use succeeded")
	} else if !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Start on a PostgreSQL store in use: %v", err)
	}
	c1 := dial(t, s1)
	wfID := runGreet(t, c1, txID)
	findByQuery(t, c1, "default", fmt.Sprintf(`TransactionId = "%s"`, txID), wfID)
	findByQuery(t, c1, "default", fmt.Sprintf(`ClickId = "click-%s"`, txID), wfID)
	c1.Close()
	if err := s1.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	pt, err := parsePostgresURL(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	if v := schemaVersion(t, pt, pt.defaultDB); v != pgschema.Version {
		t.Errorf("default store schema version %q, want %s", v, pgschema.Version)
	}
	if v := schemaVersion(t, pt, pt.visibility); v != pgschema.VisibilityVersion {
		t.Errorf("visibility store schema version %q, want %s", v, pgschema.VisibilityVersion)
	}

	// The shard count recorded at the first start (the PostgreSQL default) cannot change.
	if s, err := Start(context.Background(), Options{PostgresURL: pgURL, UIPort: -1, HistoryShards: 4, Logger: testLogger()}); err == nil {
		_ = s.Stop()
		t.Fatal("Start with another HistoryShards succeeded")
	} else if !strings.Contains(err.Error(), fmt.Sprintf("created with %d history shards", defaultPostgresShards)) {
		t.Fatalf("Start with another HistoryShards: %v", err)
	}

	// Restart on the same database and frontend port, with one more search attribute.
	s2 := startServer(t, Options{
		PostgresURL:      pgURL,
		HistoryShards:    defaultPostgresShards,
		GRPCPort:         portOf(t, s1.FrontendAddress()),
		UIPort:           -1,
		SearchAttributes: append(append([]string{}, testSearchAttributes...), "Integration"),
		Logger:           testLogger(),
	})
	c2 := dial(t, s2)
	checkAfterRestart(t, c2, wfID, txID)
	// And a new workflow runs on the restarted server.
	tx2 := txID + "-2"
	wf2 := runGreet(t, c2, tx2)
	findByQuery(t, c2, "default", fmt.Sprintf(`TransactionId = "%s"`, tx2), wf2)
}
