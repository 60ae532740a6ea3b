package devtemporal

import (
	"bytes"
	"context"
	gosql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence"
	"go.temporal.io/server/common/persistence/serialization"
	persistencesql "go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/common/resolver"
	dbschemas "go.temporal.io/server/schema"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
)

const (
	// Database names derived from the one in PostgresURL.
	postgresDefaultSuffix    = "_temporal"
	postgresVisibilitySuffix = "_temporal_visibility"

	// Embedded schema directories (go.temporal.io/server/schema).
	postgresDefaultSchemaDir    = "postgresql/v12/temporal"
	postgresVisibilitySchemaDir = "postgresql/v12/visibility"

	// Connection pools of the server's stores. Every service of the
	// single-process server (frontend, history, matching, worker) opens its
	// own pools: at most 4*(20+10) connections.
	postgresDefaultMaxConns    = 20
	postgresVisibilityMaxConns = 10
	postgresMaxConnLifetime    = time.Hour

	// postgresLockKey is the session advisory lock a running server holds in
	// its default-store database, so that two servers never share a store
	// (both would claim every history shard).
	postgresLockKey int64 = 0x6465767465_6d70 // "devtemp"

	postgresMaxIdentifier = 63 // NAMEDATALEN-1
)

// postgresTarget is PostgresURL taken apart.
type postgresTarget struct {
	u          *url.URL // as given, for pgx connections (path replaced per database)
	host       string   // host:port
	user       string
	password   string
	attrs      map[string]string // query parameters, passed on to the server's DSN
	defaultDB  string
	visibility string
}

func parsePostgresURL(raw string) (*postgresTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("devtemporal: PostgresURL: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("devtemporal: PostgresURL %q: want a postgres:// URL", u.Redacted())
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("devtemporal: PostgresURL %q has no host", u.Redacted())
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		return nil, fmt.Errorf("devtemporal: PostgresURL %q must name a database (postgres://user@host:port/dbname)", u.Redacted())
	}
	t := &postgresTarget{
		u:          u,
		host:       u.Host,
		user:       u.User.Username(),
		attrs:      map[string]string{},
		defaultDB:  db + postgresDefaultSuffix,
		visibility: db + postgresVisibilitySuffix,
	}
	if u.Port() == "" {
		t.host = net.JoinHostPort(u.Hostname(), "5432")
	}
	if t.user == "" {
		return nil, fmt.Errorf("devtemporal: PostgresURL %q has no user", u.Redacted())
	}
	t.password, _ = u.User.Password()
	for k, v := range u.Query() {
		if len(v) != 1 {
			return nil, fmt.Errorf("devtemporal: PostgresURL parameter %q given %d times", k, len(v))
		}
		t.attrs[k] = v[0]
	}
	if len(t.visibility) > postgresMaxIdentifier {
		return nil, fmt.Errorf("devtemporal: database name %q in PostgresURL is too long (the derived %q exceeds %d bytes)",
			db, t.visibility, postgresMaxIdentifier)
	}
	return t, nil
}

// dbURL is the URL of one database on the same server.
func (t *postgresTarget) dbURL(name string) string {
	u := *t.u
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

func (t *postgresTarget) sqlConfig(dbName string, maxConns int) *config.SQL {
	return &config.SQL{
		PluginName:        postgresplugin.PluginNamePGX,
		DatabaseName:      dbName,
		ConnectAddr:       t.host,
		ConnectProtocol:   "tcp",
		User:              t.user,
		Password:          t.password,
		ConnectAttributes: maps.Clone(t.attrs),
		MaxConns:          maxConns,
		MaxIdleConns:      maxConns,
		MaxConnLifetime:   postgresMaxConnLifetime,
	}
}

// preparePostgres creates the two databases if missing, takes the store lock
// and brings both schemas to the versions this server needs. The returned
// unlock releases the lock (call it after the server stopped).
func preparePostgres(ctx context.Context, t *postgresTarget) (def, vis *config.SQL, unlock func(), err error) {
	admin, err := pgx.Connect(ctx, t.u.String())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("devtemporal: connecting to PostgreSQL %s: %w", t.u.Redacted(), err)
	}
	for _, name := range []string{t.defaultDB, t.visibility} {
		if err := ensurePostgresDatabase(ctx, admin, name); err != nil {
			_ = admin.Close(ctx)
			return nil, nil, nil, err
		}
	}
	_ = admin.Close(ctx)

	lockConn, err := pgx.Connect(ctx, t.dbURL(t.defaultDB))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("devtemporal: connecting to PostgreSQL database %s: %w", t.defaultDB, err)
	}
	var locked bool
	if err := lockConn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, postgresLockKey).Scan(&locked); err != nil {
		_ = lockConn.Close(ctx)
		return nil, nil, nil, fmt.Errorf("devtemporal: locking PostgreSQL store %s: %w", t.defaultDB, err)
	}
	if !locked {
		_ = lockConn.Close(ctx)
		return nil, nil, nil, fmt.Errorf("devtemporal: PostgreSQL store %s is in use by another devtemporal server", t.defaultDB)
	}
	unlock = func() {
		// Unlock explicitly: after Close the backend may hold the lock a moment longer.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = lockConn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, postgresLockKey)
		_ = lockConn.Close(uctx)
	}

	def = t.sqlConfig(t.defaultDB, postgresDefaultMaxConns)
	vis = t.sqlConfig(t.visibility, postgresVisibilityMaxConns)
	if err := setupPostgresSchema(def, postgresDefaultSchemaDir, pgschema.Version); err != nil {
		unlock()
		return nil, nil, nil, err
	}
	if err := setupPostgresSchema(vis, postgresVisibilitySchemaDir, pgschema.VisibilityVersion); err != nil {
		unlock()
		return nil, nil, nil, err
	}
	return def, vis, unlock, nil
}

func ensurePostgresDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("devtemporal: looking up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("devtemporal: creating database %s: %w", name, err)
	}
	return nil
}

// setupPostgresSchema does what `temporal-sql-tool setup-schema` followed by
// `update-schema` do, from the schema files embedded in the server module:
//
//   - version tables created if missing;
//   - no recorded version (new database): the full schema.sql runs and the
//     version is set to freshVersion (the server's required version, which
//     schema.sql is);
//   - recorded version older than the newest versioned/vX.Y directory: each
//     newer directory's files run in order and the version is bumped after
//     each (what a server upgrade needs).
//
// Statements failing because their object already exists are skipped, like
// update-schema does, so a setup interrupted halfway completes on the next
// start. Callers serialize setups (the store lock).
func setupPostgresSchema(cfg *config.SQL, schemaDir, freshVersion string) error {
	var db sqlplugin.AdminDB
	err := callRecover(func() error {
		var err error
		db, err = persistencesql.NewSQLAdminDB(sqlplugin.DbKindUnknown, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
		return err
	})
	if err != nil {
		return fmt.Errorf("devtemporal: opening PostgreSQL database %s: %w", cfg.DatabaseName, err)
	}
	defer func() { _ = db.Close() }()
	fail := func(err error) error {
		return fmt.Errorf("devtemporal: schema of PostgreSQL database %s: %w", cfg.DatabaseName, err)
	}

	if err := db.CreateSchemaVersionTables(); err != nil {
		return fail(fmt.Errorf("creating version tables: %w", err))
	}
	current, err := db.ReadSchemaVersion(cfg.DatabaseName)
	switch {
	case errors.Is(err, gosql.ErrNoRows) || (err == nil && current == ""):
		stmts, err := loadStatements(path.Join(schemaDir, "schema.sql"))
		if err != nil {
			return fail(err)
		}
		if err := execSchemaStatements(db, stmts); err != nil {
			return fail(fmt.Errorf("schema.sql: %w", err))
		}
		if err := db.UpdateSchemaVersion(cfg.DatabaseName, freshVersion, freshVersion); err != nil {
			return fail(fmt.Errorf("recording version %s: %w", freshVersion, err))
		}
		if err := db.WriteSchemaUpdateLog("0", freshVersion, "", "initial version (devtemporal)"); err != nil {
			return fail(fmt.Errorf("recording version %s: %w", freshVersion, err))
		}
		current = freshVersion
	case err != nil:
		return fail(fmt.Errorf("reading schema version: %w", err))
	}
	return updatePostgresSchema(db, cfg.DatabaseName, schemaDir, current)
}

// schemaManifest is a versioned/vX.Y/manifest.json.
type schemaManifest struct {
	CurrVersion          string
	MinCompatibleVersion string
	Description          string
	SchemaUpdateCqlFiles []string
	AllowNoCqlFiles      bool
}

type schemaUpdate struct {
	dir      string
	version  []int
	manifest schemaManifest
}

// pendingSchemaUpdates lists the versioned directories newer than current, oldest first.
func pendingSchemaUpdates(schemaDir, current string) ([]schemaUpdate, error) {
	cur, err := parseSchemaVersion(current)
	if err != nil {
		return nil, fmt.Errorf("recorded version %q: %w", current, err)
	}
	versioned := path.Join(schemaDir, "versioned")
	entries, err := fs.ReadDir(dbschemas.Assets(), versioned)
	if err != nil {
		return nil, err
	}
	var updates []schemaUpdate
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "v") {
			continue
		}
		v, err := parseSchemaVersion(strings.TrimPrefix(e.Name(), "v"))
		if err != nil {
			return nil, fmt.Errorf("schema directory %s: %w", e.Name(), err)
		}
		if slices.Compare(v, cur) <= 0 {
			continue
		}
		dir := path.Join(versioned, e.Name())
		raw, err := fs.ReadFile(dbschemas.Assets(), path.Join(dir, "manifest.json"))
		if err != nil {
			return nil, err
		}
		var m schemaManifest
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s/manifest.json: %w", dir, err)
		}
		if mv, err := parseSchemaVersion(m.CurrVersion); err != nil || slices.Compare(mv, v) != 0 {
			return nil, fmt.Errorf("%s/manifest.json: CurrVersion %q does not match the directory", dir, m.CurrVersion)
		}
		if len(m.SchemaUpdateCqlFiles) == 0 && !m.AllowNoCqlFiles {
			return nil, fmt.Errorf("%s/manifest.json lists no files", dir)
		}
		updates = append(updates, schemaUpdate{dir: dir, version: v, manifest: m})
	}
	slices.SortFunc(updates, func(a, b schemaUpdate) int { return slices.Compare(a.version, b.version) })
	return updates, nil
}

