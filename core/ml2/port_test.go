package ml2_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func fixed(entries ...ml2.FixedIPRequest) func(*ml2.PortRequest) {
	return func(r *ml2.PortRequest) { r.FixedIPs = &entries }
}

func ipReq(subnetID, ip string) ml2.FixedIPRequest {
	r := ml2.FixedIPRequest{SubnetID: subnetID}
	if ip != "" {
		r.IPAddress = netip.MustParseAddr(ip)
	}
	return r
}

// TestCreatePort covers catalogue C.5 cases at the plugin level.
func TestCreatePort(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("C112_defaults", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/24")
			p := e.port(n.ID, func(r *ml2.PortRequest) { r.Name = ptr("p1"); r.ProjectID = "P" })
			assert.Equal(t, core.StatusDown, p.Status)
			require.Len(t, p.FixedIPs, 1)
			assert.Equal(t, s.ID, p.FixedIPs[0].SubnetID)
			assert.True(t, s.AllocationPools[0].Contains(p.FixedIPs[0].IPAddress))
			assert.True(t, strings.HasPrefix(p.MACAddress, "fa:16:3e:"), p.MACAddress)
			assert.Equal(t, core.VIFTypeUnbound, p.Binding.VIFType)
			assert.Equal(t, core.VNICNormal, p.Binding.VNICType)
			assert.True(t, p.AdminStateUp)
			got, err := e.plugin.GetPort(e.ctx, p.ID)
			require.NoError(t, err)
			assert.Equal(t, p.FixedIPs, got.FixedIPs)
			assert.Equal(t, p.MACAddress, got.MACAddress)
		})
		t.Run("C113_slash29_exhausts", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/29")
			seen := map[string]bool{}
			for range 5 {
				p := e.port(n.ID, fixed(ipReq(s.ID, "")))
				seen[p.FixedIPs[0].IPAddress.String()] = true
			}
			assert.Equal(t, map[string]bool{"10.0.0.2": true, "10.0.0.3": true, "10.0.0.4": true, "10.0.0.5": true, "10.0.0.6": true}, seen)
			before := e.snapshot()
			_, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID, FixedIPs: &[]ml2.FixedIPRequest{ipReq(s.ID, "")}})
			e.requireFailsCleanly("IpAddressGenerationFailure", before, err)
			_, err = e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID})
			e.requireFailsCleanly("IpAddressGenerationFailure", before, err)
		})
		fails := []struct {
			name string
			mod  func(s *core.Subnet) *ml2.PortRequest
			typ  string
		}{
			{"C114_ip_in_use", func(s *core.Subnet) *ml2.PortRequest {
				return &ml2.PortRequest{FixedIPs: &[]ml2.FixedIPRequest{ipReq(s.ID, "10.0.0.5")}}
			}, "IpAddressAlreadyAllocated"},
			{"C115_mac_in_use", func(*core.Subnet) *ml2.PortRequest {
				return &ml2.PortRequest{MACAddress: ptr("fa:16:3e:11:22:33")}
			}, "MacAddressInUse"},
			{"C116_network_address", func(s *core.Subnet) *ml2.PortRequest {
				return &ml2.PortRequest{FixedIPs: &[]ml2.FixedIPRequest{ipReq(s.ID, "10.0.0.0")}}
			}, "InvalidIpForSubnet"},
			{"C116_broadcast", func(*core.Subnet) *ml2.PortRequest {
				return &ml2.PortRequest{FixedIPs: &[]ml2.FixedIPRequest{ipReq("", "10.0.0.255")}}
			}, "InvalidIpForSubnet"},
			{"C118_ip_in_no_subnet", func(*core.Subnet) *ml2.PortRequest {
				return &ml2.PortRequest{FixedIPs: &[]ml2.FixedIPRequest{ipReq("", "192.168.0.5")}}
			}, "InvalidIpForNetwork"},
			{"C119_duplicate_ip_entries", func(s *core.Subnet) *ml2.PortRequest {
				return &ml2.PortRequest{FixedIPs: &[]ml2.FixedIPRequest{ipReq(s.ID, "10.0.0.9"), ipReq("", "10.0.0.9")}}
			}, "InvalidInput"},
			{"unknown_subnet", func(*core.Subnet) *ml2.PortRequest {
				return &ml2.PortRequest{FixedIPs: &[]ml2.FixedIPRequest{ipReq("no-such-subnet", "")}}
			}, "SubnetNotFound"},
			{"C124_zero_mac", func(*core.Subnet) *ml2.PortRequest {
				return &ml2.PortRequest{MACAddress: ptr("00:00:00:00:00:00")}
			}, "HTTPBadRequest"},
		}
		for _, tc := range fails {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, engine)
				n := e.network(nil)
				s := e.subnet(n.ID, "10.0.0.0/24")
				e.port(n.ID, fixed(ipReq(s.ID, "10.0.0.5")), func(r *ml2.PortRequest) { r.MACAddress = ptr("fa:16:3e:11:22:33") })
				before := e.snapshot()
				req := tc.mod(s)
				req.NetworkID = n.ID
				_, err := e.plugin.CreatePort(e.ctx, req)
				e.requireFailsCleanly(tc.typ, before, err)
			})
		}
		t.Run("C125_unknown_network", func(t *testing.T) {
			e := newEnv(t, engine)
			_, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: "nope"})
			assert.Equal(t, "NetworkNotFound", core.TypeOf(err))
		})
		t.Run("subnet_of_other_network", func(t *testing.T) {
			e := newEnv(t, engine)
			n1, n2 := e.network(nil), e.network(nil)
			e.subnet(n1.ID, "10.0.0.0/24")
			s2 := e.subnet(n2.ID, "10.1.0.0/24")
			before := e.snapshot()
			_, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n1.ID, FixedIPs: &[]ml2.FixedIPRequest{ipReq(s2.ID, "")}})
			e.requireFailsCleanly("InvalidInput", before, err)
		})
		t.Run("C117_gateway_and_outside_pool_allowed", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/24", func(r *ml2.SubnetRequest) {
				r.AllocationPools = &[]core.IPRange{{Start: netip.MustParseAddr("10.0.0.10"), End: netip.MustParseAddr("10.0.0.20")}}
			})
			p := e.port(n.ID, fixed(ipReq(s.ID, "10.0.0.1"), ipReq("", "10.0.0.100")))
			assert.ElementsMatch(t, []string{"10.0.0.1", "10.0.0.100"}, ips(p))
		})
		t.Run("C120_empty_fixed_ips_keeps_slaac", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			e.subnet(n.ID, "10.0.0.0/24")
			v6 := e.subnet(n.ID, "2001:db8::/64", func(r *ml2.SubnetRequest) {
				r.IPv6AddressMode, r.IPv6RAMode = ptr(core.IPv6ModeSLAAC), ptr(core.IPv6ModeSLAAC)
			})
			p := e.port(n.ID, fixed(), func(r *ml2.PortRequest) { r.MACAddress = ptr("fa:16:3e:4f:00:00") })
			require.Len(t, p.FixedIPs, 1)
			assert.Equal(t, v6.ID, p.FixedIPs[0].SubnetID)
			assert.Equal(t, "2001:db8::f816:3eff:fe4f:0", p.FixedIPs[0].IPAddress.String())
		})
		t.Run("C121_v4_stateful_v6_and_slaac", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			full := e.subnet(n.ID, "10.0.0.0/30", func(r *ml2.SubnetRequest) { r.EnableDHCP = ptr(false) })
			e.port(n.ID, fixed(ipReq(full.ID, "")))
			v4 := e.subnet(n.ID, "10.1.0.0/24")
			stateful := e.subnet(n.ID, "2001:db8:1::/64", func(r *ml2.SubnetRequest) {
				r.IPv6AddressMode, r.IPv6RAMode = ptr(core.IPv6ModeDHCPv6Stateful), ptr(core.IPv6ModeDHCPv6Stateful)
			})
			slaac := e.subnet(n.ID, "2001:db8:2::/64", func(r *ml2.SubnetRequest) {
				r.IPv6AddressMode, r.IPv6RAMode = ptr(core.IPv6ModeSLAAC), ptr(core.IPv6ModeSLAAC)
			})
			p := e.port(n.ID)
			var subnets []string
			for _, f := range p.FixedIPs {
				subnets = append(subnets, f.SubnetID)
			}
			assert.ElementsMatch(t, []string{v4.ID, stateful.ID, slaac.ID}, subnets)
		})
		t.Run("C122_dhcp_ports_sequential", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			e.subnet(n.ID, "10.0.0.0/24")
			var got []string
			for range 10 {
				got = append(got, ips(e.port(n.ID, func(r *ml2.PortRequest) { r.DeviceOwner = ptr(core.DeviceOwnerDHCP) }))...)
			}
			assert.Equal(t, []string{"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.10", "10.0.0.11"}, got)
		})
		t.Run("C123_five_subnet_entries", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/29", func(r *ml2.SubnetRequest) { r.GatewayIP = ptr(netip.MustParseAddr("10.0.0.3")) })
			p := e.port(n.ID, fixed(ipReq(s.ID, ""), ipReq(s.ID, ""), ipReq(s.ID, ""), ipReq(s.ID, ""), ipReq(s.ID, "")))
			assert.ElementsMatch(t, []string{"10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6"}, ips(p))
		})
		t.Run("C135_base_mac", func(t *testing.T) {
			for _, tc := range []struct{ base, prefix string }{
				{"12:34:56:00:00:00", "12:34:56:"}, {"12:34:56:78:00:00", "12:34:56:78:"},
			} {
				e := newEnv(t, engine, withConfig(func(c *ml2.Config) { c.BaseMAC = tc.base }))
				p := e.port(e.network(nil).ID)
				assert.True(t, strings.HasPrefix(p.MACAddress, tc.prefix), p.MACAddress)
			}
		})
	})
}

