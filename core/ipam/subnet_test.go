package ipam

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
)

func v4(c string) SubnetRequest { return SubnetRequest{IPVersion: 4, CIDR: cidr(c)} }
func v6(c string) SubnetRequest { return SubnetRequest{IPVersion: 6, CIDR: cidr(c)} }

func with(r SubnetRequest, f func(*SubnetRequest)) SubnetRequest { f(&r); return r }

func TestSubnetDefaults(t *testing.T) {
	tests := []struct {
		name    string
		req     SubnetRequest
		cidr    string
		gateway string // "" = no gateway
		pools   []core.IPRange
	}{
		{"C89_v4_defaults", v4("10.0.0.0/24"), "10.0.0.0/24", "10.0.0.1", pools("10.0.0.2-10.0.0.254")},
		{"C90_gateway_last_host", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.GatewayIP = ipp("10.0.0.254") }),
			"10.0.0.0/24", "10.0.0.254", pools("10.0.0.1-10.0.0.253")},
		{"C90_gateway_mid_splits_pool", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.GatewayIP = ipp("10.0.0.100") }),
			"10.0.0.0/24", "10.0.0.100", pools("10.0.0.1-10.0.0.99", "10.0.0.101-10.0.0.254")},
		{"C91_host_bits_cleared", v4("10.14.0.77/24"), "10.14.0.0/24", "10.14.0.1", pools("10.14.0.2-10.14.0.254")},
		{"C91_host_bits_cleared_slash8", v4("10.129.122.5/8"), "10.0.0.0/8", "10.0.0.1", pools("10.0.0.2-10.255.255.254")},
		{"C94_gateway_outside_cidr", with(v4("10.2.0.0/24"), func(r *SubnetRequest) { r.GatewayIP = ipp("10.99.0.1") }),
			"10.2.0.0/24", "10.99.0.1", pools("10.2.0.1-10.2.0.254")},
		{"C95_gateway_null", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.GatewayIP = nullIP() }),
			"10.0.0.0/24", "", pools("10.0.0.1-10.0.0.254")},
		{"C99_slash31_no_dhcp_no_gateway", with(v4("10.0.0.0/31"), func(r *SubnetRequest) {
			r.EnableDHCP, r.GatewayIP = boolp(false), nullIP()
		}), "10.0.0.0/31", "", pools("10.0.0.0-10.0.0.1")},
		{"slash31_default_gateway_carved", with(v4("10.0.0.0/31"), func(r *SubnetRequest) { r.EnableDHCP = boolp(false) }),
			"10.0.0.0/31", "10.0.0.1", pools("10.0.0.0-10.0.0.0")},
		{"slash32_single_address", with(v4("10.0.0.7/32"), func(r *SubnetRequest) { r.EnableDHCP = boolp(false) }),
			"10.0.0.7/32", "10.0.0.8", pools("10.0.0.7-10.0.0.7")},
		{"slash29_gateway_first", v4("10.0.0.0/29"), "10.0.0.0/29", "10.0.0.1", pools("10.0.0.2-10.0.0.6")},
		{"slash29_gateway_dot3", with(v4("10.0.0.0/29"), func(r *SubnetRequest) { r.GatewayIP = ipp("10.0.0.3") }),
			"10.0.0.0/29", "10.0.0.3", pools("10.0.0.1-10.0.0.2", "10.0.0.4-10.0.0.6")},
		{"C106_v6_defaults", v6("2001:db8::/64"), "2001:db8::/64", "2001:db8::",
			pools("2001:db8::1-2001:db8::ffff:ffff:ffff:ffff")},
		{"v6_gateway_last_address", with(v6("2001::/64"), func(r *SubnetRequest) { r.GatewayIP = ipp("2001::ffff:ffff:ffff:ffff") }),
			"2001::/64", "2001::ffff:ffff:ffff:ffff", pools("2001::1-2001::ffff:ffff:ffff:fffe")},
		{"v6_gateway_null", with(v6("2001:db8::/64"), func(r *SubnetRequest) { r.GatewayIP = nullIP() }),
			"2001:db8::/64", "", pools("2001:db8::1-2001:db8::ffff:ffff:ffff:ffff")},
		{"given_pools_kept_in_order", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = poolsp("10.0.0.100-10.0.0.200", "10.0.0.10-10.0.0.20")
		}), "10.0.0.0/24", "10.0.0.1", pools("10.0.0.100-10.0.0.200", "10.0.0.10-10.0.0.20")},
		{"given_empty_pools", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.AllocationPools = &[]core.IPRange{} }),
			"10.0.0.0/24", "10.0.0.1", []core.IPRange{}},
		{"given_pool_whole_usable_range_no_gateway", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.GatewayIP, r.AllocationPools = nullIP(), poolsp("10.0.0.1-10.0.0.254")
		}), "10.0.0.0/24", "", pools("10.0.0.1-10.0.0.254")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ValidateSubnet(tt.req, Limits{})
			require.NoError(t, err)
			assert.Equal(t, cidr(tt.cidr), s.CIDR)
			assert.Equal(t, tt.req.IPVersion, s.IPVersion)
			if tt.gateway == "" {
				assert.False(t, s.GatewayIP.IsValid(), "gateway %s", s.GatewayIP)
			} else {
				assert.Equal(t, ip(tt.gateway), s.GatewayIP)
			}
			assert.Equal(t, tt.pools, s.AllocationPools)
			assert.Equal(t, tt.req.EnableDHCP == nil || *tt.req.EnableDHCP, s.EnableDHCP)
			assert.NotNil(t, s.DNSNameservers)
			assert.NotNil(t, s.HostRoutes)
		})
	}
}

