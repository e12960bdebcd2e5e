package flat

import (
	"bytes"
	"context"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
	"github.com/ml2go/ml2go/typedrivers/allocfake"
)

func newDriver(t *testing.T, networks []string) (*Driver, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	d := New(Config{FlatNetworks: networks, Logger: hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace})})
	require.NoError(t, d.Initialize(context.Background()))
	return d, &logs
}

func flatSeg(physnet string) core.Segment {
	return core.Segment{NetworkType: core.TypeFlat, PhysicalNetwork: physnet}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		networks []string
		seg      core.Segment
		err      string
	}{
		{"C18_physnet_required", []string{"flat_net1"}, flatSeg(""), "physical_network required for flat provider network"},
		{"C19_flat_networks_empty_disabled", []string{}, flatSeg("flat_net1"), "Flat provider networks are disabled"},
		{"C20_segmentation_id_prohibited", []string{"flat_net1"},
			core.Segment{NetworkType: core.TypeFlat, PhysicalNetwork: "flat_net1", SegmentationID: 1234},
			"segmentation_id prohibited for flat provider network"},
		{"listed_physnet", []string{"flat_net1", "flat_net2"}, flatSeg("flat_net2"), ""},
		{"unlisted_physnet", []string{"flat_net1"}, flatSeg("flat_net9"), "physical_network 'flat_net9' unknown for flat provider network"},
		{"default_nil_allows_any", nil, flatSeg("anything"), ""},
		{"star_allows_any", []string{"flat_net1", "*"}, flatSeg("anything"), ""},
		{"blank_names_dropped_disabled", []string{" ", ""}, flatSeg("flat_net1"), "disabled"},
		{"names_trimmed", []string{" flat_net1 "}, flatSeg("flat_net1"), ""},
		{"C18_physnet_required_even_if_disabled", []string{}, flatSeg(""), "physical_network required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newDriver(t, tt.networks)
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

func TestReserveProviderSegment(t *testing.T) {
	ctx := context.Background()

	t.Run("C21_same_physnet_twice", func(t *testing.T) {
		d, _ := newDriver(t, nil)
		alloc := allocfake.New()
		in := core.Segment{ID: "s", NetworkID: "n", NetworkType: core.TypeFlat, PhysicalNetwork: "flat_net1"}
		got, err := d.ReserveProviderSegment(ctx, alloc, in)
		require.NoError(t, err)
		want := in
		want.MTU = 1500
		assert.Equal(t, want, got)
		assert.True(t, alloc.IsAllocated(core.SegmentKey{NetworkType: core.TypeFlat, PhysicalNetwork: "flat_net1"}))

		_, err = d.ReserveProviderSegment(ctx, alloc, flatSeg("flat_net1"))
		require.Error(t, err)
		assert.Equal(t, "FlatNetworkInUse", core.TypeOf(err))
		assert.Equal(t, core.KindConflict, core.KindOf(err))
		assert.Contains(t, err.Error(), "Physical network flat_net1 is in use")

		_, err = d.ReserveProviderSegment(ctx, alloc, flatSeg("flat_net2"))
		assert.NoError(t, err, "another physnet is free")
	})

	t.Run("physnet_required", func(t *testing.T) {
		d, _ := newDriver(t, nil)
		_, err := d.ReserveProviderSegment(ctx, allocfake.New(), flatSeg(""))
		assert.Equal(t, "InvalidInput", core.TypeOf(err))
	})

	t.Run("allocator_error_wrapped", func(t *testing.T) {
		d, _ := newDriver(t, nil)
		alloc := allocfake.New()
		alloc.SetError(core.ErrRetry)
		_, err := d.ReserveProviderSegment(ctx, alloc, flatSeg("p"))
		assert.ErrorIs(t, err, core.ErrRetry)
		assert.ErrorIs(t, d.ReleaseSegment(ctx, alloc, flatSeg("p")), core.ErrRetry)
	})
}

func TestAllocateTenantSegment(t *testing.T) {
	t.Run("C22_never_tenant", func(t *testing.T) {
		d, _ := newDriver(t, nil)
		alloc := allocfake.New()
		s, err := d.AllocateTenantSegment(context.Background(), alloc)
		assert.NoError(t, err)
		assert.Nil(t, s)
		assert.Zero(t, alloc.Len())
	})
}

func TestReleaseSegment(t *testing.T) {
	ctx := context.Background()
	d, logs := newDriver(t, nil)
	alloc := allocfake.New()
	_, err := d.ReserveProviderSegment(ctx, alloc, flatSeg("p"))
	require.NoError(t, err)
	require.NoError(t, d.ReleaseSegment(ctx, alloc, flatSeg("p")))
	assert.Zero(t, alloc.Len())
	assert.NotContains(t, logs.String(), "[WARN]")

	_, err = d.ReserveProviderSegment(ctx, alloc, flatSeg("p"))
	require.NoError(t, err, "physnet free again")

	require.NoError(t, d.ReleaseSegment(ctx, alloc, flatSeg("missing")))
	assert.Contains(t, logs.String(), "[WARN]")
	assert.Contains(t, logs.String(), "missing")
}

func TestMTU(t *testing.T) {
	mtus := map[string]int{"physnet1": 1450, "physnet2": 1400}
	tests := []struct {
		name    string
		g, p    int
		mtus    map[string]int
		physnet string
		want    int
	}{
		{"default", 0, 0, nil, "physnet1", 1500},
		{"physnet_mtu_below_global", 1475, 1400, mtus, "physnet1", 1450},
		{"global_below_physnet_mtu", 1375, 1400, mtus, "physnet1", 1375},
		{"no_global_path_mtu_ignored", typedrivers.NoGlobalPhysnetMTU, 1425, mtus, "physnet2", 1400},
		{"C27_all_sources_unset", typedrivers.NoGlobalPhysnetMTU, 0, nil, "physnet1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(Config{MTU: typedrivers.MTUConfig{GlobalPhysnetMTU: tt.g, PathMTU: tt.p, PhysicalNetworkMTUs: tt.mtus}})
			require.NoError(t, d.Initialize(context.Background()))
			assert.Equal(t, tt.want, d.MTU(tt.physnet))
			s, err := d.ReserveProviderSegment(context.Background(), allocfake.New(), flatSeg(tt.physnet))
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.MTU)
		})
	}
}

func TestMisc(t *testing.T) {
	d := New(Config{})
	assert.Equal(t, core.TypeFlat, d.Type())
	assert.False(t, d.IsPartialSegment(flatSeg("")))
	assert.Error(t, New(Config{MTU: typedrivers.MTUConfig{OverlayIPVersion: 7}}).Initialize(context.Background()))
	// Initialize logs each of its three cases without failing.
	for _, n := range [][]string{nil, {}, {"a", "b"}} {
		assert.NoError(t, New(Config{FlatNetworks: n}).Initialize(context.Background()))
	}
}
