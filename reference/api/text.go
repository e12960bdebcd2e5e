package api

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ml2go/ml2go/core"
)

// Text no store can hold: a request carrying a NUL character or bytes that
// are not UTF-8, in its path, its query or its body, is answered before
// any handler runs, the same way on every engine (PostgreSQL refuses such
// text; SQLite would keep it). A path value names nothing that exists: an
// id is its resource's NotFound, a tag TagNotFound (an invalid tag when
// it would be added), any other value a 404. A query is a 400
// InvalidInput, a body a 400 HTTPBadRequest, as a body that is not JSON.

// notFoundOf names the resource whose NotFound answers an unknown {id} of a
// collection.
var notFoundOf = map[string]string{
	"networks":                  "Network",
	"subnets":                   "Subnet",
	"ports":                     "Port",
	"segments":                  "Segment",
	"agents":                    "Agent",
	"network-ip-availabilities": "Network",
}

// storableText wraps the handler of a route pattern ("GET
// /v2.0/networks/{id}") so that it only sees text a store can hold.
func storableText(pattern string, h handlerFunc) handlerFunc {
	_, path, _ := strings.Cut(pattern, " ")
	collection, _, _ := strings.Cut(strings.TrimPrefix(path, "/v2.0/"), "/")
	var wildcards []string
	for seg := range strings.SplitSeq(path, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			name = strings.TrimSuffix(strings.TrimSuffix(name, "}"), "...")
			if name != "$" {
				wildcards = append(wildcards, name)
			}
		}
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		for _, name := range wildcards {
			v := r.PathValue(name)
			switch {
			case core.ValidText(v):
			case name == "tag" && r.Method == http.MethodPut:
				return invalidTag(v)
			case name == "tag":
				return tagNotFound(v)
			case name == "id" && notFoundOf[collection] != "":
				return core.NotFoundError(notFoundOf[collection], v)
			default:
				return notFound()
			}
		}
		if err := queryText(r.URL.RawQuery); err != nil {
			return err
		}
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
			if err != nil {
				return badRequest("Body contains invalid data")
			}
			if err := bodyText(raw); err != nil {
				return err
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
		}
		return h(w, r)
	}
}

// queryText checks every name and value of a query string.
func queryText(raw string) error {
	if raw == "" {
		return nil
	}
	// Pairs with bad escapes are dropped, as by (*url.URL).Query.
	v, _ := url.ParseQuery(raw)
	for k, vals := range v {
		if !core.ValidText(k) {
			return core.InvalidText("a query parameter name")
		}
		for _, s := range vals {
			if !core.ValidText(s) {
				return core.InvalidText("the value of query parameter '" + k + "'")
			}
		}
	}
	return nil
}

// bodyText checks a JSON body's text before it is decoded, since
// encoding/json would turn bytes that are not UTF-8, and escaped UTF-16
// surrogates that pair with nothing, into U+FFFD: the raw bytes must be
// UTF-8 and no string may hold an escaped NUL (\u0000) or unpaired
// surrogate. A backslash only occurs in strings of valid JSON.
func bodyText(raw []byte) error {
	if !utf8.Valid(raw) {
		return badRequest("Body contains invalid data: it is not UTF-8 text")
	}
	for i := bytes.IndexByte(raw, '\\'); i >= 0 && i+1 < len(raw); {
		next := i + 2 // past the escape
		if raw[i+1] == 'u' {
			r, ok := hex4(raw[i+2:])
			switch {
			case !ok:
				// Not JSON: decoding refuses it.
			case r == 0:
				return badRequest(`Body contains invalid data: a string holds a NUL character (\u0000)`)
			case utf16.IsSurrogate(r):
				low, ok := rune(0), false
				if r < 0xdc00 && bytes.HasPrefix(raw[i+6:], []byte(`\u`)) {
					low, ok = hex4(raw[i+8:])
				}
				if !ok || low < 0xdc00 || low > 0xdfff {
					return badRequest(`Body contains invalid data: a string holds an unpaired UTF-16 surrogate (\u%04x)`, r)
				}
				next = i + 12
			default:
				next = i + 6
			}
		}
		j := bytes.IndexByte(raw[min(next, len(raw)):], '\\')
		if j < 0 {
			break
		}
		i = min(next, len(raw)) + j
	}
	return nil
}

// hex4 decodes the four hex digits b starts with.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// invalidTag is the error of a tag that cannot be added, as checkTag's.
func invalidTag(t string) error {
	return badRequest("Invalid input for tags. Reason: '%s' is not a valid tag.", t)
}
