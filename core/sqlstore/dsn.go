package sqlstore

import (
	"database/sql/driver"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lib/pq"
	"modernc.org/sqlite"
)

// engine names the database behind a Store.
type engine int

const (
	engineSQLite engine = iota
	enginePostgres
)

func (e engine) String() string {
	if e == enginePostgres {
		return "postgres"
	}
	return "sqlite"
}

// target is a parsed DSN: which engine, and what to hand its driver.
type target struct {
	engine   engine
	driver   string // database/sql driver name
	source   string // driver DSN
	memory   bool   // private in-memory SQLite database
	path     string // a SQLite database's file
	redacted string // for logs
}

// driverImpl returns the database/sql driver of the target's engine.
func (t target) driverImpl() driver.Driver {
	if t.engine == enginePostgres {
		return &pq.Driver{}
	}
	return &sqlite.Driver{}
}

// parseDSN interprets the DSN forms documented on Open.
func parseDSN(dsn string, busyTimeout time.Duration) (target, error) {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return target{}, fmt.Errorf("sqlstore: DSN %q has no scheme (sqlite:// or postgres://)", dsn)
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		u, err := url.Parse(dsn)
		if err != nil {
			return target{}, fmt.Errorf("sqlstore: DSN: %w", err)
		}
		// binary_parameters sends a statement and its arguments in one
		// round trip instead of two (prepare, then execute); the store
		// passes no []byte arguments, the only ones it changes.
		q := u.Query()
		if !q.Has("binary_parameters") {
			q.Set("binary_parameters", "yes")
			u.RawQuery = q.Encode()
		}
		return target{engine: enginePostgres, driver: "postgres", source: u.String(), redacted: u.Redacted()}, nil
	case "sqlite", "sqlite3":
		if rest == "" {
			return target{}, fmt.Errorf("sqlstore: DSN %q names no database", dsn)
		}
		if strings.ContainsAny(rest, "?#") {
			return target{}, fmt.Errorf("sqlstore: SQLite DSN %q: paths with '?' or '#' and query parameters are not supported", dsn)
		}
		t := target{engine: engineSQLite, driver: "sqlite", redacted: dsn}
		params := url.Values{}
		params.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
		params.Add("_pragma", "foreign_keys(1)")
		params.Add("_pragma", "temp_store(memory)")
		params.Add("_pragma", "cache_size(-32000)")
		params.Set("_txlock", "immediate")
		if rest == ":memory:" {
			t.memory = true
		} else {
			// WAL is a property of the file, set once by Open; NORMAL
			// is safe with WAL (a power loss may lose the last commits,
			// never corrupt) and much faster than FULL.
			params.Add("_pragma", "synchronous(normal)")
			// The unix-excl VFS keeps the WAL index in heap memory,
			// shared by this process's connections, rather than in a
			// mapped -shm file, and locks other processes out; with
			// mmap_size 0 no file is mapped at all, so a storage fault
			// is an error, never a SIGBUS (see the package
			// documentation).
			params.Set("vfs", "unix-excl")
			params.Add("_pragma", "mmap_size(0)")
			t.path = rest
		}
		t.source = rest + "?" + params.Encode()
		return t, nil
	}
	return target{}, fmt.Errorf("sqlstore: DSN scheme %q is not sqlite, postgres or postgresql", scheme)
}
