package ipam

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
)

// fakeAllocs is an in-memory Allocations: per subnet, a sorted slice of
// allocated addresses guarded by a mutex.
type fakeAllocs struct {
	mu    sync.Mutex
	ips   map[string][]netip.Addr
	owner map[netip.Addr]string

	reads   atomic.Int64 // AllocatedIPs calls
	scanned atomic.Int64 // addresses AllocatedIPs returned
}

var _ Allocations = (*fakeAllocs)(nil)
var _ Allocations = core.Tx(nil)

func newFake() *fakeAllocs {
	return &fakeAllocs{ips: map[string][]netip.Addr{}, owner: map[netip.Addr]string{}}
}

func (f *fakeAllocs) AllocateIP(_ context.Context, a core.IPAllocation) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := f.ips[a.SubnetID]
	i, found := slices.BinarySearchFunc(list, a.IP, netip.Addr.Compare)
	if found {
		return false, nil
	}
	f.ips[a.SubnetID] = slices.Insert(list, i, a.IP)
	f.owner[a.IP] = a.PortID
	return true, nil
}

func (f *fakeAllocs) AllocatedIPs(_ context.Context, subnetID string, from, to netip.Addr, limit int) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads.Add(1)
	list := f.ips[subnetID]
	i, _ := slices.BinarySearchFunc(list, from, netip.Addr.Compare)
	var out []netip.Addr
	for ; i < len(list) && len(out) < limit && list[i].Compare(to) <= 0; i++ {
		out = append(out, list[i])
	}
	f.scanned.Add(int64(len(out)))
	return out, nil
}

func (f *fakeAllocs) release(subnetID string, ip netip.Addr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := f.ips[subnetID]
	if i, found := slices.BinarySearchFunc(list, ip, netip.Addr.Compare); found {
		f.ips[subnetID] = slices.Delete(list, i, i+1)
	}
}

func (f *fakeAllocs) count(subnetID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ips[subnetID])
}

// allocateN allocates n addresses and fails the test on error or a full
// subnet.
func allocateN(t testing.TB, f Allocations, sub *core.Subnet, n int, sequential bool) []netip.Addr {
	t.Helper()
	var got []netip.Addr
	for i := range n {
		a, ok, err := AllocateAny(context.Background(), f, sub, "port", sequential)
		require.NoError(t, err)
		require.True(t, ok, "allocation %d: subnet full", i)
		got = append(got, a)
	}
	return got
}

func TestAllocateAny(t *testing.T) {
	ctx := context.Background()

	t.Run("C113_slash29_gw_first_then_full", func(t *testing.T) {
		sub := mustSubnet(t, v4("10.0.0.0/29"), "s29")
		f := newFake()
		got := allocateN(t, f, sub, 5, false)
		assert.ElementsMatch(t, ips("10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"), got)
		_, ok, err := AllocateAny(ctx, f, sub, "p6", false)
		require.NoError(t, err)
		assert.False(t, ok, "sixth allocation: subnet full")
	})

	t.Run("C123_slash29_gw_dot3_split_pools", func(t *testing.T) {
		sub := mustSubnet(t, with(v4("10.0.0.0/29"), func(r *SubnetRequest) { r.GatewayIP = ipp("10.0.0.3") }), "s29")
		f := newFake()
		got := allocateN(t, f, sub, 5, false)
		assert.ElementsMatch(t, ips("10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6"), got)
	})

	t.Run("C122_sequential_gives_lowest", func(t *testing.T) {
		sub := mustSubnet(t, v4("10.0.0.0/24"), "s24")
		f := newFake()
		got := allocateN(t, f, sub, 10, true)
		var want []netip.Addr
		for a, i := ip("10.0.0.2"), 0; i < 10; a, i = a.Next(), i+1 {
			want = append(want, a)
		}
		assert.Equal(t, want, got, "consecutive addresses from the pool start")
	})

	t.Run("sequential_fills_holes_first", func(t *testing.T) {
		sub := mustSubnet(t, v4("10.0.0.0/24"), "s24")
		f := newFake()
		allocateN(t, f, sub, 10, true)
		f.release("s24", ip("10.0.0.5"))
		got := allocateN(t, f, sub, 2, true)
		assert.Equal(t, ips("10.0.0.5", "10.0.0.12"), got)
	})

	t.Run("pools_in_order", func(t *testing.T) {
		sub := mustSubnet(t, with(v4("10.0.0.0/24"), func(r *SubnetRequest) {
			r.AllocationPools = poolsp("10.0.0.200-10.0.0.201", "10.0.0.10-10.0.0.11")
		}), "s")
		f := newFake()
		got := allocateN(t, f, sub, 4, false)
		assert.ElementsMatch(t, ips("10.0.0.200", "10.0.0.201"), got[:2], "first pool first")
		assert.ElementsMatch(t, ips("10.0.0.10", "10.0.0.11"), got[2:])
	})

	t.Run("no_pools_is_full", func(t *testing.T) {
		sub := mustSubnet(t, with(v4("10.0.0.0/24"), func(r *SubnetRequest) { r.AllocationPools = &[]core.IPRange{} }), "s")
		_, ok, err := AllocateAny(ctx, newFake(), sub, "p", false)
		require.NoError(t, err)
		assert.False(t, ok)
	})

	t.Run("random_start_wraps_and_spreads", func(t *testing.T) {
		sub := mustSubnet(t, v4("10.0.0.0/24"), "s24")
		f := newFake()
		got := allocateN(t, f, sub, 253, false)
		slices.SortFunc(got, netip.Addr.Compare)
		assert.Equal(t, ip("10.0.0.2"), got[0])
		assert.Equal(t, ip("10.0.0.254"), got[252])
		assert.Len(t, slices.Compact(got), 253, "no address twice")
		_, ok, err := AllocateAny(ctx, f, sub, "p", false)
		require.NoError(t, err)
		assert.False(t, ok)
	})

	t.Run("first_allocations_not_sequential", func(t *testing.T) {
		sub := mustSubnet(t, v4("10.0.0.0/16"), "s16")
		f := newFake()
		got := allocateN(t, f, sub, 20, false)
		assert.False(t, slices.IsSortedFunc(got, netip.Addr.Compare) && got[0] == ip("10.0.0.2"), "random, not lowest-first: %v", got)
	})
}

