package host

import (
	"context"
	"encoding/json"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	pb "github.com/ml2go/ml2go/plugins/proto/mechdriver/v1"
)

// callbackServer serves HostCallbacks: it routes each callback to the port
// context of the hook call it names, while that call is in progress.
type callbackServer struct {
	pb.UnimplementedHostCallbacksServer

	mu    sync.Mutex
	calls map[uint64]*pendingCall
}

// pendingCall is a port-hook call in progress. mu serializes the driver's
// callbacks: the orchestrator's contexts are not safe for concurrent use.
type pendingCall struct {
	mu   sync.Mutex
	pc   core.PortContext
	done bool
}

func newCallbackServer() *callbackServer {
	return &callbackServer{calls: map[uint64]*pendingCall{}}
}

// register makes pc reachable under id until the returned function is
// called; that function waits for a callback in progress to finish.
func (s *callbackServer) register(id uint64, pc core.PortContext) func() {
	c := &pendingCall{pc: pc}
	s.mu.Lock()
	s.calls[id] = c
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.calls, id)
		s.mu.Unlock()
		c.mu.Lock()
		c.done = true
		c.mu.Unlock()
	}
}

// with runs f on the context of call id, or fails when that call is over.
func (s *callbackServer) with(id uint64, f func(pc core.PortContext) error) error {
	s.mu.Lock()
	c := s.calls[id]
	s.mu.Unlock()
	if c == nil {
		return status.Errorf(codes.FailedPrecondition, "no port hook call %d in progress", id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return status.Errorf(codes.FailedPrecondition, "port hook call %d is over", id)
	}
	return f(c.pc)
}

// SetBinding calls SetBinding on the call's context.
func (s *callbackServer) SetBinding(_ context.Context, req *pb.SetBindingRequest) (*pb.Empty, error) {
	var details map[string]any
	if len(req.VifDetailsJson) > 0 {
		if err := json.Unmarshal(req.VifDetailsJson, &details); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "vif details: %v", err)
		}
	}
	err := s.with(req.CallId, func(pc core.PortContext) error {
		pc.SetBinding(req.SegmentId, req.VifType, details, req.Status)
		return nil
	})
	return &pb.Empty{}, err
}

// ContinueBinding calls ContinueBinding on the call's context.
func (s *callbackServer) ContinueBinding(_ context.Context, req *pb.ContinueBindingRequest) (*pb.Empty, error) {
	err := s.with(req.CallId, func(pc core.PortContext) error {
		pc.ContinueBinding(req.SegmentId, wire.CoreSegments(req.Next))
		return nil
	})
	return &pb.Empty{}, err
}

// AllocateDynamicSegment allocates a dynamic segment for the call's port.
func (s *callbackServer) AllocateDynamicSegment(ctx context.Context, req *pb.AllocateDynamicSegmentRequest) (*pb.Segment, error) {
	var seg core.Segment
	err := s.with(req.CallId, func(pc core.PortContext) error {
		var err error
		seg, err = pc.AllocateDynamicSegment(ctx, wire.CoreSegment(req.Segment))
		return wire.ToStatus(err)
	})
	if err != nil {
		return nil, err
	}
	return wire.Segment(seg), nil
}

// ReleaseDynamicSegment releases a dynamic segment.
func (s *callbackServer) ReleaseDynamicSegment(ctx context.Context, req *pb.ReleaseDynamicSegmentRequest) (*pb.Empty, error) {
	err := s.with(req.CallId, func(pc core.PortContext) error {
		return wire.ToStatus(pc.ReleaseDynamicSegment(ctx, req.SegmentId))
	})
	return &pb.Empty{}, err
}

// HostAgents returns the agents on the call's binding host.
func (s *callbackServer) HostAgents(ctx context.Context, req *pb.HostAgentsRequest) (*pb.HostAgentsResponse, error) {
	var agents []core.Agent
	err := s.with(req.CallId, func(pc core.PortContext) error {
		var err error
		agents, err = pc.HostAgents(ctx, req.AgentType)
		return wire.ToStatus(err)
	})
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(agents)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.HostAgentsResponse{AgentsJson: data}, nil
}
