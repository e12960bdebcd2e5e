package sqlstore

import (
	"context"
	"slices"
)

// Resource types in the tags table.
const (
	tagNetworks = "networks"
	tagSubnets  = "subnets"
	tagPorts    = "ports"
)

// setTags stores the tags of a resource; replace first deletes the ones it
// had.
func (t *tx) setTags(ctx context.Context, rtype, id string, tags []string, replace bool) error {
	if replace {
		if _, err := t.exec(ctx, `DELETE FROM tags WHERE resource_type = ? AND resource_id = ?`, rtype, id); err != nil {
			return wrap("delete tags", err)
		}
	}
	if len(tags) == 0 {
		return nil
	}
	uniq := slices.Clone(tags)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	q := make([]byte, 0, 64+len(uniq)*12)
	q = append(q, "INSERT INTO tags (resource_type, resource_id, tag) VALUES "...)
	args := make([]any, 0, 3*len(uniq))
	for i, tag := range uniq {
		if i > 0 {
			q = append(q, ", "...)
		}
		q = append(q, "(?, ?, ?)"...)
		args = append(args, rtype, id, tag)
	}
	q = append(q, " ON CONFLICT DO NOTHING"...)
	if _, err := t.exec(ctx, string(q), args...); err != nil {
		return wrap("insert tags", err)
	}
	return nil
}

// deleteTags removes every tag of a resource.
func (t *tx) deleteTags(ctx context.Context, rtype, id string) error {
	_, err := t.exec(ctx, `DELETE FROM tags WHERE resource_type = ? AND resource_id = ?`, rtype, id)
	return wrap("delete tags", err)
}

// loadTags reads the sorted tags of the resources in set, which pos
// indexes.
func (t *tx) loadTags(ctx context.Context, rtype string, set idSet, pos map[string]int) (*grouped[string], error) {
	cond, args, err := t.inSet("resource_id", set)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, `SELECT resource_id, tag FROM tags WHERE resource_type = ? AND `+cond+` ORDER BY resource_id, tag`,
		append([]any{rtype}, args...)...)
	if err != nil {
		return nil, wrap("load tags", err)
	}
	defer rows.Close()
	out := newGrouped[string](pos)
	var id, tag string
	for rows.Next() {
		if err := rows.Scan(&id, &tag); err != nil {
			return nil, wrap("load tags", err)
		}
		out.add(id, tag)
	}
	return out, wrap("load tags", rows.Err())
}
