package gre

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
	ranges, err := ParseTunnelIDRanges([]string{"1:2"})
	require.NoError(t, err)
	d := New(Config{TunnelIDRanges: ranges})
	require.NoError(t, d.Initialize(ctx))
	assert.Equal(t, core.TypeGRE, d.Type())

	err = d.ValidateProviderSegment(core.Segment{NetworkType: core.TypeGRE, PhysicalNetwork: "p"})
	assert.Contains(t, err.Error(), "provider:physical_network specified for gre network")

	alloc := allocfake.New()
	s, err := d.ReserveProviderSegment(ctx, alloc, core.Segment{NetworkType: core.TypeGRE, SegmentationID: MaxKey})
	require.NoError(t, err)
	assert.Equal(t, core.Segment{NetworkType: core.TypeGRE, SegmentationID: MaxKey, MTU: 1458}, s)
	_, err = d.ReserveProviderSegment(ctx, alloc, core.Segment{NetworkType: core.TypeGRE, SegmentationID: MaxKey})
	assert.Equal(t, "TunnelIdInUse", core.TypeOf(err))

	for range 2 {
		s, err := d.AllocateTenantSegment(ctx, alloc)
		require.NoError(t, err)
		require.NotNil(t, s)
		assert.Equal(t, core.TypeGRE, s.NetworkType)
	}
	none, err := d.AllocateTenantSegment(ctx, alloc)
	require.NoError(t, err)
	assert.Nil(t, none)
}

func TestParseTunnelIDRanges(t *testing.T) {
	got, err := ParseTunnelIDRanges([]string{"1:4294967295"})
	require.NoError(t, err)
	assert.Equal(t, []core.SegmentRange{{Min: 1, Max: MaxKey}}, got)

	_, err = ParseTunnelIDRanges([]string{"1:4294967296"})
	var re *typedrivers.RangeError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "tunnel_id_ranges", re.Option)
	assert.Contains(t, re.Reason, "not a valid gre identifier")
}

func TestMTU(t *testing.T) {
	tests := []struct {
		name      string
		g, p, ipv int
		want      int
	}{
		{"C25_global_1500_path_0", 1500, 0, 4, 1458},
		{"default", 0, 0, 0, 1458},
		{"ipv6", 0, 0, 6, 1438},
		{"path_below_global", 1500, 1475, 4, 1433},
		{"global_below_path", 1450, 1475, 6, 1388},
		{"path_only", typedrivers.NoGlobalPhysnetMTU, 1450, 4, 1408},
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
