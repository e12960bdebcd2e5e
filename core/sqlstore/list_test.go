package sqlstore_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

// lister lists one resource and returns the ids.
type lister func(tx core.Tx, opts *core.ListOptions) ([]string, error)

func networkIDs(tx core.Tx, opts *core.ListOptions) ([]string, error) {
	nets, err := tx.ListNetworks(ctx, opts)
	return ids(nets, func(n *core.Network) string { return n.ID }), err
}

func subnetIDs(tx core.Tx, opts *core.ListOptions) ([]string, error) {
	subs, err := tx.ListSubnets(ctx, opts)
	return ids(subs, func(s *core.Subnet) string { return s.ID }), err
}

func portIDs(tx core.Tx, opts *core.ListOptions) ([]string, error) {
	ports, err := tx.ListPorts(ctx, opts)
	return ids(ports, func(p *core.Port) string { return p.ID }), err
}

func agentIDs(tx core.Tx, opts *core.ListOptions) ([]string, error) {
	agents, err := tx.ListAgents(ctx, opts)
	return ids(agents, func(a *core.Agent) string { return a.ID }), err
}

func ids[T any](items []T, id func(T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

// listCase is one listing and what it must return: ids in order, or an
// error of a Neutron type.
type listCase struct {
	name    string
	opts    core.ListOptions
	want    []string
	errType string
}

func f(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

func sortBy(fields ...string) []core.SortKey {
	var out []core.SortKey
	for _, fl := range fields {
		desc := fl[0] == '-'
		out = append(out, core.SortKey{Field: fl[1:], Desc: desc})
	}
	return out
}

func runListCases(t *testing.T, s core.Store, list lister, cases []listCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			err := s.View(ctx, func(tx core.Tx) (err error) {
				got, err = list(tx, &c.opts)
				return err
			})
			if c.errType != "" {
				requireType(t, err, c.errType)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

// requirePaging walks the listing in pages of every size, forwards and
// backwards, and checks they add up to the whole listing.
func requirePaging(t *testing.T, s core.Store, list lister, base core.ListOptions) {
	t.Helper()
	var all []string
	view(t, s, func(tx core.Tx) (err error) { all, err = list(tx, &base); return err })
	require.NotEmpty(t, all)
	for limit := 1; limit <= len(all)+1; limit++ {
		var fwd []string
		opts := base
		opts.Limit = limit
		for {
			var page []string
			view(t, s, func(tx core.Tx) (err error) { page, err = list(tx, &opts); return err })
			fwd = append(fwd, page...)
			if len(page) < limit {
				break
			}
			opts.Marker = page[len(page)-1]
		}
		require.Equal(t, all, fwd, "forward pages of %d, %+v", limit, base)

		var back []string
		opts = base
		opts.Limit, opts.PageReverse, opts.Marker = limit, true, all[len(all)-1]
		back = []string{all[len(all)-1]}
		for {
			var page []string
			view(t, s, func(tx core.Tx) (err error) { page, err = list(tx, &opts); return err })
			back = append(slices.Clone(page), back...)
			if len(page) < limit {
				break
			}
			opts.Marker = page[0]
		}
		require.Equal(t, all, back, "backward pages of %d, %+v", limit, base)
	}
}

// seedNetworks creates networks with varied attributes:
//
//	id  project name  mtu  shared external admin status tags        segments
//	n1  p1      alpha 1500                   up    ACTIVE red,blue  vlan phys1 100
//	n2  p2      beta  1450 yes               up    ACTIVE red       vxlan 1001
//	n3  p2      gamma 9000        yes        down  DOWN   green     vlan phys2 100, vxlan 5
//	n4  p3      alpha 1500                   up    ACTIVE           (dynamic vlan phys3 7)
//	n5  p1      delta 1450                   up    ACTIVE           -            revision 1
func seedNetworks(t *testing.T, s core.Store) {
	t.Helper()
	mk := func(id, project, name string, mtu int, tags ...string) *core.Network {
		n := network(id, project)
		n.Name, n.MTU, n.Tags = name, mtu, tags
		return n
	}
	n1 := mk("n1", "p1", "alpha", 1500, "red", "blue")
	n2 := mk("n2", "p2", "beta", 1450, "red")
	n2.Shared = true
	n3 := mk("n3", "p2", "gamma", 9000, "green")
	n3.External, n3.AdminStateUp, n3.Status = true, false, core.StatusDown
	n4 := mk("n4", "p3", "alpha", 1500)
	n4.Description = "dup name"
	n5 := mk("n5", "p1", "delta", 1450)
	update(t, s, func(tx core.Tx) error {
		for _, n := range []*core.Network{n3, n1, n5, n2, n4} {
			if err := tx.CreateNetwork(ctx, n); err != nil {
				return err
			}
		}
		for _, g := range []core.Segment{
			{ID: "g1", NetworkID: "n1", NetworkType: "vlan", PhysicalNetwork: "phys1", SegmentationID: 100},
			{ID: "g2", NetworkID: "n2", NetworkType: "vxlan", SegmentationID: 1001},
			{ID: "g3", NetworkID: "n3", NetworkType: "vlan", PhysicalNetwork: "phys2", SegmentationID: 100},
			{ID: "g4", NetworkID: "n3", NetworkType: "vxlan", SegmentationID: 5, Index: 1},
			{ID: "g5", NetworkID: "n4", NetworkType: "vlan", PhysicalNetwork: "phys3", SegmentationID: 7, Dynamic: true},
		} {
			if err := tx.CreateSegment(ctx, &g); err != nil {
				return err
			}
		}
		return tx.UpdateNetwork(ctx, n5)
	})
}

func TestListNetworks(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		seedNetworks(t, s)
		all := []string{"n1", "n2", "n3", "n4", "n5"}
		runListCases(t, s, networkIDs, []listCase{
			{name: "all", want: all},
			{name: "name", opts: core.ListOptions{Filters: f("name", "alpha")}, want: []string{"n1", "n4"}},
			{name: "names ORed", opts: core.ListOptions{Filters: f("name", "alpha", "name", "beta")}, want: []string{"n1", "n2", "n4"}},
			{name: "keys ANDed", opts: core.ListOptions{Filters: f("name", "alpha", "project_id", "p3")}, want: []string{"n4"}},
			{name: "no values", opts: core.ListOptions{Filters: map[string][]string{"name": {}}}, want: []string{}},
			{name: "empty name", opts: core.ListOptions{Filters: f("name", "")}, want: []string{}},
			{name: "id", opts: core.ListOptions{Filters: f("id", "n3", "id", "n1", "id", "zz")}, want: []string{"n1", "n3"}},
			{name: "description", opts: core.ListOptions{Filters: f("description", "dup name")}, want: []string{"n4"}},
			{name: "project_id", opts: core.ListOptions{Filters: f("project_id", "p2")}, want: []string{"n2", "n3"}},
			{name: "tenant_id", opts: core.ListOptions{Filters: f("tenant_id", "p2")}, want: []string{"n2", "n3"}},
			{name: "shared true", opts: core.ListOptions{Filters: f("shared", "true")}, want: []string{"n2"}},
			{name: "shared True", opts: core.ListOptions{Filters: f("shared", "True")}, want: []string{"n2"}},
			{name: "shared 1", opts: core.ListOptions{Filters: f("shared", "1")}, want: []string{"n2"}},
			{name: "shared 0", opts: core.ListOptions{Filters: f("shared", "0")}, want: []string{"n1", "n3", "n4", "n5"}},
			{name: "shared bad", opts: core.ListOptions{Filters: f("shared", "yes")}, errType: "InvalidInput"},
			{name: "router:external", opts: core.ListOptions{Filters: f("router:external", "true")}, want: []string{"n3"}},
			{name: "admin_state_up", opts: core.ListOptions{Filters: f("admin_state_up", "False")}, want: []string{"n3"}},
			{name: "status", opts: core.ListOptions{Filters: f("status", "DOWN")}, want: []string{"n3"}},
			{name: "mtu", opts: core.ListOptions{Filters: f("mtu", "1450")}, want: []string{"n2", "n5"}},
			{name: "mtu bad", opts: core.ListOptions{Filters: f("mtu", "big")}, errType: "InvalidInput"},
			{name: "vlan_transparent", opts: core.ListOptions{Filters: f("vlan_transparent", "true")}, want: []string{}},
			{name: "revision_number", opts: core.ListOptions{Filters: f("revision_number", "1")}, want: []string{"n5"}},
			{name: "provider type", opts: core.ListOptions{Filters: f("provider:network_type", "vlan")}, want: []string{"n1", "n3"}},
			{name: "provider type and id", opts: core.ListOptions{Filters: f("provider:network_type", "vlan", "provider:segmentation_id", "100")}, want: []string{"n1", "n3"}},
			{name: "provider on one segment", opts: core.ListOptions{Filters: f("provider:network_type", "vxlan", "provider:segmentation_id", "100")}, want: []string{}},
			{name: "provider physnet", opts: core.ListOptions{Filters: f("provider:physical_network", "phys2")}, want: []string{"n3"}},
			{name: "provider ignores dynamic", opts: core.ListOptions{Filters: f("provider:physical_network", "phys3")}, want: []string{}},
			{name: "provider id bad", opts: core.ListOptions{Filters: f("provider:segmentation_id", "x")}, errType: "InvalidInput"},
			{name: "tags", opts: core.ListOptions{Filters: f("tags", "red")}, want: []string{"n1", "n2"}},
			{name: "tags all", opts: core.ListOptions{Filters: f("tags", "red,blue")}, want: []string{"n1"}},
			{name: "tags all values", opts: core.ListOptions{Filters: f("tags", "red", "tags", "blue")}, want: []string{"n1"}},
			{name: "tags-any", opts: core.ListOptions{Filters: f("tags-any", "blue,green")}, want: []string{"n1", "n3"}},
			{name: "not-tags", opts: core.ListOptions{Filters: f("not-tags", "red,blue")}, want: []string{"n2", "n3", "n4", "n5"}},
			{name: "not-tags-any", opts: core.ListOptions{Filters: f("not-tags-any", "red")}, want: []string{"n3", "n4", "n5"}},
			{name: "unknown filter", opts: core.ListOptions{Filters: f("color", "red")}, errType: "HTTPBadRequest"},
			{name: "created_at is not a filter", opts: core.ListOptions{Filters: f("created_at", "1")}, errType: "HTTPBadRequest"},
			{name: "scope", opts: core.ListOptions{ProjectScope: "p1"}, want: []string{"n1", "n2", "n3", "n5"}},
			{name: "scope and filter", opts: core.ListOptions{ProjectScope: "p3", Filters: f("name", "alpha")}, want: []string{"n4"}},

			{name: "sort name", opts: core.ListOptions{Sorts: sortBy("+name")}, want: []string{"n1", "n4", "n2", "n5", "n3"}},
			{name: "sort name desc", opts: core.ListOptions{Sorts: sortBy("-name")}, want: []string{"n3", "n5", "n2", "n1", "n4"}},
			{name: "sort mtu desc name", opts: core.ListOptions{Sorts: sortBy("-mtu", "+name")}, want: []string{"n3", "n1", "n4", "n2", "n5"}},
			{name: "sort id desc", opts: core.ListOptions{Sorts: sortBy("-id")}, want: []string{"n5", "n4", "n3", "n2", "n1"}},
			{name: "sort bool", opts: core.ListOptions{Sorts: sortBy("-admin_state_up", "-id")}, want: []string{"n5", "n4", "n2", "n1", "n3"}},
			{name: "sort unknown", opts: core.ListOptions{Sorts: sortBy("+color")}, errType: "HTTPBadRequest"},
			{name: "sort tags", opts: core.ListOptions{Sorts: sortBy("+tags")}, errType: "HTTPBadRequest"},

			{name: "limit", opts: core.ListOptions{Limit: 2}, want: []string{"n1", "n2"}},
			{name: "marker", opts: core.ListOptions{Limit: 2, Marker: "n2"}, want: []string{"n3", "n4"}},
			{name: "marker last", opts: core.ListOptions{Marker: "n5"}, want: []string{}},
			{name: "marker sorted", opts: core.ListOptions{Sorts: sortBy("+name"), Limit: 2, Marker: "n4"}, want: []string{"n2", "n5"}},
			{name: "marker desc", opts: core.ListOptions{Sorts: sortBy("-name"), Marker: "n2"}, want: []string{"n1", "n4"}},
			{name: "marker mixed", opts: core.ListOptions{Sorts: sortBy("-mtu", "+name"), Marker: "n4"}, want: []string{"n2", "n5"}},
			{name: "reverse", opts: core.ListOptions{Limit: 2, Marker: "n4", PageReverse: true}, want: []string{"n2", "n3"}},
			{name: "reverse sorted", opts: core.ListOptions{Sorts: sortBy("+name"), Limit: 1, Marker: "n2", PageReverse: true}, want: []string{"n4"}},
			{name: "reverse first", opts: core.ListOptions{Marker: "n1", PageReverse: true}, want: []string{}},
			{name: "reverse no marker", opts: core.ListOptions{Limit: 2, PageReverse: true}, want: []string{"n4", "n5"}},
			{name: "marker filtered out", opts: core.ListOptions{Filters: f("name", "alpha"), Marker: "n2"}, want: []string{"n4"}},
			{name: "unknown marker", opts: core.ListOptions{Marker: "zz"}, errType: "NetworkNotFound"},
		})
		for _, sorts := range [][]core.SortKey{nil, sortBy("+name"), sortBy("-mtu", "+name"), sortBy("-admin_state_up", "+mtu", "-id")} {
			requirePaging(t, s, networkIDs, core.ListOptions{Sorts: sorts})
		}
		requirePaging(t, s, networkIDs, core.ListOptions{ProjectScope: "p1", Sorts: sortBy("+name")})
	})
}

func TestListNetworkDetails(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		seedNetworks(t, s)
		createSubnet(t, s, subnet("s2", "n3", "10.0.1.0/24"))
		createSubnet(t, s, subnet("s1", "n3", "10.0.0.0/24"))
		for _, opts := range []*core.ListOptions{nil, {Filters: f("id", "n3", "id", "n1")}, {Limit: 3}} {
			var nets []*core.Network
			view(t, s, func(tx core.Tx) (err error) { nets, err = tx.ListNetworks(ctx, opts); return err })
			for _, n := range nets {
				require.Equal(t, getNetwork(t, s, n.ID), n, "listing and getting agree")
			}
			n3 := nets[slices.IndexFunc(nets, func(n *core.Network) bool { return n.ID == "n3" })]
			require.Equal(t, []string{"s2", "s1"}, n3.Subnets)
			require.Equal(t, []string{"g3", "g4"}, ids(n3.Segments, func(g core.Segment) string { return g.ID }))
			require.Equal(t, []string{"green"}, n3.Tags)
		}
	})
}

func TestListSubnets(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		seedNetworks(t, s)
		mk := func(id, netID, project, cidr string) *core.Subnet {
			sub := subnet(id, netID, cidr)
			sub.ProjectID = project
			return sub
		}
		s1 := mk("s1", "n1", "p1", "10.0.0.0/24")
		s1.Tags = []string{"web"}
		s2 := mk("s2", "n2", "p2", "2001:db8::/64")
		s2.IPv6RAMode, s2.IPv6AddressMode = core.IPv6ModeSLAAC, core.IPv6ModeSLAAC
		s3 := mk("s3", "n4", "p3", "192.168.0.0/16")
		s3.EnableDHCP, s3.GatewayIP, s3.SegmentID, s3.SubnetPoolID = false, netip.Addr{}, "g5", "pool"
		s4 := mk("s4", "n3", "p2", "172.16.0.0/12")
		s4.Tags = []string{"web", "db"}
		for _, sub := range []*core.Subnet{s3, s1, s4, s2} {
			createSubnet(t, s, sub)
		}
		runListCases(t, s, subnetIDs, []listCase{
			{name: "all", want: []string{"s1", "s2", "s3", "s4"}},
			{name: "network_id", opts: core.ListOptions{Filters: f("network_id", "n1", "network_id", "n3")}, want: []string{"s1", "s4"}},
			{name: "ip_version", opts: core.ListOptions{Filters: f("ip_version", "6")}, want: []string{"s2"}},
			{name: "ip_version bad", opts: core.ListOptions{Filters: f("ip_version", "six")}, errType: "InvalidInput"},
			{name: "cidr", opts: core.ListOptions{Filters: f("cidr", "10.0.0.0/24")}, want: []string{"s1"}},
			{name: "cidr v6", opts: core.ListOptions{Filters: f("cidr", "2001:DB8:0::/64")}, want: []string{"s2"}},
			{name: "cidr bad", opts: core.ListOptions{Filters: f("cidr", "10.0.0.0")}, errType: "InvalidInput"},
			{name: "gateway_ip", opts: core.ListOptions{Filters: f("gateway_ip", "10.0.0.1")}, want: []string{"s1"}},
			{name: "no gateway", opts: core.ListOptions{Filters: f("gateway_ip", "")}, want: []string{"s3"}},
			{name: "gateway bad", opts: core.ListOptions{Filters: f("gateway_ip", "10.0.0.300")}, errType: "InvalidInput"},
			{name: "enable_dhcp", opts: core.ListOptions{Filters: f("enable_dhcp", "false")}, want: []string{"s3"}},
			{name: "ipv6_ra_mode", opts: core.ListOptions{Filters: f("ipv6_ra_mode", "slaac")}, want: []string{"s2"}},
			{name: "ipv6_address_mode", opts: core.ListOptions{Filters: f("ipv6_address_mode", "slaac")}, want: []string{"s2"}},
			{name: "segment_id", opts: core.ListOptions{Filters: f("segment_id", "g5")}, want: []string{"s3"}},
			{name: "subnetpool_id", opts: core.ListOptions{Filters: f("subnetpool_id", "pool")}, want: []string{"s3"}},
			{name: "name", opts: core.ListOptions{Filters: f("name", "sub-s4")}, want: []string{"s4"}},
			{name: "description", opts: core.ListOptions{Filters: f("description", "")}, want: []string{"s1", "s2", "s3", "s4"}},
			{name: "revision_number", opts: core.ListOptions{Filters: f("revision_number", "0")}, want: []string{"s1", "s2", "s3", "s4"}},
			{name: "tags", opts: core.ListOptions{Filters: f("tags", "web")}, want: []string{"s1", "s4"}},
			{name: "not-tags-any", opts: core.ListOptions{Filters: f("not-tags-any", "db")}, want: []string{"s1", "s2", "s3"}},
			{name: "shared is not a store filter", opts: core.ListOptions{Filters: f("shared", "true")}, errType: "HTTPBadRequest"},
			// p1 sees its own subnet and those of the shared n2, not those
			// of the external n3, which is not shared.
			{name: "scope", opts: core.ListOptions{ProjectScope: "p1"}, want: []string{"s1", "s2"}},
			{name: "scope p3", opts: core.ListOptions{ProjectScope: "p3"}, want: []string{"s2", "s3"}},
			{name: "sort cidr", opts: core.ListOptions{Sorts: sortBy("-cidr")}, want: []string{"s2", "s3", "s4", "s1"}},
			{name: "sort ip_version", opts: core.ListOptions{Sorts: sortBy("-ip_version", "-id")}, want: []string{"s2", "s4", "s3", "s1"}},
			{name: "unknown marker", opts: core.ListOptions{Marker: "zz"}, errType: "SubnetNotFound"},
		})
		requirePaging(t, s, subnetIDs, core.ListOptions{Sorts: sortBy("-enable_dhcp", "+network_id")})
		var subs []*core.Subnet
		view(t, s, func(tx core.Tx) (err error) { subs, err = tx.ListSubnets(ctx, nil); return err })
		for _, sub := range subs {
			require.Equal(t, getSubnet(t, s, sub.ID), sub)
		}
	})
}

