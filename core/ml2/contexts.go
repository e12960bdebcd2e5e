package ml2

import (
	"context"

	"github.com/ml2go/ml2go/core"
)

// networkContext is the core.NetworkContext of one operation.
type networkContext struct {
	current, original *core.Network
}

var _ core.NetworkContext = (*networkContext)(nil)

func (c *networkContext) Current() *core.Network   { return c.current }
func (c *networkContext) Original() *core.Network  { return c.original }
func (c *networkContext) Segments() []core.Segment { return c.current.Segments }

// subnetContext is the core.SubnetContext of one operation.
type subnetContext struct {
	current, original *core.Subnet
	network           *networkContext
}

var _ core.SubnetContext = (*subnetContext)(nil)

func (c *subnetContext) Current() *core.Subnet        { return c.current }
func (c *subnetContext) Original() *core.Subnet       { return c.original }
func (c *subnetContext) Network() core.NetworkContext { return c.network }

// portContext is the core.PortContext of one operation or binding attempt.
type portContext struct {
	core.PortPair
	plugin  *Plugin
	network *networkContext
	// segments maps segment ids of the network, static and dynamic, to
	// segments, for resolving binding levels.
	segments map[string]core.Segment

	// binding state, used while binding
	levels         []core.BoundLevel
	segmentsToBind []core.Segment
	newSegment     string
	nextSegments   []core.Segment
	newStatus      string
	// bindErrors maps the drivers whose BindPort failed in this attempt
	// to their last error's message.
	bindErrors map[string]any
}

var _ core.PortContext = (*portContext)(nil)

func newPortContext(p *Plugin, current, original *core.Port, net *core.Network, segs []core.Segment) *portContext {
	pc := &portContext{PortPair: core.PortPair{CurrentPort: current, OriginalPort: original}, plugin: p,
		network: &networkContext{current: net}, segments: make(map[string]core.Segment, len(segs))}
	for _, s := range segs {
		pc.segments[s.ID] = s
	}
	pc.levels = pc.resolve(current.Binding.Levels)
	return pc
}

func (c *portContext) resolve(levels []core.BindingLevel) []core.BoundLevel {
	if len(levels) == 0 {
		return nil
	}
	out := make([]core.BoundLevel, 0, len(levels))
	for _, l := range levels {
		out = append(out, core.BoundLevel{Driver: l.Driver, Segment: c.segments[l.SegmentID]})
	}
	return out
}

func (c *portContext) Network() core.NetworkContext { return c.network }
func (c *portContext) BindingLevels() []core.BoundLevel {
	return c.levels
}
func (c *portContext) SegmentsToBind() []core.Segment { return c.segmentsToBind }

func (c *portContext) OriginalBindingLevels() []core.BoundLevel {
	if c.OriginalPort == nil {
		return nil
	}
	return c.resolve(c.OriginalPort.Binding.Levels)
}

func (c *portContext) TopBoundSegment() *core.Segment { return top(c.levels) }
func (c *portContext) BottomBoundSegment() *core.Segment {
	return bottom(c.levels)
}
func (c *portContext) OriginalTopBoundSegment() *core.Segment {
	return top(c.OriginalBindingLevels())
}
func (c *portContext) OriginalBottomBoundSegment() *core.Segment {
	return bottom(c.OriginalBindingLevels())
}

func top(l []core.BoundLevel) *core.Segment {
	if len(l) == 0 {
		return nil
	}
	s := l[0].Segment
	return &s
}

func bottom(l []core.BoundLevel) *core.Segment {
	if len(l) == 0 {
		return nil
	}
	s := l[len(l)-1].Segment
	return &s
}

// HostAgents returns the agents of agentType on the binding host.
func (c *portContext) HostAgents(ctx context.Context, agentType string) ([]core.Agent, error) {
	if c.Host() == "" {
		return nil, nil
	}
	var out []core.Agent
	err := c.plugin.store.View(ctx, func(tx core.Tx) error {
		agents, err := tx.ListAgents(ctx, &core.ListOptions{Filters: map[string][]string{
			"host": {c.Host()}, "agent_type": {agentType}}})
		if err != nil {
			return err
		}
		out = out[:0]
		for _, a := range agents {
			out = append(out, *a)
		}
		return nil
	})
	return out, err
}

// SetBinding completes the binding at the current level.
func (c *portContext) SetBinding(segmentID, vifType string, vifDetails map[string]any, status string) {
	c.newSegment = segmentID
	c.CurrentPort.Binding.VIFType = vifType
	c.CurrentPort.Binding.VIFDetails = core.CloneMap(vifDetails)
	c.newStatus = status
}

// ContinueBinding binds the current level partially.
func (c *portContext) ContinueBinding(segmentID string, next []core.Segment) {
	c.newSegment = segmentID
	c.nextSegments = append([]core.Segment(nil), next...)
}

// AllocateDynamicSegment creates or reuses a dynamic segment of the port's
// network.
func (c *portContext) AllocateDynamicSegment(ctx context.Context, seg core.Segment) (core.Segment, error) {
	s, err := c.plugin.allocateDynamicSegment(ctx, c.CurrentPort.NetworkID, seg)
	if err == nil {
		c.segments[s.ID] = s
	}
	return s, err
}

// ReleaseDynamicSegment releases and deletes a dynamic segment.
func (c *portContext) ReleaseDynamicSegment(ctx context.Context, segmentID string) error {
	return c.plugin.releaseDynamicSegment(ctx, segmentID)
}
