package ml2

import (
	"cmp"
	"context"
	"math/big"
	"net/netip"
	"slices"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// SubnetIPAvailability is the address usage of one subnet.
type SubnetIPAvailability struct {
	SubnetID   string
	SubnetName string
	CIDR       netip.Prefix
	IPVersion  int
	// TotalIPs is the size of the subnet's allocation pools (of its whole
	// CIDR when it has none); UsedIPs the number of its IP allocations,
	// whatever the port and whether or not the address is in a pool.
	TotalIPs *big.Int
	UsedIPs  *big.Int
}

// NetworkIPAvailability is the address usage of a network: the sums over
// its subnets, and each subnet's, in creation order (Neutron's
// network-ip-availability extension).
type NetworkIPAvailability struct {
	NetworkID   string
	NetworkName string
	ProjectID   string
	TotalIPs    *big.Int
	UsedIPs     *big.Int
	Subnets     []SubnetIPAvailability
}

// NetworkIPAvailability returns the address usage of one network;
// NetworkNotFound if there is no such network.
func (p *Plugin) NetworkIPAvailability(ctx context.Context, networkID string) (*NetworkIPAvailability, error) {
	out, err := p.ListNetworkIPAvailabilities(ctx, &core.ListOptions{
		Filters: map[string][]string{"network_id": {networkID}}})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, core.NetworkNotFound(networkID)
	}
	return out[0], nil
}

// ListNetworkIPAvailabilities returns the address usage of the networks
// matching opts, counted by the store in one grouped query. Filters:
// network_id, network_name, project_id (or tenant_id) and ip_version
// (which keeps only the subnets, and networks, of that version); networks
// without subnets have zero totals. As Neutron emulates them for this
// extension, sorting (by network_id, network_name, project_id, tenant_id,
// total_ips or used_ips) and pagination happen on the computed result.
func (p *Plugin) ListNetworkIPAvailabilities(ctx context.Context, opts *core.ListOptions) ([]*NetworkIPAvailability, error) {
	opts, err := listOptions(opts)
	if err != nil {
		return nil, err
	}
	less, err := availabilityOrder(opts.Sorts)
	if err != nil {
		return nil, err
	}
	var rows []core.IPUsage
	err = p.store.View(ctx, func(tx core.Tx) (err error) {
		rows, err = tx.IPUsage(ctx, &core.ListOptions{Filters: opts.Filters, ProjectScope: opts.ProjectScope})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []*NetworkIPAvailability{}
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].NetworkID != r.NetworkID {
			out = append(out, &NetworkIPAvailability{NetworkID: r.NetworkID, NetworkName: r.NetworkName,
				ProjectID: r.ProjectID, TotalIPs: new(big.Int), UsedIPs: new(big.Int)})
		}
		if r.SubnetID == "" {
			continue
		}
		n := out[len(out)-1]
		s := SubnetIPAvailability{SubnetID: r.SubnetID, SubnetName: r.SubnetName, CIDR: r.CIDR,
			IPVersion: r.IPVersion, TotalIPs: subnetSize(r.CIDR, r.AllocationPools), UsedIPs: big.NewInt(r.Used)}
		n.Subnets = append(n.Subnets, s)
		n.TotalIPs.Add(n.TotalIPs, s.TotalIPs)
		n.UsedIPs.Add(n.UsedIPs, s.UsedIPs)
	}
	slices.SortStableFunc(out, less)
	return paginate(out, opts)
}

// subnetSize is the number of addresses in pools, or in cidr when there
// are none.
func subnetSize(cidr netip.Prefix, pools []core.IPRange) *big.Int {
	total := new(big.Int)
	if len(pools) == 0 {
		return total.Lsh(big.NewInt(1), uint(cidr.Addr().BitLen()-cidr.Bits()))
	}
	for _, r := range pools {
		total.Add(total, new(big.Int).Sub(addrInt(r.End), addrInt(r.Start)))
		total.Add(total, big.NewInt(1))
	}
	return total
}

func addrInt(a netip.Addr) *big.Int { return new(big.Int).SetBytes(a.AsSlice()) }

// availabilityOrder returns the order sorts ask for, by network id last.
func availabilityOrder(sorts []core.SortKey) (func(a, b *NetworkIPAvailability) int, error) {
	type key struct {
		cmp  func(a, b *NetworkIPAvailability) int
		desc bool
	}
	keys := make([]key, 0, len(sorts)+1)
	for _, s := range sorts {
		var c func(a, b *NetworkIPAvailability) int
		switch s.Field {
		case "network_id":
			c = func(a, b *NetworkIPAvailability) int { return strings.Compare(a.NetworkID, b.NetworkID) }
		case "network_name":
			c = func(a, b *NetworkIPAvailability) int { return strings.Compare(a.NetworkName, b.NetworkName) }
		case "project_id", "tenant_id":
			c = func(a, b *NetworkIPAvailability) int { return strings.Compare(a.ProjectID, b.ProjectID) }
		case "total_ips":
			c = func(a, b *NetworkIPAvailability) int { return a.TotalIPs.Cmp(b.TotalIPs) }
		case "used_ips":
			c = func(a, b *NetworkIPAvailability) int { return a.UsedIPs.Cmp(b.UsedIPs) }
		default:
			return nil, core.InvalidSortKey(s.Field)
		}
		keys = append(keys, key{c, s.Desc})
	}
	keys = append(keys, key{cmp: func(a, b *NetworkIPAvailability) int { return cmp.Compare(a.NetworkID, b.NetworkID) }})
	return func(a, b *NetworkIPAvailability) int {
		for _, k := range keys {
			if c := k.cmp(a, b); c != 0 {
				if k.desc {
					return -c
				}
				return c
			}
		}
		return 0
	}, nil
}

// paginate returns the page of sorted that opts asks for: up to Limit
// items after Marker, or before it with PageReverse. An unknown marker is
// NetworkNotFound.
func paginate(sorted []*NetworkIPAvailability, opts *core.ListOptions) ([]*NetworkIPAvailability, error) {
	from, to := 0, len(sorted)
	if opts.Marker != "" {
		i := slices.IndexFunc(sorted, func(n *NetworkIPAvailability) bool { return n.NetworkID == opts.Marker })
		if i < 0 {
			return nil, core.NetworkNotFound(opts.Marker)
		}
		if opts.PageReverse {
			to = i
		} else {
			from = i + 1
		}
	}
	page := sorted[from:to]
	if opts.Limit > 0 && len(page) > opts.Limit {
		if opts.PageReverse {
			page = page[len(page)-opts.Limit:]
		} else {
			page = page[:opts.Limit]
		}
	}
	return page, nil
}