func TestSubnetDefaultsKeepsLists(t *testing.T) {
	dns := ips("8.8.8.8", "1.1.1.1")
	routes := []core.HostRoute{route("10.13.0.0/24", "10.0.0.5")}
	s, err := ValidateSubnet(with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
		r.DNSNameservers, r.HostRoutes = dns, routes
	}), Limits{})
	require.NoError(t, err)
	assert.Equal(t, dns, s.DNSNameservers, "order preserved")
	assert.Equal(t, routes, s.HostRoutes)
	dns[0] = ip("9.9.9.9")
	assert.Equal(t, ip("8.8.8.8"), s.DNSNameservers[0], "result does not alias the request")
}

func TestSubnetValidation(t *testing.T) {
	six := ips("1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5", "1.1.1.6")
	var manyRoutes []core.HostRoute
	for i := range 21 {
		manyRoutes = append(manyRoutes, core.HostRoute{
			Destination: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 20, byte(i), 0}), 24), NextHop: ip("10.0.0.9")})
	}
	tests := []struct {
		name string
		req  SubnetRequest
		lim  Limits
		want *wantErr // nil: accepted
	}{
		{"C88_ip_version_missing", SubnetRequest{CIDR: cidr("10.0.0.0/24")}, Limits{},
			badRequest("HTTPBadRequest", "Failed to parse request. Required attribute 'ip_version' not specified")},
		{"ip_version_not_4_or_6", SubnetRequest{IPVersion: 5, CIDR: cidr("10.0.0.0/24")}, Limits{},
			badRequest("HTTPBadRequest", "Invalid input for ip_version. Reason: 5 is not in [4, 6].")},
		{"C93_gateway_broadcast", with(v4("10.1.0.0/24"), func(r *SubnetRequest) { r.GatewayIP = ipp("10.1.0.255") }), Limits{},
			badRequest("InvalidInput", "Invalid input for operation: Gateway is not valid on subnet.")},
		{"C93_gateway_network_address", with(v4("10.1.0.0/24"), func(r *SubnetRequest) { r.GatewayIP = ipp("10.1.0.0") }), Limits{},
			badRequest("InvalidInput", "Gateway is not valid on subnet")},
		{"v6_gateway_network_address_ok", with(v6("2001:db8::/64"), func(r *SubnetRequest) { r.GatewayIP = ipp("2001:db8::") }), Limits{},
			nil},
		{"gateway_version_mismatch", with(v4("10.1.0.0/24"), func(r *SubnetRequest) { r.GatewayIP = ipp("2001:db8::1") }), Limits{},
			badRequest("InvalidInput", "gateway_ip '2001:db8::1' does not match the ip_version '4'")},
		{"C96_pools_overlap", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = poolsp("10.0.0.10-10.0.0.20", "10.0.0.15-10.0.0.30")
		}), Limits{}, conflict("OverlappingAllocationPools",
			"Found overlapping allocation pools: 10.0.0.10-10.0.0.20 10.0.0.15-10.0.0.30 for subnet 10.0.0.0/24.")},
		{"C96_pools_overlap_one_address", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = poolsp("10.0.0.30-10.0.0.40", "10.0.0.10-10.0.0.30")
		}), Limits{}, conflict("OverlappingAllocationPools", "10.0.0.30-10.0.0.40 10.0.0.10-10.0.0.30")},
		{"adjacent_pools_ok", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = poolsp("10.0.0.10-10.0.0.20", "10.0.0.21-10.0.0.30")
		}), Limits{}, nil},
		{"C97_pool_contains_default_gateway", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = poolsp("10.0.0.1-10.0.0.10")
		}), Limits{}, conflict("GatewayConflictWithAllocationPools",
			"Gateway ip 10.0.0.1 conflicts with allocation pool 10.0.0.1-10.0.0.10.")},
		{"C97_pool_contains_given_gateway", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.GatewayIP, r.AllocationPools = ipp("10.0.0.50"), poolsp("10.0.0.2-10.0.0.10", "10.0.0.40-10.0.0.60")
		}), Limits{}, conflict("GatewayConflictWithAllocationPools", "10.0.0.40-10.0.0.60")},
		{"C97_v6_pool_contains_default_gateway", with(v6("2001:db8::/64"), func(r *SubnetRequest) {
			r.GatewayIP, r.AllocationPools = ipp("2001:db8::5"), poolsp("2001:db8::1-2001:db8::10")
		}), Limits{}, conflict("GatewayConflictWithAllocationPools", "2001:db8::5")},
		{"C98_pool_beyond_cidr", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = poolsp("10.0.0.2-10.0.1.5")
		}), Limits{}, badRequest("OutOfBoundsAllocationPool",
			"The allocation pool 10.0.0.2-10.0.1.5 spans beyond the subnet cidr 10.0.0.0/24.")},
		{"C98_pool_includes_broadcast", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = poolsp("10.0.0.2-10.0.0.255")
		}), Limits{}, badRequest("OutOfBoundsAllocationPool", "10.0.0.2-10.0.0.255")},
		{"C98_pool_includes_network_address", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.GatewayIP, r.AllocationPools = nullIP(), poolsp("10.0.0.0-10.0.0.5")
		}), Limits{}, badRequest("OutOfBoundsAllocationPool", "10.0.0.0-10.0.0.5")},
		{"C98_pool_start_after_end", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = poolsp("10.0.0.9-10.0.0.2")
		}), Limits{}, badRequest("InvalidAllocationPool",
			"The allocation pool {'start': '10.0.0.9', 'end': '10.0.0.2'} is not valid.")},
		{"pool_mixed_versions", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = &[]core.IPRange{{Start: ip("10.0.0.2"), End: ip("::5")}}
		}), Limits{}, badRequest("InvalidAllocationPool", "{'start': '10.0.0.2', 'end': '::5'}")},
		{"pool_missing_address", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = &[]core.IPRange{{Start: ip("10.0.0.2")}}
		}), Limits{}, badRequest("InvalidAllocationPool", "{'start': '10.0.0.2', 'end': ''}")},
		{"pool_wrong_version", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = poolsp("2001:db8::2-2001:db8::9")
		}), Limits{}, badRequest("InvalidAllocationPool", "The allocation pool 2001:db8::2-2001:db8::9 is not valid.")},
		{"invalid_pool_wins_over_out_of_bounds", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = poolsp("10.9.0.2-10.9.0.9", "10.0.0.9-10.0.0.2")
		}), Limits{}, badRequest("InvalidAllocationPool", "10.0.0.9")},
		{"C99_slash31_with_dhcp", v4("10.0.0.0/31"), Limits{},
			badRequest("InvalidInput", "Subnet has a prefix length that is incompatible with DHCP service enabled")},
		{"slash32_with_dhcp", v4("10.0.0.1/32"), Limits{},
			badRequest("InvalidInput", "incompatible with DHCP")},
		{"slash30_with_dhcp_ok", v4("10.0.0.0/30"), Limits{}, nil},
		{"v6_slash127_with_dhcp", v6("2001:db8::/127"), Limits{}, badRequest("InvalidInput", "incompatible with DHCP")},
		{"v6_slash126_with_dhcp_ok", v6("2001:db8::/126"), Limits{}, nil},
		{"multicast_with_dhcp", v4("224.0.0.0/24"), Limits{},
			badRequest("InvalidInput", "Multicast IP subnet is not supported if enable_dhcp is True")},
		{"v6_multicast_with_dhcp", v6("ff05::/64"), Limits{}, badRequest("InvalidInput", "Multicast IP subnet")},
		{"multicast_without_dhcp_ok", with(v4("224.0.0.0/24"), func(r *SubnetRequest) { r.EnableDHCP = boolp(false) }), Limits{}, nil},
		{"loopback_with_dhcp", v4("127.0.0.0/24"), Limits{},
			badRequest("InvalidInput", "Loopback IP subnet is not supported if enable_dhcp is True")},
		{"zero_first_address_with_dhcp", v4("0.0.0.0/24"), Limits{},
			badRequest("InvalidInput", "First IP '0.0.0.0' of network is not supported if enable_dhcp is True")},
		{"C100_prefix_length_zero", v4("0.0.0.0/0"), Limits{},
			badRequest("InvalidInput", "Invalid input for operation: 0 is not allowed as CIDR prefix length.")},
		{"C100_prefix_length_zero_v6", v6("::/0"), Limits{},
			badRequest("InvalidInput", "0 is not allowed as CIDR prefix length")},
		{"C101_dns_exhausted_default_limit", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.DNSNameservers = six }), Limits{},
			badRequest("DNSNameServersExhausted",
				"Unable to complete operation for new subnet. The number of DNS nameservers exceeds the limit 5.")},
		{"C101_dns_at_default_limit_ok", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.DNSNameservers = six[:5] }), Limits{}, nil},
		{"C101_dns_exhausted_configured_limit", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.DNSNameservers = six[:3] }),
			Limits{MaxDNSNameservers: 2}, badRequest("DNSNameServersExhausted", "exceeds the limit 2")},
		{"C101_dns_duplicate", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.DNSNameservers = ips("8.8.8.8", "8.8.8.8") }),
			Limits{}, badRequest("HTTPBadRequest", "Invalid input for dns_nameservers. Reason: Duplicate nameserver '8.8.8.8'.")},
		{"dns_duplicate_wins_over_count", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.DNSNameservers = append(ips("1.1.1.1"), six...)
		}), Limits{}, badRequest("HTTPBadRequest", "Duplicate nameserver '1.1.1.1'")},
		{"dns_version_mismatch", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.DNSNameservers = ips("2001:4860::8888") }),
			Limits{}, badRequest("InvalidInput", "dns_nameserver '2001:4860::8888' does not match the ip_version '4'")},
		{"C102_route_destination_host_bits", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.HostRoutes = []core.HostRoute{route("10.13.0.1/24", "10.0.0.5")}
		}), Limits{}, badRequest("HTTPBadRequest",
			"Invalid input for host_routes. Reason: '10.13.0.1/24' is not a recognized CIDR, '10.13.0.0/24' is recommended.")},
		{"route_duplicate", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.HostRoutes = []core.HostRoute{route("10.13.0.0/24", "10.0.0.5"), route("10.13.0.0/24", "10.0.0.5")}
		}), Limits{}, badRequest("HTTPBadRequest",
			"Duplicate hostroute '{'destination': '10.13.0.0/24', 'nexthop': '10.0.0.5'}'")},
		{"route_same_destination_other_nexthop_ok", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.HostRoutes = []core.HostRoute{route("10.13.0.0/24", "10.0.0.5"), route("10.13.0.0/24", "10.0.0.6")}
		}), Limits{}, nil},
		{"routes_exhausted", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.HostRoutes = manyRoutes }), Limits{},
			badRequest("HostRoutesExhausted",
				"Unable to complete operation for new subnet. The number of host routes exceeds the limit 20.")},
		{"routes_at_limit_ok", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.HostRoutes = manyRoutes[:20] }), Limits{}, nil},
		{"route_nexthop_version_mismatch", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.HostRoutes = []core.HostRoute{route("10.13.0.0/24", "2001:db8::1")}
		}), Limits{}, badRequest("InvalidInput", "nexthop '2001:db8::1' does not match the ip_version '4'")},
		{"route_destination_version_mismatch", with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.HostRoutes = []core.HostRoute{route("2001:db8::/64", "10.0.0.1")}
		}), Limits{}, badRequest("InvalidInput", "destination '2001:db8::/64' does not match the ip_version '4'")},
		{"cidr_version_mismatch", v4("2001:db8::/64"), Limits{},
			badRequest("InvalidInput", "cidr '2001:db8::/64' does not match the ip_version '4'")},
		{"C103_v4_with_ra_mode", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.IPv6RAMode = core.IPv6ModeSLAAC }), Limits{},
			badRequest("InvalidInput", "ipv6_ra_mode is not valid when ip_version is 4")},
		{"C103_v4_with_address_mode", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.IPv6AddressMode = core.IPv6ModeSLAAC }),
			Limits{}, badRequest("InvalidInput", "ipv6_address_mode is not valid when ip_version is 4")},
		{"C104_modes_differ", with(v6("2001:db8::/64"), func(r *SubnetRequest) {
			r.IPv6RAMode, r.IPv6AddressMode = core.IPv6ModeSLAAC, core.IPv6ModeDHCPv6Stateful
		}), Limits{}, badRequest("InvalidInput",
			"ipv6_ra_mode set to 'slaac' with ipv6_address_mode set to 'dhcpv6-stateful' is not valid. "+
				"If both attributes are set, they must be the same value")},
		{"C104_ra_mode_only_ok", with(v6("2001:db8::/64"), func(r *SubnetRequest) { r.IPv6RAMode = core.IPv6ModeSLAAC }), Limits{}, nil},
		{"C104_address_mode_only_ok", with(v6("2001:db8::/64"), func(r *SubnetRequest) {
			r.IPv6AddressMode = core.IPv6ModeDHCPv6Stateful
		}), Limits{}, nil},
		{"C104_modes_equal_ok", with(v6("2001:db8::/64"), func(r *SubnetRequest) {
			r.IPv6RAMode, r.IPv6AddressMode = core.IPv6ModeDHCPv6Stateless, core.IPv6ModeDHCPv6Stateless
		}), Limits{}, nil},
		{"C105_slaac_on_slash56", with(v6("2001:db8::/56"), func(r *SubnetRequest) { r.IPv6AddressMode = core.IPv6ModeSLAAC }),
			Limits{}, badRequest("InvalidInput", "Invalid CIDR 2001:db8::/56 for IPv6 address mode. "+
				"OpenStack uses the EUI-64 address format, which requires the prefix to be /64")},
		{"C105_stateless_ra_mode_on_slash80", with(v6("2001:db8::/80"), func(r *SubnetRequest) {
			r.IPv6RAMode = core.IPv6ModeDHCPv6Stateless
		}), Limits{}, badRequest("InvalidInput", "requires the prefix to be /64")},
		{"stateful_on_slash56_ok", with(v6("2001:db8::/56"), func(r *SubnetRequest) {
			r.IPv6RAMode, r.IPv6AddressMode = core.IPv6ModeDHCPv6Stateful, core.IPv6ModeDHCPv6Stateful
		}), Limits{}, nil},
		{"v6_modes_without_dhcp", with(v6("2001:db8::/64"), func(r *SubnetRequest) {
			r.IPv6AddressMode, r.EnableDHCP = core.IPv6ModeSLAAC, boolp(false)
		}), Limits{}, badRequest("InvalidInput",
			"ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False")},
		{"unknown_ipv6_mode", with(v6("2001:db8::/64"), func(r *SubnetRequest) { r.IPv6RAMode = "bogus" }), Limits{},
			badRequest("HTTPBadRequest", "Invalid input for ipv6_ra_mode. Reason: bogus is not in ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'].")},
		{"C108_no_cidr_no_subnetpool", SubnetRequest{IPVersion: 4}, Limits{},
			badRequest("BadRequest", "Bad subnets request: a subnetpool must be specified in the absence of a cidr.")},
		{"cidr_and_prefixlen", with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.PrefixLen = intp(26) }), Limits{},
			badRequest("BadRequest", "Bad subnets request: cidr and prefixlen must not be supplied together.")},
		{"gateway_with_zone", with(v6("fe80::/64"), func(r *SubnetRequest) { r.GatewayIP = ipp("fe80::1%eth0") }), Limits{},
			badRequest("HTTPBadRequest", "Invalid input for gateway_ip")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ValidateSubnet(tt.req, tt.lim)
			if tt.want == nil {
				require.NoError(t, err)
				require.NotNil(t, s)
				return
			}
			assert.Nil(t, s)
			requireErr(t, err, *tt.want)
		})
	}
}

