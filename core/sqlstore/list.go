package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// valueKind says how filter values of an attribute convert.
type valueKind int

const (
	kindString valueKind = iota
	kindBool
	kindInt
	kindAddr   // an IP address, compared in canonical form ("" = none)
	kindPrefix // a CIDR, compared in canonical form
	kindMAC    // a MAC address, compared lower-case
)

// attr is one filterable or sortable attribute of a resource.
type attr struct {
	col    string // SQL expression
	kind   valueKind
	filter bool
	sort   bool
}

// filterGroup handles filter keys that combine into one condition (the
// provider attributes of a network must hold on the same segment).
type filterGroup struct {
	keys  []string
	build func(w *where, values map[string][]string) error
}

// listSpec describes how a resource is listed.
type listSpec struct {
	from     string // table and alias, e.g. "networks n"
	alias    string
	tagType  string // resource type in the tags table; "" when untaggable
	attrs    map[string]attr
	groups   []filterGroup
	scope    string // condition with one '?' for ProjectScope; "" if none
	notFound func(id string) error
}

// Names of the tag filters.
const (
	filterTags       = "tags"
	filterTagsAny    = "tags-any"
	filterNotTags    = "not-tags"
	filterNotTagsAny = "not-tags-any"
)

// where accumulates the conditions of a query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "col IN (values)".
func (w *where) in(col string, values []any) {
	switch len(values) {
	case 0:
		w.add("1 = 0")
	case 1:
		w.add(col+" = ?", values[0])
	default:
		w.add(col+" IN ("+placeholders(len(values))+")", values...)
	}
}

// listQuery is a built listing query.
type listQuery struct {
	sql     string
	args    []any
	reverse bool // PageReverse: the rows come in reverse and must be flipped
	whole   bool // the query returns every row of the table
}

// sortKey is one resolved ORDER BY term.
type sortKey struct {
	col  string
	desc bool
}

// buildList turns opts into one SELECT of cols: every filter, the project
// scope, the order and the keyset condition of the marker are SQL.
func (t *tx) buildList(ctx context.Context, spec *listSpec, cols string, opts *core.ListOptions) (listQuery, error) {
	if opts == nil {
		opts = &core.ListOptions{}
	}
	var w where
	if err := spec.filter(&w, opts.Filters); err != nil {
		return listQuery{}, err
	}
	if opts.ProjectScope != "" && spec.scope != "" {
		w.add(spec.scope, opts.ProjectScope)
	}
	keys, err := spec.sortKeys(opts.Sorts)
	if err != nil {
		return listQuery{}, err
	}
	if opts.PageReverse {
		for i := range keys {
			keys[i].desc = !keys[i].desc
		}
	}
	if opts.Marker != "" {
		if err := t.keyset(ctx, spec, keys, opts.Marker, &w); err != nil {
			return listQuery{}, err
		}
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(cols)
	b.WriteString(" FROM ")
	b.WriteString(spec.from)
	if len(w.conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(w.conds, " AND "))
	}
	b.WriteString(" ORDER BY ")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k.col)
		if k.desc {
			b.WriteString(" DESC")
		}
	}
	args := w.args
	if opts.Limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, opts.Limit)
	}
	return listQuery{
		sql:     b.String(),
		args:    args,
		reverse: opts.PageReverse,
		whole:   len(w.conds) == 0 && opts.Limit <= 0,
	}, nil
}

