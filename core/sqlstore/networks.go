package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/ml2go/ml2go/core"
)

// networkRow is the shape of a network row, read by networkFromRow in
// this order. The network's static segments (as a JSON list of segment
// rows) and the ids of its subnets, in creation order, are computed with
// it: reading networks takes one query.
var networkRow = newShape("n",
	"id", "project_id", "name", "description", "created_at", "updated_at", "revision_number",
	"admin_state_up", "status", "shared", "external", "mtu", "vlan_transparent", "extra", "tags").
	computed(
		`(SELECT coalesce(json_agg(json_build_array(`+segmentRow.cols+`) ORDER BY g.seg_index, g.id), '[]')::text
			FROM segments g WHERE g.network_id = n.id AND NOT g.is_dynamic)`,
		`(SELECT json_group_array(json(g.row_json) ORDER BY g.seg_index, g.id)
			FROM segments g WHERE g.network_id = n.id AND NOT g.is_dynamic) || ''`).
	computed(
		`(SELECT coalesce(json_agg(s.id ORDER BY s.seq), '[]')::text FROM subnets s WHERE s.network_id = n.id)`,
		`(SELECT json_group_array(s.id ORDER BY s.seq) FROM subnets s WHERE s.network_id = n.id) || ''`)

// networkSubnetsRow is networkRow with the network's subnets, whole rows
// in creation order, computed after it.
var networkSubnetsRow = networkRow.computed(
	`(SELECT coalesce(json_agg(json_build_array(`+subnetRow.cols+`) ORDER BY s.seq), '[]')::text
		FROM subnets s WHERE s.network_id = n.id)`,
	`(SELECT json_group_array(json(s.row_json) ORDER BY s.seq) FROM subnets s WHERE s.network_id = n.id) || ''`)

// networkFromRow decodes one network row.
func networkFromRow(r rowReader, maps mapCache) *core.Network {
	n := &core.Network{
		Standard: core.Standard{
			ID: r.str(), ProjectID: r.str(), Name: r.str(), Description: r.str(),
			CreatedAt: fromUnix(r.int()), UpdatedAt: fromUnix(r.int()), RevisionNumber: r.int(),
		},
		AdminStateUp: r.bool(), Status: r.str(), Shared: r.bool(), External: r.bool(), MTU: int(r.int()),
		VLANTransparent: r.bool(), Extra: r.jsonMap(maps),
	}
	n.Tags = r.strs()
	r.rows(func(seg rowReader) { n.Segments = append(n.Segments, segmentFromRow(seg)) })
	n.Subnets = r.strs()
	return n
}

