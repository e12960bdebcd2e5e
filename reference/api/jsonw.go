package api

import (
	"encoding/json"
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
	"unicode/utf8"
)

// obj writes one JSON object into a buffer, keeping only the requested
// fields. Views write resources through it: a listing of thousands of
// ports is then a run of appends, with no maps and no reflection.
type obj struct {
	buf    []byte
	n      int             // members written
	fields map[string]bool // nil: all
	omit   map[string]bool // left out even when requested
	err    error           // first value that did not encode
}

// want reports whether key is requested.
func (o *obj) want(key string) bool { return (o.fields == nil || o.fields[key]) && !o.omit[key] }

// begin starts the object.
func (o *obj) begin() { o.buf, o.n = append(o.buf, '{'), 0 }

// end closes the object.
func (o *obj) end() { o.buf = append(o.buf, '}') }

// key writes the member's key; it reports false when the field is not
// wanted.
func (o *obj) key(k string) bool {
	if !o.want(k) {
		return false
	}
	if o.n > 0 {
		o.buf = append(o.buf, ',')
	}
	o.n++
	o.buf = appendString(o.buf, k)
	o.buf = append(o.buf, ':')
	return true
}

func (o *obj) str(k, v string) {
	if o.key(k) {
		o.buf = appendString(o.buf, v)
	}
}

// strOrNull writes "" as null.
func (o *obj) strOrNull(k, v string) {
	if !o.key(k) {
		return
	}
	if v == "" {
		o.buf = append(o.buf, "null"...)
		return
	}
	o.buf = appendString(o.buf, v)
}

func (o *obj) int(k string, v int64) {
	if o.key(k) {
		o.buf = strconv.AppendInt(o.buf, v, 10)
	}
}

func (o *obj) bool(k string, v bool) {
	if o.key(k) {
		o.buf = strconv.AppendBool(o.buf, v)
	}
}

func (o *obj) null(k string) {
	if o.key(k) {
		o.buf = append(o.buf, "null"...)
	}
}

func (o *obj) bigInt(k string, v *big.Int) {
	if !o.key(k) {
		return
	}
	if v == nil {
		o.buf = append(o.buf, '0')
		return
	}
	o.buf = v.Append(o.buf, 10)
}

// strs writes a list of strings; nil is [].
func (o *obj) strs(k string, v []string) {
	if !o.key(k) {
		return
	}
	o.buf = append(o.buf, '[')
	for i, s := range v {
		if i > 0 {
			o.buf = append(o.buf, ',')
		}
		o.buf = appendString(o.buf, s)
	}
	o.buf = append(o.buf, ']')
}

// value writes any JSON-encodable value; nil maps are {}.
func (o *obj) value(k string, v any) {
	if !o.key(k) {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			o.buf = append(o.buf, "{}"...)
			return
		}
	case bool:
		o.buf = strconv.AppendBool(o.buf, x)
		return
	case string:
		o.buf = appendString(o.buf, x)
		return
	case nil:
		o.buf = append(o.buf, "null"...)
		return
	}
	b, err := appendValue(o.buf, v)
	if err != nil {
		o.err = err
		b = append(o.buf, "null"...)
	}
	o.buf = b
}

// appendValue appends v as encoding/json would encode it. The types that
// maps read from the store hold (maps, lists, strings, numbers, booleans)
// are written directly; others go through encoding/json.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			break
		}
		return appendFloat(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '{')
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, x[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case map[string]string:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '{')
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, x[k])
		}
		return append(b, '}'), nil
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, enc...), nil
}

// appendFloat appends a finite number as encoding/json does: the
// shortest form that reads back the same, with an exponent only below
// 1e-6 and from 1e21 on, written without a leading zero.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 as e-9.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// list writes a list of objects, each written by item into o itself.
func (o *obj) list(k string, n int, item func(i int, o *obj)) {
	if !o.key(k) {
		return
	}
	o.buf = append(o.buf, '[')
	saved, fields, omit := o.n, o.fields, o.omit
	o.fields, o.omit = nil, nil
	for i := range n {
		if i > 0 {
			o.buf = append(o.buf, ',')
		}
		o.begin()
		item(i, o)
		o.end()
	}
	o.n, o.fields, o.omit = saved, fields, omit
	o.buf = append(o.buf, ']')
}

// appendString appends s as a JSON string, escaping as encoding/json does.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