func TestAllocateAnyConcurrent(t *testing.T) {
	sub := mustSubnet(t, v4("10.0.0.0/26"), "s26") // pool .2-.62: 61 addresses
	f := newFake()
	const workers = 64
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		got  []netip.Addr
		full int
	)
	for i := range workers {
		wg.Go(func() {
			a, ok, err := AllocateAny(context.Background(), f, sub, "p", i%2 == 0)
			mu.Lock()
			defer mu.Unlock()
			if assert.NoError(t, err) {
				if ok {
					got = append(got, a)
				} else {
					full++
				}
			}
		})
	}
	wg.Wait()
	assert.Len(t, got, 61)
	assert.Equal(t, workers-61, full)
	slices.SortFunc(got, netip.Addr.Compare)
	assert.Len(t, slices.Compact(slices.Clone(got)), 61, "no address twice")
	for _, a := range got {
		assert.True(t, sub.AllocationPools[0].Contains(a), "%s in pool", a)
	}
}

func TestAllocateAnyHugePools(t *testing.T) {
	for _, tt := range []struct {
		name string
		req  SubnetRequest
	}{
		{"v4_slash8", v4("10.0.0.0/8")},
		{"v6_slash64", v6("2001:db8::/64")},
		{"v6_slash8", with(v6("2000::/8"), func(r *SubnetRequest) { r.GatewayIP = ipp("2000::1:0") })},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sub := mustSubnet(t, tt.req, "big")
			f := newFake()
			start := time.Now()
			got := allocateN(t, f, sub, 2000, false)
			assert.Less(t, time.Since(start), 5*time.Second)
			for _, a := range got {
				require.NoError(t, ValidateFixedIP(sub, a, "compute:nova"))
			}
			slices.SortFunc(got, netip.Addr.Compare)
			assert.Len(t, slices.Compact(got), 2000)
			// A random address of a huge pool is almost always free: it
			// is claimed without reading, whatever the pool size.
			assert.LessOrEqual(t, f.reads.Load(), int64(50))
			assert.LessOrEqual(t, f.scanned.Load(), int64(50*firstBatch))
		})
	}

	t.Run("v4_slash8_dense_run_read_in_batches", func(t *testing.T) {
		sub := mustSubnet(t, v4("10.0.0.0/8"), "big")
		f := newFake()
		for a, i := ip("10.0.0.2"), 0; i < 5000; a, i = a.Next(), i+1 {
			_, err := f.AllocateIP(context.Background(), core.IPAllocation{SubnetID: "big", IP: a})
			require.NoError(t, err)
		}
		f.reads.Store(0)
		a, ok, err := AllocateAny(context.Background(), f, sub, "dhcp", true)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, ip("10.0.19.138"), a, "first address after the 5000 taken")
		assert.LessOrEqual(t, f.reads.Load(), int64(5000/scanBatch+7), "batches grow to scanBatch")
	})
}

