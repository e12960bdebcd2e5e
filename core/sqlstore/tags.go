package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// Resource types in the tags table.
const (
	tagNetworks = "networks"
	tagSubnets  = "subnets"
	tagPorts    = "ports"
)

// tagList sorts *tags and drops duplicates, as they read back, and returns
// their stored form, the tags column: a JSON list.
func tagList(tags *[]string) (string, error) {
	if len(*tags) == 0 {
		return "[]", nil
	}
	*tags = uniqueTags(*tags)
	b, err := json.Marshal(*tags)
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode tags: %w", err)
	}
	return string(b), nil
}

// uniqueTags returns tags sorted, without duplicates.
func uniqueTags(tags []string) []string {
	uniq := slices.Clone(tags)
	slices.Sort(uniq)
	return slices.Compact(uniq)
}

// setTags stores the rows of a resource's tags in the tags table; replace
// first deletes the ones it had. tags are as tagList leaves them, sorted
// and unique: the resource's tags column is written with the resource.
func (t *tx) setTags(ctx context.Context, rtype, id string, tags []string, replace bool) error {
	if replace {
		if _, err := t.exec(ctx, `DELETE FROM tags WHERE resource_type = ? AND resource_id = ?`, rtype, id); err != nil {
			return wrap("delete tags", err)
		}
	}
	if len(tags) == 0 {
		return nil
	}
	q := make([]byte, 0, 64+len(tags)*12)
	q = append(q, "INSERT INTO tags (resource_type, resource_id, tag) VALUES "...)
	args := make([]any, 0, 3*len(tags))
	for i, tag := range tags {
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
