package vxlan

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
	"github.com/ml2go/ml2go/typedrivers/allocfake"
)

func TestDriver(t *testing.T) {
	ctx := context.Background()
	ranges, err := ParseVNIRanges([]string{"100:109"})
	require.NoError(t, err)
	d := New(Config{VNIRanges: ranges, VXLANGroup: "239.1.1.1"})
	require.NoError(t, d.Initialize(ctx))
	assert.Equal(t, core.TypeVXLAN, d.Type())
	assert.Equal(t, "239.1.1.1", d.Group())
	assert.Equal(t, 1450, d.MTU(""))

	alloc := allocfake.New()
	t.Run("C13_physnet_prohibited", func(t *testing.T) {
		err := d.ValidateProviderSegment(core.Segment{NetworkType: core.TypeVXLAN, PhysicalNetwork: "phys_net"})
		assert.Equal(t, "InvalidInput", core.TypeOf(err))
		assert.Contains(t, err.Error(), "provider:physical_network specified for vxlan network")
		assert.NoError(t, d.ValidateProviderSegment(core.Segment{NetworkType: core.TypeVXLAN, SegmentationID: MaxVNI + 1}))
	})
	t.Run("C14_reserve_twice", func(t *testing.T) {
		s, err := d.ReserveProviderSegment(ctx, alloc, core.Segment{NetworkType: core.TypeVXLAN, SegmentationID: 101})
		require.NoError(t, err)
		assert.Equal(t, core.Segment{NetworkType: core.TypeVXLAN, SegmentationID: 101, MTU: 1450}, s)
		_, err = d.ReserveProviderSegment(ctx, alloc, core.Segment{NetworkType: core.TypeVXLAN, SegmentationID: 101})
		assert.Equal(t, "TunnelIdInUse", core.TypeOf(err))
	})
	t.Run("tenant_segment", func(t *testing.T) {
		s, err := d.AllocateTenantSegment(ctx, alloc)
		require.NoError(t, err)
		require.NotNil(t, s)
		assert.Equal(t, core.TypeVXLAN, s.NetworkType)
		assert.True(t, alloc.IsAllocated(core.SegmentKey{NetworkType: core.TypeVXLAN, SegmentationID: s.SegmentationID}))
	})
}

func TestParseVNIRanges(t *testing.T) {
	got, err := ParseVNIRanges([]string{"1:16777215"})
	require.NoError(t, err)
	assert.Equal(t, []core.SegmentRange{{Min: 1, Max: MaxVNI}}, got)

	_, err = ParseVNIRanges([]string{"1:16777216"})
	var re *typedrivers.RangeError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "vni_ranges", re.Option)
	assert.Contains(t, re.Reason, "not a valid vxlan identifier")

	err = New(Config{VNIRanges: []core.SegmentRange{{Min: 1, Max: MaxVNI + 1}}}).Initialize(context.Background())
	require.ErrorAs(t, err, &re)
}

func TestMTU(t *testing.T) {
	tests := []struct {
		name      string
		g, p, ipv int
		want      int
	}{
		{"default_ipv4", 0, 0, 0, 1450},
		{"default_ipv6", 0, 0, 6, 1430},
		{"C24_ipv4", 1500, 1475, 4, 1425},
		{"C24_ipv6", 1500, 1475, 6, 1405},
		{"global_1450_path_1475", 1450, 1475, 4, 1400},
		{"path_only", typedrivers.NoGlobalPhysnetMTU, 1450, 4, 1400},
		{"C27_all_zero", typedrivers.NoGlobalPhysnetMTU, 0, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(Config{MTU: typedrivers.MTUConfig{GlobalPhysnetMTU: tt.g, PathMTU: tt.p, OverlayIPVersion: tt.ipv}})
			require.NoError(t, d.Initialize(context.Background()))
			assert.Equal(t, tt.want, d.MTU(""))
		})
	}
}
