package api

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/ml2go/ml2go/core"
)

// timeFormat is how standard attributes show times.
const timeFormat = "2006-01-02T15:04:05Z"

func timestamp(t time.Time) string { return t.UTC().Format(timeFormat) }

// nullable shows "" as null.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullableAddr shows the zero address as null.
func nullableAddr(a netip.Addr) any {
	if !a.IsValid() {
		return nil
	}
	return a.String()
}

// orEmpty shows a nil list as [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// standard adds the standard attributes to a view.
func standard(v map[string]any, s *core.Standard) {
	v["id"] = s.ID
	v["name"] = s.Name
	v["description"] = s.Description
	v["tenant_id"] = s.ProjectID
	v["project_id"] = s.ProjectID
	v["created_at"] = timestamp(s.CreatedAt)
	v["updated_at"] = timestamp(s.UpdatedAt)
	v["revision_number"] = s.RevisionNumber
	v["tags"] = orEmpty(s.Tags)
}

// extra adds the extension drivers' attributes from a resource's Extra.
func extra(v map[string]any, names []string, m map[string]any) {
	for _, n := range names {
		v[n] = m[n]
	}
}

// networkView shows a network; provider attributes only to admins.
func (a *API) networkView(n *core.Network, c *caller) map[string]any {
	v := map[string]any{
		"admin_state_up":          n.AdminStateUp,
		"status":                  n.Status,
		"subnets":                 orEmpty(n.Subnets),
		"shared":                  n.Shared,
		"router:external":         n.External,
		"mtu":                     n.MTU,
		"availability_zone_hints": []string{},
		"availability_zones":      []string{},
		"ipv4_address_scope":      nil,
		"ipv6_address_scope":      nil,
		"l2_adjacency":            true,
	}
	standard(v, &n.Standard)
	extra(v, a.extAttrs["networks"], n.Extra)
	if !c.admin {
		return v
	}
	switch len(n.Segments) {
	case 0:
		v["provider:network_type"], v["provider:physical_network"], v["provider:segmentation_id"] = nil, nil, nil
	case 1:
		for k, x := range providerView(n.Segments[0]) {
			v[k] = x
		}
	default:
		segs := make([]map[string]any, len(n.Segments))
		for i, s := range n.Segments {
			segs[i] = providerView(s)
		}
		v["segments"] = segs
	}
	return v
}

// providerView shows a segment as provider:* attributes.
func providerView(s core.Segment) map[string]any {
	var segID any
	if s.SegmentationID != 0 {
		segID = s.SegmentationID
	}
	return map[string]any{
		"provider:network_type":     s.NetworkType,
		"provider:physical_network": nullable(s.PhysicalNetwork),
		"provider:segmentation_id":  segID,
	}
}

// subnetView shows a subnet.
func subnetView(s *core.Subnet) map[string]any {
	pools := make([]map[string]string, len(s.AllocationPools))
	for i, p := range s.AllocationPools {
		pools[i] = map[string]string{"start": p.Start.String(), "end": p.End.String()}
	}
	routes := make([]map[string]string, len(s.HostRoutes))
	for i, r := range s.HostRoutes {
		routes[i] = map[string]string{"destination": r.Destination.String(), "nexthop": r.NextHop.String()}
	}
	dns := make([]string, len(s.DNSNameservers))
	for i, d := range s.DNSNameservers {
		dns[i] = d.String()
	}
	v := map[string]any{
		"network_id":        s.NetworkID,
		"ip_version":        s.IPVersion,
		"cidr":              s.CIDR.String(),
		"gateway_ip":        nullableAddr(s.GatewayIP),
		"allocation_pools":  pools,
		"host_routes":       routes,
		"dns_nameservers":   dns,
		"enable_dhcp":       s.EnableDHCP,
		"ipv6_ra_mode":      nullable(s.IPv6RAMode),
		"ipv6_address_mode": nullable(s.IPv6AddressMode),
		"segment_id":        nullable(s.SegmentID),
		"subnetpool_id":     nullable(s.SubnetPoolID),
		"service_types":     orEmpty(s.ServiceTypes),
	}
	standard(v, &s.Standard)
	return v
}

// portView shows a port; binding details other than the VNIC type only
// to admins.
func (a *API) portView(p *core.Port, c *caller) map[string]any {
	ips := make([]map[string]string, len(p.FixedIPs))
	for i, f := range p.FixedIPs {
		ips[i] = map[string]string{"subnet_id": f.SubnetID, "ip_address": f.IPAddress.String()}
	}
	v := map[string]any{
		"network_id":        p.NetworkID,
		"mac_address":       p.MACAddress,
		"admin_state_up":    p.AdminStateUp,
		"status":            p.Status,
		"device_id":         p.DeviceID,
		"device_owner":      p.DeviceOwner,
		"fixed_ips":         ips,
		"binding:vnic_type": p.Binding.VNICType,
	}
	standard(v, &p.Standard)
	extra(v, a.extAttrs["ports"], p.Extra)
	if c.admin {
		b := &p.Binding
		details := map[string]any{}
		for k, x := range b.VIFDetails {
			details[k] = x
		}
		if len(b.Levels) > 0 {
			bound := map[string]string{}
			for _, l := range b.Levels {
				bound[strconv.Itoa(l.Level)] = l.Driver
			}
			details["bound_drivers"] = bound
		}
		profile := b.Profile
		if profile == nil {
			profile = map[string]any{}
		}
		v["binding:host_id"] = b.HostID
		v["binding:profile"] = profile
		v["binding:vif_type"] = b.VIFType
		v["binding:vif_details"] = details
	}
	return v
}

// segmentView shows a segment of the segments API.
func segmentView(s *core.Segment) map[string]any {
	var segID any
	if s.SegmentationID != 0 {
		segID = s.SegmentationID
	}
	return map[string]any{
		"id":               s.ID,
		"network_id":       s.NetworkID,
		"name":             nullable(s.Name),
		"description":      nullable(s.Description),
		"network_type":     s.NetworkType,
		"physical_network": nullable(s.PhysicalNetwork),
		"segmentation_id":  segID,
		"created_at":       timestamp(s.CreatedAt),
		"updated_at":       timestamp(s.UpdatedAt),
		"revision_number":  s.RevisionNumber,
	}
}

// agentTimeFormat is how agents show times, as Neutron does.
const agentTimeFormat = "2006-01-02 15:04:05.000000"

// agentView shows an agent.
func (a *API) agentView(ag *core.Agent, now time.Time) map[string]any {
	conf := ag.Configurations
	if conf == nil {
		conf = map[string]any{}
	}
	return map[string]any{
		"id":                  ag.ID,
		"agent_type":          ag.AgentType,
		"binary":              ag.Binary,
		"topic":               ag.Topic,
		"host":                ag.Host,
		"admin_state_up":      ag.AdminStateUp,
		"created_at":          ag.CreatedAt.UTC().Format(agentTimeFormat),
		"started_at":          ag.StartedAt.UTC().Format(agentTimeFormat),
		"heartbeat_timestamp": ag.HeartbeatAt.UTC().Format(agentTimeFormat),
		"description":         nullable(ag.Description),
		"availability_zone":   nullable(ag.AvailabilityZone),
		"resources_synced":    nil,
		"alive":               ag.Alive(now, a.plugin.AgentDownTime()),
		"configurations":      conf,
	}
}
