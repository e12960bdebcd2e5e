// Package sqlstoretest opens sqlstore Stores for tests: an in-memory
// SQLite database always, and PostgreSQL when the environment variable
// ML2GO_TEST_POSTGRES_DSN names a server. Every PostgreSQL store gets a
// schema of its own, dropped when the test ends, so tests and packages
// running in parallel never see each other's rows. When the server named
// does not answer, every test that needs it fails at once with what to
// do: start it, or set the variable to the empty string to run on SQLite
// only.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // registers the "postgres" driver

	"github.com/ml2go/ml2go/core/sqlstore"
)

// EnvPostgresDSN names the environment variable holding the DSN of the
// PostgreSQL server tests may use, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvPostgresDSN = "ML2GO_TEST_POSTGRES_DSN"

// Engine names accepted by Open and DSN.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Engines returns the engines to run store-backed tests on: "sqlite", and
// "postgres" when EnvPostgresDSN is set.
func Engines(t testing.TB) []string {
	t.Helper()
	if os.Getenv(EnvPostgresDSN) == "" {
		return []string{SQLite}
	}
	return []string{SQLite, Postgres}
}

// Open returns a fresh, empty store of the engine ("sqlite": in memory;
// "postgres": in a new schema), closed (and its schema dropped) when the
// test ends. It fails the test if the store cannot be opened.
func Open(t testing.TB, engine string, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	dsn := "sqlite://:memory:"
	if engine != SQLite {
		dsn = DSN(t, engine)
	}
	s, err := sqlstore.Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("sqlstoretest: open %s store: %v", engine, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// DSN returns the DSN of a fresh, empty database of the engine that may be
// opened several times, concurrently or one after the other: for "sqlite" a
// file in the test's temporary directory, for "postgres" a new schema of
// the server at EnvPostgresDSN (the test is skipped if it is not set, and
// fails with the error of CheckPostgres if the server does not answer),
// dropped when the test ends. Close the stores opened on it first (stores
// opened with Open are).
func DSN(t testing.TB, engine string) string {
	t.Helper()
	switch engine {
	case SQLite:
		return "sqlite://" + filepath.Join(t.TempDir(), "ml2go.db")
	case Postgres:
		base := os.Getenv(EnvPostgresDSN)
		if base == "" {
			t.Skipf("sqlstoretest: %s is not set", EnvPostgresDSN)
		}
		schema := "ml2go_test_" + randomHex(8)
		admin, err := adminDB(base)
		if err != nil {
			t.Fatalf("sqlstoretest: %v", err)
		}
		if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
			t.Fatalf("sqlstoretest: create schema %s: %v", schema, err)
		}
		t.Cleanup(func() {
			if _, err := admin.Exec(`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`); err != nil {
				t.Errorf("sqlstoretest: drop schema %s: %v", schema, err)
			}
		})
		return withSearchPath(base, schema)
	}
	t.Fatalf("sqlstoretest: unknown engine %q (want %q or %q)", engine, SQLite, Postgres)
	return ""
}

// pingTimeout bounds how long CheckPostgres waits for the server.
const pingTimeout = 10 * time.Second

// CheckPostgres returns nil when the PostgreSQL server at dsn answers, and
// otherwise an error that says why and what to do: start the server, or
// set EnvPostgresDSN to another server or to the empty string, which runs
// the store-backed tests on SQLite only. The error shows dsn without its
// password.
func CheckPostgres(ctx context.Context, dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err == nil {
		defer db.Close()
		ctx, cancel := context.WithTimeout(ctx, pingTimeout)
		defer cancel()
		err = db.PingContext(ctx)
	}
	if err != nil {
		return fmt.Errorf("PostgreSQL at %s=%s does not answer: %w; start it, "+
			"point %s at a server that runs, or set %s= (empty) to run the tests on SQLite only",
			EnvPostgresDSN, redact(dsn), err, EnvPostgresDSN, EnvPostgresDSN)
	}
	return nil
}

// passwordParam matches the password of a key=value DSN.
var passwordParam = regexp.MustCompile(`(^|\s)password\s*=\s*('(\\.|[^'])*'|\S*)`)

// redact returns dsn with its password, if any, replaced by "xxxxx".
func redact(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "(a DSN that is not a valid URL)"
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	return passwordParam.ReplaceAllString(dsn, "${1}password=xxxxx")
}

// adminPool is a connection pool for creating and dropping schemas, or
// the error CheckPostgres returned for its DSN.
type adminPool struct {
	db  *sql.DB
	err error
}

var admin struct {
	mu    sync.Mutex
	pools map[string]*adminPool
}

// adminDB returns the process's connection pool to dsn for creating and
// dropping schemas, or the error of CheckPostgres, which is remembered
// so that every test after the first fails at once.
func adminDB(dsn string) (*sql.DB, error) {
	admin.mu.Lock()
	defer admin.mu.Unlock()
	if p, ok := admin.pools[dsn]; ok {
		return p.db, p.err
	}
	p := &adminPool{err: CheckPostgres(context.Background(), dsn)}
	if p.err == nil {
		p.db, p.err = sql.Open("postgres", dsn)
	}
	if p.err == nil {
		p.db.SetMaxOpenConns(2)
	}
	if admin.pools == nil {
		admin.pools = map[string]*adminPool{}
	}
	admin.pools[dsn] = p
	return p.db, p.err
}

// withSearchPath adds a search_path run-time parameter to a lib/pq DSN,
// URL or key=value form.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
