package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ml2go/ml2go/core"
)

// Statements runs a service's own SQL in a transaction of a Store: the
// one core's writes are in, so that the service's rows commit or roll back
// with them (a router interface's port and its router row, say). Get it
// with SQL from the core.Tx of Store.Update or View, or of a
// core.Change's Tx.
//
// Queries take '?' placeholders, rebound to the engine's ($1, $2, ... on
// PostgreSQL); write SQL both engines accept, or ask Engine. Errors come
// back as the store's own do: a unique violation is core's DuplicateEntry
// conflict (409), naming the table and its columns; a transient conflict
// (a serialization failure, a deadlock, a busy SQLite database, and on
// PostgreSQL a foreign key violation, which only a concurrent delete of the
// row referred to causes once the service checked it exists) is left for
// Update to run the transaction again; a storage fault is core's
// StorageUnavailable when the transaction ends. A failed statement aborts
// a PostgreSQL transaction: return its error rather than carry on, and
// write the conflicts you expect with ON CONFLICT DO NOTHING.
//
// A Statements is valid while its transaction runs, and as safe for
// concurrent use as the transaction is: not.
type Statements struct {
	t *tx
}

// SQL returns the Statements of tx, a transaction of a Store. Any other
// core.Tx is an error.
func SQL(t core.Tx) (*Statements, error) {
	st, ok := t.(*tx)
	if !ok || st == nil {
		return nil, fmt.Errorf("sqlstore: %T is not a transaction of a sqlstore.Store", t)
	}
	return &Statements{t: st}, nil
}

// Engine returns "sqlite" or "postgres".
func (s *Statements) Engine() string { return s.t.s.engine.String() }

// Exec runs a statement that changes rows. In a View transaction it is an
// error.
func (s *Statements) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s.t.readOnly {
		return nil, errors.New("sqlstore: a statement that changes rows in a read-only transaction (View)")
	}
	res, err := s.t.exec(ctx, query, args...)
	if err != nil {
		return nil, statementError(err)
	}
	return res, nil
}

// Query runs a query. Close its rows before the next statement.
func (s *Statements) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := s.t.query(ctx, query, args...)
	if err != nil {
		return nil, statementError(err)
	}
	return rows, nil
}

// QueryRow runs a query that returns at most one row, which Scan of the
// result reads. A statement that changes rows and returns some (INSERT
// ... RETURNING) belongs in an Update transaction, as Exec's do.
func (s *Statements) QueryRow(ctx context.Context, query string, args ...any) *Row {
	return &Row{row: s.t.queryRow(ctx, query, args...)}
}

// Row is the result of Statements.QueryRow.
type Row struct {
	row *sql.Row
}

// Scan copies the row's columns into dest, as sql.Row.Scan does: without
// a row it is sql.ErrNoRows. Errors are those of Statements.
func (r *Row) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return statementError(err)
}

// statementError maps an engine error of a service's statement as the
// store maps its own: a unique violation is DuplicateEntry; other errors
// are wrapped, keeping what makes them retriable or a storage fault.
func statementError(err error) error {
	if table, cols, ok := uniqueViolation(err); ok {
		return core.DuplicateEntry(table, cols...)
	}
	return wrap("statement", err)
}

// uniqueViolation reports whether err is a unique or primary key
// violation, and of which table and columns.
func uniqueViolation(err error) (table string, cols []string, ok bool) {
	if pe, isPQ := errors.AsType[*pq.Error](err); isPQ {
		if string(pe.Code) != pgUniqueViolation {
			return "", nil, false
		}
		// Detail reads "Key (a, b)=(x, y) already exists."
		if _, rest, found := strings.Cut(pe.Detail, "Key ("); found {
			if list, _, found := strings.Cut(rest, ")="); found {
				cols = strings.Split(list, ", ")
			}
		}
		return pe.Table, cols, true
	}
	se, isSQLite := errors.AsType[*sqlite.Error](err)
	if !isSQLite {
		return "", nil, false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
	default:
		return "", nil, false
	}
	// The message ends "UNIQUE constraint failed: t.a, t.b (2067)".
	msg := se.Error()
	const lead = "constraint failed: "
	list := msg[strings.LastIndex(msg, lead)+len(lead):]
	list, _, _ = strings.Cut(list, " (")
	for _, c := range strings.Split(list, ", ") {
		t, col, found := strings.Cut(c, ".")
		if !found {
			continue
		}
		table = t
		cols = append(cols, col)
	}
	return table, cols, true
}
