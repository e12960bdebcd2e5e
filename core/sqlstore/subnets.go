package sqlstore

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/ml2go/ml2go/core"
)

// subnetRow is the shape of a subnet row, read by subnetFromRow in this
// order.
var subnetRow = newShape("s",
	"id", "project_id", "name", "description", "created_at", "updated_at", "revision_number", "network_id",
	"ip_version", "cidr", "gateway_ip", "allocation_pools", "dns_nameservers", "host_routes",
	"enable_dhcp", "ipv6_ra_mode", "ipv6_address_mode", "segment_id", "subnetpool_id", "service_types",
	"extra", "tags")

// subnetFromRow decodes one subnet row.
func subnetFromRow(r rowReader, maps mapCache) (*core.Subnet, error) {
	s := &core.Subnet{
		Standard: core.Standard{
			ID: r.str(), ProjectID: r.str(), Name: r.str(), Description: r.str(),
			CreatedAt: fromUnix(r.int()), UpdatedAt: fromUnix(r.int()), RevisionNumber: r.int(),
		},
		NetworkID: r.str(), IPVersion: int(r.int()),
	}
	cidr, gateway, pools, dns, routes := r.str(), r.str(), r.str(), r.str(), r.str()
	s.EnableDHCP, s.IPv6RAMode, s.IPv6AddressMode, s.SegmentID, s.SubnetPoolID = r.bool(), r.str(), r.str(), r.str(), r.str()
	serviceTypes := r.str()
	s.Extra = r.jsonMap(maps)
	s.Tags = r.strs()
	if err := r.failed(); err != nil {
		return nil, err
	}
	var err error
	if s.CIDR, err = parsePrefix(cidr); err != nil {
		return nil, err
	}
	if s.GatewayIP, err = parseAddr(gateway); err != nil {
		return nil, err
	}
	if s.AllocationPools, err = decodePools(pools); err != nil {
		return nil, err
	}
	if s.DNSNameservers, err = decodeAddrs(dns); err != nil {
		return nil, err
	}
	if s.HostRoutes, err = decodeRoutes(routes); err != nil {
		return nil, err
	}
	if s.ServiceTypes, err = decodeJSON[string](serviceTypes); err != nil {
		return nil, err
	}
	return s, nil
}

// subnetValues are the stored forms of a subnet's structured attributes.
type subnetValues struct {
	pools, dns, routes, serviceTypes, extra, tags string
}

func encodeSubnet(s *core.Subnet) (v subnetValues, err error) {
	if v.pools, err = encodePools(s.AllocationPools); err != nil {
		return v, err
	}
	if v.dns, err = encodeAddrs(s.DNSNameservers); err != nil {
		return v, err
	}
	if v.routes, err = encodeRoutes(s.HostRoutes); err != nil {
		return v, err
	}
	if v.serviceTypes, err = encodeJSON(s.ServiceTypes); err != nil {
		return v, err
	}
	if v.extra, err = encodeMap(s.Extra); err != nil {
		return v, err
	}
	v.tags, err = tagList(&s.Tags)
	return v, err
}

// CreateSubnet inserts s with its tags, setting CreatedAt, UpdatedAt and
// RevisionNumber (0). An unknown network is NetworkNotFound.
func (t *tx) CreateSubnet(ctx context.Context, s *core.Subnet) error {
	if s.ID == "" {
		s.ID = uuid.NewString()
	}
	v, err := encodeSubnet(s)
	if err != nil {
		return err
	}
	now := t.s.now()
	added, err := t.execCount(ctx, `INSERT INTO subnets (id, project_id, name, description, created_at, updated_at,
		revision_number, network_id, ip_version, cidr, gateway_ip, allocation_pools, dns_nameservers, host_routes,
		enable_dhcp, ipv6_ra_mode, ipv6_address_mode, segment_id, subnetpool_id, service_types, extra, tags)
		SELECT ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE EXISTS (SELECT 1 FROM networks WHERE id = ?)
		ON CONFLICT DO NOTHING`,
		s.ID, s.ProjectID, s.Name, s.Description, now.Unix(), now.Unix(),
		s.NetworkID, s.IPVersion, prefixText(s.CIDR), addrText(s.GatewayIP), v.pools, v.dns, v.routes,
		s.EnableDHCP, s.IPv6RAMode, s.IPv6AddressMode, s.SegmentID, s.SubnetPoolID, v.serviceTypes, v.extra,
		v.tags, s.NetworkID)
	if err != nil {
		return wrap("create subnet", err)
	}
	if added == 0 {
		if ok, err := t.exists(ctx, `SELECT 1 FROM networks WHERE id = ?`, s.NetworkID); err != nil {
			return wrap("create subnet", err)
		} else if !ok {
			return core.NetworkNotFound(s.NetworkID)
		}
		return core.DuplicateEntry("subnet", "id")
	}
	if err := t.setTags(ctx, tagSubnets, s.ID, s.Tags, false); err != nil {
		return err
	}
	s.CreatedAt, s.UpdatedAt, s.RevisionNumber = now, now, 0
	return nil
}

// GetSubnet returns one subnet with its tags.
func (t *tx) GetSubnet(ctx context.Context, id string) (*core.Subnet, error) {
	var s *core.Subnet
	err := t.eachRow(ctx, `SELECT `+t.s.rowExpr(subnetRow)+` FROM subnets s WHERE s.id = ?`, []any{id},
		func(r rowReader) (err error) {
			s, err = subnetFromRow(r, mapCache{})
			return err
		})
	if err != nil {
		return nil, wrap("get subnet", err)
	}
	if s == nil {
		return nil, core.SubnetNotFound(id)
	}
	return s, nil
}