func TestCheckOverlap(t *testing.T) {
	existing := []*core.Subnet{
		{Standard: core.Standard{ID: "s1"}, NetworkID: "net-1", IPVersion: 4, CIDR: cidr("10.0.0.0/24")},
		{Standard: core.Standard{ID: "s2"}, NetworkID: "net-1", IPVersion: 6, CIDR: cidr("2001:db8::/64")},
	}
	tests := []struct {
		name string
		cidr string
		subs []*core.Subnet
		want *wantErr
	}{
		{"C92_same_cidr", "10.0.0.0/24", existing, badRequest("InvalidInput",
			"Invalid input for operation: Requested subnet with cidr: 10.0.0.0/24 for network: net-1 overlaps with another subnet.")},
		{"C92_contained", "10.0.0.128/25", existing, badRequest("InvalidInput", "overlaps with another subnet")},
		{"C92_containing", "10.0.0.0/16", existing, badRequest("InvalidInput", "overlaps with another subnet")},
		{"C92_host_bits_cleared_first", "10.0.0.77/24", existing, badRequest("InvalidInput", "cidr: 10.0.0.0/24")},
		{"C92_v6_overlap", "2001:db8::/48", existing, badRequest("InvalidInput", "overlaps")},
		{"C92_other_network_ok", "10.0.0.0/24", nil, nil},
		{"adjacent_ok", "10.0.1.0/24", existing, nil},
		{"other_family_ok", "::ffff:10.0.0.0/120", existing, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckOverlap(cidr(tt.cidr), tt.subs)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			requireErr(t, err, *tt.want)
		})
	}
}