// TestUpdateDeletePort covers C.5 128–134.
func TestUpdateDeletePort(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("C129_mac_null_regenerates", func(t *testing.T) {
			e := newEnv(t, engine)
			p := e.port(e.network(nil).ID)
			u, err := e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{MACAddress: ptr("")})
			require.NoError(t, err)
			assert.NotEqual(t, p.MACAddress, u.MACAddress)
			assert.True(t, strings.HasPrefix(u.MACAddress, "fa:16:3e:"))
		})
		t.Run("C130_mac_on_network_owned_port", func(t *testing.T) {
			e := newEnv(t, engine)
			p := e.port(e.network(nil).ID, func(r *ml2.PortRequest) { r.DeviceOwner = ptr(core.DeviceOwnerDHCP) })
			before := e.snapshot()
			_, err := e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{MACAddress: ptr("fa:16:3e:00:00:09")})
			e.requireFailsCleanly("UnsupportedPortDeviceOwner", before, err)
		})
		t.Run("mac_in_use_on_update", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			a := e.port(n.ID)
			b := e.port(n.ID)
			before := e.snapshot()
			_, err := e.plugin.UpdatePort(e.ctx, b.ID, &ml2.PortRequest{MACAddress: ptr(a.MACAddress)})
			e.requireFailsCleanly("MacAddressInUse", before, err)
		})
		t.Run("C131_replace_fixed_ip", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/24")
			p := e.port(n.ID, fixed(ipReq(s.ID, "10.0.0.2")))
			u, err := e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{FixedIPs: &[]ml2.FixedIPRequest{ipReq(s.ID, "10.0.0.10")}})
			require.NoError(t, err)
			assert.Equal(t, []string{"10.0.0.10"}, ips(u))
			// The old address is free again.
			e.port(n.ID, fixed(ipReq(s.ID, "10.0.0.2")))
		})
		t.Run("C132_two_subnet_entries", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/24")
			p := e.port(n.ID)
			u, err := e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{FixedIPs: &[]ml2.FixedIPRequest{ipReq(s.ID, ""), ipReq(s.ID, "")}})
			require.NoError(t, err)
			require.Len(t, u.FixedIPs, 2)
			assert.NotEqual(t, u.FixedIPs[0].IPAddress, u.FixedIPs[1].IPAddress)
			assert.Contains(t, ips(u), p.FixedIPs[0].IPAddress.String(), "the existing address is reused")
		})
		t.Run("C128_network_id_read_only", func(t *testing.T) {
			e := newEnv(t, engine)
			p := e.port(e.network(nil).ID)
			other := e.network(nil)
			before := e.snapshot()
			_, err := e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{NetworkID: other.ID})
			e.requireFailsCleanly("HTTPBadRequest", before, err)
		})
		t.Run("C134_delete_missing", func(t *testing.T) {
			e := newEnv(t, engine)
			assert.Equal(t, "PortNotFound", core.TypeOf(e.plugin.DeletePort(e.ctx, "nope")))
		})
		t.Run("delete_releases_addresses", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/30", func(r *ml2.SubnetRequest) { r.EnableDHCP = ptr(false) })
			p := e.port(n.ID)
			_, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID})
			require.Equal(t, "IpAddressGenerationFailure", core.TypeOf(err))
			require.NoError(t, e.plugin.DeletePort(e.ctx, p.ID))
			q := e.port(n.ID, fixed(ipReq(s.ID, "")))
			assert.Equal(t, ips(p), ips(q))
		})
	})
}

