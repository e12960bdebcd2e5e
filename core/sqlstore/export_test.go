package sqlstore

import (
	"context"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// ExecForTest runs a statement on the store's database, outside any
// transaction, with '?' placeholders.
func ExecForTest(ctx context.Context, s *Store, query string, args ...any) error {
	_, err := s.db.ExecContext(ctx, rebind(s.engine, query), args...)
	return err
}

// PortListPlan returns the engine's plan of the query that lists ports
// with opts, one line per step.
func PortListPlan(ctx context.Context, s *Store, opts *core.ListOptions) (plan string, err error) {
	err = s.View(ctx, func(ctx2 core.Tx) error {
		t := ctx2.(*tx)
		q, err := t.buildList(ctx, &portSpec, portNeedsOf(opts.Fields).selectList(s), opts)
		if err != nil {
			return err
		}
		plan, err = t.explain(ctx, q.sql, q.args...)
		return err
	})
	return plan, err
}

// GapSearchPlan returns the engine's plan of the query the gap search of
// AllocateSegment runs.
func GapSearchPlan(ctx context.Context, s *Store, networkType, physnet string, lo, hi int64) (plan string, err error) {
	err = s.View(ctx, func(ctx2 core.Tx) error {
		plan, err = ctx2.(*tx).explain(ctx, gapQuery, networkType, physnet, lo, hi, gapChunkMax)
		return err
	})
	return plan, err
}

// PageFixedIPsPlan returns the engine's plan of the query that reads the
// fixed IPs of a page of ports in the order of id.
func PageFixedIPsPlan(ctx context.Context, s *Store, from, to string) (plan string, err error) {
	err = s.View(ctx, func(ctx2 core.Tx) error {
		t := ctx2.(*tx)
		cond, args, err := t.inSet("a.port_id", idSet{from: from, to: to})
		if err != nil {
			return err
		}
		plan, err = t.explain(ctx, t.fixedIPsQuery(cond), args...)
		return err
	})
	return plan, err
}

// explain returns the plan of query: EXPLAIN on PostgreSQL, EXPLAIN QUERY
// PLAN on SQLite.
func (t *tx) explain(ctx context.Context, query string, args ...any) (string, error) {
	prefix := "EXPLAIN QUERY PLAN "
	if t.s.engine == enginePostgres {
		prefix = "EXPLAIN "
	}
	rows, err := t.query(ctx, prefix+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		// The last column is the step's text on both engines.
		switch v := vals[len(vals)-1].(type) {
		case string:
			lines = append(lines, v)
		case []byte:
			lines = append(lines, string(v))
		}
	}
	return strings.Join(lines, "\n"), rows.Err()
}
