package sqlstore

import (
	"context"
	"fmt"
	"strings"
)

// rowReader yields the fields of one row, in order. The resources' fromRow
// functions read rows through it whatever their form: one JSON array per
// row on SQLite (jsonRow), plain columns on PostgreSQL (colRow).
type rowReader interface {
	str() string
	int() int64
	bool() bool
	// jsonMap decodes a column holding a JSON object, through maps.
	jsonMap(maps mapCache) map[string]any
	// strs decodes a column holding a JSON list of strings; an empty
	// list is nil.
	strs() []string
	// rows reads a column holding a JSON list of rows (JSON arrays),
	// calling fn for each.
	rows(fn func(r rowReader))
	// skip moves past a field without decoding it.
	skip()
	// failed returns the first error met.
	failed() error
}

// rowShape is the shape of the rows a table is read as: some of its
// columns, in order.
//
// The cost of the pure-Go SQLite driver is per cell, so on SQLite a row is
// read as one cell, a JSON array of the columns: tables keep it in a
// generated column, row_json (see the migration), so that reading a port
// is reading one stored cell rather than nineteen; a test checks that
// row_json and the Go shapes agree. PostgreSQL builds JSON slowly and
// lib/pq decodes columns cheaply, so there rows are plain columns.
type rowShape struct {
	expr   [2]string // the select list, by engine
	stored string    // the SQLite row_json column
	cols   string    // the stored columns, comma-separated
}

// newShape describes the rows of the table with the given alias.
func newShape(alias string, columns ...string) *rowShape {
	qualified := make([]string, len(columns))
	for i, c := range columns {
		qualified[i] = alias + "." + c
	}
	sh := &rowShape{stored: alias + ".row_json", cols: strings.Join(qualified, ", ")}
	sh.expr[enginePostgres] = sh.cols
	sh.expr[engineSQLite] = sh.stored
	return sh
}

// computed returns sh with one more field after the stored ones, computed
// when read: a column expression on PostgreSQL, an element appended to
// row_json on SQLite.
func (sh *rowShape) computed(postgres, sqlite string) *rowShape {
	out := *sh
	out.expr[enginePostgres] += ", " + postgres
	out.expr[engineSQLite] = "json_insert(" + sh.expr[engineSQLite] + ", '$[#]', " + sqlite + ")"
	return &out
}

// rowExpr returns the select list of a row of shape sh.
func (s *Store) rowExpr(sh *rowShape) string { return sh.expr[s.engine] }

// eachRow runs query, whose select list is a rowExpr, and calls fn to
// read each row.
func (t *tx) eachRow(ctx context.Context, query string, args []any, fn func(r rowReader) error) error {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if t.s.engine == enginePostgres {
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		r := newColRow(len(cols))
		for rows.Next() {
			if err := rows.Scan(r.dest...); err != nil {
				return err
			}
			r.i = 0
			if err := fn(r); err != nil {
				return err
			}
			if err := r.done(); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	var row string
	var r jsonRow
	for rows.Next() {
		if err := rows.Scan(&row); err != nil {
			return err
		}
		r.reset(row)
		if err := fn(&r); err != nil {
			return err
		}
		if err := r.done(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// colRow reads a row of plain columns, as the driver returns them.
type colRow struct {
	vals []any
	dest []any
	i    int
	err  error
}

func newColRow(n int) *colRow {
	r := &colRow{vals: make([]any, n), dest: make([]any, n)}
	for i := range r.vals {
		r.dest[i] = &r.vals[i]
	}
	return r
}

func (r *colRow) next() any {
	if r.i >= len(r.vals) {
		r.fail("missing column")
		return nil
	}
	r.i++
	return r.vals[r.i-1]
}

func (r *colRow) fail(msg string) {
	if r.err == nil {
		r.err = fmt.Errorf("sqlstore: column %d: %s", r.i, msg)
	}
}

func (r *colRow) str() string {
	switch v := r.next().(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		return ""
	default:
		r.fail(fmt.Sprintf("%T is not text", v))
		return ""
	}
}

func (r *colRow) int() int64 {
	switch v := r.next().(type) {
	case int64:
		return v
	case nil:
		return 0
	default:
		r.fail(fmt.Sprintf("%T is not an integer", v))
		return 0
	}
}

func (r *colRow) bool() bool {
	switch v := r.next().(type) {
	case bool:
		return v
	case int64:
		return v != 0
	case nil:
		return false
	default:
		r.fail(fmt.Sprintf("%T is not a boolean", v))
		return false
	}
}

func (r *colRow) jsonMap(maps mapCache) map[string]any {
	text := r.str()
	if r.err != nil {
		return nil
	}
	m, err := maps.decode(text)
	if err != nil {
		r.fail(err.Error())
	}
	return m
}

func (r *colRow) strs() []string { return textStrs(r) }

func (r *colRow) skip() { r.next() }

func (r *colRow) rows(fn func(r rowReader)) { textRows(r, fn) }

// textReader is what the readers of JSON-holding text fields need of a
// row: its next text field, and failure recording.
type textReader interface {
	str() string
	failed() error
	fail(msg string)
}

// textStrs reads a text field holding a JSON list of strings.
func textStrs(r textReader) []string {
	text := r.str()
	if r.failed() != nil {
		return nil
	}
	v, err := decodeJSON[string](text)
	if err != nil {
		r.fail(err.Error())
	}
	return v
}

// textRows reads a text field holding a JSON list of rows.
func textRows(r textReader, fn func(r rowReader)) {
	text := r.str()
	if r.failed() != nil {
		return
	}
	if err := eachJSONRow(text, fn); err != nil {
		r.fail(err.Error())
	}
}

func (r *colRow) failed() error { return r.err }

// done checks that every column was read and nothing failed.
func (r *colRow) done() error {
	if r.err == nil && r.i != len(r.vals) {
		r.fail(fmt.Sprintf("%d columns left", len(r.vals)-r.i))
	}
	return r.err
}
