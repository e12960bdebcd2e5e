package ipam

import (
	"net/netip"

	"github.com/ml2go/ml2go/core"
)

// routerPortOwners may hold an IPv6 subnet's network (subnet-router
// anycast) address.
var routerPortOwners = map[string]bool{
	core.DeviceOwnerRouterInterface:    true,
	core.DeviceOwnerRouterHAInterface:  true,
	core.DeviceOwnerRouterInterfaceDVR: true,
	core.DeviceOwnerRouterSNAT:         true,
	core.DeviceOwnerRouterGateway:      true,
}

// ValidateFixedIP checks that ip may be requested on sub by a port of
// deviceOwner, and returns InvalidIpForSubnet if not. The address must lie
// inside the CIDR; an IPv4 subnet's network address and broadcast address
// are refused (a /31 or /32 has no broadcast address); an IPv6 subnet's
// network address is allowed only to device owner "" and router owners.
// Addresses outside the allocation pools, and the gateway, are allowed.
func ValidateFixedIP(sub *core.Subnet, ip netip.Addr, deviceOwner string) error {
	cidr := sub.CIDR.Masked()
	if !ip.IsValid() || ip.Zone() != "" || !cidr.Contains(ip) {
		return core.InvalidIPForSubnet(addrString(ip))
	}
	network := cidr.Addr()
	if ip.Is4() {
		if ip == network || (cidr.Bits() < 31 && ip == lastAddr(cidr)) {
			return core.InvalidIPForSubnet(ip.String())
		}
		return nil
	}
	if ip == network && deviceOwner != "" && !routerPortOwners[deviceOwner] {
		return core.InvalidIPForSubnet(ip.String())
	}
	return nil
}

// SubnetContaining returns the first subnet whose CIDR contains ip, or
// InvalidIpForNetwork when none does.
func SubnetContaining(subnets []*core.Subnet, ip netip.Addr) (*core.Subnet, error) {
	for _, s := range subnets {
		if s.CIDR.Contains(ip) {
			return s, nil
		}
	}
	return nil, core.InvalidIPForNetwork(addrString(ip))
}