// UpdateSubnet writes s's attributes (all but its network, IP version and
// CIDR) and tags if its revision is still s.RevisionNumber, then increments
// s.RevisionNumber and sets UpdatedAt.
func (t *tx) UpdateSubnet(ctx context.Context, s *core.Subnet) error {
	v, err := encodeSubnet(s)
	if err != nil {
		return err
	}
	now := t.s.now()
	changed, err := t.execCount(ctx, `UPDATE subnets SET name = ?, description = ?, gateway_ip = ?,
		allocation_pools = ?, dns_nameservers = ?, host_routes = ?, enable_dhcp = ?, ipv6_ra_mode = ?,
		ipv6_address_mode = ?, segment_id = ?, subnetpool_id = ?, service_types = ?, extra = ?, tags = ?,
		updated_at = ?,
		revision_number = revision_number + 1
		WHERE id = ? AND revision_number = ?`,
		s.Name, s.Description, addrText(s.GatewayIP), v.pools, v.dns, v.routes, s.EnableDHCP, s.IPv6RAMode,
		s.IPv6AddressMode, s.SegmentID, s.SubnetPoolID, v.serviceTypes, v.extra, v.tags, now.Unix(),
		s.ID, s.RevisionNumber)
	if err != nil {
		return wrap("update subnet", err)
	}
	if changed == 0 {
		return t.casFailure(ctx, "subnets", "subnet", s.ID, s.RevisionNumber, core.SubnetNotFound)
	}
	if err := t.setTags(ctx, tagSubnets, s.ID, s.Tags, true); err != nil {
		return err
	}
	s.RevisionNumber++
	s.UpdatedAt = now
	return nil
}

// DeleteSubnet deletes a subnet and its tags. A subnet that still has IP
// allocations is SubnetInUse: the orchestrator releases them first.
func (t *tx) DeleteSubnet(ctx context.Context, id string) error {
	inUse, err := t.exists(ctx, `SELECT 1 FROM ip_allocations WHERE subnet_id = ? LIMIT 1`, id)
	if err != nil {
		return wrap("delete subnet", err)
	}
	if inUse {
		return core.SubnetInUse(id)
	}
	if err := t.deleteTags(ctx, tagSubnets, id); err != nil {
		return err
	}
	deleted, err := t.execCount(ctx, `DELETE FROM subnets WHERE id = ?`, id)
	if err != nil {
		return wrap("delete subnet", err)
	}
	if deleted == 0 {
		return core.SubnetNotFound(id)
	}
	return nil
}

// ListSubnets lists subnets with their tags; filtering, sorting and
// pagination happen in SQL.
func (t *tx) ListSubnets(ctx context.Context, opts *core.ListOptions) ([]*core.Subnet, error) {
	q, err := t.buildList(ctx, &subnetSpec, t.s.rowExpr(subnetRow), opts)
	if err != nil {
		return nil, err
	}
	out := []*core.Subnet{}
	maps := mapCache{}
	err = t.eachRow(ctx, q.sql, q.args, func(r rowReader) error {
		s, err := subnetFromRow(r, maps)
		if err == nil {
			out = append(out, s)
		}
		return err
	})
	if err != nil {
		return nil, wrap("list subnets", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	if q.reverse {
		slices.Reverse(out)
	}
	return out, nil
}

// subnetSpec lists subnets.
var subnetSpec = listSpec{
	from:    "subnets s",
	alias:   "s",
	tagType: tagSubnets,
	attrs: map[string]attr{
		"id":                {col: "s.id", filter: true, sort: true},
		"name":              {col: "s.name", filter: true, sort: true},
		"description":       {col: "s.description", filter: true, sort: true},
		"project_id":        {col: "s.project_id", filter: true, sort: true},
		"tenant_id":         {col: "s.project_id", filter: true, sort: true},
		"network_id":        {col: "s.network_id", filter: true, sort: true},
		"ip_version":        {col: "s.ip_version", kind: kindInt, filter: true, sort: true},
		"cidr":              {col: "s.cidr", kind: kindPrefix, filter: true, sort: true},
		"gateway_ip":        {col: "s.gateway_ip", kind: kindAddr, filter: true, sort: true},
		"enable_dhcp":       {col: "s.enable_dhcp", kind: kindBool, filter: true, sort: true},
		"ipv6_ra_mode":      {col: "s.ipv6_ra_mode", filter: true, sort: true},
		"ipv6_address_mode": {col: "s.ipv6_address_mode", filter: true, sort: true},
		"segment_id":        {col: "s.segment_id", filter: true, sort: true},
		"subnetpool_id":     {col: "s.subnetpool_id", filter: true, sort: true},
		"revision_number":   {col: "s.revision_number", kind: kindInt, filter: true, sort: true},
		"created_at":        {col: "s.created_at", kind: kindInt, sort: true},
		"updated_at":        {col: "s.updated_at", kind: kindInt, sort: true},
	},
	scope:    "(s.project_id = ? OR EXISTS (SELECT 1 FROM networks n WHERE n.id = s.network_id AND n.shared))",
	notFound: core.SubnetNotFound,
}
