package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	pb "github.com/ml2go/ml2go/plugins/proto/mechdriver/v1"
)

// networkContext is the driver's view of a network operation.
//
// Inside a subnet or port hook its network is decoded when the driver
// first asks for it: most port hooks look at the port and the segments
// (which travel decoded) and never at the network itself, and decoding it
// is a good part of the cost of a call. A network that cannot be decoded
// then shows as empty and fails the hook with the decoding error.
type networkContext struct {
	segments []core.Segment

	once              sync.Once
	m                 *pb.NetworkContext // nil once decoded
	fail              func(error)        // reports a lazy decoding error
	current, original *core.Network
}

func (c *networkContext) Current() *core.Network {
	c.decode()
	return c.current
}

func (c *networkContext) Original() *core.Network {
	c.decode()
	return c.original
}

func (c *networkContext) Segments() []core.Segment { return c.segments }

// decode decodes the network on first use, for a lazily decoded context.
func (c *networkContext) decode() {
	c.once.Do(func() {
		if c.m == nil {
			return
		}
		cur, orig, err := decodeNetworkJSON(c.m)
		c.m = nil
		if err != nil {
			c.fail(err)
			c.current = &core.Network{}
			return
		}
		c.current, c.original = cur, orig
	})
}

func decodeNetworkJSON(m *pb.NetworkContext) (cur, orig *core.Network, err error) {
	if cur, err = wire.Decode[core.Network](m.CurrentJson); err != nil {
		return nil, nil, err
	}
	if orig, err = wire.Decode[core.Network](m.OriginalJson); err != nil {
		return nil, nil, err
	}
	return cur, orig, nil
}

// decodeNetwork decodes the context of a network hook.
func decodeNetwork(m *pb.NetworkContext) (*networkContext, error) {
	c := &networkContext{}
	if m == nil {
		return c, nil
	}
	cur, orig, err := decodeNetworkJSON(m)
	if err != nil {
		return nil, err
	}
	c.current, c.original, c.segments = cur, orig, wire.CoreSegments(m.Segments)
	return c, nil
}

// lazyNetwork is the network of a subnet or port hook, decoded on first
// use; fail receives the error if that fails.
func lazyNetwork(m *pb.NetworkContext, fail func(error)) *networkContext {
	c := &networkContext{m: m, fail: fail}
	if m != nil {
		c.segments = wire.CoreSegments(m.Segments)
	}
	return c
}

// errSink keeps the first error of something that cannot return one; the
// hook then returns it.
type errSink struct {
	mu  sync.Mutex
	err error
}

func (s *errSink) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

func (s *errSink) get() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// subnetContext is the driver's view of a subnet operation.
type subnetContext struct {
	current, original *core.Subnet
	network           *networkContext
	errs              errSink
}

func (c *subnetContext) Current() *core.Subnet        { return c.current }
func (c *subnetContext) Original() *core.Subnet       { return c.original }
func (c *subnetContext) Network() core.NetworkContext { return c.network }

func decodeSubnet(m *pb.SubnetContext) (*subnetContext, error) {
	cur, err := wire.Decode[core.Subnet](m.CurrentJson)
	if err != nil {
		return nil, err
	}
	orig, err := wire.Decode[core.Subnet](m.OriginalJson)
	if err != nil {
		return nil, err
	}
	c := &subnetContext{current: cur, original: orig}
	c.network = lazyNetwork(m.Network, c.errs.fail)
	return c, nil
}

// portContext is the driver's view of a port operation. Its binding
// methods call back into the host.
type portContext struct {
	ctx    context.Context // the hook call's, for callbacks without their own
	callID uint64
	host   *callbacks
	core.PortPair
	network           *networkContext
	levels, origLevel []core.BoundLevel
	segmentsToBind    []core.Segment

	errs errSink // first failed callback without an error result
}

var _ core.PortContext = (*portContext)(nil)

func decodePort(ctx context.Context, host *callbacks, m *pb.PortContext) (*portContext, error) {
	if m == nil {
		return nil, errors.New("missing port context")
	}
	cur, err := wire.Decode[core.Port](m.CurrentJson)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		cur = &core.Port{}
	}
	orig, err := wire.Decode[core.Port](m.OriginalJson)
	if err != nil {
		return nil, err
	}
	c := &portContext{
		ctx: ctx, callID: m.CallId, host: host, PortPair: core.PortPair{CurrentPort: cur, OriginalPort: orig},
		levels: wire.CoreLevels(m.BindingLevels), origLevel: wire.CoreLevels(m.OriginalBindingLevels),
	}
	c.network = lazyNetwork(m.Network, c.errs.fail)
	return c, nil
}

