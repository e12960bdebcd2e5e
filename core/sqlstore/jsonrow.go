package sqlstore

import (
	"fmt"
	"strconv"
	"strings"
)

// jsonRow reads the elements of a JSON array, in order: the rows of
// SQLite, stored in row_json columns (see rowShape). Strings without
// escapes are substrings of the row, not copies.
type jsonRow struct {
	s   string
	pos int
	n   int // elements read
	err error
}

// reset starts reading the array s.
func (r *jsonRow) reset(s string) {
	*r = jsonRow{s: s}
	r.skipSpace()
	if r.pos >= len(r.s) || r.s[r.pos] != '[' {
		r.fail("not a JSON array")
		return
	}
	r.pos++
}

func (r *jsonRow) fail(msg string) {
	if r.err == nil {
		r.err = fmt.Errorf("sqlstore: row element %d: %s in %.80q", r.n, msg, r.s)
	}
}

func (r *jsonRow) skipSpace() {
	for r.pos < len(r.s) {
		switch r.s[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// next positions r at the start of the next element.
func (r *jsonRow) next() bool {
	if r.err != nil {
		return false
	}
	r.skipSpace()
	if r.n > 0 {
		if r.pos >= len(r.s) || r.s[r.pos] != ',' {
			r.fail("missing element")
			return false
		}
		r.pos++
		r.skipSpace()
	}
	if r.pos >= len(r.s) {
		r.fail("missing element")
		return false
	}
	r.n++
	return true
}

// str reads a string element; null reads as "".
func (r *jsonRow) str() string {
	if !r.next() {
		return ""
	}
	if strings.HasPrefix(r.s[r.pos:], "null") {
		r.pos += 4
		return ""
	}
	if r.s[r.pos] != '"' {
		r.fail("not a string")
		return ""
	}
	start := r.pos + 1
	escaped := false
	for i := start; i < len(r.s); i++ {
		switch r.s[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			r.pos = i + 1
			if !escaped {
				return r.s[start:i]
			}
			out, err := unquote(r.s[start-1 : i+1])
			if err != nil {
				r.fail(err.Error())
			}
			return out
		}
	}
	r.fail("unterminated string")
	return ""
}

// scalar returns the text of a number or literal element.
func (r *jsonRow) scalar() string {
	if !r.next() {
		return ""
	}
	return r.literalFrom(r.pos)
}

// int reads an integer element; null reads as 0.
func (r *jsonRow) int() int64 {
	t := r.scalar()
	if r.err != nil || t == "null" {
		return 0
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		r.fail("not an integer")
	}
	return v
}

// bool reads a boolean element: 1/0 as SQLite stores them, or true/false.
func (r *jsonRow) bool() bool {
	switch r.scalar() {
	case "true", "1":
		return true
	case "false", "0", "null":
		return false
	}
	r.fail("not a boolean")
	return false
}

// token reads a string or literal element and returns its JSON text,
// quotes and escapes included.
func (r *jsonRow) token() string {
	if !r.next() {
		return ""
	}
	start := r.pos
	if r.s[r.pos] != '"' {
		return r.literalFrom(start)
	}
	for i := start + 1; i < len(r.s); i++ {
		switch r.s[i] {
		case '\\':
			i++
		case '"':
			r.pos = i + 1
			return r.s[start:r.pos]
		}
	}
	r.fail("unterminated string")
	return ""
}

// literalFrom reads the rest of a number or literal that starts at start.
func (r *jsonRow) literalFrom(start int) string {
	for r.pos < len(r.s) {
		switch r.s[r.pos] {
		case ',', ']', ' ', '\t', '\n', '\r':
			return r.s[start:r.pos]
		}
		r.pos++
	}
	return r.s[start:r.pos]
}

// jsonMap reads a string element holding a JSON object (a map column) and
// decodes it through maps.
func (r *jsonRow) jsonMap(maps mapCache) map[string]any {
	tok := r.token()
	if r.err != nil {
		return nil
	}
	m, err := maps.decode(tok)
	if err != nil {
		r.fail(err.Error())
	}
	return m
}

// skip moves past an element without decoding it.
func (r *jsonRow) skip() {
	if !r.next() {
		return
	}
	switch r.s[r.pos] {
	case '"', '[', '{':
		r.skipValue()
	default:
		r.literalFrom(r.pos)
	}
}

// strs reads a string element holding a JSON list of strings.
func (r *jsonRow) strs() []string { return textStrs(r) }

// rows reads a string element holding a JSON list of rows.
func (r *jsonRow) rows(fn func(r rowReader)) { textRows(r, fn) }

// eachJSONRow calls fn with a reader of each element of list, a JSON
// array of arrays.
func eachJSONRow(list string, fn func(r rowReader)) error {
	var outer, inner jsonRow
	outer.reset(list)
	for {
		outer.skipSpace()
		if outer.err != nil || outer.pos >= len(outer.s) || outer.s[outer.pos] == ']' {
			return outer.done()
		}
		if !outer.next() {
			return outer.err
		}
		start := outer.pos
		outer.skipValue()
		if outer.err != nil {
			return outer.err
		}
		inner.reset(list[start:outer.pos])
		fn(&inner)
		if err := inner.done(); err != nil {
			return err
		}
	}
}

// skipValue moves past the value that starts at r.pos.
func (r *jsonRow) skipValue() {
	depth := 0
	for r.pos < len(r.s) {
		switch r.s[r.pos] {
		case '"':
			for r.pos++; r.pos < len(r.s) && r.s[r.pos] != '"'; r.pos++ {
				if r.s[r.pos] == '\\' {
					r.pos++
				}
			}
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 0 {
				return
			}
		}
		r.pos++
		if depth == 0 {
			return
		}
	}
	if depth != 0 {
		r.fail("unterminated value")
	}
}

// failed returns the first error met.
func (r *jsonRow) failed() error { return r.err }

// done checks that every element was read and nothing failed.
func (r *jsonRow) done() error {
	if r.err != nil {
		return r.err
	}
	r.skipSpace()
	if r.pos >= len(r.s) || r.s[r.pos] != ']' {
		r.fail("extra elements")
	}
	return r.err
}
