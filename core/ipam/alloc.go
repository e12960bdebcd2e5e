package ipam

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/ml2go/ml2go/core"
)

// Allocations records which addresses of a subnet are taken. Every
// core.IPAllocationStore satisfies it; a store makes AllocateIP safe
// across processes with a unique (subnet, address) constraint.
type Allocations interface {
	// AllocateIP records a.IP as a.PortID's; it returns false, without
	// error, when the address is already allocated.
	AllocateIP(ctx context.Context, a core.IPAllocation) (bool, error)
	// AllocatedIPs returns, ascending, up to limit allocated addresses of
	// the subnet within [from, to].
	AllocatedIPs(ctx context.Context, subnetID string, from, to netip.Addr, limit int) ([]netip.Addr, error)
}

// Tuning of AllocateAny; variables so tests can shrink them.
var (
	// firstBatch and scanBatch bound how many allocated addresses one
	// AllocatedIPs call reads: a scan starts small, as a random start
	// usually lands in a gap, and doubles up to scanBatch through dense
	// runs.
	firstBatch = 4
	scanBatch  = 256
	// maxAttempts bounds the lost races of one AllocateAny call.
	maxAttempts = 64
)

// AllocateAny allocates a free address of sub's allocation pools to portID.
// It returns ok=false, without error, when every pool is full.
//
// Pools are tried in order. Unless sequential, the first attempt claims a
// uniformly random address of the first pool without reading anything: in
// a sparsely used pool it is almost always free, and allocation costs one
// write. Otherwise the search starts at a uniformly random address (at the
// pool's start when sequential, so DHCP ports take the lowest free
// address), reads the allocated addresses ascending from there in batches
// and takes the first gap, wrapping to the pool's start. Its cost
// is the number of allocated addresses read, never the size of the pool.
// When AllocateIP loses a race for the address found, the search runs
// again; after a bounded number of lost races the error wraps core.ErrRetry
// so the store retries the whole transaction.
func AllocateAny(ctx context.Context, a Allocations, sub *core.Subnet, portID string, sequential bool) (netip.Addr, bool, error) {
	for attempt := range maxAttempts {
		if err := ctx.Err(); err != nil {
			return netip.Addr{}, false, err
		}
		var ip netip.Addr
		ok := false
		if attempt == 0 && !sequential {
			ip, ok = Probe(sub)
		}
		if !ok {
			var err error
			ip, ok, err = findFree(ctx, a, sub, sequential)
			if err != nil || !ok {
				return netip.Addr{}, false, err
			}
		}
		won, err := a.AllocateIP(ctx, core.IPAllocation{SubnetID: sub.ID, NetworkID: sub.NetworkID, PortID: portID, IP: ip})
		if err != nil {
			return netip.Addr{}, false, fmt.Errorf("ipam: allocating %s in subnet %s: %w", ip, sub.ID, err)
		}
		if won {
			return ip, true, nil
		}
	}
	return netip.Addr{}, false, fmt.Errorf("ipam: lost %d races for an address in subnet %s: %w",
		maxAttempts, sub.ID, core.ErrRetry)
}

// AllocateSpecific allocates ip of sub to portID, or returns
// IpAddressAlreadyAllocated. The caller has checked the address with
// ValidateFixedIP (or derived it with EUI64).
func AllocateSpecific(ctx context.Context, a Allocations, sub *core.Subnet, portID string, ip netip.Addr) error {
	won, err := a.AllocateIP(ctx, core.IPAllocation{SubnetID: sub.ID, NetworkID: sub.NetworkID, PortID: portID, IP: ip})
	if err != nil {
		return fmt.Errorf("ipam: allocating %s in subnet %s: %w", ip, sub.ID, err)
	}
	if !won {
		return core.IPAddressAlreadyAllocated(ip.String(), sub.ID)
	}
	return nil
}

// Probe returns a uniformly random address of sub's first usable pool,
// without reading anything: the address AllocateAny claims first for
// ports that are not sequential. A caller that can claim it more cheaply
// (with the port's own insert, say) may do so and fall back to
// AllocateAny when it was taken.
func Probe(sub *core.Subnet) (netip.Addr, bool) {
	for _, pool := range sub.AllocationPools {
		if usable(pool) {
			return randomIn(pool), true
		}
	}
	return netip.Addr{}, false
}

// usable reports whether a pool is well formed.
func usable(pool core.IPRange) bool {
	return pool.Start.IsValid() && pool.Start.BitLen() == pool.End.BitLen() && !pool.End.Less(pool.Start)
}

// findFree finds a free address in the first pool of sub that has one.
func findFree(ctx context.Context, a Allocations, sub *core.Subnet, sequential bool) (netip.Addr, bool, error) {
	for _, pool := range sub.AllocationPools {
		if !usable(pool) {
			continue
		}
		start := pool.Start
		if !sequential {
			start = randomIn(pool)
		}
		ip, ok, err := firstFree(ctx, a, sub.ID, start, pool.End)
		if err != nil || ok {
			return ip, ok, err
		}
		if start != pool.Start {
			ip, ok, err = firstFree(ctx, a, sub.ID, pool.Start, start.Prev())
			if err != nil || ok {
				return ip, ok, err
			}
		}
	}
	return netip.Addr{}, false, nil
}

// firstFree returns the lowest unallocated address of [from, to], reading
// the allocated ones in growing batches.
func firstFree(ctx context.Context, a Allocations, subnetID string, from, to netip.Addr) (netip.Addr, bool, error) {
	cursor, batch := from, min(firstBatch, scanBatch)
	for ; ; batch = min(2*batch, scanBatch) {
		used, err := a.AllocatedIPs(ctx, subnetID, cursor, to, batch)
		if err != nil {
			return netip.Addr{}, false, fmt.Errorf("ipam: reading allocations of subnet %s: %w", subnetID, err)
		}
		before := cursor
		for _, ip := range used {
			switch ip.Compare(cursor) {
			case -1: // not asked for; tolerate it
				continue
			case 1:
				return cursor, true, nil
			}
			if cursor == to {
				return netip.Addr{}, false, nil
			}
			cursor = cursor.Next()
		}
		if len(used) < batch {
			return cursor, true, nil
		}
		if cursor == before {
			return netip.Addr{}, false, fmt.Errorf("ipam: allocations of subnet %s read from %s made no progress", subnetID, cursor)
		}
	}
}