func TestAllocateAnyBoundaries(t *testing.T) {
	t.Run("pool_ending_at_last_v4_address", func(t *testing.T) {
		sub := &core.Subnet{Standard: core.Standard{ID: "edge"}, IPVersion: 4, CIDR: cidr("255.255.255.0/24"),
			AllocationPools: pools("255.255.255.250-255.255.255.255")}
		f := newFake()
		got := allocateN(t, f, sub, 6, false)
		assert.ElementsMatch(t, ips("255.255.255.250", "255.255.255.251", "255.255.255.252", "255.255.255.253",
			"255.255.255.254", "255.255.255.255"), got)
		_, ok, err := AllocateAny(context.Background(), f, sub, "p", false)
		require.NoError(t, err)
		assert.False(t, ok)
	})
	t.Run("pool_ending_at_last_v6_address", func(t *testing.T) {
		sub := &core.Subnet{Standard: core.Standard{ID: "edge6"}, IPVersion: 6, CIDR: cidr("ffff::/16"),
			AllocationPools: pools("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}
		f := newFake()
		got := allocateN(t, f, sub, 2, false)
		assert.ElementsMatch(t, ips("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), got)
	})
	t.Run("small_batches", func(t *testing.T) {
		oldFirst, oldScan := firstBatch, scanBatch
		firstBatch, scanBatch = 1, 2
		t.Cleanup(func() { firstBatch, scanBatch = oldFirst, oldScan })
		sub := mustSubnet(t, v4("10.0.0.0/27"), "s27")
		f := newFake()
		got := allocateN(t, f, sub, 29, false)
		slices.SortFunc(got, netip.Addr.Compare)
		assert.Len(t, slices.Compact(got), 29)
		_, ok, err := AllocateAny(context.Background(), f, sub, "p", false)
		require.NoError(t, err)
		assert.False(t, ok)
	})
}

// losingAllocs loses every race.
type losingAllocs struct {
	*fakeAllocs
	tries atomic.Int64
}

func (l *losingAllocs) AllocateIP(context.Context, core.IPAllocation) (bool, error) {
	l.tries.Add(1)
	return false, nil
}

// failingAllocs fails every read.
type failingAllocs struct{ *fakeAllocs }

func (failingAllocs) AllocatedIPs(context.Context, string, netip.Addr, netip.Addr, int) ([]netip.Addr, error) {
	return nil, core.ErrUnavailable
}

func TestAllocateAnyErrors(t *testing.T) {
	sub := mustSubnet(t, v4("10.0.0.0/24"), "s")

	t.Run("lost_races_bounded_then_retry", func(t *testing.T) {
		l := &losingAllocs{fakeAllocs: newFake()}
		_, ok, err := AllocateAny(context.Background(), l, sub, "p", false)
		assert.False(t, ok)
		require.ErrorIs(t, err, core.ErrRetry)
		assert.Equal(t, int64(maxAttempts), l.tries.Load())
	})
	t.Run("store_error_wrapped", func(t *testing.T) {
		// Sequential allocation reads before it writes.
		_, _, err := AllocateAny(context.Background(), failingAllocs{newFake()}, sub, "p", true)
		require.ErrorIs(t, err, core.ErrUnavailable)
		assert.Contains(t, err.Error(), "subnet s")
	})
	t.Run("cancelled_context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, _, err := AllocateAny(ctx, newFake(), sub, "p", false)
		assert.True(t, errors.Is(err, context.Canceled))
	})
}

func TestAllocateSpecific(t *testing.T) {
	ctx := context.Background()
	sub := mustSubnet(t, v4("10.0.0.0/24"), "s")
	f := newFake()
	require.NoError(t, AllocateSpecific(ctx, f, sub, "p1", ip("10.0.0.10")))
	assert.Equal(t, "p1", f.owner[ip("10.0.0.10")])

	t.Run("C114_already_allocated", func(t *testing.T) {
		err := AllocateSpecific(ctx, f, sub, "p2", ip("10.0.0.10"))
		requireErr(t, err, *conflict("IpAddressAlreadyAllocated", "IP address 10.0.0.10 already allocated in subnet s"))
	})
	t.Run("any_skips_specific", func(t *testing.T) {
		sub29 := mustSubnet(t, v4("10.1.0.0/29"), "s29")
		require.NoError(t, AllocateSpecific(ctx, f, sub29, "p", ip("10.1.0.4")))
		got := allocateN(t, f, sub29, 4, false)
		assert.ElementsMatch(t, ips("10.1.0.2", "10.1.0.3", "10.1.0.5", "10.1.0.6"), got)
	})
}

func BenchmarkAllocateAny(b *testing.B) {
	sub := &core.Subnet{Standard: core.Standard{ID: "s16"}, IPVersion: 4, CIDR: cidr("10.0.0.0/16")}
	sub.GatewayIP = ip("10.0.0.1")
	sub.AllocationPools = GeneratePools(sub.CIDR, sub.GatewayIP)
	f := newFake()
	allocateN(b, f, sub, 1000, false)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		a, ok, err := AllocateAny(ctx, f, sub, "p", false)
		if err != nil || !ok {
			b.Fatal(err, ok)
		}
		f.release("s16", a)
	}
	b.ReportMetric(float64(f.reads.Load())/float64(b.N), "reads/op")
}
