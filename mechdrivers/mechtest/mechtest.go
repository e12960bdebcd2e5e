// Package mechtest has fakes of the contexts ML2 hands to mechanism drivers,
// for unit-testing a driver without an orchestrator or a store.
//
// The fakes are plain structs with exported fields: set what the driver under
// test reads, call the hook, then look at what it did. FakePortContext
// records SetBinding, ContinueBinding and dynamic-segment calls:
//
//	pc := mechtest.NewPortContext(&core.Port{Binding: core.PortBinding{HostID: "host1"}}, seg)
//	pc.Agents = []core.Agent{{AgentType: "Fake agent", Host: "host1", HeartbeatAt: time.Now()}}
//	err := driver.BindPort(ctx, pc)
//	// pc.Bound(), pc.SetBindings, pc.ContinueBindings ...
//
// The fakes are not safe for concurrent use: give each goroutine its own.
package mechtest

import (
	"context"
	"fmt"
	"slices"

	"github.com/ml2go/ml2go/core"
)

// FakeNetworkContext is a core.NetworkContext with settable fields.
type FakeNetworkContext struct {
	// CurrentNetwork is returned by Current.
	CurrentNetwork *core.Network
	// OriginalNetwork is returned by Original (nil except for updates).
	OriginalNetwork *core.Network
	// NetworkSegments is returned by Segments; when nil, Segments returns
	// CurrentNetwork.Segments.
	NetworkSegments []core.Segment
}

var _ core.NetworkContext = (*FakeNetworkContext)(nil)

// Current returns CurrentNetwork.
func (c *FakeNetworkContext) Current() *core.Network { return c.CurrentNetwork }

// Original returns OriginalNetwork.
func (c *FakeNetworkContext) Original() *core.Network { return c.OriginalNetwork }

// Segments returns NetworkSegments, or the current network's segments.
func (c *FakeNetworkContext) Segments() []core.Segment {
	if c.NetworkSegments == nil && c.CurrentNetwork != nil {
		return c.CurrentNetwork.Segments
	}
	return c.NetworkSegments
}

// FakeSubnetContext is a core.SubnetContext with settable fields.
type FakeSubnetContext struct {
	// CurrentSubnet is returned by Current.
	CurrentSubnet *core.Subnet
	// OriginalSubnet is returned by Original (nil except for updates).
	OriginalSubnet *core.Subnet
	// NetworkContext is returned by Network; nil means an empty
	// FakeNetworkContext.
	NetworkContext core.NetworkContext
}

var _ core.SubnetContext = (*FakeSubnetContext)(nil)

// Current returns CurrentSubnet.
func (c *FakeSubnetContext) Current() *core.Subnet { return c.CurrentSubnet }

// Original returns OriginalSubnet.
func (c *FakeSubnetContext) Original() *core.Subnet { return c.OriginalSubnet }

// Network returns NetworkContext, or an empty network context.
func (c *FakeSubnetContext) Network() core.NetworkContext {
	if c.NetworkContext == nil {
		return &FakeNetworkContext{}
	}
	return c.NetworkContext
}

// Binding records one SetBinding call.
type Binding struct {
	SegmentID  string
	VIFType    string
	VIFDetails map[string]any
	Status     string
}

// Continuation records one ContinueBinding call.
type Continuation struct {
	SegmentID string
	Next      []core.Segment
}

// FakePortContext is a core.PortContext with settable fields that records
// what a driver does with it.
//
// Status, Host, VIFType and VIFDetails are read from CurrentPort (and their
// Original* counterparts from OriginalPort); the bound segments from Levels
// and OriginalLevels.
type FakePortContext struct {
	// PortPair holds CurrentPort (returned by Current; it must not be
	// nil) and OriginalPort (returned by Original; nil except for
	// updates).
	core.PortPair
	// NetworkContext is returned by Network; nil means an empty
	// FakeNetworkContext.
	NetworkContext core.NetworkContext
	// Levels and OriginalLevels are returned by BindingLevels and
	// OriginalBindingLevels, top to bottom.
	Levels         []core.BoundLevel
	OriginalLevels []core.BoundLevel
	// BindSegments is returned by SegmentsToBind.
	BindSegments []core.Segment

	// Agents are the agents known to the fake: HostAgents returns those of
	// the requested type whose Host is the binding host, in order.
	Agents []core.Agent
	// AgentsErr, when set, is returned by HostAgents.
	AgentsErr error

	// AllocateSegment implements AllocateDynamicSegment. When nil, the
	// requested segment is returned marked Dynamic, with an id
	// "dynamic-<n>" if it had none.
	AllocateSegment func(ctx context.Context, seg core.Segment) (core.Segment, error)
	// ReleaseSegment implements ReleaseDynamicSegment. When nil, releasing
	// succeeds.
	ReleaseSegment func(ctx context.Context, segmentID string) error

	// SetBindings records SetBinding calls, in order.
	SetBindings []Binding
	// ContinueBindings records ContinueBinding calls, in order.
	ContinueBindings []Continuation
	// AllocatedSegments records the segments AllocateDynamicSegment
	// returned without error.
	AllocatedSegments []core.Segment
	// ReleasedSegments records the ids ReleaseDynamicSegment released
	// without error.
	ReleasedSegments []string
}

var _ core.PortContext = (*FakePortContext)(nil)