func TestGeneratePools(t *testing.T) {
	tests := []struct {
		name, cidr, gw string
		want           []core.IPRange
	}{
		{"v4_slash24_gw_first", "10.0.0.0/24", "10.0.0.1", pools("10.0.0.2-10.0.0.254")},
		{"v4_slash24_no_gw", "10.0.0.0/24", "", pools("10.0.0.1-10.0.0.254")},
		{"v4_slash30", "10.0.0.0/30", "10.0.0.1", pools("10.0.0.2-10.0.0.2")},
		{"v4_slash30_only_host_is_gateway", "10.0.0.0/30", "10.0.0.2", pools("10.0.0.1-10.0.0.1")},
		{"v4_slash31_no_gw", "10.0.0.0/31", "", pools("10.0.0.0-10.0.0.1")},
		{"v4_slash32", "10.0.0.9/32", "10.0.0.9", pools("10.0.0.9-10.0.0.9")},
		{"v6_slash127", "2001:db8::/127", "2001:db8::", pools("2001:db8::1-2001:db8::1")},
		{"v6_slash127_gateway_only_host", "2001:db8::/127", "2001:db8::1", []core.IPRange{}},
		{"v6_slash128", "2001:db8::5/128", "", pools("2001:db8::5-2001:db8::5")},
		{"v6_slash8_gateway_in_middle", "2000::/8", "2000::1:0",
			pools("2000::1-2000::ffff", "2000::1:1-20ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gw netip.Addr
			if tt.gw != "" {
				gw = ip(tt.gw)
			}
			assert.Equal(t, tt.want, GeneratePools(cidr(tt.cidr), gw))
		})
	}
}

