package host

import (
	"context"

	"google.golang.org/grpc"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/base"
	pb "github.com/ml2go/ml2go/plugins/proto/mechdriver/v1"
)

// Driver is an out-of-process mechanism driver seen as a
// core.MechanismDriver. It is safe for concurrent use.
type Driver struct {
	p   *process[mechConn]
	cbs *callbackServer
}

// Interface guards.
var (
	_ core.MechanismDriver         = (*Driver)(nil)
	_ core.ConnectivityProvider    = (*Driver)(nil)
	_ core.VLANTransparencyChecker = (*Driver)(nil)
)

// mechConn is the host's connection to one mechanism-driver process.
type mechConn struct {
	rpc          pb.MechanismDriverClient
	connectivity core.Connectivity
}

// Load starts the mechanism driver's process, checks the handshake and
// negotiates the API version, and supervises the process until Close. It
// does not call Initialize: the orchestrator does, as for any driver. An
// error means the driver could not be started; nothing is left running.
func Load(ctx context.Context, cfg Config) (*Driver, error) {
	cbs := newCallbackServer()
	spec := &kindSpec[mechConn]{
		kind:        base.KindMechanism,
		title:       "Mechanism driver",
		pluginName:  base.MechanismDriverPluginName,
		versions:    base.SupportedMechanismDriverAPIVersions,
		unavailable: TypeUnavailable,
		timeout:     TypeTimeout,
		callbacks:   func(r grpc.ServiceRegistrar) { pb.RegisterHostCallbacksServer(r, cbs) },
		describe:    describeMech,
		initialize: func(ctx context.Context, c mechConn, v uint32) error {
			_, err := c.rpc.Initialize(ctx, &pb.InitializeRequest{ApiVersion: v})
			return err
		},
	}
	p, err := load(ctx, cfg, spec)
	if err != nil {
		return nil, err
	}
	return &Driver{p: p, cbs: cbs}, nil
}

func describeMech(ctx context.Context, cc grpc.ClientConnInterface, brokerID uint32) (mechConn, []uint32, error) {
	rpc := pb.NewMechanismDriverClient(cc)
	desc, err := rpc.Describe(ctx, &pb.DescribeRequest{
		HostApiVersions:  base.SupportedMechanismDriverAPIVersions,
		CallbackBrokerId: brokerID,
	})
	if err != nil {
		return mechConn{}, nil, err
	}
	c := mechConn{rpc: rpc, connectivity: core.Connectivity(desc.Connectivity)}
	if c.connectivity == "" {
		c.connectivity = core.ConnectivityLegacy
	}
	return c, desc.ApiVersions, nil
}

// Name returns the driver's configured name.
func (d *Driver) Name() string { return d.p.cfg.Name }

// Health returns the driver's supervision status.
func (d *Driver) Health() Health { return d.p.Health() }

// Close stops supervising the driver and kills its process. Calls made
// afterwards fail with MechanismDriverUnavailable.
func (d *Driver) Close() error { return d.p.close() }

// Initialize initializes the driver process, and remembers to initialize
// every process the supervisor starts later.
func (d *Driver) Initialize(ctx context.Context) error { return d.p.initialize(ctx) }

// Connectivity returns what the driver said it provides when it last
// started.
func (d *Driver) Connectivity() core.Connectivity { return d.p.lastConn().connectivity }
