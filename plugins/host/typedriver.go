package host

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	tdpb "github.com/ml2go/ml2go/plugins/proto/typedriver/v1"
)

// TypeDriver is an out-of-process type driver seen as a core.TypeDriver.
// It is safe for concurrent use.
//
// The segment allocator a call is given crosses to the driver process as
// a callback service: the driver allocates in the caller's transaction,
// and only until the call returns. IsPartialSegment, ValidateProviderSegment
// and MTU have no context in core.TypeDriver: they run with
// Config.CallTimeout. MTU answers are cached for the life of each driver
// process, since they depend only on its configuration.
type TypeDriver struct {
	p           *process[typeConn]
	allocs      *pending[core.SegmentAllocator]
	networkType string
}

var _ core.TypeDriver = (*TypeDriver)(nil)

// typeConn is the host's connection to one type-driver process.
type typeConn struct {
	rpc         tdpb.TypeDriverClient
	networkType string
	mtus        *sync.Map // physical network → MTU
}

// LoadTypeDriver starts the type driver's process, checks the handshake,
// negotiates the API version and learns the network type the driver
// handles (Type), and supervises the process until Close. A restarted
// process must handle the same network type, or the driver is given up
// on. LoadTypeDriver does not call Initialize: the orchestrator does. An
// error means the driver could not be started; nothing is left running.
func LoadTypeDriver(ctx context.Context, cfg Config) (*TypeDriver, error) {
	allocs := newPending[core.SegmentAllocator]()
	srv := &allocatorServer{calls: allocs}
	spec := &kindSpec[typeConn]{
		kind:        base.KindType,
		title:       "Type driver",
		pluginName:  base.TypeDriverPluginName,
		versions:    base.SupportedTypeDriverAPIVersions,
		unavailable: TypeDriverUnavailable,
		timeout:     TypeDriverTimeout,
		callbacks:   func(r grpc.ServiceRegistrar) { tdpb.RegisterSegmentAllocatorServer(r, srv) },
		describe:    describeType,
		accept: func(next typeConn, prev *typeConn) error {
			if next.networkType == "" {
				return errors.New("the type driver handles no network type")
			}
			if prev != nil && next.networkType != prev.networkType {
				return fmt.Errorf("the type driver now handles network type %q, not %q", next.networkType, prev.networkType)
			}
			return nil
		},
		initialize: func(ctx context.Context, c typeConn, v uint32) error {
			_, err := c.rpc.Initialize(ctx, &tdpb.InitializeRequest{ApiVersion: v})
			return err
		},
	}
	p, err := load(ctx, cfg, spec)
	if err != nil {
		return nil, err
	}
	return &TypeDriver{p: p, allocs: allocs, networkType: p.lastConn().networkType}, nil
}

func describeType(ctx context.Context, cc grpc.ClientConnInterface, brokerID uint32) (typeConn, []uint32, error) {
	rpc := tdpb.NewTypeDriverClient(cc)
	desc, err := rpc.Describe(ctx, &tdpb.DescribeRequest{
		HostApiVersions:   base.SupportedTypeDriverAPIVersions,
		AllocatorBrokerId: brokerID,
	})
	if err != nil {
		return typeConn{}, nil, err
	}
	return typeConn{rpc: rpc, networkType: desc.NetworkType, mtus: &sync.Map{}}, desc.ApiVersions, nil
}

// Name returns the driver's configured name.
func (d *TypeDriver) Name() string { return d.p.cfg.Name }

// Health returns the driver's supervision status.
func (d *TypeDriver) Health() Health { return d.p.Health() }

// Close stops supervising the driver and kills its process. Calls made
// afterwards fail with TypeDriverUnavailable.
func (d *TypeDriver) Close() error { return d.p.close() }

// Type returns the network type the driver said it handles when it was
// loaded.
func (d *TypeDriver) Type() string { return d.networkType }

// Initialize initializes the driver process, and remembers to initialize
// every process the supervisor starts later.
func (d *TypeDriver) Initialize(ctx context.Context) error { return d.p.initialize(ctx) }

// IsPartialSegment asks the driver; a driver that cannot answer says the
// segment is complete (the error is logged).
func (d *TypeDriver) IsPartialSegment(seg core.Segment) bool {
	var partial bool
	err := d.p.invoke(context.Background(), "IsPartialSegment", func(ctx context.Context, c typeConn) error {
		resp, err := c.rpc.IsPartialSegment(ctx, wire.TypeSegment(seg))
		if err == nil {
			partial = resp.Partial
		}
		return err
	})
	if err != nil {
		d.p.log.Warn("IsPartialSegment failed; taking the segment as complete", "error", err)
	}
	return partial
}

// ValidateProviderSegment asks the driver.
func (d *TypeDriver) ValidateProviderSegment(seg core.Segment) error {
	return d.p.invoke(context.Background(), "ValidateProviderSegment", func(ctx context.Context, c typeConn) error {
		_, err := c.rpc.ValidateProviderSegment(ctx, wire.TypeSegment(seg))
		return err
	})
}

