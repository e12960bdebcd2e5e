// Package sdk is what a vendor imports to ship a mechanism driver as its own
// binary. The driver is a plain core.MechanismDriver, exactly as it would be
// in-process; ServeMechanismDriver serves it to the ml2go host over
// hashicorp/go-plugin (gRPC). Generated protocol code stays out of sight.
//
//	func main() {
//		log := sdk.Logger("acme")
//		sdk.ServeMechanismDriver("acme", acme.New(log), sdk.WithLogger(log))
//	}
//
// The binary is started by the host (plugins/host), never by hand. What the
// driver writes through the logger from Logger reaches the host's log under
// the driver's name.
//
// Inside a port hook, the context's binding methods (SetBinding,
// ContinueBinding, AllocateDynamicSegment, ReleaseDynamicSegment,
// HostAgents) call back into the host, and are valid only until the hook
// returns. SetBinding and ContinueBinding cannot return an error: if the
// host cannot be reached, the hook returns that error instead.
//
// A panic in the driver is not recovered: the process exits, the calls in
// flight fail on the host with a typed error, and the host restarts the
// driver and initializes it again. Keep driver state that must survive a
// restart in your backend.
package sdk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/internal/transport"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	pb "github.com/ml2go/ml2go/plugins/proto/mechdriver/v1"
)

// Logger returns the logger a driver binary should use: JSON lines on
// standard error, which the host parses and re-logs under the driver's
// name. It logs at the level of the host's logger as the host announced it
// when it started the process (what the host would discard is not written
// at all), or at every level when the host announced none.
func Logger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      transport.LogLevel(),
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// Option configures ServeMechanismDriver.
type Option func(*serveConfig)

type serveConfig struct {
	log hclog.Logger
}

// WithLogger sets the logger the plugin machinery logs to; it should be one
// from Logger. The default is Logger(name).
func WithLogger(l hclog.Logger) Option { return func(c *serveConfig) { c.log = l } }

// ServeMechanismDriver serves d under name to the ml2go host that started
// this process, and returns when the host is done with it. It must be
// called from main.
//
// Unless the GOMAXPROCS environment variable is set (host.Config.Env can
// set it), it runs the process with GOMAXPROCS=1: a driver call is a short
// burst of work between two waits on the host, and with more than one P
// every hand-off between gRPC's goroutines also wakes an idle OS thread,
// which on a small machine takes CPU time from the host and adds tens of
// microseconds to every call. Drivers that do heavy parallel computation
// should set GOMAXPROCS.
func ServeMechanismDriver(name string, d core.MechanismDriver, opts ...Option) {
	cfg := serveConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		cfg.log = Logger(name)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: base.HandshakeConfig,
		Plugins: plugin.PluginSet{
			base.MechanismDriverPluginName: &grpcPlugin{name: name, driver: d, log: cfg.log},
		},
		GRPCServer: newGRPCServer,
		Logger:     cfg.log,
	})
}

// newGRPCServer is the driver's gRPC server, with the protocol's transport
// settings.
func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts, transport.ServerOptions()...)...)
}

// grpcPlugin is the go-plugin plugin of the driver side. Its client half
// is never used.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	name   string
	driver core.MechanismDriver
	log    hclog.Logger
}

// GRPCServer registers the driver's service.
func (p *grpcPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterMechanismDriverServer(s, &server{name: p.name, d: p.driver, log: p.log, host: &callbacks{broker: broker}})
	return nil
}

// GRPCClient is not supported on the driver side.
func (p *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("sdk: the driver side has no client")
}

// callbacks is the connection to the host's callback service, dialled
// when the host describes it.
type callbacks struct {
	broker *plugin.GRPCBroker

	mu   sync.Mutex
	id   uint32
	conn *grpc.ClientConn
	cl   pb.HostCallbacksClient
}

func (c *callbacks) setID(id uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.id != id && c.conn != nil {
		_ = c.conn.Close()
		c.conn, c.cl = nil, nil
	}
	c.id = id
}

func (c *callbacks) client() (pb.HostCallbacksClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cl != nil {
		return c.cl, nil
	}
	if c.id == 0 {
		return nil, errors.New("host callbacks unavailable: the host did not announce them")
	}
	conn, err := c.broker.Dial(c.id)
	if err != nil {
		return nil, fmt.Errorf("dial host callbacks: %w", err)
	}
	c.conn, c.cl = conn, pb.NewHostCallbacksClient(conn)
	return c.cl, nil
}

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
// service at once (go-plugin's broker waits only a few seconds for the
// dial that matches the host's accept), and describes the driver.
func (s *server) Describe(_ context.Context, req *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	s.host.setID(req.CallbackBrokerId)
	if req.CallbackBrokerId != 0 {
		if _, err := s.host.client(); err != nil {
			return nil, err
		}
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
