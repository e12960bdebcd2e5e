package mechtest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
)

func TestNetworkAndSubnetContexts(t *testing.T) {
	seg := core.Segment{ID: "s1", NetworkType: core.TypeLocal}
	nc := &mechtest.FakeNetworkContext{CurrentNetwork: &core.Network{Segments: []core.Segment{seg}}}
	assert.Equal(t, []core.Segment{seg}, nc.Segments())
	assert.Nil(t, nc.Original())
	nc.NetworkSegments = []core.Segment{}
	assert.Empty(t, nc.Segments())
	assert.Nil(t, (&mechtest.FakeNetworkContext{}).Segments())

	sc := &mechtest.FakeSubnetContext{}
	require.NotNil(t, sc.Network())
	assert.Nil(t, sc.Network().Current())
	sc.NetworkContext = nc
	assert.Same(t, nc, sc.Network())
}

func TestPortContext(t *testing.T) {
	ctx := context.Background()
	s1 := core.Segment{ID: "s1", NetworkType: core.TypeVXLAN}
	s2 := core.Segment{ID: "s2", NetworkType: core.TypeVLAN, PhysicalNetwork: "p"}
	port := &core.Port{NetworkID: "net-1", Status: core.StatusDown,
		Binding: core.PortBinding{HostID: "h1", VIFType: core.VIFTypeUnbound}}
	pc := mechtest.NewPortContext(port, s1, s2)

	assert.Same(t, port, pc.Current())
	assert.Equal(t, "h1", pc.Host())
	assert.Equal(t, core.StatusDown, pc.Status())
	assert.Equal(t, []core.Segment{s1, s2}, pc.SegmentsToBind())
	assert.Equal(t, []core.Segment{s1, s2}, pc.Network().Segments())
	assert.Equal(t, "net-1", pc.Network().Current().ID)
	assert.Nil(t, pc.Original())
	assert.Empty(t, pc.OriginalHost()+pc.OriginalStatus()+pc.OriginalVIFType())
	assert.Nil(t, pc.OriginalVIFDetails())
	assert.Nil(t, pc.TopBoundSegment())
	assert.Nil(t, pc.BottomBoundSegment())
	assert.Nil(t, pc.LastBinding())
	assert.False(t, pc.Bound())

	pc.OriginalPort = &core.Port{Status: core.StatusActive, Binding: core.PortBinding{HostID: "h0", VIFType: "ovs",
		VIFDetails: map[string]any{"a": 1}}}
	assert.Equal(t, "h0", pc.OriginalHost())
	assert.Equal(t, core.StatusActive, pc.OriginalStatus())
	assert.Equal(t, "ovs", pc.OriginalVIFType())
	assert.Equal(t, map[string]any{"a": 1}, pc.OriginalVIFDetails())

	pc.Levels = []core.BoundLevel{{Driver: "a", Segment: s1}, {Driver: "b", Segment: s2}}
	pc.OriginalLevels = []core.BoundLevel{{Driver: "a", Segment: s2}}
	assert.Equal(t, "s1", pc.TopBoundSegment().ID)
	assert.Equal(t, "s2", pc.BottomBoundSegment().ID)
	assert.Equal(t, "s2", pc.OriginalTopBoundSegment().ID)
	assert.Equal(t, "s2", pc.OriginalBottomBoundSegment().ID)
	assert.Len(t, pc.BindingLevels(), 2)
	assert.Len(t, pc.OriginalBindingLevels(), 1)

	// Recording.
	details := map[string]any{"port_filter": true}
	pc.ContinueBinding("s1", []core.Segment{s2})
	pc.SetBinding("", core.VIFTypeBindingFailed, nil, "")
	assert.False(t, pc.Bound(), "a binding without segment is not a binding")
	pc.SetBinding("s2", core.VIFTypeOVS, details, core.StatusActive)
	details["port_filter"] = false
	assert.True(t, pc.Bound())
	assert.Equal(t, &mechtest.Binding{SegmentID: "s2", VIFType: core.VIFTypeOVS,
		VIFDetails: map[string]any{"port_filter": true}, Status: core.StatusActive}, pc.LastBinding())
	assert.Len(t, pc.SetBindings, 2)
	assert.Equal(t, []mechtest.Continuation{{SegmentID: "s1", Next: []core.Segment{s2}}}, pc.ContinueBindings)
	assert.Equal(t, core.VIFTypeOVS, pc.VIFType())
	assert.Equal(t, map[string]any{"port_filter": true}, pc.VIFDetails())

	// Dynamic segments, default behaviour.
	dyn, err := pc.AllocateDynamicSegment(ctx, core.Segment{NetworkType: core.TypeVLAN, PhysicalNetwork: "p"})
	require.NoError(t, err)
	assert.Equal(t, core.Segment{ID: "dynamic-1", NetworkID: "net-1", NetworkType: core.TypeVLAN,
		PhysicalNetwork: "p", Dynamic: true}, dyn)
	require.NoError(t, pc.ReleaseDynamicSegment(ctx, dyn.ID))
	assert.Equal(t, []core.Segment{dyn}, pc.AllocatedSegments)
	assert.Equal(t, []string{"dynamic-1"}, pc.ReleasedSegments)

	// Dynamic segments from funcs.
	boom := errors.New("boom")
	pc.AllocateSegment = func(_ context.Context, s core.Segment) (core.Segment, error) {
		if s.PhysicalNetwork == "bad" {
			return core.Segment{}, boom
		}
		s.ID, s.SegmentationID = "fixed", 7
		return s, nil
	}
	pc.ReleaseSegment = func(context.Context, string) error { return boom }
	got, err := pc.AllocateDynamicSegment(ctx, core.Segment{NetworkType: core.TypeVLAN, PhysicalNetwork: "p"})
	require.NoError(t, err)
	assert.Equal(t, int64(7), got.SegmentationID)
	_, err = pc.AllocateDynamicSegment(ctx, core.Segment{PhysicalNetwork: "bad"})
	assert.ErrorIs(t, err, boom)
	assert.ErrorIs(t, pc.ReleaseDynamicSegment(ctx, "fixed"), boom)
	assert.Len(t, pc.AllocatedSegments, 2)
	assert.Len(t, pc.ReleasedSegments, 1)
}

func TestHostAgents(t *testing.T) {
	ctx := context.Background()
	agents := []core.Agent{
		{ID: "1", AgentType: "A", Host: "h1"},
		{ID: "2", AgentType: "B", Host: "h1"},
		{ID: "3", AgentType: "A", Host: "h2"},
		{ID: "4", AgentType: "A", Host: "h1"},
	}
	pc := mechtest.NewPortContext(&core.Port{Binding: core.PortBinding{HostID: "h1"}})
	pc.Agents = agents
	got, err := pc.HostAgents(ctx, "A")
	require.NoError(t, err)
	assert.Equal(t, []core.Agent{agents[0], agents[3]}, got)

	got, err = pc.HostAgents(ctx, "C")
	require.NoError(t, err)
	assert.Empty(t, got)

	pc.CurrentPort.Binding.HostID = ""
	got, err = pc.HostAgents(ctx, "A")
	require.NoError(t, err)
	assert.Empty(t, got)

	pc.AgentsErr = errors.New("down")
	_, err = pc.HostAgents(ctx, "A")
	assert.EqualError(t, err, "down")
}