func TestListPorts(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		seedNetworks(t, s)
		createSubnet(t, s, subnet("s1", "n1", "10.0.0.0/24"))
		createSubnet(t, s, subnet("s2", "n1", "10.0.1.0/24"))
		createSubnet(t, s, subnet("s6", "n2", "2001:db8::/64"))
		mk := func(id, netID, project, mac string) *core.Port {
			p := port(id, netID, mac)
			p.ProjectID = project
			return p
		}
		a := mk("a", "n1", "p1", "fa:16:3e:00:00:0a")
		a.DeviceID, a.DeviceOwner, a.Status = "vm-1", "compute:nova", core.StatusActive
		a.Binding.HostID, a.Binding.VIFType = "host-1", core.VIFTypeOVS
		a.Binding.Levels = []core.BindingLevel{{Driver: "openvswitch", SegmentID: "g1"}}
		a.Tags = []string{"t1"}
		b := mk("b", "n1", "p2", "fa:16:3e:00:00:0b")
		b.DeviceOwner, b.Binding.VNICType = core.DeviceOwnerDHCP, core.VNICDirect
		b.AdminStateUp = false
		c := mk("c", "n2", "p1", "fa:16:3e:00:00:0c")
		c.Binding.HostID, c.Binding.VIFType = "host-2", core.VIFTypeBindingFailed
		d := mk("d", "n1", "p1", "fa:16:3e:00:00:0d")
		createPort(t, s, c, fixedIP("s6", "2001:db8::c"))
		createPort(t, s, a, fixedIP("s1", "10.0.0.10"), fixedIP("s2", "10.0.1.10"))
		createPort(t, s, b, fixedIP("s1", "10.0.0.2"), fixedIP("s2", "10.0.1.100"))
		createPort(t, s, d)
		runListCases(t, s, portIDs, []listCase{
			{name: "all", want: []string{"a", "b", "c", "d"}},
			{name: "network_id", opts: core.ListOptions{Filters: f("network_id", "n1")}, want: []string{"a", "b", "d"}},
			{name: "mac", opts: core.ListOptions{Filters: f("mac_address", "FA:16:3E:00:00:0B")}, want: []string{"b"}},
			{name: "mac dashes", opts: core.ListOptions{Filters: f("mac_address", "fa-16-3e-00-00-0c")}, want: []string{"c"}},
			{name: "mac bad", opts: core.ListOptions{Filters: f("mac_address", "nope")}, errType: "InvalidInput"},
			{name: "device_id", opts: core.ListOptions{Filters: f("device_id", "vm-1")}, want: []string{"a"}},
			{name: "device_owner", opts: core.ListOptions{Filters: f("device_owner", "network:dhcp")}, want: []string{"b"}},
			{name: "status", opts: core.ListOptions{Filters: f("status", "ACTIVE")}, want: []string{"a"}},
			{name: "admin_state_up", opts: core.ListOptions{Filters: f("admin_state_up", "0")}, want: []string{"b"}},
			{name: "host", opts: core.ListOptions{Filters: f("binding:host_id", "host-1", "binding:host_id", "host-2")}, want: []string{"a", "c"}},
			{name: "vnic_type", opts: core.ListOptions{Filters: f("binding:vnic_type", "direct")}, want: []string{"b"}},
			{name: "vif_type", opts: core.ListOptions{Filters: f("binding:vif_type", "binding_failed")}, want: []string{"c"}},
			{name: "project", opts: core.ListOptions{Filters: f("tenant_id", "p2")}, want: []string{"b"}},
			{name: "tags", opts: core.ListOptions{Filters: f("tags-any", "t1,t2")}, want: []string{"a"}},
			{name: "fixed ip", opts: core.ListOptions{Filters: f("fixed_ips", "ip_address=10.0.0.2")}, want: []string{"b"}},
			{name: "fixed ips ORed", opts: core.ListOptions{Filters: f("fixed_ips", "ip_address=10.0.0.2", "fixed_ips", "ip_address=2001:db8:0::c")}, want: []string{"b", "c"}},
			{name: "fixed subnet", opts: core.ListOptions{Filters: f("fixed_ips", "subnet_id=s2")}, want: []string{"a", "b"}},
			{name: "fixed ip and subnet on one allocation", opts: core.ListOptions{Filters: f("fixed_ips", "subnet_id=s2", "fixed_ips", "ip_address=10.0.0.10")}, want: []string{}},
			{name: "fixed ip and its subnet", opts: core.ListOptions{Filters: f("fixed_ips", "subnet_id=s1", "fixed_ips", "ip_address=10.0.0.10")}, want: []string{"a"}},
			{name: "fixed substr", opts: core.ListOptions{Filters: f("fixed_ips", "ip_address_substr=.1.10")}, want: []string{"a", "b"}},
			{name: "fixed substr v6", opts: core.ListOptions{Filters: f("fixed_ips", "ip_address_substr=DB8")}, want: []string{"c"}},
			{name: "fixed substr wildcard", opts: core.ListOptions{Filters: f("fixed_ips", "ip_address_substr=%")}, want: []string{}},
			{name: "fixed bad key", opts: core.ListOptions{Filters: f("fixed_ips", "mac=1")}, errType: "InvalidInput"},
			{name: "fixed bad ip", opts: core.ListOptions{Filters: f("fixed_ips", "ip_address=10.0.0")}, errType: "InvalidInput"},
			{name: "scope own only", opts: core.ListOptions{ProjectScope: "p1"}, want: []string{"a", "c", "d"}},
			{name: "sort mac desc", opts: core.ListOptions{Sorts: sortBy("-mac_address")}, want: []string{"d", "c", "b", "a"}},
			{name: "sort host", opts: core.ListOptions{Sorts: sortBy("-binding:host_id")}, want: []string{"c", "a", "b", "d"}},
			{name: "unknown marker", opts: core.ListOptions{Marker: "zz"}, errType: "PortNotFound"},
		})
		requirePaging(t, s, portIDs, core.ListOptions{Sorts: sortBy("+network_id", "-device_owner")})

		for _, opts := range []*core.ListOptions{nil, {Filters: f("network_id", "n1")}, {Limit: 2, Marker: "a"}} {
			var ports []*core.Port
			view(t, s, func(tx core.Tx) (err error) { ports, err = tx.ListPorts(ctx, opts); return err })
			for _, p := range ports {
				require.Equal(t, getPort(t, s, p.ID), p, "listing and getting agree")
			}
		}
		got := getPort(t, s, "b")
		require.Equal(t, []core.FixedIP{fixedIP("s1", "10.0.0.2"), fixedIP("s2", "10.0.1.100")}, got.FixedIPs)
	})
}