func TestValidateSubnetUpdate(t *testing.T) {
	base := func() *core.Subnet {
		s, err := ValidateSubnet(with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.DNSNameservers = ips("8.8.8.8")
		}), Limits{})
		require.NoError(t, err)
		s.ID, s.NetworkID = "sub-1", "net-1"
		return s
	}
	noDHCP := func() *core.Subnet {
		s, err := ValidateSubnet(with(v4("10.0.0.0/31"), func(r *SubnetRequest) { r.EnableDHCP = boolp(false) }), Limits{})
		require.NoError(t, err)
		s.ID = "sub-31"
		return s
	}
	slaac := func() *core.Subnet {
		s, err := ValidateSubnet(with(v6("2001:db8::/64"), func(r *SubnetRequest) {
			r.IPv6RAMode, r.IPv6AddressMode = core.IPv6ModeSLAAC, core.IPv6ModeSLAAC
		}), Limits{})
		require.NoError(t, err)
		s.ID = "sub-6"
		return s
	}
	tests := []struct {
		name     string
		existing *core.Subnet
		upd      SubnetUpdate
		lim      Limits
		want     *wantErr
		check    func(t *testing.T, s *core.Subnet)
	}{
		{"nothing", base(), SubnetUpdate{}, Limits{}, nil, func(t *testing.T, s *core.Subnet) {
			assert.Equal(t, base(), s)
		}},
		{"pools_replaced", base(), SubnetUpdate{AllocationPools: poolsp("10.0.0.100-10.0.0.110")}, Limits{}, nil,
			func(t *testing.T, s *core.Subnet) { assert.Equal(t, pools("10.0.0.100-10.0.0.110"), s.AllocationPools) }},
		{"pools_against_existing_gateway", base(), SubnetUpdate{AllocationPools: poolsp("10.0.0.1-10.0.0.10")}, Limits{},
			conflict("GatewayConflictWithAllocationPools", "Gateway ip 10.0.0.1 conflicts with allocation pool 10.0.0.1-10.0.0.10."), nil},
		{"pools_out_of_bounds", base(), SubnetUpdate{AllocationPools: poolsp("10.0.0.100-10.0.1.10")}, Limits{},
			badRequest("OutOfBoundsAllocationPool", "spans beyond the subnet cidr 10.0.0.0/24"), nil},
		{"pools_overlap", base(), SubnetUpdate{AllocationPools: poolsp("10.0.0.10-10.0.0.20", "10.0.0.20-10.0.0.30")}, Limits{},
			conflict("OverlappingAllocationPools", "10.0.0.10-10.0.0.20 10.0.0.20-10.0.0.30"), nil},
		{"gateway_into_existing_pool", base(), SubnetUpdate{GatewayIP: ipp("10.0.0.50")}, Limits{},
			conflict("GatewayConflictWithAllocationPools", "Gateway ip 10.0.0.50 conflicts with allocation pool 10.0.0.2-10.0.0.254."), nil},
		{"gateway_and_pools_together", base(), SubnetUpdate{GatewayIP: ipp("10.0.0.254"), AllocationPools: poolsp("10.0.0.2-10.0.0.253")},
			Limits{}, nil, func(t *testing.T, s *core.Subnet) {
				assert.Equal(t, ip("10.0.0.254"), s.GatewayIP)
				assert.Equal(t, pools("10.0.0.2-10.0.0.253"), s.AllocationPools)
			}},
		{"gateway_outside_cidr", base(), SubnetUpdate{GatewayIP: ipp("10.9.9.9")}, Limits{}, nil,
			func(t *testing.T, s *core.Subnet) {
				assert.Equal(t, ip("10.9.9.9"), s.GatewayIP)
				assert.Equal(t, pools("10.0.0.2-10.0.0.254"), s.AllocationPools, "pools are not regenerated")
			}},
		{"gateway_removed", base(), SubnetUpdate{GatewayIP: nullIP()}, Limits{}, nil,
			func(t *testing.T, s *core.Subnet) { assert.False(t, s.GatewayIP.IsValid()) }},
		{"gateway_broadcast", base(), SubnetUpdate{GatewayIP: ipp("10.0.0.255")}, Limits{},
			badRequest("InvalidInput", "Gateway is not valid on subnet"), nil},
		{"gateway_version", base(), SubnetUpdate{GatewayIP: ipp("::1")}, Limits{},
			badRequest("InvalidInput", "gateway_ip '::1' does not match the ip_version '4'"), nil},
		{"same_gateway_pools_untouched_ok", base(), SubnetUpdate{GatewayIP: ipp("10.0.0.1")}, Limits{}, nil, nil},
		{"dns_replaced_in_order", base(), SubnetUpdate{DNSNameservers: &[]netip.Addr{ip("9.9.9.9"), ip("1.1.1.1")}}, Limits{}, nil,
			func(t *testing.T, s *core.Subnet) { assert.Equal(t, ips("9.9.9.9", "1.1.1.1"), s.DNSNameservers) }},
		{"dns_cleared", base(), SubnetUpdate{DNSNameservers: &[]netip.Addr{}}, Limits{}, nil,
			func(t *testing.T, s *core.Subnet) { assert.Equal(t, []netip.Addr{}, s.DNSNameservers) }},
		{"dns_exhausted_names_subnet", base(), SubnetUpdate{DNSNameservers: &[]netip.Addr{ip("1.1.1.1"), ip("1.1.1.2"), ip("1.1.1.3")}},
			Limits{MaxDNSNameservers: 2}, badRequest("DNSNameServersExhausted",
				"Unable to complete operation for sub-1. The number of DNS nameservers exceeds the limit 2."), nil},
		{"dns_duplicate", base(), SubnetUpdate{DNSNameservers: &[]netip.Addr{ip("1.1.1.1"), ip("1.1.1.1")}}, Limits{},
			badRequest("HTTPBadRequest", "Duplicate nameserver '1.1.1.1'"), nil},
		{"routes_replaced", base(), SubnetUpdate{HostRoutes: &[]core.HostRoute{route("0.0.0.0/0", "10.0.0.3")}}, Limits{}, nil,
			func(t *testing.T, s *core.Subnet) {
				assert.Equal(t, []core.HostRoute{route("0.0.0.0/0", "10.0.0.3")}, s.HostRoutes)
			}},
		{"routes_exhausted", base(), SubnetUpdate{HostRoutes: &[]core.HostRoute{route("10.1.0.0/16", "10.0.0.3"), route("10.2.0.0/16", "10.0.0.3")}},
			Limits{MaxHostRoutes: 1}, badRequest("HostRoutesExhausted", "Unable to complete operation for sub-1. The number of host routes exceeds the limit 1."), nil},
		{"route_host_bits", base(), SubnetUpdate{HostRoutes: &[]core.HostRoute{route("10.1.2.3/16", "10.0.0.3")}}, Limits{},
			badRequest("HTTPBadRequest", "'10.1.2.3/16' is not a recognized CIDR, '10.1.0.0/16' is recommended"), nil},
		{"enable_dhcp_on_slash31", noDHCP(), SubnetUpdate{EnableDHCP: boolp(true)}, Limits{},
			badRequest("InvalidInput", "incompatible with DHCP service enabled"), nil},
		{"keep_dhcp_disabled_on_slash31_ok", noDHCP(), SubnetUpdate{EnableDHCP: boolp(false)}, Limits{}, nil, nil},
		{"disable_dhcp_ok", base(), SubnetUpdate{EnableDHCP: boolp(false)}, Limits{}, nil,
			func(t *testing.T, s *core.Subnet) { assert.False(t, s.EnableDHCP) }},
		{"disable_dhcp_with_ipv6_modes", slaac(), SubnetUpdate{EnableDHCP: boolp(false)}, Limits{},
			badRequest("InvalidInput", "Cannot disable enable_dhcp with ipv6 attributes set"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.existing.Clone()
			s, err := ValidateSubnetUpdate(tt.existing, tt.upd, tt.lim)
			assert.Equal(t, before, tt.existing, "existing is not modified")
			if tt.want != nil {
				assert.Nil(t, s)
				requireErr(t, err, *tt.want)
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func TestParseHelpers(t *testing.T) {
	a, err := ParseIP("gateway_ip", "10.0.0.1")
	require.NoError(t, err)
	assert.Equal(t, ip("10.0.0.1"), a)
	_, err = ParseIP("gateway_ip", "10.0.0.256")
	requireErr(t, err, *badRequest("HTTPBadRequest", "Invalid input for gateway_ip. Reason: '10.0.0.256' is not a valid IP address."))
	_, err = ParseIP("gateway_ip", "fe80::1%eth0")
	requireErr(t, err, *badRequest("HTTPBadRequest", "is not a valid IP address"))

	p, err := ParseCIDR("cidr", "10.14.0.77/24")
	require.NoError(t, err)
	assert.Equal(t, cidr("10.14.0.77/24"), p, "host bits kept for ValidateSubnet")
	_, err = ParseCIDR("cidr", "10.0.0.1")
	requireErr(t, err, *badRequest("HTTPBadRequest", "'10.0.0.1' is not a recognized CIDR, '10.0.0.1/32' is recommended"))
	_, err = ParseCIDR("cidr", "nonsense")
	requireErr(t, err, *badRequest("HTTPBadRequest", "Invalid input for cidr. Reason: 'nonsense' is not a valid IP subnet."))
}
