package ipam_test

import (
	"fmt"
	"net/netip"

	"github.com/ml2go/ml2go/core/ipam"
)

// A subnet created with only a CIDR gets Neutron's defaults: host bits
// cleared, the first address as gateway, and the rest of the usable range
// as its allocation pool.
func ExampleValidateSubnet() {
	s, err := ipam.ValidateSubnet(ipam.SubnetRequest{
		IPVersion: 4,
		CIDR:      netip.MustParsePrefix("10.0.0.77/24"),
	}, ipam.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Println(s.CIDR, s.GatewayIP, s.AllocationPools, s.EnableDHCP)

	// A gateway in the middle splits the pool; a null gateway is the zero
	// Addr.
	gw := netip.MustParseAddr("2001:db8::8000")
	s, _ = ipam.ValidateSubnet(ipam.SubnetRequest{
		IPVersion: 6,
		CIDR:      netip.MustParsePrefix("2001:db8::/112"),
		GatewayIP: &gw,
	}, ipam.Limits{})
	fmt.Println(s.GatewayIP, s.AllocationPools)

	s, _ = ipam.ValidateSubnet(ipam.SubnetRequest{
		IPVersion: 4,
		CIDR:      netip.MustParsePrefix("192.168.1.0/29"),
		GatewayIP: &netip.Addr{},
	}, ipam.Limits{})
	fmt.Println(s.GatewayIP.IsValid(), s.AllocationPools)

	// Output:
	// 10.0.0.0/24 10.0.0.1 [{10.0.0.2 10.0.0.254}] true
	// 2001:db8::8000 [{2001:db8::1 2001:db8::7fff} {2001:db8::8001 2001:db8::ffff}]
	// false [{192.168.1.1 192.168.1.6}]
}

// Failures are core's typed errors with Neutron's exception names.
func ExampleValidateSubnet_error() {
	gw := netip.MustParseAddr("10.0.0.255")
	_, err := ipam.ValidateSubnet(ipam.SubnetRequest{
		IPVersion: 4,
		CIDR:      netip.MustParsePrefix("10.0.0.0/24"),
		GatewayIP: &gw,
	}, ipam.Limits{})
	fmt.Println(err)
	// Output:
	// Invalid input for operation: Gateway is not valid on subnet.
}
