package api

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ipam"
	"github.com/ml2go/ml2go/core/ml2"
)

var subnetResource = &resource{
	name: "subnet", collection: "subnets",
	attrs: map[string]attr{
		"id": {}, "created_at": {}, "updated_at": {}, "revision_number": {}, "tags": {},
		"name":              {post: true, put: true},
		"description":       {post: true, put: true},
		"tenant_id":         {post: true},
		"project_id":        {post: true},
		"network_id":        {post: true, required: true},
		"ip_version":        {post: true, required: true},
		"cidr":              {post: true},
		"subnetpool_id":     {post: true},
		"gateway_ip":        {post: true, put: true},
		"allocation_pools":  {post: true, put: true},
		"dns_nameservers":   {post: true, put: true},
		"host_routes":       {post: true, put: true},
		"enable_dhcp":       {post: true, put: true},
		"ipv6_ra_mode":      {post: true},
		"ipv6_address_mode": {post: true},
		"segment_id":        {post: true, put: true},
		"service_types":     {post: true, put: true},
	},
}

func (a *API) subnetKind() *kind[core.Subnet] {
	return &kind[core.Subnet]{
		res:     subnetResource,
		extra:   a.extAttrs["subnets"],
		id:      func(s *core.Subnet) string { return s.ID },
		project: func(s *core.Subnet) string { return s.ProjectID },
		view:    func(o *obj, s *core.Subnet, _ *caller) { subnetView(o, s) },
		get:     a.visibleSubnet,
		list: func(ctx context.Context, c *caller, opts *core.ListOptions) ([]*core.Subnet, error) {
			return a.plugin.ListSubnets(ctx, opts)
		},
		create:     createOne(a.subnetCreate, a.plugin.CreateSubnet),
		createBulk: createMany(a.subnetCreate, a.plugin.CreateSubnets),
		update: func(ctx context.Context, c *caller, id string, b body, rev *int64) (*core.Subnet, error) {
			req, err := a.subnetRequest(b, c, false)
			if err != nil {
				return nil, err
			}
			req.IfRevision = rev
			return a.plugin.UpdateSubnet(ctx, id, req)
		},
		delete: func(ctx context.Context, c *caller, id string) error { return a.plugin.DeleteSubnet(ctx, id) },
		authorize: func(ctx context.Context, c *caller, s *core.Subnet, action string, b body) error {
			action += "_subnet"
			t := &target{owner: s.ProjectID == c.project}
			if needsNetwork(action, b, t.owner) {
				n, err := a.plugin.GetNetwork(ctx, s.NetworkID)
				if err != nil {
					return err
				}
				t.network = n
			}
			return authorize(c, action, b, t)
		},
	}
}

// subnetCreate converts and authorizes the body of a subnet create.
func (a *API) subnetCreate(ctx context.Context, c *caller, b body) (*ml2.SubnetRequest, error) {
	req, err := a.subnetRequest(b, c, true)
	if err != nil {
		return nil, err
	}
	n, err := a.attachable(ctx, c, req.NetworkID, req.ProjectID, "subnet")
	if err != nil {
		return nil, err
	}
	if err := authorize(c, "create_subnet", b, &target{owner: true, network: n}); err != nil {
		return nil, err
	}
	return req, nil
}

func (a *API) subnetRoutes(handle func(string, handlerFunc)) {
	routes(a, handle, a.subnetKind(), func(s *core.Subnet) int64 { return s.RevisionNumber })
}

