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

// orEmpty shows a nil list as [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// standard writes the standard attributes.
func standard(o *obj, s *core.Standard) {
	o.str("id", s.ID)
	o.str("name", s.Name)
	o.str("description", s.Description)
	o.str("tenant_id", s.ProjectID)
	o.str("project_id", s.ProjectID)
	if o.want("created_at") {
		o.str("created_at", timestamp(s.CreatedAt))
	}
	if o.want("updated_at") {
		o.str("updated_at", timestamp(s.UpdatedAt))
	}
	o.int("revision_number", s.RevisionNumber)
	o.strs("tags", s.Tags)
}

// extra writes the extension drivers' attributes from a resource's Extra.
func extra(o *obj, names []string, m map[string]any) {
	for _, n := range names {
		if o.want(n) {
			o.value(n, m[n])
		}
	}
}

// networkView writes a network; provider attributes only for admins.
func (a *API) networkView(o *obj, n *core.Network, c *caller) {
	standard(o, &n.Standard)
	o.bool("admin_state_up", n.AdminStateUp)
	o.str("status", n.Status)
	o.strs("subnets", n.Subnets)
	o.bool("shared", n.Shared)
	o.bool("router:external", n.External)
	o.int("mtu", int64(n.MTU))
	o.strs("availability_zone_hints", nil)
	o.strs("availability_zones", nil)
	o.null("ipv4_address_scope")
	o.null("ipv6_address_scope")
	o.bool("l2_adjacency", true)
	// No auto-allocated topology: no network is the default external one.
	o.bool("is_default", false)
	extra(o, a.extAttrs["networks"], n.Extra)
	if !c.admin {
		return
	}
	switch len(n.Segments) {
	case 0:
		o.null("provider:network_type")
		o.null("provider:physical_network")
		o.null("provider:segmentation_id")
	case 1:
		providerView(o, n.Segments[0])
	default:
		o.list("segments", len(n.Segments), func(i int, o *obj) { providerView(o, n.Segments[i]) })
	}
}

// providerView writes a segment as provider:* attributes.
func providerView(o *obj, s core.Segment) {
	o.str("provider:network_type", s.NetworkType)
	o.strOrNull("provider:physical_network", s.PhysicalNetwork)
	segmentationID(o, "provider:segmentation_id", s.SegmentationID)
}

// segmentationID writes an id, 0 (unset) as null.
func segmentationID(o *obj, k string, id int64) {
	if id == 0 {
		o.null(k)
		return
	}
	o.int(k, id)
}

// addrOrNull writes an address, the zero one as null.
func addrOrNull(o *obj, k string, a netip.Addr) {
	if !a.IsValid() {
		o.null(k)
		return
	}
	o.str(k, a.String())
}

// subnetView writes a subnet.
func subnetView(o *obj, s *core.Subnet) {
	standard(o, &s.Standard)
	o.str("network_id", s.NetworkID)
	o.int("ip_version", int64(s.IPVersion))
	o.str("cidr", s.CIDR.String())
	addrOrNull(o, "gateway_ip", s.GatewayIP)
	o.list("allocation_pools", len(s.AllocationPools), func(i int, o *obj) {
		o.str("start", s.AllocationPools[i].Start.String())
		o.str("end", s.AllocationPools[i].End.String())
	})
	o.list("host_routes", len(s.HostRoutes), func(i int, o *obj) {
		o.str("destination", s.HostRoutes[i].Destination.String())
		o.str("nexthop", s.HostRoutes[i].NextHop.String())
	})
	if o.want("dns_nameservers") {
		dns := make([]string, len(s.DNSNameservers))
		for i, d := range s.DNSNameservers {
			dns[i] = d.String()
		}
		o.strs("dns_nameservers", dns)
	}
	o.bool("enable_dhcp", s.EnableDHCP)
	o.strOrNull("ipv6_ra_mode", s.IPv6RAMode)
	o.strOrNull("ipv6_address_mode", s.IPv6AddressMode)
	o.strOrNull("segment_id", s.SegmentID)
	o.strOrNull("subnetpool_id", s.SubnetPoolID)
	o.strs("service_types", s.ServiceTypes)
}

