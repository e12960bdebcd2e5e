package local

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers/allocfake"
)

func TestValidate(t *testing.T) {
	d := New(Config{})
	require.NoError(t, d.Initialize(context.Background()))
	tests := []struct {
		name string
		seg  core.Segment
		err  string
	}{
		{"C23_physnet_prohibited", core.Segment{NetworkType: core.TypeLocal, PhysicalNetwork: "physnet1"},
			"physical_network prohibited for local provider network"},
		{"C23_segid_prohibited", core.Segment{NetworkType: core.TypeLocal, SegmentationID: 2},
			"segmentation_id prohibited for local provider network"},
		{"plain", core.Segment{NetworkType: core.TypeLocal}, ""},
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

func TestDriver(t *testing.T) {
	ctx := context.Background()
	d := New(Config{})
	alloc := allocfake.New()
	assert.Equal(t, core.TypeLocal, d.Type())
	assert.False(t, d.IsPartialSegment(core.Segment{NetworkType: core.TypeLocal}))
	assert.Zero(t, d.MTU(""))

	t.Run("C23_tenant_segment", func(t *testing.T) {
		for range 3 { // unlimited
			s, err := d.AllocateTenantSegment(ctx, alloc)
			require.NoError(t, err)
			assert.Equal(t, &core.Segment{NetworkType: core.TypeLocal}, s)
		}
	})
	t.Run("reserve_returns_input", func(t *testing.T) {
		in := core.Segment{ID: "s", NetworkID: "n", NetworkType: core.TypeLocal, Index: 1}
		got, err := d.ReserveProviderSegment(ctx, alloc, in)
		require.NoError(t, err)
		assert.Equal(t, in, got)
	})
	t.Run("release_noop", func(t *testing.T) {
		assert.NoError(t, d.ReleaseSegment(ctx, alloc, core.Segment{NetworkType: core.TypeLocal}))
	})
	assert.Zero(t, alloc.Len(), "local never touches the allocator")
}