// TestSubnets covers the plugin side of C.4: overlap and deletion rules.
func TestSubnets(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("C89_defaults", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/24")
			assert.Equal(t, "10.0.0.1", s.GatewayIP.String())
			assert.Equal(t, []core.IPRange{{Start: netip.MustParseAddr("10.0.0.2"), End: netip.MustParseAddr("10.0.0.254")}}, s.AllocationPools)
			assert.True(t, s.EnableDHCP)
			got, err := e.plugin.GetSubnet(e.ctx, s.ID)
			require.NoError(t, err)
			assert.Equal(t, s.AllocationPools, got.AllocationPools)
			assert.Equal(t, s.CIDR, got.CIDR)
			net, err := e.plugin.GetNetwork(e.ctx, n.ID)
			require.NoError(t, err)
			assert.Equal(t, []string{s.ID}, net.Subnets)
		})
		t.Run("C92_overlap_same_network", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			e.subnet(n.ID, "10.0.0.0/24")
			before := e.snapshot()
			_, err := e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: mustPrefix("10.0.0.128/25")})
			e.requireFailsCleanly("InvalidInput", before, err)
			e.subnet(e.network(nil).ID, "10.0.0.0/24")
		})
		t.Run("C109_delete_with_user_port", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/24")
			p := e.port(n.ID)
			before := e.snapshot()
			e.requireFailsCleanly("SubnetInUse", before, e.plugin.DeleteSubnet(e.ctx, s.ID))
			require.NoError(t, e.plugin.DeletePort(e.ctx, p.ID))
			dhcp := e.port(n.ID, func(r *ml2.PortRequest) { r.DeviceOwner = ptr(core.DeviceOwnerDHCP) })
			require.NoError(t, e.plugin.DeleteSubnet(e.ctx, s.ID))
			got, err := e.plugin.GetPort(e.ctx, dhcp.ID)
			require.NoError(t, err)
			assert.Empty(t, got.FixedIPs, "the DHCP port lost its address")
		})
		t.Run("update_pools_and_gateway", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/24")
			pools := []core.IPRange{{Start: netip.MustParseAddr("10.0.0.100"), End: netip.MustParseAddr("10.0.0.200")}}
			u, err := e.plugin.UpdateSubnet(e.ctx, s.ID, &ml2.SubnetRequest{AllocationPools: &pools, Name: ptr("s")})
			require.NoError(t, err)
			assert.Equal(t, pools, u.AllocationPools)
			before := e.snapshot()
			_, err = e.plugin.UpdateSubnet(e.ctx, s.ID, &ml2.SubnetRequest{GatewayIP: ptr(netip.MustParseAddr("10.0.0.150"))})
			e.requireFailsCleanly("GatewayConflictWithAllocationPools", before, err)
		})
		t.Run("C111_gateway_held_by_router", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/24", func(r *ml2.SubnetRequest) {
				r.AllocationPools = &[]core.IPRange{{Start: netip.MustParseAddr("10.0.0.2"), End: netip.MustParseAddr("10.0.0.200")}}
			})
			e.port(n.ID, fixed(ipReq(s.ID, "10.0.0.1")), func(r *ml2.PortRequest) { r.DeviceOwner = ptr(core.DeviceOwnerRouterInterface) })
			before := e.snapshot()
			_, err := e.plugin.UpdateSubnet(e.ctx, s.ID, &ml2.SubnetRequest{GatewayIP: ptr(netip.MustParseAddr("10.0.0.254"))})
			e.requireFailsCleanly("GatewayIpInUse", before, err)
			e.requireFailsCleanly("SubnetInUse", before, e.plugin.DeleteSubnet(e.ctx, s.ID))
		})
		t.Run("slaac_subnet_addresses_existing_ports", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			p := e.port(n.ID)
			s := e.subnet(n.ID, "2001:db8::/64", func(r *ml2.SubnetRequest) { r.IPv6AddressMode = ptr(core.IPv6ModeSLAAC) })
			got, err := e.plugin.GetPort(e.ctx, p.ID)
			require.NoError(t, err)
			require.Len(t, got.FixedIPs, 1)
			assert.Equal(t, s.ID, got.FixedIPs[0].SubnetID)
			require.NoError(t, e.plugin.DeleteSubnet(e.ctx, s.ID), "auto-address allocations do not block deletion")
		})
	})
}