// NewPortContext returns a context for port on a network whose static
// segments, and the segments to bind, are segments. The network is
// port.NetworkID with those segments.
func NewPortContext(port *core.Port, segments ...core.Segment) *FakePortContext {
	return &FakePortContext{
		PortPair: core.PortPair{CurrentPort: port},
		NetworkContext: &FakeNetworkContext{CurrentNetwork: &core.Network{
			Standard: core.Standard{ID: port.NetworkID},
			Segments: slices.Clone(segments),
		}},
		BindSegments: slices.Clone(segments),
	}
}

// Bound reports whether SetBinding was called with a segment id, which is
// what the orchestrator counts as a complete binding at this level.
func (c *FakePortContext) Bound() bool {
	return slices.ContainsFunc(c.SetBindings, func(b Binding) bool { return b.SegmentID != "" })
}

// LastBinding returns the last recorded SetBinding call, or nil.
func (c *FakePortContext) LastBinding() *Binding {
	if len(c.SetBindings) == 0 {
		return nil
	}
	b := c.SetBindings[len(c.SetBindings)-1]
	return &b
}

// Network returns NetworkContext, or an empty network context.
func (c *FakePortContext) Network() core.NetworkContext {
	if c.NetworkContext == nil {
		return &FakeNetworkContext{}
	}
	return c.NetworkContext
}

// BindingLevels returns Levels.
func (c *FakePortContext) BindingLevels() []core.BoundLevel { return c.Levels }

// OriginalBindingLevels returns OriginalLevels.
func (c *FakePortContext) OriginalBindingLevels() []core.BoundLevel { return c.OriginalLevels }

// TopBoundSegment returns the segment of the first of Levels, or nil.
func (c *FakePortContext) TopBoundSegment() *core.Segment { return levelSegment(c.Levels, 0) }

// BottomBoundSegment returns the segment of the last of Levels, or nil.
func (c *FakePortContext) BottomBoundSegment() *core.Segment {
	return levelSegment(c.Levels, len(c.Levels)-1)
}

// OriginalTopBoundSegment returns the segment of the first of
// OriginalLevels, or nil.
func (c *FakePortContext) OriginalTopBoundSegment() *core.Segment {
	return levelSegment(c.OriginalLevels, 0)
}

// OriginalBottomBoundSegment returns the segment of the last of
// OriginalLevels, or nil.
func (c *FakePortContext) OriginalBottomBoundSegment() *core.Segment {
	return levelSegment(c.OriginalLevels, len(c.OriginalLevels)-1)
}

func levelSegment(levels []core.BoundLevel, i int) *core.Segment {
	if i < 0 || i >= len(levels) {
		return nil
	}
	s := levels[i].Segment
	return &s
}

// SegmentsToBind returns BindSegments.
func (c *FakePortContext) SegmentsToBind() []core.Segment { return c.BindSegments }

// HostAgents returns AgentsErr if set, else the Agents of agentType on the
// binding host (none when the port has no host).
func (c *FakePortContext) HostAgents(_ context.Context, agentType string) ([]core.Agent, error) {
	if c.AgentsErr != nil {
		return nil, c.AgentsErr
	}
	host := c.Host()
	if host == "" {
		return nil, nil
	}
	var out []core.Agent
	for _, a := range c.Agents {
		if a.AgentType == agentType && a.Host == host {
			out = append(out, a)
		}
	}
	return out, nil
}

// SetBinding records the call and, like the real context, sets the current
// port's VIF type and details.
func (c *FakePortContext) SetBinding(segmentID, vifType string, vifDetails map[string]any, status string) {
	c.SetBindings = append(c.SetBindings, Binding{
		SegmentID: segmentID, VIFType: vifType, VIFDetails: core.CloneMap(vifDetails), Status: status,
	})
	c.CurrentPort.Binding.VIFType = vifType
	c.CurrentPort.Binding.VIFDetails = core.CloneMap(vifDetails)
}

// ContinueBinding records the call.
func (c *FakePortContext) ContinueBinding(segmentID string, next []core.Segment) {
	c.ContinueBindings = append(c.ContinueBindings, Continuation{SegmentID: segmentID, Next: slices.Clone(next)})
}

// AllocateDynamicSegment calls AllocateSegment, or returns seg marked
// Dynamic, and records the result.
func (c *FakePortContext) AllocateDynamicSegment(ctx context.Context, seg core.Segment) (core.Segment, error) {
	if c.AllocateSegment != nil {
		s, err := c.AllocateSegment(ctx, seg)
		if err != nil {
			return core.Segment{}, err
		}
		c.AllocatedSegments = append(c.AllocatedSegments, s)
		return s, nil
	}
	if seg.ID == "" {
		seg.ID = fmt.Sprintf("dynamic-%d", len(c.AllocatedSegments)+1)
	}
	if seg.NetworkID == "" {
		seg.NetworkID = c.CurrentPort.NetworkID
	}
	seg.Dynamic = true
	c.AllocatedSegments = append(c.AllocatedSegments, seg)
	return seg, nil
}

// ReleaseDynamicSegment calls ReleaseSegment, if set, and records the id.
func (c *FakePortContext) ReleaseDynamicSegment(ctx context.Context, segmentID string) error {
	if c.ReleaseSegment != nil {
		if err := c.ReleaseSegment(ctx, segmentID); err != nil {
			return err
		}
	}
	c.ReleasedSegments = append(c.ReleasedSegments, segmentID)
	return nil
}
