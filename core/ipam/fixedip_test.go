package ipam

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
)

func mustSubnet(t testing.TB, req SubnetRequest, id string) *core.Subnet {
	t.Helper()
	s, err := ValidateSubnet(req, Limits{})
	require.NoError(t, err)
	s.ID, s.NetworkID = id, "net-1"
	return s
}

func TestValidateFixedIP(t *testing.T) {
	v4sub := mustSubnet(t, v4("10.0.0.0/24"), "s4")
	p2p := mustSubnet(t, with(v4("10.0.1.0/31"), func(r *SubnetRequest) { r.EnableDHCP = boolp(false) }), "s31")
	host := mustSubnet(t, with(v4("10.0.2.9/32"), func(r *SubnetRequest) { r.EnableDHCP = boolp(false) }), "s32")
	v6sub := mustSubnet(t, v6("2001:db8::/64"), "s6")
	tests := []struct {
		name  string
		sub   *core.Subnet
		ip    string
		owner string
		ok    bool
	}{
		{"C116_v4_network_address", v4sub, "10.0.0.0", "", false},
		{"C116_v4_broadcast", v4sub, "10.0.0.255", "compute:nova", false},
		{"C116_v4_network_address_router", v4sub, "10.0.0.0", core.DeviceOwnerRouterInterface, false},
		{"C117_gateway_allowed", v4sub, "10.0.0.1", "", true},
		{"C117_gateway_allowed_router", v4sub, "10.0.0.1", core.DeviceOwnerRouterInterface, true},
		{"C117_in_pool", v4sub, "10.0.0.77", "compute:nova", true},
		{"outside_cidr", v4sub, "10.0.1.5", "", false},
		{"other_family", v4sub, "2001:db8::5", "", false},
		{"v4_mapped_v6", v4sub, "::ffff:10.0.0.5", "", false},
		{"slash31_no_broadcast", p2p, "10.0.1.1", "", true},
		{"slash31_network_address", p2p, "10.0.1.0", "", false},
		{"slash32_network_address", host, "10.0.2.9", "", false},
		{"v6_anycast_user_port", v6sub, "2001:db8::", "", true},
		{"v6_anycast_compute", v6sub, "2001:db8::", "compute:nova", false},
		{"v6_anycast_dhcp", v6sub, "2001:db8::", core.DeviceOwnerDHCP, false},
		{"v6_anycast_router_interface", v6sub, "2001:db8::", core.DeviceOwnerRouterInterface, true},
		{"v6_anycast_ha_interface", v6sub, "2001:db8::", core.DeviceOwnerRouterHAInterface, true},
		{"v6_anycast_dvr_interface", v6sub, "2001:db8::", core.DeviceOwnerRouterInterfaceDVR, true},
		{"v6_anycast_snat", v6sub, "2001:db8::", core.DeviceOwnerRouterSNAT, true},
		{"v6_anycast_router_gateway", v6sub, "2001:db8::", core.DeviceOwnerRouterGateway, true},
		{"v6_last_address_allowed", v6sub, "2001:db8::ffff:ffff:ffff:ffff", "compute:nova", true},
		{"v6_outside", v6sub, "2001:db9::1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateFixedIP(tt.sub, ip(tt.ip), tt.owner)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			requireErr(t, err, *badRequest("InvalidIpForSubnet",
				"IP address "+tt.ip+" is not a valid IP for the specified subnet."))
		})
	}
}

func TestSubnetContaining(t *testing.T) {
	subs := []*core.Subnet{
		mustSubnet(t, v4("10.0.0.0/24"), "a"),
		mustSubnet(t, v6("2001:db8::/64"), "b"),
	}
	s, err := SubnetContaining(subs, ip("2001:db8::7"))
	require.NoError(t, err)
	assert.Equal(t, "b", s.ID)
	s, err = SubnetContaining(subs, ip("10.0.0.255"))
	require.NoError(t, err)
	assert.Equal(t, "a", s.ID, "containment only; validity is ValidateFixedIP's job")

	t.Run("C118_not_in_any_subnet", func(t *testing.T) {
		_, err := SubnetContaining(subs, ip("192.168.0.5"))
		requireErr(t, err, *badRequest("InvalidIpForNetwork",
			"IP address 192.168.0.5 is not a valid IP for any of the subnets on the specified network."))
	})
}