// TestUpdatePortStatus: agents report status by an 11-character id
// prefix; the binding host, when given, must match; bad status is refused.
func TestUpdatePortStatus(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.first.BindFunc = bindOnHost("h1", "ovs", "")
		n := e.network(nil)
		p := e.port(n.ID, onHost("h1"))
		u, err := e.plugin.UpdatePortStatus(e.ctx, p.ID[:11], core.StatusActive, "h1")
		require.NoError(t, err)
		assert.Equal(t, core.StatusActive, u.Status)
		assert.Greater(t, u.RevisionNumber, p.RevisionNumber)

		u, err = e.plugin.UpdatePortStatus(e.ctx, p.ID[:11], core.StatusDown, "other-host")
		require.NoError(t, err)
		assert.Equal(t, core.StatusActive, u.Status, "another host's report changes nothing")

		u, err = e.plugin.UpdatePortStatus(e.ctx, "no-such-port", core.StatusDown, "")
		require.NoError(t, err)
		assert.Nil(t, u)

		before := e.snapshot()
		_, err = e.plugin.UpdatePortStatus(e.ctx, p.ID, "SLEEPING", "")
		e.requireFailsCleanly("InvalidInput", before, err)
		calls := e.second.CallsTo("UpdatePortPostcommit")
		assert.Equal(t, core.StatusActive, calls[len(calls)-1].Port.Status)
	})
}
