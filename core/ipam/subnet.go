package ipam

import (
	"net/netip"
	"slices"

	"github.com/ml2go/ml2go/core"
)

// Limits bounds the lists of a subnet. A zero field takes Neutron's default.
type Limits struct {
	// MaxDNSNameservers is Neutron's max_dns_nameservers; default
	// core.DefaultMaxDNSNameservers (5).
	MaxDNSNameservers int
	// MaxHostRoutes is Neutron's max_subnet_host_routes; default
	// core.DefaultMaxHostRoutes (20).
	MaxHostRoutes int
}

func (l Limits) withDefaults() Limits {
	if l.MaxDNSNameservers <= 0 {
		l.MaxDNSNameservers = core.DefaultMaxDNSNameservers
	}
	if l.MaxHostRoutes <= 0 {
		l.MaxHostRoutes = core.DefaultMaxHostRoutes
	}
	return l
}

// SubnetRequest holds the address attributes of a subnet create request,
// already parsed (ParseIP and ParseCIDR parse the API's strings with
// Neutron's messages). Names, ids, the network and the segment are the
// caller's business.
type SubnetRequest struct {
	// IPVersion is 4 or 6; 0 means not given, which is an error.
	IPVersion int
	// CIDR is the address block as given; host bits are cleared. The zero
	// Prefix means not given, which is an error: ipam has no subnet pools
	// to allocate a CIDR from.
	CIDR netip.Prefix
	// PrefixLen is the prefix length asked of a subnet pool; nil means not
	// given. Giving it with CIDR is an error.
	PrefixLen *int
	// GatewayIP: nil means not given, and Neutron's default applies (the
	// network address + 1 for IPv4, the subnet-router anycast address, the
	// network address itself, for IPv6). A pointer to the zero Addr means
	// null: no gateway.
	GatewayIP *netip.Addr
	// AllocationPools: nil means not given, and the pools are generated
	// from the CIDR around the gateway. A pointer to a slice, even an empty
	// one, gives the pools.
	AllocationPools *[]core.IPRange
	// DNSNameservers are kept in order.
	DNSNameservers []netip.Addr
	HostRoutes     []core.HostRoute
	// EnableDHCP: nil means true.
	EnableDHCP *bool
	// IPv6RAMode and IPv6AddressMode are "" (unset) or one of
	// core.IPv6ModeSLAAC, core.IPv6ModeDHCPv6Stateful and
	// core.IPv6ModeDHCPv6Stateless.
	IPv6RAMode      string
	IPv6AddressMode string
}

// SubnetUpdate holds the address attributes of a subnet update. A nil field
// is left as it is.
type SubnetUpdate struct {
	// GatewayIP: a pointer to the zero Addr removes the gateway.
	GatewayIP *netip.Addr
	// AllocationPools replace the pools wholesale; they are not
	// regenerated when only the gateway changes.
	AllocationPools *[]core.IPRange
	DNSNameservers  *[]netip.Addr
	HostRoutes      *[]core.HostRoute
	EnableDHCP      *bool
}

