package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
	"github.com/ml2go/ml2go/plugins/drivertest"
)

var ctx = context.Background()

func vlanSegment() core.Segment {
	return core.Segment{ID: "seg-vlan", NetworkID: "net", NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet1", SegmentationID: 101}
}

func directPort(host string) *core.Port {
	return &core.Port{
		Standard:  core.Standard{ID: "port"},
		NetworkID: "net",
		Binding:   core.PortBinding{HostID: host, VNICType: core.VNICDirect, VIFType: core.VIFTypeUnbound},
	}
}

func TestParseHosts(t *testing.T) {
	assert.Equal(t, []string{"host1", "host2"}, ParseHosts(" host1, ,host2,"))
	assert.Empty(t, ParseHosts(""))
}

func TestInitializeNeedsHosts(t *testing.T) {
	require.Error(t, New(Config{}).Initialize(ctx))
	require.NoError(t, New(Config{Hosts: []string{"host1"}}).Initialize(ctx))
}

func TestRefusesNetworksItCannotCarry(t *testing.T) {
	d := New(Config{Hosts: []string{"host1"}})
	for _, nt := range []string{core.TypeVXLAN, core.TypeLocal, core.TypeGeneve} {
		nc := &mechtest.FakeNetworkContext{CurrentNetwork: &core.Network{
			Standard: core.Standard{ID: "net"},
			Segments: []core.Segment{{ID: "seg", NetworkType: nt}},
		}}
		err := d.CreateNetworkPrecommit(ctx, nc)
		assert.Equal(t, "InvalidInput", core.TypeOf(err), nt)
		assert.ErrorIs(t, err, core.ErrBadRequest)
		assert.Contains(t, err.Error(), "only flat and vlan networks are supported")
		assert.Equal(t, "InvalidInput", core.TypeOf(d.UpdateNetworkPrecommit(ctx, nc)), nt)
	}
	for _, nt := range []string{core.TypeVLAN, core.TypeFlat} {
		nc := &mechtest.FakeNetworkContext{CurrentNetwork: &core.Network{Segments: []core.Segment{{NetworkType: nt}}}}
		assert.NoError(t, d.CreateNetworkPrecommit(ctx, nc), nt)
	}
}

func TestBindsDirectPortsOnManagedHosts(t *testing.T) {
	d := New(Config{Hosts: []string{"host1"}})
	pc := mechtest.NewPortContext(directPort("host1"), core.Segment{ID: "seg-vx", NetworkType: core.TypeVXLAN}, vlanSegment())
	require.NoError(t, d.BindPort(ctx, pc))
	require.True(t, pc.Bound())
	b := pc.LastBinding()
	assert.Equal(t, "seg-vlan", b.SegmentID, "the first segment the fabric carries")
	assert.Equal(t, VIFTypeHwVeb, b.VIFType)
	assert.Equal(t, map[string]any{"port_filter": false, "physical_network": "physnet1", "vlan": "101"}, b.VIFDetails)
	assert.Equal(t, core.StatusActive, b.Status)
}

func TestLeavesOtherPortsAlone(t *testing.T) {
	d := New(Config{Hosts: []string{"host1"}})
	normal := directPort("host1")
	normal.Binding.VNICType = core.VNICNormal
	for name, pc := range map[string]*mechtest.FakePortContext{
		"normal_vnic":    mechtest.NewPortContext(normal, vlanSegment()),
		"unmanaged_host": mechtest.NewPortContext(directPort("host9"), vlanSegment()),
		"vxlan_only":     mechtest.NewPortContext(directPort("host1"), core.Segment{ID: "seg", NetworkType: core.TypeVXLAN}),
		"no_segments":    mechtest.NewPortContext(directPort("host1")),
	} {
		require.NoError(t, d.BindPort(ctx, pc), name)
		assert.False(t, pc.Bound(), name)
	}
}

func TestKeepsItsViewFromPostcommits(t *testing.T) {
	d := New(Config{Hosts: []string{"host1"}})
	seg := vlanSegment()
	nc := &mechtest.FakeNetworkContext{CurrentNetwork: &core.Network{
		Standard: core.Standard{ID: "net", Name: "n"}, Segments: []core.Segment{seg},
	}}
	require.NoError(t, d.CreateNetworkPostcommit(ctx, nc))
	n, ok := d.Network("net")
	require.True(t, ok)
	assert.Equal(t, Network{ID: "net", Name: "n", Segments: []core.Segment{seg}}, n)

	port := directPort("host1")
	require.NoError(t, d.CreatePortPostcommit(ctx, mechtest.NewPortContext(port, seg)))
	p, _ := d.Port("port")
	assert.Empty(t, p.SegmentID, "not bound yet")

	bound := port.Clone()
	bound.Binding.VIFType = VIFTypeHwVeb
	pc := mechtest.NewPortContext(bound, seg)
	pc.OriginalPort = port
	pc.Levels = []core.BoundLevel{{Driver: "acme", Segment: seg}}
	require.NoError(t, d.UpdatePortPostcommit(ctx, pc))
	require.NoError(t, d.UpdatePortPostcommit(ctx, pc), "postcommits are idempotent")
	p, _ = d.Port("port")
	assert.Equal(t, Port{ID: "port", NetworkID: "net", Host: "host1", VNICType: core.VNICDirect, SegmentID: seg.ID}, p)

	require.NoError(t, d.DeletePortPostcommit(ctx, pc))
	require.NoError(t, d.DeletePortPostcommit(ctx, pc))
	_, ok = d.Port("port")
	assert.False(t, ok)
	require.NoError(t, d.DeleteNetworkPostcommit(ctx, nc))
	_, ok = d.Network("net")
	assert.False(t, ok)
}

func TestConformanceNamesMatchTheKit(t *testing.T) {
	assert.Equal(t, drivertest.FailCreatePrecommit, conformanceFailCreate)
	assert.Equal(t, drivertest.FailUpdatePrecommit, conformanceFailUpdate)
	assert.Equal(t, drivertest.FailDeletePrecommit, conformanceFailDelete)
	assert.Equal(t, drivertest.EnvConformance, envConformance)

	// Outside conformance mode, names mean nothing.
	nc := &mechtest.FakeNetworkContext{CurrentNetwork: &core.Network{
		Standard: core.Standard{Name: drivertest.FailCreatePrecommit}, Segments: []core.Segment{vlanSegment()},
	}}
	assert.NoError(t, New(Config{Hosts: []string{"h"}}).CreateNetworkPrecommit(ctx, nc))
	assert.Error(t, New(Config{Hosts: []string{"h"}, Conformance: true}).CreateNetworkPrecommit(ctx, nc))
}

// conformanceOptions are what the ACME driver declares to the kit.
func conformanceOptions() []drivertest.Option {
	return []drivertest.Option{
		drivertest.NetworkTypes(core.TypeVLAN, core.TypeFlat),
		drivertest.Binds(core.VNICDirect, core.TypeVLAN),
		drivertest.Binds(core.VNICDirect, core.TypeFlat),
	}
}

// TestConformance runs the kit against the driver in-process.
func TestConformance(t *testing.T) {
	drivertest.Run(t, func(*testing.T) core.MechanismDriver {
		return New(Config{Hosts: []string{drivertest.DefaultHost}, Conformance: true})
	}, conformanceOptions()...)
}

// TestConformanceBinary runs the kit against the driver binary, as the
// server would run it.
func TestConformanceBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the driver binary")
	}
	bin := drivertest.Build(t, ".")
	drivertest.Run(t, drivertest.Binary(t, bin, "-hosts", drivertest.DefaultHost), conformanceOptions()...)
}
