package sdk

import (
	"context"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	pb "github.com/ml2go/ml2go/plugins/proto/mechdriver/v1"
)

// registerMech returns what registers the service of the mechanism driver
// d, with its connection to the host's callbacks.
func registerMech(name string, d core.MechanismDriver, log hclog.Logger) registerFunc {
	return func(r grpc.ServiceRegistrar, broker *plugin.GRPCBroker) {
		host := newHostConn(broker, hostSocket(), log, pb.NewHostCallbacksClient)
		pb.RegisterMechanismDriverServer(r, &server{name: name, d: d, log: log, host: host})
	}
}

// callbacks is the connection to the host's callback service.
type callbacks = hostConn[pb.HostCallbacksClient]

// server adapts a core.MechanismDriver to the generated service.
type server struct {
	pb.UnimplementedMechanismDriverServer
	name string
	d    core.MechanismDriver
	log  hclog.Logger
	host *callbacks
}

var empty = &pb.Empty{}

// Describe records the host's callback id, connects to the callback
// service at once (on the call channel, or over go-plugin's broker, which
// waits only a few seconds for the dial that matches the host's accept;
// see hostConn), and describes the driver.
func (s *server) Describe(_ context.Context, req *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	if err := s.host.connect(req.CallbackBrokerId); err != nil {
		return nil, err
	}
	versions := base.SupportedMechanismDriverAPIVersions
	if wire.TestAPIVersions != nil {
		versions = wire.TestAPIVersions
	}
	resp := &pb.DescribeResponse{Name: s.name, ApiVersions: versions, Connectivity: string(core.ConnectivityLegacy)}
	if c, ok := s.d.(core.ConnectivityProvider); ok {
		resp.Connectivity = string(c.Connectivity())
	}
	return resp, nil
}

// Initialize initializes the driver.
func (s *server) Initialize(ctx context.Context, _ *pb.InitializeRequest) (*pb.Empty, error) {
	return empty, wire.ToStatus(s.d.Initialize(ctx))
}

// network, subnet and port decode a context and call a hook with it.

func (s *server) network(ctx context.Context, m *pb.NetworkContext, hook func(context.Context, core.NetworkContext) error) (*pb.Empty, error) {
	nc, err := decodeNetwork(m)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return empty, wire.ToStatus(hook(ctx, nc))
}

func (s *server) subnet(ctx context.Context, m *pb.SubnetContext, hook func(context.Context, core.SubnetContext) error) (*pb.Empty, error) {
	sc, err := decodeSubnet(m)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	err = hook(ctx, sc)
	if err == nil {
		err = sc.errs.get()
	}
	return empty, wire.ToStatus(err)
}

func (s *server) port(ctx context.Context, m *pb.PortContext, segs []*pb.Segment, hook func(context.Context, core.PortContext) error) (*pb.Empty, error) {
	pc, err := decodePort(ctx, s.host, m)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	pc.segmentsToBind = wire.CoreSegments(segs)
	err = hook(ctx, pc)
	if err == nil {
		err = pc.err()
	}
	return empty, wire.ToStatus(err)
}

// CreateNetworkPrecommit calls the driver's hook.
func (s *server) CreateNetworkPrecommit(ctx context.Context, m *pb.NetworkContext) (*pb.Empty, error) {
	return s.network(ctx, m, s.d.CreateNetworkPrecommit)
}

// CreateNetworkPostcommit calls the driver's hook.
func (s *server) CreateNetworkPostcommit(ctx context.Context, m *pb.NetworkContext) (*pb.Empty, error) {
	return s.network(ctx, m, s.d.CreateNetworkPostcommit)
}

// UpdateNetworkPrecommit calls the driver's hook.
func (s *server) UpdateNetworkPrecommit(ctx context.Context, m *pb.NetworkContext) (*pb.Empty, error) {
	return s.network(ctx, m, s.d.UpdateNetworkPrecommit)
}

// UpdateNetworkPostcommit calls the driver's hook.
func (s *server) UpdateNetworkPostcommit(ctx context.Context, m *pb.NetworkContext) (*pb.Empty, error) {
	return s.network(ctx, m, s.d.UpdateNetworkPostcommit)
}

// DeleteNetworkPrecommit calls the driver's hook.
func (s *server) DeleteNetworkPrecommit(ctx context.Context, m *pb.NetworkContext) (*pb.Empty, error) {
	return s.network(ctx, m, s.d.DeleteNetworkPrecommit)
}