// CreateNetwork inserts n (not its segments) with its tags, setting
// CreatedAt, UpdatedAt and RevisionNumber (0). An empty ID is generated.
func (t *tx) CreateNetwork(ctx context.Context, n *core.Network) error {
	if n.ID == "" {
		n.ID = uuid.NewString()
	}
	extra, err := encodeMap(n.Extra)
	if err != nil {
		return err
	}
	tags, err := tagList(&n.Tags)
	if err != nil {
		return err
	}
	now := t.s.now()
	added, err := t.execCount(ctx, `INSERT INTO networks (id, project_id, name, description, created_at, updated_at,
		revision_number, admin_state_up, status, shared, external, mtu, vlan_transparent, extra, tags)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		n.ID, n.ProjectID, n.Name, n.Description, now.Unix(), now.Unix(),
		n.AdminStateUp, n.Status, n.Shared, n.External, n.MTU, n.VLANTransparent, extra, tags)
	if err != nil {
		return wrap("create network", err)
	}
	if added == 0 {
		return core.DuplicateEntry("network", "id")
	}
	if err := t.setTags(ctx, tagNetworks, n.ID, n.Tags, false); err != nil {
		return err
	}
	n.CreatedAt, n.UpdatedAt, n.RevisionNumber = now, now, 0
	return nil
}

// GetNetwork returns a network with its static segments, subnet ids and
// tags.
func (t *tx) GetNetwork(ctx context.Context, id string) (*core.Network, error) {
	if n, ok := t.nets[id]; ok {
		return n.Clone(), nil
	}
	var n *core.Network
	err := t.eachRow(ctx, `SELECT `+t.s.rowExpr(networkRow)+` FROM networks n WHERE n.id = ?`, []any{id},
		func(r rowReader) error {
			n = networkFromRow(r, mapCache{})
			return nil
		})
	if err != nil {
		return nil, wrap("get network", err)
	}
	if n == nil {
		return nil, core.NetworkNotFound(id)
	}
	if t.nets == nil {
		t.nets = map[string]*core.Network{}
	}
	t.nets[id] = n.Clone()
	return n, nil
}

// GetNetworkSubnets returns a network, as GetNetwork, and its subnets in
// creation order. On PostgreSQL that is one query, a round trip saved; on
// SQLite, where a statement costs no round trip and building JSON costs
// more than reading rows, it is GetNetwork and ListSubnets.
func (t *tx) GetNetworkSubnets(ctx context.Context, id string) (*core.Network, []*core.Subnet, error) {
	if t.s.engine == engineSQLite {
		n, err := t.GetNetwork(ctx, id)
		if err != nil || len(n.Subnets) == 0 {
			return n, nil, err
		}
		subnets, err := t.ListSubnets(ctx, &core.ListOptions{Filters: map[string][]string{"network_id": {id}},
			Sorts: []core.SortKey{{Field: "created_at"}}})
		if err != nil {
			return nil, nil, err
		}
		order := make(map[string]int, len(n.Subnets))
		for i, sid := range n.Subnets {
			order[sid] = i
		}
		slices.SortFunc(subnets, func(a, b *core.Subnet) int { return order[a.ID] - order[b.ID] })
		return n, subnets, nil
	}
	return t.networkSubnets(ctx, id, networkSubnetsRow, "", nil, nil)
}

// networkSubnets reads network id and its subnets on PostgreSQL, in one
// query whose row is shape: networkSubnetsRow, possibly with more
// computed fields, which read reads. from adds to the query's FROM
// clause; args are the parameters of shape and from.
func (t *tx) networkSubnets(ctx context.Context, id string, shape *rowShape, from string, args []any, read func(r rowReader)) (*core.Network, []*core.Subnet, error) {
	var n *core.Network
	var subnets []*core.Subnet
	err := t.eachRow(ctx, `SELECT `+t.s.rowExpr(shape)+` FROM networks n`+from+` WHERE n.id = ?`, append(args, id),
		func(r rowReader) error {
			maps := mapCache{}
			n = networkFromRow(r, maps)
			var serr error
			r.rows(func(sr rowReader) {
				s, err := subnetFromRow(sr, maps)
				if err != nil {
					serr = errors.Join(serr, err)
					return
				}
				subnets = append(subnets, s)
			})
			if read != nil {
				read(r)
			}
			return serr
		})
	if err != nil {
		return nil, nil, wrap("get network", err)
	}
	if n == nil {
		return nil, nil, core.NetworkNotFound(id)
	}
	if t.nets == nil {
		t.nets = map[string]*core.Network{}
	}
	t.nets[id] = n.Clone()
	return n, subnets, nil
}

// UpdateNetwork writes n's attributes and tags if its revision is still
// n.RevisionNumber, then increments n.RevisionNumber and sets UpdatedAt.
func (t *tx) UpdateNetwork(ctx context.Context, n *core.Network) error {
	extra, err := encodeMap(n.Extra)
	if err != nil {
		return err
	}
	tags, err := tagList(&n.Tags)
	if err != nil {
		return err
	}
	now := t.s.now()
	changed, err := t.execCount(ctx, `UPDATE networks SET name = ?, description = ?, admin_state_up = ?, status = ?,
		shared = ?, external = ?, mtu = ?, vlan_transparent = ?, extra = ?, tags = ?, updated_at = ?,
		revision_number = revision_number + 1
		WHERE id = ? AND revision_number = ?`,
		n.Name, n.Description, n.AdminStateUp, n.Status, n.Shared, n.External, n.MTU, n.VLANTransparent, extra,
		tags, now.Unix(), n.ID, n.RevisionNumber)
	if err != nil {
		return wrap("update network", err)
	}
	if changed == 0 {
		return t.casFailure(ctx, "networks", "network", n.ID, n.RevisionNumber, core.NetworkNotFound)
	}
	if err := t.setTags(ctx, tagNetworks, n.ID, n.Tags, true); err != nil {
		return err
	}
	n.RevisionNumber++
	n.UpdatedAt = now
	return nil
}

// casFailure explains an update that changed no row: the row is missing
// (notFound) or its revision moved on (a retriable conflict).
func (t *tx) casFailure(ctx context.Context, table, resource, id string, expected int64, notFound func(string) error) error {
	var current sqlInt
	err := t.queryRow(ctx, `SELECT revision_number FROM `+table+` WHERE id = ?`, id).Scan(&current)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(id)
	}
	if err != nil {
		return wrap("update "+resource, err)
	}
	return staleRevision(resource, id, expected, int64(current))
}

// DeleteNetwork deletes a network, its segments and tags. A network that
// still has ports is NetworkInUse, one that still has subnets a
// NetworkInUse conflict too: the orchestrator deletes them first.
func (t *tx) DeleteNetwork(ctx context.Context, id string) error {
	ports, err := t.strings(ctx, `SELECT id FROM ports WHERE network_id = ? ORDER BY id`, id)
	if err != nil {
		return wrap("delete network", err)
	}
	if len(ports) > 0 {
		return core.NetworkInUse(id, ports)
	}
	subnets, err := t.strings(ctx, `SELECT id FROM subnets WHERE network_id = ? ORDER BY seq`, id)
	if err != nil {
		return wrap("delete network", err)
	}
	if len(subnets) > 0 {
		return core.Typed(core.KindConflict, "NetworkInUse",
			"Unable to complete operation on network %s. There are one or more subnets still on the network: %v.", id, subnets)
	}
	if _, err := t.exec(ctx, `DELETE FROM segments WHERE network_id = ?`, id); err != nil {
		return wrap("delete network segments", err)
	}
	if err := t.deleteTags(ctx, tagNetworks, id); err != nil {
		return err
	}
	deleted, err := t.execCount(ctx, `DELETE FROM networks WHERE id = ?`, id)
	if err != nil {
		return wrap("delete network", err)
	}
	if deleted == 0 {
		return core.NetworkNotFound(id)
	}
	return nil
}

// ListNetworks lists networks with their static segments, subnet ids and
// tags; filtering, sorting and pagination happen in SQL.
func (t *tx) ListNetworks(ctx context.Context, opts *core.ListOptions) ([]*core.Network, error) {
	q, err := t.buildList(ctx, &networkSpec, t.s.rowExpr(networkRow), opts)
	if err != nil {
		return nil, err
	}
	out := []*core.Network{}
	maps := mapCache{}
	err = t.eachRow(ctx, q.sql, q.args, func(r rowReader) error {
		out = append(out, networkFromRow(r, maps))
		return nil
	})
	if err != nil {
		return nil, wrap("list networks", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	if q.reverse {
		slices.Reverse(out)
	}
	return out, nil
}

// networkSpec lists networks.
var networkSpec = listSpec{
	from:    "networks n",
	alias:   "n",
	tagType: tagNetworks,
	attrs: map[string]attr{
		"id":               {col: "n.id", filter: true, sort: true},
		"name":             {col: "n.name", filter: true, sort: true},
		"description":      {col: "n.description", filter: true, sort: true},
		"project_id":       {col: "n.project_id", filter: true, sort: true},
		"tenant_id":        {col: "n.project_id", filter: true, sort: true},
		"admin_state_up":   {col: "n.admin_state_up", kind: kindBool, filter: true, sort: true},
		"status":           {col: "n.status", filter: true, sort: true},
		"shared":           {col: "n.shared", kind: kindBool, filter: true, sort: true},
		"router:external":  {col: "n.external", kind: kindBool, filter: true, sort: true},
		"mtu":              {col: "n.mtu", kind: kindInt, filter: true, sort: true},
		"vlan_transparent": {col: "n.vlan_transparent", kind: kindBool, filter: true, sort: true},
		"revision_number":  {col: "n.revision_number", kind: kindInt, filter: true, sort: true},
		"created_at":       {col: "n.created_at", kind: kindInt, sort: true},
		"updated_at":       {col: "n.updated_at", kind: kindInt, sort: true},
	},
	groups: []filterGroup{{
		keys:  []string{"provider:network_type", "provider:physical_network", "provider:segmentation_id"},
		build: providerFilter,
	}},
	scope:    "(n.project_id = ? OR n.shared OR n.external)",
	notFound: core.NetworkNotFound,
}

// providerFilter matches networks with a static segment that satisfies
// every given provider attribute.
func providerFilter(w *where, values map[string][]string) error {
	var sub where
	sub.add("g.network_id = n.id")
	sub.add("NOT g.is_dynamic")
	for _, f := range []struct {
		key, col string
		kind     valueKind
	}{
		{"provider:network_type", "g.network_type", kindString},
		{"provider:physical_network", "g.physical_network", kindString},
		{"provider:segmentation_id", "g.segmentation_id", kindInt},
	} {
		vals, ok := values[f.key]
		if !ok {
			continue
		}
		converted, err := convertValues(f.key, f.kind, vals)
		if err != nil {
			return err
		}
		sub.in(f.col, converted)
	}
	w.add("EXISTS (SELECT 1 FROM segments g WHERE "+strings.Join(sub.conds, " AND ")+")", sub.args...)
	return nil
}