// ValidateSubnet checks a subnet create request in Neutron's order and
// returns a subnet with the address fields filled in: IPVersion, the CIDR
// with its host bits cleared, GatewayIP, AllocationPools, DNSNameservers,
// HostRoutes, EnableDHCP and the IPv6 modes. Slices in the result are never
// nil.
//
// The checks, first failure wins: the attribute-level ones (ip_version
// required and 4 or 6, duplicate DNS servers, host route destinations with
// host bits, duplicate routes, unknown IPv6 modes) as HTTPBadRequest; then
// cidr with prefixlen, missing cidr, the CIDR's IP version, a /0 CIDR,
// the DHCP restrictions (prefix too long, multicast, loopback, 0.0.0.0),
// the gateway (IP version, IPv4 network or broadcast address; a gateway
// outside the CIDR is fine), DNS servers (count, IP version), host routes
// (count, IP versions), the IPv6 modes; then the defaults, and given pools
// are validated (InvalidAllocationPool, OutOfBoundsAllocationPool,
// OverlappingAllocationPools, GatewayConflictWithAllocationPools).
//
// Overlap with the network's other subnets is CheckOverlap's job, which the
// caller runs next, inside its transaction.
func ValidateSubnet(req SubnetRequest, lim Limits) (*core.Subnet, error) {
	lim = lim.withDefaults()
	switch req.IPVersion {
	case 0:
		return nil, requiredAttr("ip_version")
	case 4, 6:
	default:
		return nil, attrError("ip_version", "%d is not in [4, 6]", req.IPVersion)
	}
	if req.GatewayIP != nil && req.GatewayIP.Zone() != "" {
		return nil, attrError("gateway_ip", "'%s' is not a valid IP address", *req.GatewayIP)
	}
	if err := checkListAttrs(req.DNSNameservers, req.HostRoutes); err != nil {
		return nil, err
	}
	if err := checkModeValue("ipv6_ra_mode", req.IPv6RAMode); err != nil {
		return nil, err
	}
	if err := checkModeValue("ipv6_address_mode", req.IPv6AddressMode); err != nil {
		return nil, err
	}

	if req.CIDR.IsValid() && req.PrefixLen != nil {
		return nil, core.BadRequest("subnets", "cidr and prefixlen must not be supplied together")
	}
	if !req.CIDR.IsValid() {
		return nil, core.BadRequest("subnets", "a subnetpool must be specified in the absence of a cidr")
	}
	ver := req.IPVersion
	cidr := req.CIDR.Masked()
	if ipVersion(cidr.Addr()) != ver {
		return nil, versionMismatch("cidr", cidr, ver)
	}
	// Neutron checks the prefix length with the overlap, last; checking
	// it first makes 0.0.0.0/0 report it even with DHCP enabled, as the
	// API does.
	if cidr.Bits() == 0 {
		return nil, core.InvalidInput("0 is not allowed as CIDR prefix length")
	}
	dhcp := req.EnableDHCP == nil || *req.EnableDHCP
	if dhcp {
		if err := checkDHCP(cidr); err != nil {
			return nil, err
		}
	}
	if req.GatewayIP != nil && req.GatewayIP.IsValid() {
		if err := checkGateway(cidr, ver, *req.GatewayIP); err != nil {
			return nil, err
		}
	}
	if err := checkNameservers("new subnet", req.DNSNameservers, ver, lim); err != nil {
		return nil, err
	}
	if err := checkRoutes("new subnet", req.HostRoutes, ver, lim); err != nil {
		return nil, err
	}
	if err := checkModes(ver, cidr, dhcp, req.IPv6RAMode, req.IPv6AddressMode); err != nil {
		return nil, err
	}

	gw := defaultGateway(cidr)
	if req.GatewayIP != nil {
		gw = *req.GatewayIP
	}
	var pools []core.IPRange
	if req.AllocationPools == nil {
		pools = GeneratePools(cidr, gw)
	} else {
		pools = slices.Clone(*req.AllocationPools)
		if err := checkPools(pools, cidr); err != nil {
			return nil, err
		}
		if err := checkGatewayOutOfPools(gw, pools); err != nil {
			return nil, err
		}
	}
	return &core.Subnet{
		IPVersion:       ver,
		CIDR:            cidr,
		GatewayIP:       gw,
		AllocationPools: nonNil(pools),
		DNSNameservers:  nonNil(slices.Clone(req.DNSNameservers)),
		HostRoutes:      nonNil(slices.Clone(req.HostRoutes)),
		EnableDHCP:      dhcp,
		IPv6RAMode:      req.IPv6RAMode,
		IPv6AddressMode: req.IPv6AddressMode,
	}, nil
}