func updatePostgresSchema(db sqlplugin.AdminDB, dbName, schemaDir, current string) error {
	updates, err := pendingSchemaUpdates(schemaDir, current)
	if err != nil {
		return fmt.Errorf("devtemporal: schema of PostgreSQL database %s: %w", dbName, err)
	}
	for _, u := range updates {
		var stmts []string
		for _, f := range u.manifest.SchemaUpdateCqlFiles {
			s, err := loadStatements(path.Join(u.dir, f))
			if err != nil {
				return fmt.Errorf("devtemporal: schema of PostgreSQL database %s: %w", dbName, err)
			}
			stmts = append(stmts, s...)
		}
		if err := execSchemaStatements(db, stmts); err != nil {
			return fmt.Errorf("devtemporal: updating schema of PostgreSQL database %s to %s: %w", dbName, u.manifest.CurrVersion, err)
		}
		if err := db.UpdateSchemaVersion(dbName, u.manifest.CurrVersion, u.manifest.MinCompatibleVersion); err != nil {
			return fmt.Errorf("devtemporal: recording schema version %s of %s: %w", u.manifest.CurrVersion, dbName, err)
		}
		if err := db.WriteSchemaUpdateLog(current, u.manifest.CurrVersion, "", u.manifest.Description); err != nil {
			return fmt.Errorf("devtemporal: recording schema version %s of %s: %w", u.manifest.CurrVersion, dbName, err)
		}
		current = u.manifest.CurrVersion
	}
	return nil
}

func loadStatements(file string) ([]string, error) {
	raw, err := fs.ReadFile(dbschemas.Assets(), file)
	if err != nil {
		return nil, err
	}
	stmts, err := persistence.LoadAndSplitQueryFromReaders([]io.Reader{bytes.NewReader(raw)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return stmts, nil
}

// Errors of a statement whose effect is already there (a rerun after an
// interrupted setup): duplicate_table, duplicate_object, duplicate_column,
// duplicate_schema, duplicate_function and unique_violation (the seed rows).
var alreadyDoneCodes = []string{"42P07", "42710", "42701", "42P06", "42723", "23505"}

func execSchemaStatements(db sqlplugin.AdminDB, stmts []string) error {
	for _, stmt := range stmts {
		err := db.Exec(stmt)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && slices.Contains(alreadyDoneCodes, pgErr.Code) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w (statement: %.200s)", err, stmt)
		}
	}
	return nil
}

// parseSchemaVersion parses "1.19" (or "0.0") into [1 19].
func parseSchemaVersion(s string) ([]int, error) {
	parts := strings.Split(s, ".")
	v := make([]int, 0, 3)
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("invalid schema version %q", s)
		}
		v = append(v, n)
	}
	for len(v) < 3 {
		v = append(v, 0)
	}
	return v, nil
}

// storedShardCount returns the history shard count recorded in the store's
// cluster metadata at its first start, or 0 for a store never started.
func storedShardCount(ctx context.Context, cfg *config.SQL) (int32, error) {
	var db sqlplugin.DB
	err := callRecover(func() error {
		var err error
		db, err = persistencesql.NewSQLDB(sqlplugin.DbKindMain, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("devtemporal: opening store %s: %w", cfg.DatabaseName, err)
	}
	defer func() { _ = db.Close() }()
	row, err := db.GetClusterMetadata(ctx, &sqlplugin.ClusterMetadataFilter{ClusterName: clusterName})
	if errors.Is(err, gosql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("devtemporal: reading cluster metadata of store %s: %w", cfg.DatabaseName, err)
	}
	cm, err := serialization.NewSerializer().DeserializeClusterMetadata(persistence.NewDataBlob(row.Data, row.DataEncoding))
	if err != nil {
		return 0, fmt.Errorf("devtemporal: decoding cluster metadata of store %s: %w", cfg.DatabaseName, err)
	}
	return cm.GetHistoryShardCount(), nil
}
