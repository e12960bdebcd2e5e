package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/reference/auth"
)

// caller is who a request runs as.
type caller struct {
	project string
	admin   bool
}

// callerOf reads the request's identity; the API always runs behind an
// authentication middleware, which puts one there.
func callerOf(r *http.Request) *caller {
	c, ok := auth.FromContext(r.Context())
	if !ok {
		return &caller{}
	}
	return &caller{project: c.ProjectID, admin: c.IsAdmin}
}

// scope is the ListOptions.ProjectScope of the caller's listings.
func (c *caller) scope() string {
	if c.admin {
		return ""
	}
	if c.project == "" {
		// A token without a project sees nothing of any project.
		return "\x00"
	}
	return c.project
}

// owns reports whether the caller may change a resource of project.
func (c *caller) owns(project string) bool { return c.admin || c.project == project }

// Reserved query parameters of listings; everything else is a filter.
var reserved = map[string]bool{
	"fields": true, "sort_key": true, "sort_dir": true, "limit": true, "marker": true, "page_reverse": true,
}

// query is a parsed listing (or show) query.
type query struct {
	opts   core.ListOptions
	fields map[string]bool // nil: all
}

// parseQuery reads fields, filters, sorting and pagination.
func parseQuery(r *http.Request, c *caller) (*query, error) {
	v := r.URL.Query()
	q := &query{fields: fieldsOf(v)}
	q.opts.ProjectScope = c.scope()
	for k, vals := range v {
		if reserved[k] {
			continue
		}
		if q.opts.Filters == nil {
			q.opts.Filters = map[string][]string{}
		}
		q.opts.Filters[k] = vals
	}
	keys, dirs := v["sort_key"], v["sort_dir"]
	if len(dirs) > 0 && len(keys) != len(dirs) {
		return nil, badRequest("The number of sort_keys and sort_dirs must be same")
	}
	for i, k := range keys {
		desc := false
		if len(dirs) > 0 {
			switch strings.ToLower(dirs[i]) {
			case "asc":
			case "desc":
				desc = true
			default:
				return nil, badRequest("%s is invalid value for sort_dir", dirs[i])
			}
		}
		q.opts.Sorts = append(q.opts.Sorts, core.SortKey{Field: k, Desc: desc})
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return nil, core.BadRequest("limit", "Limit must be an integer 0 or greater and not '%s'", l)
		}
		q.opts.Limit = n
	}
	q.opts.Marker = v.Get("marker")
	if p := v.Get("page_reverse"); p != "" {
		b, err := strconv.ParseBool(p)
		if err != nil {
			return nil, core.InvalidInput("'%s' cannot be converted to boolean", p)
		}
		q.opts.PageReverse = b
	}
	return q, nil
}

// fieldsOf returns the requested fields, without empty values; nil means
// all.
func fieldsOf(v url.Values) map[string]bool {
	var out map[string]bool
	for _, f := range v["fields"] {
		if f = strings.TrimSpace(f); f != "" {
			if out == nil {
				out = map[string]bool{}
			}
			out[f] = true
		}
	}
	return out
}

// links returns the pagination links of a page of n items from first to
// last, as Neutron's get_pagination_links: next unless a forward page came
// back short, previous unless a reverse page did.
func links(r *http.Request, opts *core.ListOptions, first, last string, n int) []map[string]string {
	short := n < opts.Limit
	out := []map[string]string{}
	if !(short && !opts.PageReverse) {
		out = append(out, map[string]string{"rel": "next", "href": pageURL(r, last, false)})
	}
	if !(short && opts.PageReverse) {
		out = append(out, map[string]string{"rel": "previous", "href": pageURL(r, first, true)})
	}
	return out
}

// pageURL is the request's URL with marker (and page_reverse) replaced,
// keeping the order of the other parameters.
func pageURL(r *http.Request, marker string, reverse bool) string {
	var parts []string
	for p := range strings.SplitSeq(r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(p, "=")
		if k, err := url.QueryUnescape(k); p == "" || err == nil && (k == "marker" || k == "page_reverse") {
			continue
		}
		parts = append(parts, p)
	}
	parts = append(parts, "marker="+url.QueryEscape(marker))
	if reverse {
		parts = append(parts, "page_reverse=True")
	}
	return baseURL(r) + r.URL.Path + "?" + strings.Join(parts, "&")
}