// ValidateSubnetUpdate checks an update of existing and returns the updated
// copy; existing is not modified. It applies the create checks that concern
// the changed attributes: enabling DHCP re-runs the DHCP restrictions, a
// new gateway is checked against the CIDR, DNS servers and host routes
// against their limits and IP version; DHCP cannot be disabled while IPv6
// modes are set; new pools are validated like given pools on create; and
// the gateway must lie outside the pools whenever either changes.
//
// The IPv6 modes and the CIDR cannot be updated. GatewayIpInUse (the old
// gateway held by a router port) needs the store: the caller checks it when
// the result's GatewayIP differs from existing's, and may use
// GatewayIPInUse for the error.
func ValidateSubnetUpdate(existing *core.Subnet, upd SubnetUpdate, lim Limits) (*core.Subnet, error) {
	lim = lim.withDefaults()
	if upd.GatewayIP != nil && upd.GatewayIP.Zone() != "" {
		return nil, attrError("gateway_ip", "'%s' is not a valid IP address", *upd.GatewayIP)
	}
	if err := checkListAttrs(deref(upd.DNSNameservers), deref(upd.HostRoutes)); err != nil {
		return nil, err
	}
	ver, cidr := existing.IPVersion, existing.CIDR.Masked()
	if upd.EnableDHCP != nil && *upd.EnableDHCP && !existing.EnableDHCP {
		if err := checkDHCP(cidr); err != nil {
			return nil, err
		}
	}
	if upd.GatewayIP != nil && upd.GatewayIP.IsValid() {
		if err := checkGateway(cidr, ver, *upd.GatewayIP); err != nil {
			return nil, err
		}
	}
	if upd.DNSNameservers != nil {
		if err := checkNameservers(existing.ID, *upd.DNSNameservers, ver, lim); err != nil {
			return nil, err
		}
	}
	if upd.HostRoutes != nil {
		if err := checkRoutes(existing.ID, *upd.HostRoutes, ver, lim); err != nil {
			return nil, err
		}
	}
	if ver == 6 && upd.EnableDHCP != nil && !*upd.EnableDHCP &&
		(existing.IPv6RAMode != "" || existing.IPv6AddressMode != "") {
		return nil, core.InvalidInput("Cannot disable enable_dhcp with ipv6 attributes set")
	}

	s := existing.Clone()
	if upd.AllocationPools != nil {
		s.AllocationPools = nonNil(slices.Clone(*upd.AllocationPools))
		if err := checkPools(s.AllocationPools, cidr); err != nil {
			return nil, err
		}
	}
	if upd.GatewayIP != nil {
		s.GatewayIP = *upd.GatewayIP
	}
	if s.GatewayIP != existing.GatewayIP || upd.AllocationPools != nil {
		if err := checkGatewayOutOfPools(s.GatewayIP, s.AllocationPools); err != nil {
			return nil, err
		}
	}
	if upd.DNSNameservers != nil {
		s.DNSNameservers = nonNil(slices.Clone(*upd.DNSNameservers))
	}
	if upd.HostRoutes != nil {
		s.HostRoutes = nonNil(slices.Clone(*upd.HostRoutes))
	}
	if upd.EnableDHCP != nil {
		s.EnableDHCP = *upd.EnableDHCP
	}
	return s, nil
}

// CheckOverlap refuses a new CIDR that overlaps a subnet in existing, which
// the caller fills with the subnets of the same network: overlap with other
// networks' subnets is allowed.
func CheckOverlap(cidr netip.Prefix, existing []*core.Subnet) error {
	cidr = cidr.Masked()
	for _, s := range existing {
		if s.CIDR.Overlaps(cidr) {
			return core.InvalidInput("Requested subnet with cidr: %s for network: %s overlaps with another subnet",
				cidr, s.NetworkID)
		}
	}
	return nil
}

// GeneratePools returns Neutron's default allocation pools of a CIDR: the
// usable range (for IPv4 up to /30 the addresses between the network and
// broadcast addresses, a whole /31, the single address of a /32; for IPv6
// everything after the subnet-router anycast address, the single address
// of a /128) with the gateway, when it lies inside, carved out. The result
// is never nil, and may be empty when the gateway was the only address.
func GeneratePools(cidr netip.Prefix, gateway netip.Addr) []core.IPRange {
	cidr = cidr.Masked()
	first, last := usableRange(cidr)
	r := core.IPRange{Start: first, End: last}
	single := cidr.Bits() == cidr.Addr().BitLen()
	if single || !gateway.IsValid() || !r.Contains(gateway) {
		return []core.IPRange{r}
	}
	out := make([]core.IPRange, 0, 2)
	if gateway != first {
		out = append(out, core.IPRange{Start: first, End: gateway.Prev()})
	}
	if gateway != last {
		out = append(out, core.IPRange{Start: gateway.Next(), End: last})
	}
	return out
}

