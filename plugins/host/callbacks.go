package host

import (
	"context"
	"encoding/json"

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
	calls *pending[core.PortContext]
}

func newCallbackServer() *callbackServer {
	return &callbackServer{calls: newPending[core.PortContext]()}
}

// with runs f on the context of call id, or fails when that call is over.
func (s *callbackServer) with(id uint64, f func(pc core.PortContext) error) error {
	return s.calls.with(id, "port hook", f)
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
