// Package sqlstoretest opens sqlstore Stores for tests: an in-memory
// SQLite database always, and PostgreSQL when the environment variable
// ML2GO_TEST_POSTGRES_DSN names a server. Every PostgreSQL store gets a
// schema of its own, dropped when the test ends, so tests and packages
// running in parallel never see each other's rows.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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
// the server at EnvPostgresDSN (the test is skipped if it is not set),
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
			t.Fatalf("sqlstoretest: connect to PostgreSQL: %v", err)
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

var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// adminDB returns the process's connection pool for creating and dropping
// schemas.
func adminDB(dsn string) (*sql.DB, error) {
	admin.once.Do(func() {
		admin.db, admin.err = sql.Open("postgres", dsn)
		if admin.err == nil {
			admin.db.SetMaxOpenConns(2)
			admin.err = admin.db.Ping()
		}
	})
	return admin.db, admin.err
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