// usableRange is the range allocation pools may cover (see GeneratePools).
func usableRange(cidr netip.Prefix) (first, last netip.Addr) {
	first, last = cidr.Addr(), lastAddr(cidr)
	switch {
	case first == last:
		return first, last
	case first.Is4() && cidr.Bits() > 30:
		return first, last
	case first.Is4():
		return first.Next(), last.Prev()
	default:
		return first.Next(), last
	}
}

// defaultGateway is the gateway of a subnet created without one: the first
// address after the network address for IPv4, the network address itself
// for IPv6. A 255.255.255.255/32 has none.
func defaultGateway(cidr netip.Prefix) netip.Addr {
	if cidr.Addr().Is6() {
		return cidr.Addr()
	}
	return cidr.Addr().Next()
}

// checkListAttrs runs the attribute validators of dns_nameservers and
// host_routes.
func checkListAttrs(dns []netip.Addr, routes []core.HostRoute) error {
	seen := make(map[netip.Addr]bool, len(dns))
	for _, d := range dns {
		if !d.IsValid() || d.Zone() != "" {
			return attrError("dns_nameservers", "'%s' is not a valid nameserver. '%s' is not a valid IP address",
				addrString(d), addrString(d))
		}
		if seen[d] {
			return attrError("dns_nameservers", "Duplicate nameserver '%s'", d)
		}
		seen[d] = true
	}
	seenRoutes := make(map[core.HostRoute]bool, len(routes))
	for _, r := range routes {
		switch {
		case !r.Destination.IsValid():
			return attrError("host_routes", "'' is not a valid IP subnet")
		case r.Destination != r.Destination.Masked():
			return attrError("host_routes", "'%s' is not a recognized CIDR, '%s' is recommended",
				r.Destination, r.Destination.Masked())
		case !r.NextHop.IsValid() || r.NextHop.Zone() != "":
			return attrError("host_routes", "'%s' is not a valid IP address", addrString(r.NextHop))
		case seenRoutes[r]:
			return attrError("host_routes", "Duplicate hostroute '{'destination': '%s', 'nexthop': '%s'}'",
				r.Destination, r.NextHop)
		}
		seenRoutes[r] = true
	}
	return nil
}

var ipv6Modes = []string{core.IPv6ModeDHCPv6Stateful, core.IPv6ModeDHCPv6Stateless, core.IPv6ModeSLAAC}

// checkModeValue runs the attribute validator of an IPv6 mode.
func checkModeValue(attr, mode string) error {
	if mode == "" || slices.Contains(ipv6Modes, mode) {
		return nil
	}
	return attrError(attr, "%s is not in ['%s', '%s', '%s']", mode, ipv6Modes[0], ipv6Modes[1], ipv6Modes[2])
}

// checkDHCP refuses CIDRs DHCP cannot serve.
func checkDHCP(cidr netip.Prefix) error {
	a := cidr.Addr()
	if (a.Is4() && cidr.Bits() > 30) || (a.Is6() && cidr.Bits() > 126) {
		return core.InvalidInput("Subnet has a prefix length that is incompatible with DHCP service enabled")
	}
	// Multicast: the CIDR lies inside 224.0.0.0/4 or ff00::/8. Loopback:
	// inside 127.0.0.0/8, or ::1/128 (already refused above).
	multicastBits, loopbackBits := 8, 128
	if a.Is4() {
		multicastBits, loopbackBits = 4, 8
	}
	if a.IsMulticast() && cidr.Bits() >= multicastBits {
		return core.InvalidInput("Multicast IP subnet is not supported if enable_dhcp is True")
	}
	if a.IsLoopback() && cidr.Bits() >= loopbackBits {
		return core.InvalidInput("Loopback IP subnet is not supported if enable_dhcp is True")
	}
	if a.Is4() && a.IsUnspecified() {
		return core.InvalidInput("First IP '0.0.0.0' of network is not supported if enable_dhcp is True")
	}
	return nil
}