// filter adds the conditions of filters to w.
func (spec *listSpec) filter(w *where, filters map[string][]string) error {
	keys := make([]string, 0, len(filters))
	for k := range filters {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	grouped := map[int]map[string][]string{}
keys:
	for _, key := range keys {
		values := filters[key]
		for gi, g := range spec.groups {
			if slices.Contains(g.keys, key) {
				if grouped[gi] == nil {
					grouped[gi] = map[string][]string{}
				}
				grouped[gi][key] = values
				continue keys
			}
		}
		switch key {
		case filterTags, filterTagsAny, filterNotTags, filterNotTagsAny:
			if spec.tagType == "" {
				return invalidFilter(key)
			}
			spec.tagFilter(w, key, values)
			continue
		}
		a, ok := spec.attrs[key]
		if !ok || !a.filter {
			return invalidFilter(key)
		}
		converted, err := convertValues(key, a.kind, values)
		if err != nil {
			return err
		}
		w.in(a.col, converted)
	}
	for gi, g := range spec.groups {
		if values, ok := grouped[gi]; ok {
			if err := g.build(w, values); err != nil {
				return err
			}
		}
	}
	return nil
}

func invalidFilter(key string) error {
	return core.InvalidFilter(key)
}

// convertValues converts the string values of a filter by the attribute's
// kind.
func convertValues(key string, kind valueKind, values []string) ([]any, error) {
	out := make([]any, len(values))
	for i, v := range values {
		c, err := convertValue(key, kind, v)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func convertValue(key string, kind valueKind, v string) (any, error) {
	switch kind {
	case kindBool:
		b, ok := parseBool(v)
		if !ok {
			return nil, core.InvalidInput("'%s' cannot be converted to boolean for filter %s", v, key)
		}
		return b, nil
	case kindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, core.InvalidInput("'%s' is not an integer for filter %s", v, key)
		}
		return n, nil
	case kindAddr:
		if v == "" {
			return "", nil
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, core.InvalidInput("'%s' is not a valid IP address for filter %s", v, key)
		}
		return addrText(a), nil
	case kindPrefix:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return nil, core.InvalidInput("'%s' is not a valid CIDR for filter %s", v, key)
		}
		return p.String(), nil
	case kindMAC:
		hw, err := net.ParseMAC(v)
		if err != nil {
			return nil, core.InvalidInput("'%s' is not a valid MAC address for filter %s", v, key)
		}
		return hw.String(), nil
	}
	return v, nil
}

// tagFilter adds a tags, tags-any, not-tags or not-tags-any condition.
// Values may be comma-separated lists, as in the API.
func (spec *listSpec) tagFilter(w *where, key string, values []string) {
	var tags []string
	for _, v := range values {
		for tag := range strings.SplitSeq(v, ",") {
			if tag = strings.TrimSpace(tag); tag != "" && !slices.Contains(tags, tag) {
				tags = append(tags, tag)
			}
		}
	}
	if len(tags) == 0 {
		return
	}
	has := "EXISTS (SELECT 1 FROM tags g WHERE g.resource_type = ? AND g.resource_id = " + spec.alias + ".id AND g.tag "
	switch key {
	case filterTags, filterNotTags:
		conds := make([]string, len(tags))
		args := make([]any, 0, 2*len(tags))
		for i, tag := range tags {
			conds[i] = has + "= ?)"
			args = append(args, spec.tagType, tag)
		}
		cond := "(" + strings.Join(conds, " AND ") + ")"
		if key == filterNotTags {
			cond = "NOT " + cond
		}
		w.add(cond, args...)
	default:
		args := make([]any, 0, 1+len(tags))
		args = append(args, spec.tagType)
		for _, tag := range tags {
			args = append(args, tag)
		}
		cond := has + "IN (" + placeholders(len(tags)) + "))"
		if key == filterNotTagsAny {
			cond = "NOT " + cond
		}
		w.add(cond, args...)
	}
}

// sortKeys resolves the requested order and appends "id" ascending.
func (spec *listSpec) sortKeys(sorts []core.SortKey) ([]sortKey, error) {
	keys := make([]sortKey, 0, len(sorts)+1)
	idCol := spec.alias + ".id"
	for _, s := range sorts {
		a, ok := spec.attrs[s.Field]
		if !ok || !a.sort {
			return nil, core.InvalidSortKey(s.Field)
		}
		if slices.ContainsFunc(keys, func(k sortKey) bool { return k.col == a.col }) {
			continue
		}
		keys = append(keys, sortKey{col: a.col, desc: s.Desc})
	}
	if !slices.ContainsFunc(keys, func(k sortKey) bool { return k.col == idCol }) {
		keys = append(keys, sortKey{col: idCol})
	}
	return keys, nil
}

// keyset adds the condition selecting the rows after the marker in the
// order of keys: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ..., with < for
// descending keys.
func (t *tx) keyset(ctx context.Context, spec *listSpec, keys []sortKey, marker string, w *where) error {
	cols := make([]string, len(keys))
	for i, k := range keys {
		cols[i] = k.col
	}
	vals := make([]any, len(keys))
	ptrs := make([]any, len(keys))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := t.queryRow(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+spec.from+" WHERE "+spec.alias+".id = ?", marker).Scan(ptrs...)
	if errors.Is(err, sql.ErrNoRows) {
		return spec.notFound(marker)
	}
	if err != nil {
		return wrap("read marker", err)
	}
	var ors []string
	var args []any
	for i, k := range keys {
		var and []string
		for j := range i {
			and = append(and, keys[j].col+" = ?")
			args = append(args, vals[j])
		}
		op := " > ?"
		if k.desc {
			op = " < ?"
		}
		and = append(and, k.col+op)
		args = append(args, vals[i])
		ors = append(ors, "("+strings.Join(and, " AND ")+")")
	}
	w.add("("+strings.Join(ors, " OR ")+")", args...)
	return nil
}
