package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/ml2go/ml2go/core"
)

// tx is one transaction: the core.Tx handed to Update and View functions.
type tx struct {
	s *Store
	q querier
	// On SQLite, statements run detached from their context's
	// cancellation (see stmtContext): ctx is the transaction's context
	// and detached the same without its cancellation. Both are nil on
	// PostgreSQL.
	ctx, detached context.Context
	// nets caches the networks GetNetwork read since the transaction's
	// last write: a port create reads its network in the orchestrator
	// and again in extension drivers. Any write empties it.
	nets map[string]*core.Network
	// readOnly is set in a View transaction.
	readOnly bool
}

var _ core.Tx = (*tx)(nil)

// querier runs a transaction's statements: a *sqlx.Tx, or the *sql.Conn
// of a SQLite transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmtContext is the context a statement runs with. In a detached
// transaction, a live ctx loses its cancellation, so that no goroutine
// starts to watch it; a canceled one is passed on and fails the
// statement.
func (t *tx) stmtContext(ctx context.Context) context.Context {
	switch {
	case t.detached == nil || ctx.Err() != nil:
		return ctx
	case ctx == t.ctx: // nearly always: no new context per statement
		return t.detached
	}
	return context.WithoutCancel(ctx)
}

// rebind turns the '?' placeholders of query into the engine's.
func rebind(e engine, query string) string {
	if e == enginePostgres {
		return sqlx.Rebind(sqlx.DOLLAR, query)
	}
	return query
}

// exec runs a statement that changes rows.
func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.nets = nil
	return t.q.ExecContext(t.stmtContext(ctx), rebind(t.s.engine, query), args...)
}

// execCount runs a statement and returns how many rows it changed.
func (t *tx) execCount(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(t.stmtContext(ctx), rebind(t.s.engine, query), args...)
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.q.QueryRowContext(t.stmtContext(ctx), rebind(t.s.engine, query), args...)
}

// exists reports whether query returns a row.
func (t *tx) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := t.queryRow(ctx, query, args...).Scan(&one)
	switch err {
	case nil:
		return true, nil
	case sql.ErrNoRows:
		return false, nil
	}
	return false, err
}

// strings runs a one-column query.
func (t *tx) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// idSet selects the rows related to some parent rows, in the queries that
// load a listing's details: the parents' ids, or every row when the
// listing was a whole table.
type idSet struct {
	all bool
	ids []string
	// from and to, when to is set, select the ids between them, both
	// included, instead of ids: a page of a listing in the order of id.
	from, to string
}

func oneID(id string) idSet { return idSet{ids: []string{id}} }

// inSet returns an SQL condition on col selecting the set, and its
// arguments. Any number of ids takes one argument: a JSON array on SQLite,
// a text array on PostgreSQL.
func (t *tx) inSet(col string, set idSet) (string, []any, error) {
	switch {
	case set.all:
		return "1 = 1", nil, nil
	case set.to != "":
		return col + " >= ? AND " + col + " <= ?", []any{set.from, set.to}, nil
	case len(set.ids) == 1:
		return col + " = ?", []any{set.ids[0]}, nil
	case t.s.engine == enginePostgres:
		return col + " = ANY(?)", []any{pq.StringArray(set.ids)}, nil
	}
	b, err := json.Marshal(set.ids)
	if err != nil {
		return "", nil, fmt.Errorf("sqlstore: encode id set: %w", err)
	}
	return col + " IN (SELECT value FROM json_each(?))", []any{string(b)}, nil
}

// placeholders returns n comma-separated '?'.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