// ReserveProviderSegment has the driver reserve seg through alloc.
func (d *TypeDriver) ReserveProviderSegment(ctx context.Context, alloc core.SegmentAllocator, seg core.Segment) (core.Segment, error) {
	id, done := d.allocs.register(alloc)
	defer done()
	var out core.Segment
	err := d.p.invoke(ctx, "ReserveProviderSegment", func(ctx context.Context, c typeConn) error {
		s, err := c.rpc.ReserveProviderSegment(ctx, &tdpb.ReserveProviderSegmentRequest{CallId: id, Segment: wire.TypeSegment(seg)})
		if err == nil {
			out = wire.CoreTypeSegment(s)
		}
		return err
	})
	return out, err
}

// AllocateTenantSegment has the driver allocate a tenant segment through
// alloc; nil when it has none to give.
func (d *TypeDriver) AllocateTenantSegment(ctx context.Context, alloc core.SegmentAllocator) (*core.Segment, error) {
	id, done := d.allocs.register(alloc)
	defer done()
	var out *core.Segment
	err := d.p.invoke(ctx, "AllocateTenantSegment", func(ctx context.Context, c typeConn) error {
		resp, err := c.rpc.AllocateTenantSegment(ctx, &tdpb.AllocateTenantSegmentRequest{CallId: id})
		if err == nil && resp.Segment != nil {
			s := wire.CoreTypeSegment(resp.Segment)
			out = &s
		}
		return err
	})
	return out, err
}

// ReleaseSegment has the driver release seg through alloc.
func (d *TypeDriver) ReleaseSegment(ctx context.Context, alloc core.SegmentAllocator, seg core.Segment) error {
	id, done := d.allocs.register(alloc)
	defer done()
	return d.p.invoke(ctx, "ReleaseSegment", func(ctx context.Context, c typeConn) error {
		_, err := c.rpc.ReleaseSegment(ctx, &tdpb.ReleaseSegmentRequest{CallId: id, Segment: wire.TypeSegment(seg)})
		return err
	})
}

// MTU asks the running driver process once per physical network; a
// driver that cannot answer has no opinion (0; the error is logged).
func (d *TypeDriver) MTU(physnet string) int {
	var mtu int
	err := d.p.invoke(context.Background(), "MTU", func(ctx context.Context, c typeConn) error {
		if v, ok := c.mtus.Load(physnet); ok {
			mtu = v.(int)
			return nil
		}
		resp, err := c.rpc.MTU(ctx, &tdpb.MTURequest{PhysicalNetwork: physnet})
		if err != nil {
			return err
		}
		mtu = int(resp.Mtu)
		c.mtus.Store(physnet, mtu)
		return nil
	})
	if err != nil {
		d.p.log.Warn("MTU failed; no opinion", "physical_network", physnet, "error", err)
		return 0
	}
	return mtu
}

// allocatorServer serves SegmentAllocator: it routes each request to the
// allocator of the type-driver call it names, while that call is in
// progress.
type allocatorServer struct {
	tdpb.UnimplementedSegmentAllocatorServer
	calls *pending[core.SegmentAllocator]
}

func (s *allocatorServer) key(req *tdpb.SegmentKeyRequest, f func(core.SegmentAllocator, core.SegmentKey) (bool, error)) (*tdpb.AllocatorResponse, error) {
	var ok bool
	err := s.calls.with(req.CallId, "type driver", func(a core.SegmentAllocator) error {
		var err error
		ok, err = f(a, wire.CoreSegmentKey(req.Key))
		return wire.ToStatus(err)
	})
	if err != nil {
		return nil, err
	}
	return &tdpb.AllocatorResponse{Ok: ok}, nil
}

// ReserveSegment reserves a key in the call's transaction.
func (s *allocatorServer) ReserveSegment(ctx context.Context, req *tdpb.SegmentKeyRequest) (*tdpb.AllocatorResponse, error) {
	return s.key(req, func(a core.SegmentAllocator, k core.SegmentKey) (bool, error) { return a.ReserveSegment(ctx, k) })
}

// ReleaseSegment releases a key in the call's transaction.
func (s *allocatorServer) ReleaseSegment(ctx context.Context, req *tdpb.SegmentKeyRequest) (*tdpb.AllocatorResponse, error) {
	return s.key(req, func(a core.SegmentAllocator, k core.SegmentKey) (bool, error) { return a.ReleaseSegment(ctx, k) })
}

// SegmentAllocated looks a key up in the call's transaction.
func (s *allocatorServer) SegmentAllocated(ctx context.Context, req *tdpb.SegmentKeyRequest) (*tdpb.AllocatorResponse, error) {
	return s.key(req, func(a core.SegmentAllocator, k core.SegmentKey) (bool, error) { return a.SegmentAllocated(ctx, k) })
}

// AllocateSegment allocates a free id in the call's transaction.
func (s *allocatorServer) AllocateSegment(ctx context.Context, req *tdpb.AllocateSegmentRequest) (*tdpb.AllocateSegmentResponse, error) {
	resp := &tdpb.AllocateSegmentResponse{}
	err := s.calls.with(req.CallId, "type driver", func(a core.SegmentAllocator) error {
		var err error
		resp.SegmentationId, resp.Found, err = a.AllocateSegment(ctx, req.NetworkType, req.PhysicalNetwork, wire.CoreSegmentRanges(req.Ranges))
		return wire.ToStatus(err)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