// checkGateway checks a given gateway against the subnet's CIDR.
func checkGateway(cidr netip.Prefix, ver int, gw netip.Addr) error {
	if ipVersion(gw) != ver {
		return versionMismatch("gateway_ip", gw, ver)
	}
	if gw.Is4() && cidr.Contains(gw) && (gw == cidr.Addr() || gw == lastAddr(cidr)) {
		return core.InvalidInput("Gateway is not valid on subnet")
	}
	return nil
}

func checkNameservers(subnet string, dns []netip.Addr, ver int, lim Limits) error {
	if len(dns) > lim.MaxDNSNameservers {
		return dnsExhausted(subnet, lim.MaxDNSNameservers)
	}
	for _, d := range dns {
		if ipVersion(d) != ver {
			return versionMismatch("dns_nameserver", d, ver)
		}
	}
	return nil
}

func checkRoutes(subnet string, routes []core.HostRoute, ver int, lim Limits) error {
	if len(routes) > lim.MaxHostRoutes {
		return routesExhausted(subnet, lim.MaxHostRoutes)
	}
	for _, r := range routes {
		if ipVersion(r.NextHop) != ver {
			return versionMismatch("nexthop", r.NextHop, ver)
		}
		if ipVersion(r.Destination.Addr()) != ver {
			return versionMismatch("destination", r.Destination, ver)
		}
	}
	return nil
}

// checkModes applies the IPv6 mode rules of a new subnet.
func checkModes(ver int, cidr netip.Prefix, dhcp bool, ra, addr string) error {
	if ver == 4 {
		if ra != "" {
			return core.InvalidInput("ipv6_ra_mode is not valid when ip_version is 4")
		}
		if addr != "" {
			return core.InvalidInput("ipv6_address_mode is not valid when ip_version is 4")
		}
		return nil
	}
	if (ra != "" || addr != "") && !dhcp {
		return core.InvalidInput("ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False")
	}
	if ra != "" && addr != "" && ra != addr {
		return core.InvalidInput("ipv6_ra_mode set to '%s' with ipv6_address_mode set to '%s' is not valid. "+
			"If both attributes are set, they must be the same value", ra, addr)
	}
	if (isAutoMode(ra) || isAutoMode(addr)) && cidr.Bits() != 64 {
		return core.InvalidInput("Invalid CIDR %s for IPv6 address mode. OpenStack uses the EUI-64 address format, "+
			"which requires the prefix to be /64", cidr)
	}
	return nil
}

func isAutoMode(m string) bool { return m == core.IPv6ModeSLAAC || m == core.IPv6ModeDHCPv6Stateless }

// checkPools validates given allocation pools against the CIDR and each
// other, in Neutron's order: every pool a proper range, then each of the
// subnet's version and inside the usable range, then no two overlapping.
func checkPools(pools []core.IPRange, cidr netip.Prefix) error {
	for _, p := range pools {
		if !p.Start.IsValid() || !p.End.IsValid() || p.Start.Zone() != "" || p.End.Zone() != "" ||
			p.Start.Is4() != p.End.Is4() || p.Start.Compare(p.End) > 0 {
			return invalidPoolAsGiven(p)
		}
	}
	first, last := usableRange(cidr)
	for _, p := range pools {
		if p.Start.Is4() != cidr.Addr().Is4() {
			return invalidPool(p)
		}
		if p.Start.Less(first) || last.Less(p.End) {
			return outOfBoundsPool(p, cidr)
		}
	}
	for i := range pools {
		for j := i + 1; j < len(pools); j++ {
			if rangesOverlap(pools[i], pools[j]) {
				return overlappingPools(pools[i], pools[j], cidr)
			}
		}
	}
	return nil
}

// checkGatewayOutOfPools refuses a gateway inside an allocation pool.
func checkGatewayOutOfPools(gw netip.Addr, pools []core.IPRange) error {
	if !gw.IsValid() {
		return nil
	}
	for _, p := range pools {
		if p.Contains(gw) {
			return gatewayConflict(gw, p)
		}
	}
	return nil
}

func ipVersion(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}
