package ml2

import (
	"context"
	"net/netip"
	"slices"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ipam"
)

// routerOwners may hold IPv6 subnet-router anycast and explicit addresses on
// auto-address subnets, and get no SLAAC address.
var routerOwners = []string{
	core.DeviceOwnerRouterInterface, core.DeviceOwnerRouterHAInterface,
	core.DeviceOwnerRouterInterfaceDVR, core.DeviceOwnerRouterSNAT, core.DeviceOwnerRouterGateway,
}

func isRouterOwner(owner string) bool { return slices.Contains(routerOwners, owner) }

// sequentialOwner reports whether ports of owner take the lowest free
// address, as DHCP ports do.
func sequentialOwner(owner string) bool {
	return owner == core.DeviceOwnerDHCP || owner == core.DeviceOwnerDistributed
}

// serves reports whether a subnet may give addresses to ports of owner.
func serves(s *core.Subnet, owner string) bool {
	return len(s.ServiceTypes) == 0 || slices.Contains(s.ServiceTypes, owner)
}

// ipAllocator allocates the fixed IPs of one port inside a transaction.
type ipAllocator struct {
	tx      core.Tx
	port    *core.Port
	subnets []*core.Subnet // the network's subnets, in creation order
}

func (a *ipAllocator) subnet(id string) *core.Subnet {
	for _, s := range a.subnets {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// statefulGroups select the subnets automatic allocation takes one address
// from: IPv4, then stateful IPv6.
var statefulGroups = []func(*core.Subnet) bool{
	func(s *core.Subnet) bool { return s.IPVersion == 4 },
	func(s *core.Subnet) bool { return s.IPVersion == 6 && !s.IsAutoAddress() },
}

// group returns the subnets of a stateful group that serve the port.
func (a *ipAllocator) group(stateful func(*core.Subnet) bool) []*core.Subnet {
	var out []*core.Subnet
	for _, s := range a.subnets {
		if stateful(s) && serves(s, a.port.DeviceOwner) {
			out = append(out, s)
		}
	}
	return out
}

// probe returns the address automatic allocation would try first for the
// IPv4 group (a random one of its first subnet, see ipam.Probe), for the
// caller to claim with the port's insert; nil when there is none to try
// (no IPv4 subnet, or a port that takes the lowest free address).
func (a *ipAllocator) probe() *core.IPAllocation {
	if sequentialOwner(a.port.DeviceOwner) {
		return nil
	}
	group := a.group(statefulGroups[0])
	if len(group) == 0 {
		return nil
	}
	ip, ok := ipam.Probe(group[0])
	if !ok {
		return nil
	}
	return &core.IPAllocation{SubnetID: group[0].ID, NetworkID: group[0].NetworkID, PortID: a.port.ID, IP: ip}
}

// automatic allocates one address from the IPv4 subnets (claimed, when the
// caller already holds it), one from the stateful IPv6 subnets, and the
// SLAAC address of every auto-address subnet.
func (a *ipAllocator) automatic(ctx context.Context, claimed *core.FixedIP) ([]core.FixedIP, error) {
	var out []core.FixedIP
	for i, stateful := range statefulGroups {
		group := a.group(stateful)
		if len(group) == 0 {
			continue
		}
		if i == 0 && claimed != nil {
			out = append(out, *claimed)
			continue
		}
		ip, err := a.anyOf(ctx, group)
		if err != nil {
			return nil, err
		}
		out = append(out, ip)
	}
	slaac, err := a.autoAddresses(ctx, nil)
	if err != nil {
		return nil, err
	}
	return append(out, slaac...), nil
}

// anyOf allocates from the first subnet of group that has a free address.
func (a *ipAllocator) anyOf(ctx context.Context, group []*core.Subnet) (core.FixedIP, error) {
	for _, s := range group {
		ip, ok, err := ipam.AllocateAny(ctx, a.tx, s, a.port.ID, sequentialOwner(a.port.DeviceOwner))
		if err != nil {
			return core.FixedIP{}, err
		}
		if ok {
			return core.FixedIP{SubnetID: s.ID, IPAddress: ip}, nil
		}
	}
	return core.FixedIP{}, core.IPAddressGenerationFailure(a.port.NetworkID)
}

// autoAddresses allocates the EUI-64 address of every auto-address subnet
// not in skip (router ports get none).
func (a *ipAllocator) autoAddresses(ctx context.Context, skip map[string]bool) ([]core.FixedIP, error) {
	if isRouterOwner(a.port.DeviceOwner) {
		return nil, nil
	}
	var out []core.FixedIP
	for _, s := range a.subnets {
		if !s.IsAutoAddress() || skip[s.ID] || !serves(s, a.port.DeviceOwner) {
			continue
		}
		ip, err := ipam.EUI64(s.CIDR, a.port.MACAddress)
		if err != nil {
			return nil, err
		}
		if err := ipam.AllocateSpecific(ctx, a.tx, s, a.port.ID, ip); err != nil {
			return nil, err
		}
		out = append(out, core.FixedIP{SubnetID: s.ID, IPAddress: ip})
	}
	return out, nil
}

// resolve checks requested entries and fills in the subnet of address-only
// entries.
func (a *ipAllocator) resolve(ctx context.Context, reqs []FixedIPRequest) ([]FixedIPRequest, error) {
	if len(reqs) > 0 && len(a.subnets) == 0 {
		return nil, core.InvalidInput("Failed to create port on network %s, because fixed_ips included invalid subnet", a.port.NetworkID)
	}
	out := make([]FixedIPRequest, 0, len(reqs))
	seen := map[netip.Addr]bool{}
	for _, r := range reqs {
		if r.IPAddress.IsValid() {
			if seen[r.IPAddress] {
				return nil, core.InvalidInput("Duplicate IP address '%s'", r.IPAddress)
			}
			seen[r.IPAddress] = true
		}
		switch {
		case r.SubnetID != "":
			s := a.subnet(r.SubnetID)
			if s == nil {
				if _, err := a.tx.GetSubnet(ctx, r.SubnetID); err != nil {
					return nil, err
				}
				return nil, core.InvalidInput("Failed to create port on network %s, because fixed_ips included invalid subnet %s", a.port.NetworkID, r.SubnetID)
			}
			if r.IPAddress.IsValid() {
				if err := ipam.ValidateFixedIP(s, r.IPAddress, a.port.DeviceOwner); err != nil {
					return nil, err
				}
			}
		case r.IPAddress.IsValid():
			var found *core.Subnet
			for _, s := range a.subnets {
				if s.CIDR.Contains(r.IPAddress) {
					found = s
					break
				}
			}
			if found == nil {
				return nil, core.InvalidIPForNetwork(r.IPAddress.String())
			}
			if err := ipam.ValidateFixedIP(found, r.IPAddress, a.port.DeviceOwner); err != nil {
				return nil, err
			}
			r.SubnetID = found.ID
		default:
			return nil, core.InvalidInput("Invalid fixed_ips entry: one of subnet_id and ip_address is required")
		}
		if r.IPAddress.IsValid() && a.subnet(r.SubnetID).IsAutoAddress() && !isRouterOwner(a.port.DeviceOwner) {
			return nil, core.Typed(core.KindBadRequest, "AllocationOnAutoAddressSubnet",
				"IPv6 address %s cannot be directly assigned to a port on subnet %s as the subnet is configured for automatic addresses", r.IPAddress, r.SubnetID)
		}
		out = append(out, r)
	}
	return out, nil
}

// requested allocates the requested entries, keeping the addresses of keep
// that they name (for updates): specific addresses first, then any-address
// entries, then the SLAAC addresses of auto-address subnets not named.
func (a *ipAllocator) requested(ctx context.Context, reqs []FixedIPRequest, keep []core.FixedIP) (out, released []core.FixedIP, err error) {
	if reqs, err = a.resolve(ctx, reqs); err != nil {
		return nil, nil, err
	}
	kept := map[netip.Addr]bool{}
	have := func(ip netip.Addr) bool {
		for _, k := range keep {
			if k.IPAddress == ip {
				return true
			}
		}
		return false
	}
	named := map[string]bool{}
	for _, r := range reqs {
		named[r.SubnetID] = true
		if !r.IPAddress.IsValid() {
			continue
		}
		if have(r.IPAddress) {
			kept[r.IPAddress] = true
		} else if err := ipam.AllocateSpecific(ctx, a.tx, a.subnet(r.SubnetID), a.port.ID, r.IPAddress); err != nil {
			return nil, nil, err
		}
		out = append(out, core.FixedIP{SubnetID: r.SubnetID, IPAddress: r.IPAddress})
	}
	for _, r := range reqs {
		if r.IPAddress.IsValid() {
			continue
		}
		s := a.subnet(r.SubnetID)
		reused := false
		for _, k := range keep {
			if k.SubnetID == s.ID && !kept[k.IPAddress] {
				kept[k.IPAddress] = true
				out = append(out, k)
				reused = true
				break
			}
		}
		if reused {
			continue
		}
		if s.IsAutoAddress() {
			ip, err := ipam.EUI64(s.CIDR, a.port.MACAddress)
			if err != nil {
				return nil, nil, err
			}
			if err := ipam.AllocateSpecific(ctx, a.tx, s, a.port.ID, ip); err != nil {
				return nil, nil, err
			}
			out = append(out, core.FixedIP{SubnetID: s.ID, IPAddress: ip})
			continue
		}
		ip, err := a.anyOf(ctx, []*core.Subnet{s})
		if err != nil {
			return nil, nil, err
		}
		out = append(out, ip)
	}
	// Auto-address subnets always contribute their address.
	skip := map[string]bool{}
	for s := range named {
		skip[s] = true
	}
	for _, k := range keep {
		if s := a.subnet(k.SubnetID); s != nil && s.IsAutoAddress() && !named[s.ID] {
			kept[k.IPAddress] = true
			skip[s.ID] = true
			out = append(out, k)
		}
	}
	auto, err := a.autoAddresses(ctx, skip)
	if err != nil {
		return nil, nil, err
	}
	out = append(out, auto...)
	for _, k := range keep {
		if !kept[k.IPAddress] {
			if err := a.tx.ReleaseIP(ctx, k.SubnetID, k.IPAddress); err != nil {
				return nil, nil, err
			}
			released = append(released, k)
		}
	}
	return out, released, nil
}