func (c *portContext) Network() core.NetworkContext { return c.network }
func (c *portContext) BindingLevels() []core.BoundLevel {
	return c.levels
}
func (c *portContext) OriginalBindingLevels() []core.BoundLevel { return c.origLevel }
func (c *portContext) SegmentsToBind() []core.Segment           { return c.segmentsToBind }

func (c *portContext) TopBoundSegment() *core.Segment { return levelSegment(c.levels, 0) }
func (c *portContext) BottomBoundSegment() *core.Segment {
	return levelSegment(c.levels, len(c.levels)-1)
}
func (c *portContext) OriginalTopBoundSegment() *core.Segment {
	return levelSegment(c.origLevel, 0)
}
func (c *portContext) OriginalBottomBoundSegment() *core.Segment {
	return levelSegment(c.origLevel, len(c.origLevel)-1)
}

func levelSegment(levels []core.BoundLevel, i int) *core.Segment {
	if i < 0 || i >= len(levels) {
		return nil
	}
	s := levels[i].Segment
	return &s
}

// fail remembers the first error of a callback that cannot return one; the
// hook then returns it.
func (c *portContext) fail(err error) { c.errs.fail(err) }

func (c *portContext) err() error { return c.errs.get() }

// HostAgents asks the host for the agents of agentType on the binding host.
func (c *portContext) HostAgents(ctx context.Context, agentType string) ([]core.Agent, error) {
	cl, err := c.host.client()
	if err != nil {
		return nil, err
	}
	resp, err := cl.HostAgents(ctx, &pb.HostAgentsRequest{CallId: c.callID, AgentType: agentType})
	if err != nil {
		return nil, callbackError("HostAgents", err)
	}
	var agents []core.Agent
	if len(resp.AgentsJson) > 0 {
		if err := json.Unmarshal(resp.AgentsJson, &agents); err != nil {
			return nil, fmt.Errorf("decode agents: %w", err)
		}
	}
	return agents, nil
}

// SetBinding tells the host the port is bound at this level, and updates
// the local view of the port as the host's context does.
func (c *portContext) SetBinding(segmentID, vifType string, vifDetails map[string]any, status string) {
	c.CurrentPort.Binding.VIFType = vifType
	c.CurrentPort.Binding.VIFDetails = core.CloneMap(vifDetails)
	details, err := json.Marshal(vifDetails)
	if err != nil {
		c.fail(fmt.Errorf("SetBinding: encode vif details: %w", err))
		return
	}
	cl, err := c.host.client()
	if err != nil {
		c.fail(err)
		return
	}
	_, err = cl.SetBinding(c.ctx, &pb.SetBindingRequest{
		CallId: c.callID, SegmentId: segmentID, VifType: vifType, VifDetailsJson: details, Status: status,
	})
	if err != nil {
		c.fail(callbackError("SetBinding", err))
	}
}

// ContinueBinding tells the host this level is bound partially.
func (c *portContext) ContinueBinding(segmentID string, next []core.Segment) {
	cl, err := c.host.client()
	if err != nil {
		c.fail(err)
		return
	}
	_, err = cl.ContinueBinding(c.ctx, &pb.ContinueBindingRequest{
		CallId: c.callID, SegmentId: segmentID, Next: wire.Segments(next),
	})
	if err != nil {
		c.fail(callbackError("ContinueBinding", err))
	}
}

// AllocateDynamicSegment asks the host for a dynamic segment.
func (c *portContext) AllocateDynamicSegment(ctx context.Context, seg core.Segment) (core.Segment, error) {
	cl, err := c.host.client()
	if err != nil {
		return core.Segment{}, err
	}
	s, err := cl.AllocateDynamicSegment(ctx, &pb.AllocateDynamicSegmentRequest{CallId: c.callID, Segment: wire.Segment(seg)})
	if err != nil {
		return core.Segment{}, callbackError("AllocateDynamicSegment", err)
	}
	return wire.CoreSegment(s), nil
}

// ReleaseDynamicSegment asks the host to release a dynamic segment.
func (c *portContext) ReleaseDynamicSegment(ctx context.Context, segmentID string) error {
	cl, err := c.host.client()
	if err != nil {
		return err
	}
	_, err = cl.ReleaseDynamicSegment(ctx, &pb.ReleaseDynamicSegmentRequest{CallId: c.callID, SegmentId: segmentID})
	if err != nil {
		return callbackError("ReleaseDynamicSegment", err)
	}
	return nil
}

// callbackError returns the host's typed error, or a transport error.
func callbackError(method string, err error) error {
	if e, ok := wire.FromStatus(err); ok {
		return e
	}
	return fmt.Errorf("host callback %s: %w", method, err)
}