// DeleteNetworkPostcommit calls the driver's hook.
func (s *server) DeleteNetworkPostcommit(ctx context.Context, m *pb.NetworkContext) (*pb.Empty, error) {
	return s.network(ctx, m, s.d.DeleteNetworkPostcommit)
}

// CreateSubnetPrecommit calls the driver's hook.
func (s *server) CreateSubnetPrecommit(ctx context.Context, m *pb.SubnetContext) (*pb.Empty, error) {
	return s.subnet(ctx, m, s.d.CreateSubnetPrecommit)
}

// CreateSubnetPostcommit calls the driver's hook.
func (s *server) CreateSubnetPostcommit(ctx context.Context, m *pb.SubnetContext) (*pb.Empty, error) {
	return s.subnet(ctx, m, s.d.CreateSubnetPostcommit)
}

// UpdateSubnetPrecommit calls the driver's hook.
func (s *server) UpdateSubnetPrecommit(ctx context.Context, m *pb.SubnetContext) (*pb.Empty, error) {
	return s.subnet(ctx, m, s.d.UpdateSubnetPrecommit)
}

// UpdateSubnetPostcommit calls the driver's hook.
func (s *server) UpdateSubnetPostcommit(ctx context.Context, m *pb.SubnetContext) (*pb.Empty, error) {
	return s.subnet(ctx, m, s.d.UpdateSubnetPostcommit)
}

// DeleteSubnetPrecommit calls the driver's hook.
func (s *server) DeleteSubnetPrecommit(ctx context.Context, m *pb.SubnetContext) (*pb.Empty, error) {
	return s.subnet(ctx, m, s.d.DeleteSubnetPrecommit)
}

// DeleteSubnetPostcommit calls the driver's hook.
func (s *server) DeleteSubnetPostcommit(ctx context.Context, m *pb.SubnetContext) (*pb.Empty, error) {
	return s.subnet(ctx, m, s.d.DeleteSubnetPostcommit)
}

// CreatePortPrecommit calls the driver's hook.
func (s *server) CreatePortPrecommit(ctx context.Context, m *pb.PortContext) (*pb.Empty, error) {
	return s.port(ctx, m, nil, s.d.CreatePortPrecommit)
}

// CreatePortPostcommit calls the driver's hook.
func (s *server) CreatePortPostcommit(ctx context.Context, m *pb.PortContext) (*pb.Empty, error) {
	return s.port(ctx, m, nil, s.d.CreatePortPostcommit)
}

// UpdatePortPrecommit calls the driver's hook.
func (s *server) UpdatePortPrecommit(ctx context.Context, m *pb.PortContext) (*pb.Empty, error) {
	return s.port(ctx, m, nil, s.d.UpdatePortPrecommit)
}

// UpdatePortPostcommit calls the driver's hook.
func (s *server) UpdatePortPostcommit(ctx context.Context, m *pb.PortContext) (*pb.Empty, error) {
	return s.port(ctx, m, nil, s.d.UpdatePortPostcommit)
}

// DeletePortPrecommit calls the driver's hook.
func (s *server) DeletePortPrecommit(ctx context.Context, m *pb.PortContext) (*pb.Empty, error) {
	return s.port(ctx, m, nil, s.d.DeletePortPrecommit)
}

// DeletePortPostcommit calls the driver's hook.
func (s *server) DeletePortPostcommit(ctx context.Context, m *pb.PortContext) (*pb.Empty, error) {
	return s.port(ctx, m, nil, s.d.DeletePortPostcommit)
}

// BindPort calls the driver's BindPort with the segments to bind.
func (s *server) BindPort(ctx context.Context, req *pb.BindPortRequest) (*pb.Empty, error) {
	return s.port(ctx, req.Context, req.SegmentsToBind, s.d.BindPort)
}

// CheckVLANTransparency asks the driver, when it has an opinion.
func (s *server) CheckVLANTransparency(ctx context.Context, m *pb.NetworkContext) (*pb.CheckVLANTransparencyResponse, error) {
	c, ok := s.d.(core.VLANTransparencyChecker)
	if !ok {
		return &pb.CheckVLANTransparencyResponse{}, nil
	}
	nc, err := decodeNetwork(m)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.CheckVLANTransparencyResponse{Supported: c.CheckVLANTransparency(ctx, nc)}, nil
}
