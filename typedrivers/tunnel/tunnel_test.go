package tunnel

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
	"github.com/ml2go/ml2go/typedrivers/allocfake"
)

var testSpec = Spec{NetworkType: core.TypeVXLAN, RangesOption: "vni_ranges", MaxID: 1<<24 - 1, Overhead: 30}

func rng(min, max int64) core.SegmentRange { return core.SegmentRange{Min: min, Max: max} }

func newDriver(t *testing.T, ranges ...core.SegmentRange) (*Driver, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	d := New(testSpec, Config{
		Ranges: ranges,
		Logger: hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace}),
	})
	require.NoError(t, d.Initialize(context.Background()))
	return d, &logs
}

func seg(id int64) core.Segment { return core.Segment{NetworkType: core.TypeVXLAN, SegmentationID: id} }

func key(id int64) core.SegmentKey {
	return core.SegmentKey{NetworkType: core.TypeVXLAN, SegmentationID: id}
}

func TestValidate(t *testing.T) {
	d, _ := newDriver(t, rng(100, 109))
	tests := []struct {
		name string
		seg  core.Segment
		err  string
	}{
		{"C13_physnet_given", core.Segment{NetworkType: core.TypeVXLAN, PhysicalNetwork: "phys_net"},
			"provider:physical_network specified for vxlan network"},
		{"C13_physnet_given_with_id", core.Segment{NetworkType: core.TypeVXLAN, PhysicalNetwork: "phys_net", SegmentationID: 5},
			"provider:physical_network specified for vxlan network"},
		{"C13_no_physnet_partial", seg(0), ""},
		{"C13_no_physnet_inside_range", seg(105), ""},
		{"C13_no_physnet_outside_range", seg(1000), ""},
		{"C13_no_physnet_beyond_max_vni", seg(16777216), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.ValidateProviderSegment(tt.seg)
			if tt.err == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, "InvalidInput", core.TypeOf(err))
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestIsPartialSegment(t *testing.T) {
	d, _ := newDriver(t)
	assert.True(t, d.IsPartialSegment(seg(0)))
	assert.False(t, d.IsPartialSegment(seg(1)))
}

func TestReserveProviderSegment(t *testing.T) {
	ctx := context.Background()

	t.Run("C14_reserve_twice", func(t *testing.T) {
		d, _ := newDriver(t, rng(100, 109))
		alloc := allocfake.New()
		got, err := d.ReserveProviderSegment(ctx, alloc, seg(101))
		require.NoError(t, err)
		assert.Equal(t, core.Segment{NetworkType: core.TypeVXLAN, SegmentationID: 101, MTU: 1450}, got)
		_, err = d.ReserveProviderSegment(ctx, alloc, seg(101))
		require.Error(t, err)
		assert.Equal(t, "TunnelIdInUse", core.TypeOf(err))
		assert.Equal(t, core.KindConflict, core.KindOf(err))
		assert.Contains(t, err.Error(), "The tunnel ID 101 is in use")
	})

	t.Run("C15_partial_after_pool_exhausted", func(t *testing.T) {
		d, _ := newDriver(t, rng(100, 109))
		alloc := allocfake.New()
		seen := map[int64]bool{}
		for range 10 {
			got, err := d.ReserveProviderSegment(ctx, alloc, seg(0))
			require.NoError(t, err)
			assert.True(t, got.SegmentationID >= 100 && got.SegmentationID <= 109)
			assert.False(t, seen[got.SegmentationID])
			seen[got.SegmentationID] = true
			assert.Equal(t, 1450, got.MTU)
			assert.Empty(t, got.PhysicalNetwork)
		}
		_, err := d.ReserveProviderSegment(ctx, alloc, seg(0))
		require.Error(t, err)
		assert.Equal(t, "NoNetworkAvailable", core.TypeOf(err))
		assert.Equal(t, core.KindUnavailable, core.KindOf(err))
	})

	t.Run("partial_without_ranges", func(t *testing.T) {
		d, _ := newDriver(t)
		_, err := d.ReserveProviderSegment(ctx, allocfake.New(), seg(0))
		assert.Equal(t, "NoNetworkAvailable", core.TypeOf(err))
	})

	t.Run("id_beyond_max_accepted", func(t *testing.T) {
		d, _ := newDriver(t, rng(100, 109))
		alloc := allocfake.New()
		got, err := d.ReserveProviderSegment(ctx, alloc, seg(16777216))
		require.NoError(t, err)
		assert.Equal(t, int64(16777216), got.SegmentationID)
	})

	t.Run("keeps_identity_fields_drops_physnet", func(t *testing.T) {
		d, _ := newDriver(t, rng(7, 7))
		in := core.Segment{ID: "s", NetworkID: "n", NetworkType: core.TypeVXLAN, Index: 1, Dynamic: true, Name: "x"}
		got, err := d.ReserveProviderSegment(ctx, allocfake.New(), in)
		require.NoError(t, err)
		want := in
		want.SegmentationID, want.MTU = 7, 1450
		assert.Equal(t, want, got)
	})
}

func TestAllocateTenantSegment(t *testing.T) {
	ctx := context.Background()

	t.Run("pool_exhausted_returns_nil", func(t *testing.T) {
		d, _ := newDriver(t, rng(100, 101), rng(200, 200))
		alloc := allocfake.New()
		ids := map[int64]bool{}
		for range 3 {
			s, err := d.AllocateTenantSegment(ctx, alloc)
			require.NoError(t, err)
			require.NotNil(t, s)
			assert.Equal(t, core.TypeVXLAN, s.NetworkType)
			assert.Empty(t, s.PhysicalNetwork)
			assert.Equal(t, 1450, s.MTU)
			ids[s.SegmentationID] = true
		}
		assert.Equal(t, map[int64]bool{100: true, 101: true, 200: true}, ids)
		s, err := d.AllocateTenantSegment(ctx, alloc)
		require.NoError(t, err)
		assert.Nil(t, s)
	})

	t.Run("no_ranges_returns_nil", func(t *testing.T) {
		d, _ := newDriver(t)
		s, err := d.AllocateTenantSegment(ctx, allocfake.New())
		require.NoError(t, err)
		assert.Nil(t, s)
	})

	t.Run("skips_provider_reserved_ids", func(t *testing.T) {
		d, _ := newDriver(t, rng(1, 2))
		alloc := allocfake.New()
		_, err := d.ReserveProviderSegment(ctx, alloc, seg(1))
		require.NoError(t, err)
		s, err := d.AllocateTenantSegment(ctx, alloc)
		require.NoError(t, err)
		require.NotNil(t, s)
		assert.Equal(t, int64(2), s.SegmentationID)
	})

	t.Run("large_range_costs_nothing", func(t *testing.T) {
		d, _ := newDriver(t, rng(1, 1<<24-1))
		s, err := d.AllocateTenantSegment(ctx, allocfake.New())
		require.NoError(t, err)
		require.NotNil(t, s)
	})
}

func TestReleaseSegment(t *testing.T) {
	ctx := context.Background()

	t.Run("C16_reserve_outside_range_then_release", func(t *testing.T) {
		d, logs := newDriver(t, rng(100, 109))
		alloc := allocfake.New()
		_, err := d.ReserveProviderSegment(ctx, alloc, seg(1000))
		require.NoError(t, err)
		assert.True(t, alloc.IsAllocated(key(1000)))
		require.NoError(t, d.ReleaseSegment(ctx, alloc, seg(1000)))
		assert.False(t, alloc.IsAllocated(key(1000)))
		assert.Zero(t, alloc.Len())
		// Never handed out by the pool.
		for range 10 {
			s, err := d.AllocateTenantSegment(ctx, alloc)
			require.NoError(t, err)
			require.NotNil(t, s)
			assert.NotEqual(t, int64(1000), s.SegmentationID)
		}
		assert.NotContains(t, logs.String(), "[WARN]")
	})

	t.Run("release_inside_range_back_to_pool", func(t *testing.T) {
		d, _ := newDriver(t, rng(100, 100))
		alloc := allocfake.New()
		s, err := d.AllocateTenantSegment(ctx, alloc)
		require.NoError(t, err)
		require.NoError(t, d.ReleaseSegment(ctx, alloc, *s))
		again, err := d.AllocateTenantSegment(ctx, alloc)
		require.NoError(t, err)
		require.NotNil(t, again)
		assert.Equal(t, int64(100), again.SegmentationID)
	})

	t.Run("release_unallocated_warns", func(t *testing.T) {
		d, logs := newDriver(t, rng(100, 109))
		require.NoError(t, d.ReleaseSegment(ctx, allocfake.New(), seg(105)))
		assert.Contains(t, logs.String(), "[WARN]")
	})
}

func TestRangeChange(t *testing.T) {
	ctx := context.Background()

	t.Run("C17_ranges_unchanged", func(t *testing.T) {
		alloc := allocfake.New()
		old, _ := newDriver(t, rng(100, 102))
		_, err := old.AllocateTenantSegment(ctx, alloc)
		require.NoError(t, err)
		before := alloc.Allocated()
		d, _ := newDriver(t, rng(100, 102))
		assert.Equal(t, before, alloc.Allocated())
		for range 2 {
			s, err := d.AllocateTenantSegment(ctx, alloc)
			require.NoError(t, err)
			require.NotNil(t, s)
		}
		s, err := d.AllocateTenantSegment(ctx, alloc)
		require.NoError(t, err)
		assert.Nil(t, s)
	})

	t.Run("range_moves_allocations_kept", func(t *testing.T) {
		alloc := allocfake.New()
		old, _ := newDriver(t, rng(100, 109))
		for _, id := range []int64{105, 1000} { // inside and outside the old range
			_, err := old.ReserveProviderSegment(ctx, alloc, seg(id))
			require.NoError(t, err)
		}
		d, _ := newDriver(t, rng(200, 209))
		assert.True(t, alloc.IsAllocated(key(105)))
		assert.True(t, alloc.IsAllocated(key(1000)))
		require.NoError(t, d.ReleaseSegment(ctx, alloc, seg(105)))
		for {
			s, err := d.AllocateTenantSegment(ctx, alloc)
			require.NoError(t, err)
			if s == nil {
				break
			}
			assert.True(t, s.SegmentationID >= 200 && s.SegmentationID <= 209)
		}
	})
}

func TestParseRanges(t *testing.T) {
	const max = 1<<24 - 1
	good := []struct {
		name    string
		entries []string
		want    []core.SegmentRange
	}{
		{"empty", nil, nil},
		{"one", []string{"100:109"}, []core.SegmentRange{rng(100, 109)}},
		{"several_in_order", []string{"500:600", "1:2"}, []core.SegmentRange{rng(500, 600), rng(1, 2)}},
		{"spaces_and_blanks", []string{" 1 : 5 ", "", "  "}, []core.SegmentRange{rng(1, 5)}},
		{"bounds", []string{"1:16777215"}, []core.SegmentRange{rng(1, max)}},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRanges("vni_ranges", core.TypeVXLAN, tt.entries, max)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	bad := []struct {
		name, entry, reason string
	}{
		{"one_value", "100", "expected min:max"},
		{"three_values", "1:2:3", "expected min:max"},
		{"not_integer", "a:10", `"a" is not an integer`},
		{"empty_bound", "1:", `"" is not an integer`},
		{"zero", "0:10", "0 is not a valid vxlan identifier"},
		{"beyond_max", "1:16777216", "16777216 is not a valid vxlan identifier"},
		{"reversed", "10:1", "end of tunnel range is less than start"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRanges("vni_ranges", core.TypeVXLAN, []string{"1:2", tt.entry}, max)
			assert.Nil(t, got)
			var re *typedrivers.RangeError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "vni_ranges", re.Option)
			assert.Equal(t, tt.entry, re.Entry)
			assert.Contains(t, re.Reason, tt.reason)
		})
	}
	_, err := ParseRanges("vni_ranges", core.TypeVXLAN, []string{"x:1"}, max)
	var numErr *strconv.NumError
	require.ErrorAs(t, err, &numErr, "strconv cause is wrapped")
}

func TestInitialize(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		spec Spec
		cfg  Config
		ok   bool
	}{
		{"defaults", testSpec, Config{}, true},
		{"good_ranges", testSpec, Config{Ranges: []core.SegmentRange{rng(1, 10)}}, true},
		{"range_beyond_max", testSpec, Config{Ranges: []core.SegmentRange{rng(1, 1<<24)}}, false},
		{"range_zero", testSpec, Config{Ranges: []core.SegmentRange{rng(0, 10)}}, false},
		{"range_reversed", testSpec, Config{Ranges: []core.SegmentRange{rng(10, 1)}}, false},
		{"bad_ip_version", testSpec, Config{MTU: typedrivers.MTUConfig{OverlayIPVersion: 5}}, false},
		{"path_mtu_too_small", testSpec, Config{MTU: typedrivers.MTUConfig{PathMTU: 50}}, false},
		{"no_mtu_at_all_is_fine", testSpec, Config{MTU: typedrivers.MTUConfig{GlobalPhysnetMTU: typedrivers.NoGlobalPhysnetMTU}}, true},
		{"empty_spec", Spec{}, Config{}, false},
		{"negative_overhead", Spec{NetworkType: "x", MaxID: 10, Overhead: -1}, Config{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(tt.spec, tt.cfg).Initialize(ctx)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
	err := New(testSpec, Config{Ranges: []core.SegmentRange{rng(10, 1)}}).Initialize(ctx)
	var re *typedrivers.RangeError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "10:1", re.Entry)
}

func TestMTU(t *testing.T) {
	tests := []struct {
		name      string
		g, p, ipv int
		want      int
	}{
		{"default_ipv4", 0, 0, 4, 1450},
		{"default_ipv6", 0, 0, 6, 1430},
		{"C24_path_below_global_ipv4", 1500, 1475, 4, 1425},
		{"C24_path_below_global_ipv6", 1500, 1475, 6, 1405},
		{"global_below_path", 1450, 1475, 4, 1400},
		{"path_only", typedrivers.NoGlobalPhysnetMTU, 1450, 4, 1400},
		{"C27_all_sources_unset", typedrivers.NoGlobalPhysnetMTU, 0, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(testSpec, Config{MTU: typedrivers.MTUConfig{GlobalPhysnetMTU: tt.g, PathMTU: tt.p, OverlayIPVersion: tt.ipv}})
			require.NoError(t, d.Initialize(context.Background()))
			assert.Equal(t, tt.want, d.MTU(""))
			assert.Equal(t, tt.want, d.MTU("any-physnet"))
		})
	}
}

func TestAllocatorErrorsAreWrapped(t *testing.T) {
	ctx := context.Background()
	d, _ := newDriver(t, rng(1, 10))
	alloc := allocfake.New()
	alloc.SetError(core.ErrRetry)
	_, err := d.ReserveProviderSegment(ctx, alloc, seg(5))
	assert.ErrorIs(t, err, core.ErrRetry)
	_, err = d.ReserveProviderSegment(ctx, alloc, seg(0))
	assert.ErrorIs(t, err, core.ErrRetry)
	_, err = d.AllocateTenantSegment(ctx, alloc)
	assert.ErrorIs(t, err, core.ErrRetry)
	assert.ErrorIs(t, d.ReleaseSegment(ctx, alloc, seg(5)), core.ErrRetry)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = d.AllocateTenantSegment(cctx, allocfake.New())
	assert.ErrorIs(t, err, context.Canceled)
}

func TestAccessors(t *testing.T) {
	ranges := []core.SegmentRange{rng(1, 2)}
	d := New(testSpec, Config{Ranges: ranges})
	ranges[0].Min = 2
	assert.Equal(t, []core.SegmentRange{rng(1, 2)}, d.Ranges(), "config is copied")
	assert.Equal(t, testSpec, d.Spec())
	assert.Equal(t, core.TypeVXLAN, d.Type())
	assert.Equal(t, "1:2,5:9", FormatRanges([]core.SegmentRange{rng(1, 2), rng(5, 9)}))
}
