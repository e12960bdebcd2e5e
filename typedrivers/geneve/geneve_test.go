package geneve

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
	ranges, err := ParseVNIRanges([]string{"5:5"})
	require.NoError(t, err)
	d := New(Config{VNIRanges: ranges})
	require.NoError(t, d.Initialize(ctx))
	assert.Equal(t, core.TypeGeneve, d.Type())
	assert.Equal(t, MinHeaderSize, d.MaxHeaderSize())

	err = d.ValidateProviderSegment(core.Segment{NetworkType: core.TypeGeneve, PhysicalNetwork: "p"})
	assert.Contains(t, err.Error(), "provider:physical_network specified for geneve network")

	alloc := allocfake.New()
	s, err := d.AllocateTenantSegment(ctx, alloc)
	require.NoError(t, err)
	assert.Equal(t, &core.Segment{NetworkType: core.TypeGeneve, SegmentationID: 5, MTU: 1450}, s)
	_, err = d.ReserveProviderSegment(ctx, alloc, core.Segment{NetworkType: core.TypeGeneve})
	assert.Equal(t, "NoNetworkAvailable", core.TypeOf(err))
	_, err = d.ReserveProviderSegment(ctx, alloc, core.Segment{NetworkType: core.TypeGeneve, SegmentationID: 5})
	assert.Equal(t, "TunnelIdInUse", core.TypeOf(err))
	require.NoError(t, d.ReleaseSegment(ctx, alloc, *s))
	assert.Zero(t, alloc.Len())
}

func TestParseVNIRanges(t *testing.T) {
	_, err := ParseVNIRanges([]string{"1:16777216"})
	var re *typedrivers.RangeError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "vni_ranges", re.Option)
	assert.Contains(t, re.Reason, "not a valid geneve identifier")
}

func TestMTU(t *testing.T) {
	tests := []struct {
		name      string
		header    int
		g, p, ipv int
		want      int
	}{
		{"default", 0, 0, 0, 0, 1450},
		{"default_ipv6", 0, 0, 0, 6, 1430},
		{"ovn_header_38", 38, 0, 0, 4, 1442},
		{"path_below_global", 0, 1500, 1475, 4, 1425},
		{"global_below_path", 0, 1450, 1475, 4, 1400},
		{"path_only", 0, typedrivers.NoGlobalPhysnetMTU, 1450, 6, 1380},
		{"C27_all_zero", 0, typedrivers.NoGlobalPhysnetMTU, 0, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(Config{MaxHeaderSize: tt.header,
				MTU: typedrivers.MTUConfig{GlobalPhysnetMTU: tt.g, PathMTU: tt.p, OverlayIPVersion: tt.ipv}})
			require.NoError(t, d.Initialize(context.Background()))
			assert.Equal(t, tt.want, d.MTU(""))
		})
	}
}

func TestNegativeHeaderSize(t *testing.T) {
	assert.Error(t, New(Config{MaxHeaderSize: -1}).Initialize(context.Background()))
}
