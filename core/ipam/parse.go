package ipam

import "net/netip"

// ParseIP parses an IP address attribute as the API gives it. A failure is
// Neutron's attribute error: HTTPBadRequest "Invalid input for <attr>.
// Reason: '<s>' is not a valid IP address.".
func ParseIP(attr, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, attrError(attr, "'%s' is not a valid IP address", s)
	}
	return a, nil
}

// ParseCIDR parses a CIDR attribute as the API gives it, keeping host bits
// (ValidateSubnet clears those of the subnet's cidr and refuses those of a
// host route destination). An address without a prefix length is refused
// with the CIDR Neutron recommends instead.
func ParseCIDR(attr, s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err == nil {
		return p, nil
	}
	if a, aerr := netip.ParseAddr(s); aerr == nil && a.Zone() == "" {
		return netip.Prefix{}, attrError(attr, "'%s' is not a recognized CIDR, '%s' is recommended",
			s, netip.PrefixFrom(a, a.BitLen()))
	}
	return netip.Prefix{}, attrError(attr, "'%s' is not a valid IP subnet", s)
}
