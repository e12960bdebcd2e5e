package sdk

import (
	"context"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	tdpb "github.com/ml2go/ml2go/plugins/proto/typedriver/v1"
)

// registerType returns what registers the service of the type driver d,
// with its connection to the host's segment allocator.
func registerType(name string, d core.TypeDriver, log hclog.Logger) registerFunc {
	return func(r grpc.ServiceRegistrar, broker *plugin.GRPCBroker) {
		host := newHostConn(broker, hostSocket(), log, tdpb.NewSegmentAllocatorClient)
		tdpb.RegisterTypeDriverServer(r, &typeServer{name: name, d: d, host: host})
	}
}

// typeServer adapts a core.TypeDriver to the generated service.
type typeServer struct {
	tdpb.UnimplementedTypeDriverServer
	name string
	d    core.TypeDriver
	host *hostConn[tdpb.SegmentAllocatorClient]
}

var typeEmpty = &tdpb.Empty{}

// Describe connects to the host's allocator service (see hostConn) and
// describes the driver.
func (s *typeServer) Describe(_ context.Context, req *tdpb.DescribeRequest) (*tdpb.DescribeResponse, error) {
	if err := s.host.connect(req.AllocatorBrokerId); err != nil {
		return nil, err
	}
	versions := base.SupportedTypeDriverAPIVersions
	if wire.TestAPIVersions != nil {
		versions = wire.TestAPIVersions
	}
	return &tdpb.DescribeResponse{Name: s.name, ApiVersions: versions, NetworkType: s.d.Type()}, nil
}

// Initialize initializes the driver.
func (s *typeServer) Initialize(ctx context.Context, _ *tdpb.InitializeRequest) (*tdpb.Empty, error) {
	return typeEmpty, wire.ToStatus(s.d.Initialize(ctx))
}

// IsPartialSegment asks the driver.
func (s *typeServer) IsPartialSegment(_ context.Context, seg *tdpb.Segment) (*tdpb.IsPartialSegmentResponse, error) {
	return &tdpb.IsPartialSegmentResponse{Partial: s.d.IsPartialSegment(wire.CoreTypeSegment(seg))}, nil
}

// ValidateProviderSegment asks the driver.
func (s *typeServer) ValidateProviderSegment(_ context.Context, seg *tdpb.Segment) (*tdpb.Empty, error) {
	return typeEmpty, wire.ToStatus(s.d.ValidateProviderSegment(wire.CoreTypeSegment(seg)))
}

// ReserveProviderSegment reserves through the host's allocator.
func (s *typeServer) ReserveProviderSegment(ctx context.Context, req *tdpb.ReserveProviderSegmentRequest) (*tdpb.Segment, error) {
	seg, err := s.d.ReserveProviderSegment(ctx, s.allocator(req.CallId), wire.CoreTypeSegment(req.Segment))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.TypeSegment(seg), nil
}

// AllocateTenantSegment allocates through the host's allocator.
func (s *typeServer) AllocateTenantSegment(ctx context.Context, req *tdpb.AllocateTenantSegmentRequest) (*tdpb.AllocateTenantSegmentResponse, error) {
	seg, err := s.d.AllocateTenantSegment(ctx, s.allocator(req.CallId))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	resp := &tdpb.AllocateTenantSegmentResponse{}
	if seg != nil {
		resp.Segment = wire.TypeSegment(*seg)
	}
	return resp, nil
}

// ReleaseSegment releases through the host's allocator.
func (s *typeServer) ReleaseSegment(ctx context.Context, req *tdpb.ReleaseSegmentRequest) (*tdpb.Empty, error) {
	return typeEmpty, wire.ToStatus(s.d.ReleaseSegment(ctx, s.allocator(req.CallId), wire.CoreTypeSegment(req.Segment)))
}

// MTU asks the driver.
func (s *typeServer) MTU(_ context.Context, req *tdpb.MTURequest) (*tdpb.MTUResponse, error) {
	return &tdpb.MTUResponse{Mtu: int32(s.d.MTU(req.PhysicalNetwork))}, nil
}

func (s *typeServer) allocator(callID uint64) *allocator {
	return &allocator{host: s.host, callID: callID}
}

// allocator is the core.SegmentAllocator of one type-driver call: it
// allocates in the host's transaction.
type allocator struct {
	host   *hostConn[tdpb.SegmentAllocatorClient]
	callID uint64
}

var _ core.SegmentAllocator = (*allocator)(nil)

func (a *allocator) key(ctx context.Context, method string, key core.SegmentKey,
	rpc func(tdpb.SegmentAllocatorClient, context.Context, *tdpb.SegmentKeyRequest, ...grpc.CallOption) (*tdpb.AllocatorResponse, error),
) (bool, error) {
	cl, err := a.host.client()
	if err != nil {
		return false, err
	}
	resp, err := rpc(cl, ctx, &tdpb.SegmentKeyRequest{CallId: a.callID, Key: wire.SegmentKey(key)})
	if err != nil {
		return false, callbackError(method, err)
	}
	return resp.Ok, nil
}

// ReserveSegment asks the host to reserve key.
func (a *allocator) ReserveSegment(ctx context.Context, key core.SegmentKey) (bool, error) {
	return a.key(ctx, "ReserveSegment", key, tdpb.SegmentAllocatorClient.ReserveSegment)
}

// ReleaseSegment asks the host to release key.
func (a *allocator) ReleaseSegment(ctx context.Context, key core.SegmentKey) (bool, error) {
	return a.key(ctx, "ReleaseSegment", key, tdpb.SegmentAllocatorClient.ReleaseSegment)
}

// SegmentAllocated asks the host whether key is allocated.
func (a *allocator) SegmentAllocated(ctx context.Context, key core.SegmentKey) (bool, error) {
	return a.key(ctx, "SegmentAllocated", key, tdpb.SegmentAllocatorClient.SegmentAllocated)
}

// AllocateSegment asks the host for a free id in ranges.
func (a *allocator) AllocateSegment(ctx context.Context, networkType, physnet string, ranges []core.SegmentRange) (int64, bool, error) {
	cl, err := a.host.client()
	if err != nil {
		return 0, false, err
	}
	resp, err := cl.AllocateSegment(ctx, &tdpb.AllocateSegmentRequest{
		CallId: a.callID, NetworkType: networkType, PhysicalNetwork: physnet, Ranges: wire.SegmentRanges(ranges),
	})
	if err != nil {
		return 0, false, callbackError("AllocateSegment", err)
	}
	return resp.SegmentationId, resp.Found, nil
}