func TestListAgents(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		agents := map[string]*core.Agent{
			"a1": {AgentType: "ovs", Host: "h2", Binary: "ovs-agent", Topic: "N/A", AvailabilityZone: "az1", AdminStateUp: true},
			"a2": {AgentType: "ovs", Host: "h1", Binary: "ovs-agent", Topic: "N/A", AvailabilityZone: "az2", AdminStateUp: true},
			"a3": {AgentType: "dhcp", Host: "h1", Binary: "dhcp-agent", Topic: "dhcp_agent", AvailabilityZone: "az1"},
		}
		update(t, s, func(tx core.Tx) error {
			for _, a := range agents {
				if _, err := tx.UpsertAgent(ctx, a); err != nil {
					return err
				}
			}
			return nil
		})
		// Agents get random ids: name the expected ones, in id order
		// unless the case sorts.
		id := func(name string) string { return agents[name].ID }
		byID := func(names ...string) []string {
			out := []string{}
			for _, n := range names {
				out = append(out, id(n))
			}
			slices.Sort(out)
			return out
		}
		inOrder := func(names ...string) []string {
			out := []string{}
			for _, n := range names {
				out = append(out, id(n))
			}
			return out
		}
		runListCases(t, s, agentIDs, []listCase{
			{name: "all", want: byID("a1", "a2", "a3")},
			{name: "agent_type", opts: core.ListOptions{Filters: f("agent_type", "ovs")}, want: byID("a1", "a2")},
			{name: "host", opts: core.ListOptions{Filters: f("host", "h1")}, want: byID("a2", "a3")},
			{name: "type and host", opts: core.ListOptions{Filters: f("agent_type", "ovs", "host", "h1")}, want: byID("a2")},
			{name: "binary", opts: core.ListOptions{Filters: f("binary", "dhcp-agent")}, want: byID("a3")},
			{name: "topic", opts: core.ListOptions{Filters: f("topic", "N/A")}, want: byID("a1", "a2")},
			{name: "admin_state_up", opts: core.ListOptions{Filters: f("admin_state_up", "false")}, want: byID("a3")},
			{name: "availability_zone", opts: core.ListOptions{Filters: f("availability_zone", "az1")}, want: byID("a1", "a3")},
			{name: "id", opts: core.ListOptions{Filters: f("id", id("a2"))}, want: byID("a2")},
			{name: "unknown", opts: core.ListOptions{Filters: f("alive", "true")}, errType: "HTTPBadRequest"},
			{name: "tags", opts: core.ListOptions{Filters: f("tags", "x")}, errType: "HTTPBadRequest"},
			{name: "scope ignored", opts: core.ListOptions{ProjectScope: "p1"}, want: byID("a1", "a2", "a3")},
			{name: "sort host desc", opts: core.ListOptions{Sorts: sortBy("-host", "+agent_type")}, want: inOrder("a1", "a3", "a2")},
			{name: "page", opts: core.ListOptions{Sorts: sortBy("+host", "+agent_type"), Limit: 1, Marker: id("a3")}, want: inOrder("a2")},
			{name: "page reverse", opts: core.ListOptions{Sorts: sortBy("+host", "+agent_type"), Marker: id("a1"), PageReverse: true}, want: inOrder("a3", "a2")},
			{name: "unknown marker", opts: core.ListOptions{Marker: "zz"}, errType: "AgentNotFound"},
		})
		requirePaging(t, s, agentIDs, core.ListOptions{Sorts: sortBy("+host", "-agent_type")})
	})
}