// visibleSubnet returns a subnet the caller may see: its own, or one of a
// shared network. The subnets of an external network that is not shared
// are not another project's to see.
func (a *API) visibleSubnet(ctx context.Context, c *caller, id string) (*core.Subnet, error) {
	s, err := a.plugin.GetSubnet(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.admin || s.ProjectID == c.project {
		return s, nil
	}
	n, err := a.plugin.GetNetwork(ctx, s.NetworkID)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if err == nil && n.Shared {
		return s, nil
	}
	return nil, core.SubnetNotFound(id)
}

// attachable checks that a non-admin may put a subnet or port of project
// on the network, and returns the network, which the caller's policy
// check needs (nil for admins, who need nothing of it): an invisible
// network is NetworkNotFound, a visible one that is neither shared nor
// the project's a 403.
func (a *API) attachable(ctx context.Context, c *caller, networkID, project, what string) (*core.Network, error) {
	if c.admin {
		return nil, nil
	}
	n, err := a.visibleNetwork(ctx, c, networkID)
	if err != nil {
		return nil, err
	}
	if !n.Shared && n.ProjectID != project {
		return nil, forbidden("Tenant %s not allowed to create %s on this network", project, what)
	}
	return n, nil
}

// subnetRequest converts a subnet body.
func (a *API) subnetRequest(b body, c *caller, create bool) (*ml2.SubnetRequest, error) {
	req := &ml2.SubnetRequest{}
	var err error
	if create {
		if req.ProjectID, err = project(b, c); err != nil {
			return nil, err
		}
		if req.NetworkID, err = uuidAttr(b, "network_id"); err != nil {
			return nil, err
		}
		v, err := integer(b, "ip_version")
		if err != nil {
			return nil, err
		}
		if v != 4 && v != 6 {
			return nil, invalidAttr("ip_version", "%d is not in [4, 6]", v)
		}
		req.IPVersion = int(v)
		if b.has("subnetpool_id") && !b.isNull("subnetpool_id") {
			return nil, core.BadRequest("subnets", "subnet pools are not supported")
		}
		if !b.has("cidr") || b.isNull("cidr") {
			return nil, core.BadRequest("subnets", "a subnetpool must be specified in the absence of a cidr")
		}
		cidr, err := str(b, "cidr", 0)
		if err != nil {
			return nil, err
		}
		if req.CIDR, err = ipam.ParseCIDR("cidr", cidr); err != nil {
			if _, aerr := netip.ParseAddr(cidr); aerr != nil {
				return nil, core.InvalidInput("%s is not in a CIDR format", cidr)
			}
			return nil, err
		}
		if req.IPv6RAMode, err = optMode(b, "ipv6_ra_mode"); err != nil {
			return nil, err
		}
		if req.IPv6AddressMode, err = optMode(b, "ipv6_address_mode"); err != nil {
			return nil, err
		}
	}
	if req.Name, err = strPtr(b, "name", 255); err != nil {
		return nil, err
	}
	if req.Description, err = strPtr(b, "description", 255); err != nil {
		return nil, err
	}
	if req.EnableDHCP, err = boolPtr(b, "enable_dhcp"); err != nil {
		return nil, err
	}
	if b.has("gateway_ip") {
		gw := netip.Addr{}
		if !b.isNull("gateway_ip") {
			s, err := str(b, "gateway_ip", 0)
			if err != nil {
				return nil, err
			}
			if gw, err = ipam.ParseIP("gateway_ip", s); err != nil {
				return nil, err
			}
		}
		req.GatewayIP = &gw
	}
	if b.has("allocation_pools") {
		pools, err := allocationPools(b)
		if err != nil {
			return nil, err
		}
		req.AllocationPools = &pools
	}
	if b.has("dns_nameservers") {
		var list []string
		if !b.isNull("dns_nameservers") {
			if err := jsonValue(b, "dns_nameservers", &list); err != nil {
				return nil, err
			}
		}
		addrs := []netip.Addr{}
		for _, s := range list {
			ip, err := ipam.ParseIP("dns_nameservers", s)
			if err != nil {
				return nil, err
			}
			addrs = append(addrs, ip)
		}
		req.DNSNameservers = &addrs
	}
	if b.has("host_routes") {
		routes, err := hostRoutes(b)
		if err != nil {
			return nil, err
		}
		req.HostRoutes = &routes
	}
	if b.has("segment_id") {
		id := ""
		if !b.isNull("segment_id") {
			if id, err = uuidAttr(b, "segment_id"); err != nil {
				return nil, err
			}
		}
		req.SegmentID = &id
	}
	if b.has("service_types") {
		var types []string
		if err := jsonValue(b, "service_types", &types); err != nil {
			return nil, err
		}
		req.ServiceTypes = &types
	}
	if req.Extensions, err = extensions(b, a.extAttrs["subnets"]); err != nil {
		return nil, err
	}
	return req, nil
}

// ipv6Modes are the values of ipv6_ra_mode and ipv6_address_mode.
var ipv6Modes = []string{"dhcpv6-stateful", "dhcpv6-stateless", "slaac"}

func optMode(b body, name string) (*string, error) {
	if !b.has(name) || b.isNull(name) {
		return nil, nil
	}
	s, err := str(b, name, 0)
	if err != nil {
		return nil, err
	}
	for _, m := range ipv6Modes {
		if s == m {
			return &s, nil
		}
	}
	return nil, invalidAttr(name, "'%s' is not in [%s]", s, "'"+strings.Join(ipv6Modes, "', '")+"'")
}

func allocationPools(b body) ([]core.IPRange, error) {
	var raw []map[string]string
	if err := json.Unmarshal(b["allocation_pools"], &raw); err != nil {
		return nil, invalidAttr("allocation_pools", "Invalid data format for IP pool: '%s'", display(b["allocation_pools"]))
	}
	pools := []core.IPRange{}
	for _, p := range raw {
		if len(p) != 2 || p["start"] == "" || p["end"] == "" {
			return nil, invalidAttr("allocation_pools", "Invalid data format for IP pool: '%v'", p)
		}
		start, err := ipam.ParseIP("allocation_pools", p["start"])
		if err != nil {
			return nil, err
		}
		end, err := ipam.ParseIP("allocation_pools", p["end"])
		if err != nil {
			return nil, err
		}
		pools = append(pools, core.IPRange{Start: start, End: end})
	}
	return pools, nil
}

func hostRoutes(b body) ([]core.HostRoute, error) {
	routes := []core.HostRoute{}
	if b.isNull("host_routes") {
		return routes, nil
	}
	var raw []map[string]string
	if err := json.Unmarshal(b["host_routes"], &raw); err != nil {
		return nil, invalidAttr("host_routes", "Invalid data format for hostroute: '%s'", display(b["host_routes"]))
	}
	for _, r := range raw {
		if len(r) != 2 || r["destination"] == "" || r["nexthop"] == "" {
			return nil, invalidAttr("host_routes", "Invalid data format for hostroute: '%v'", r)
		}
		dst, err := ipam.ParseCIDR("host_routes", r["destination"])
		if err != nil {
			return nil, err
		}
		hop, err := ipam.ParseIP("host_routes", r["nexthop"])
		if err != nil {
			return nil, err
		}
		routes = append(routes, core.HostRoute{Destination: dst, NextHop: hop})
	}
	return routes, nil
}
