package ipam

import (
	"fmt"
	"net/netip"

	"github.com/ml2go/ml2go/core"
)

// attrError is the error of a failed attribute validator: Neutron raises
// webob's HTTPBadRequest for those.
func attrError(attr, format string, args ...any) error {
	return core.Typed(core.KindBadRequest, "HTTPBadRequest", "Invalid input for %s. Reason: %s.",
		attr, fmt.Sprintf(format, args...))
}

// requiredAttr reports a missing required attribute.
func requiredAttr(attr string) error {
	return core.Typed(core.KindBadRequest, "HTTPBadRequest",
		"Failed to parse request. Required attribute '%s' not specified", attr)
}

// versionMismatch reports an address of the wrong IP version.
func versionMismatch(name string, addr any, version int) error {
	return core.InvalidInput("%s '%s' does not match the ip_version '%d'", name, addr, version)
}

// invalidPoolAsGiven reports a pool that is not a range at all (a bad or
// missing address, mixed versions, start after end). Neutron shows the pool
// as the request gave it.
func invalidPoolAsGiven(p core.IPRange) error {
	return core.Typed(core.KindBadRequest, "InvalidAllocationPool", "The allocation pool %s is not valid.",
		fmt.Sprintf("{'start': '%s', 'end': '%s'}", addrString(p.Start), addrString(p.End)))
}

// invalidPool reports a pool of the wrong IP version.
func invalidPool(p core.IPRange) error {
	return core.Typed(core.KindBadRequest, "InvalidAllocationPool", "The allocation pool %s is not valid.", rangeString(p))
}

func outOfBoundsPool(p core.IPRange, cidr netip.Prefix) error {
	return core.Typed(core.KindBadRequest, "OutOfBoundsAllocationPool",
		"The allocation pool %s spans beyond the subnet cidr %s.", rangeString(p), cidr)
}

func overlappingPools(a, b core.IPRange, cidr netip.Prefix) error {
	return core.Typed(core.KindConflict, "OverlappingAllocationPools",
		"Found overlapping allocation pools: %s %s for subnet %s.", rangeString(a), rangeString(b), cidr)
}

func gatewayConflict(gw netip.Addr, p core.IPRange) error {
	return core.Typed(core.KindConflict, "GatewayConflictWithAllocationPools",
		"Gateway ip %s conflicts with allocation pool %s.", gw, rangeString(p))
}

func dnsExhausted(subnet string, quota int) error {
	return core.Typed(core.KindBadRequest, "DNSNameServersExhausted",
		"Unable to complete operation for %s. The number of DNS nameservers exceeds the limit %d.", subnet, quota)
}

func routesExhausted(subnet string, quota int) error {
	return core.Typed(core.KindBadRequest, "HostRoutesExhausted",
		"Unable to complete operation for %s. The number of host routes exceeds the limit %d.", subnet, quota)
}

// GatewayIPInUse is the 409 GatewayIpInUse error: the subnet's gateway
// cannot change while a router port holds the old gateway address. The
// caller checks that (it needs the store) when ValidateSubnetUpdate returns
// a subnet whose GatewayIP differs from the existing one.
func GatewayIPInUse(ip netip.Addr, portID string) error {
	return core.Typed(core.KindConflict, "GatewayIpInUse",
		"Current gateway ip %s already in use by port %s. Unable to update.", ip, portID)
}

// rangeString renders a range the way netaddr's IPRange prints.
func rangeString(r core.IPRange) string { return addrString(r.Start) + "-" + addrString(r.End) }

// addrString renders an address, or "" for the zero Addr.
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