// portView writes a port; binding details other than the VNIC type only
// for admins.
func (a *API) portView(o *obj, p *core.Port, c *caller) {
	standard(o, &p.Standard)
	o.str("network_id", p.NetworkID)
	o.str("mac_address", p.MACAddress)
	o.bool("admin_state_up", p.AdminStateUp)
	o.str("status", p.Status)
	o.str("device_id", p.DeviceID)
	o.str("device_owner", p.DeviceOwner)
	o.list("fixed_ips", len(p.FixedIPs), func(i int, o *obj) {
		o.str("subnet_id", p.FixedIPs[i].SubnetID)
		o.str("ip_address", p.FixedIPs[i].IPAddress.String())
	})
	o.str("binding:vnic_type", p.Binding.VNICType)
	// Addresses are allocated when the port is created; ml2go has no
	// security groups, address pairs or extra DHCP options (yet): the
	// lists are empty, as Neutron shows them on a port without any.
	o.str("ip_allocation", "immediate")
	o.strs("security_groups", nil)
	o.strs("allowed_address_pairs", nil)
	o.strs("extra_dhcp_opts", nil)
	extra(o, a.extAttrs["ports"], p.Extra)
	if !c.admin {
		return
	}
	b := &p.Binding
	o.str("binding:host_id", b.HostID)
	o.value("binding:profile", b.Profile)
	o.str("binding:vif_type", b.VIFType)
	if o.want("binding:vif_details") {
		details := b.VIFDetails
		if len(b.Levels) > 0 {
			details = make(map[string]any, len(b.VIFDetails)+1)
			for k, x := range b.VIFDetails {
				details[k] = x
			}
			bound := map[string]string{}
			for _, l := range b.Levels {
				bound[strconv.Itoa(l.Level)] = l.Driver
			}
			details["bound_drivers"] = bound
		}
		o.value("binding:vif_details", details)
	}
}

// segmentView writes a segment of the segments API.
func segmentView(o *obj, s *core.Segment) {
	o.str("id", s.ID)
	o.str("network_id", s.NetworkID)
	o.strOrNull("name", s.Name)
	o.strOrNull("description", s.Description)
	o.str("network_type", s.NetworkType)
	o.strOrNull("physical_network", s.PhysicalNetwork)
	segmentationID(o, "segmentation_id", s.SegmentationID)
	o.str("created_at", timestamp(s.CreatedAt))
	o.str("updated_at", timestamp(s.UpdatedAt))
	o.int("revision_number", s.RevisionNumber)
}

// agentTimeFormat is how agents show times, as Neutron does.
const agentTimeFormat = "2006-01-02 15:04:05.000000"

// agentView writes an agent.
func (a *API) agentView(o *obj, ag *core.Agent, now time.Time) {
	o.str("id", ag.ID)
	o.str("agent_type", ag.AgentType)
	o.str("binary", ag.Binary)
	o.str("topic", ag.Topic)
	o.str("host", ag.Host)
	o.bool("admin_state_up", ag.AdminStateUp)
	o.str("created_at", ag.CreatedAt.UTC().Format(agentTimeFormat))
	o.str("started_at", ag.StartedAt.UTC().Format(agentTimeFormat))
	o.str("heartbeat_timestamp", ag.HeartbeatAt.UTC().Format(agentTimeFormat))
	o.strOrNull("description", ag.Description)
	o.strOrNull("availability_zone", ag.AvailabilityZone)
	o.null("resources_synced")
	o.bool("alive", ag.Alive(now, a.plugin.AgentDownTime()))
	o.value("configurations", ag.Configurations)
}
