package host

import (
	"context"

	"google.golang.org/grpc"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	pb "github.com/ml2go/ml2go/plugins/proto/mechdriver/v1"
)

type (
	networkRPC func(pb.MechanismDriverClient, context.Context, *pb.NetworkContext) error
	subnetRPC  func(pb.MechanismDriverClient, context.Context, *pb.SubnetContext) error
	portRPC    func(pb.MechanismDriverClient, context.Context, *pb.PortContext) error
)

// encodeError is the error of a context that cannot be encoded.
func encodeError(err error) error {
	return core.Typed(core.KindInternal, "MechanismDriverError", "encode driver context: %v", err)
}

func (d *Driver) network(ctx context.Context, method string, nc core.NetworkContext, rpc networkRPC) error {
	m, err := wire.NetworkContext(nc)
	if err != nil {
		return encodeError(err)
	}
	return d.p.invoke(ctx, method, func(ctx context.Context, c mechConn) error {
		return rpc(c.rpc, ctx, m)
	})
}

func (d *Driver) subnet(ctx context.Context, method string, sc core.SubnetContext, rpc subnetRPC) error {
	m, err := wire.SubnetContext(sc)
	if err != nil {
		return encodeError(err)
	}
	return d.p.invoke(ctx, method, func(ctx context.Context, c mechConn) error {
		return rpc(c.rpc, ctx, m)
	})
}

// port registers pc for the driver's callbacks for the duration of the
// call.
func (d *Driver) port(ctx context.Context, method string, pc core.PortContext, rpc portRPC) error {
	id, done := d.cbs.calls.register(pc)
	defer done()
	m, err := wire.PortContext(id, pc)
	if err != nil {
		return encodeError(err)
	}
	return d.p.invoke(ctx, method, func(ctx context.Context, c mechConn) error {
		return rpc(c.rpc, ctx, m)
	})
}

// rpcOf adapts a generated client method to the hook signatures.
func rpcOf[M any](f func(pb.MechanismDriverClient, context.Context, M, ...grpc.CallOption) (*pb.Empty, error)) func(pb.MechanismDriverClient, context.Context, M) error {
	return func(c pb.MechanismDriverClient, ctx context.Context, m M) error {
		_, err := f(c, ctx, m)
		return err
	}
}

// CheckVLANTransparency asks the driver; an unreachable driver supports
// nothing.
func (d *Driver) CheckVLANTransparency(ctx context.Context, nc core.NetworkContext) bool {
	m, err := wire.NetworkContext(nc)
	if err != nil {
		return false
	}
	var ok bool
	err = d.p.invoke(ctx, "CheckVLANTransparency", func(ctx context.Context, c mechConn) error {
		resp, err := c.rpc.CheckVLANTransparency(ctx, m)
		if err == nil {
			ok = resp.Supported
		}
		return err
	})
	return err == nil && ok
}

// CreateNetworkPrecommit calls the driver's hook.
func (d *Driver) CreateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return d.network(ctx, "CreateNetworkPrecommit", nc, rpcOf(pb.MechanismDriverClient.CreateNetworkPrecommit))
}

// CreateNetworkPostcommit calls the driver's hook.
func (d *Driver) CreateNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return d.network(ctx, "CreateNetworkPostcommit", nc, rpcOf(pb.MechanismDriverClient.CreateNetworkPostcommit))
}

// UpdateNetworkPrecommit calls the driver's hook.
func (d *Driver) UpdateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return d.network(ctx, "UpdateNetworkPrecommit", nc, rpcOf(pb.MechanismDriverClient.UpdateNetworkPrecommit))
}

// UpdateNetworkPostcommit calls the driver's hook.
func (d *Driver) UpdateNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return d.network(ctx, "UpdateNetworkPostcommit", nc, rpcOf(pb.MechanismDriverClient.UpdateNetworkPostcommit))
}

// DeleteNetworkPrecommit calls the driver's hook.
func (d *Driver) DeleteNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return d.network(ctx, "DeleteNetworkPrecommit", nc, rpcOf(pb.MechanismDriverClient.DeleteNetworkPrecommit))
}

// DeleteNetworkPostcommit calls the driver's hook.
func (d *Driver) DeleteNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return d.network(ctx, "DeleteNetworkPostcommit", nc, rpcOf(pb.MechanismDriverClient.DeleteNetworkPostcommit))
}

// CreateSubnetPrecommit calls the driver's hook.
func (d *Driver) CreateSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return d.subnet(ctx, "CreateSubnetPrecommit", sc, rpcOf(pb.MechanismDriverClient.CreateSubnetPrecommit))
}

// CreateSubnetPostcommit calls the driver's hook.
func (d *Driver) CreateSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return d.subnet(ctx, "CreateSubnetPostcommit", sc, rpcOf(pb.MechanismDriverClient.CreateSubnetPostcommit))
}

// UpdateSubnetPrecommit calls the driver's hook.
func (d *Driver) UpdateSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return d.subnet(ctx, "UpdateSubnetPrecommit", sc, rpcOf(pb.MechanismDriverClient.UpdateSubnetPrecommit))
}

// UpdateSubnetPostcommit calls the driver's hook.
func (d *Driver) UpdateSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return d.subnet(ctx, "UpdateSubnetPostcommit", sc, rpcOf(pb.MechanismDriverClient.UpdateSubnetPostcommit))
}

// DeleteSubnetPrecommit calls the driver's hook.
func (d *Driver) DeleteSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return d.subnet(ctx, "DeleteSubnetPrecommit", sc, rpcOf(pb.MechanismDriverClient.DeleteSubnetPrecommit))
}

// DeleteSubnetPostcommit calls the driver's hook.
func (d *Driver) DeleteSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return d.subnet(ctx, "DeleteSubnetPostcommit", sc, rpcOf(pb.MechanismDriverClient.DeleteSubnetPostcommit))
}

// CreatePortPrecommit calls the driver's hook.
func (d *Driver) CreatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return d.port(ctx, "CreatePortPrecommit", pc, rpcOf(pb.MechanismDriverClient.CreatePortPrecommit))
}

// CreatePortPostcommit calls the driver's hook.
func (d *Driver) CreatePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return d.port(ctx, "CreatePortPostcommit", pc, rpcOf(pb.MechanismDriverClient.CreatePortPostcommit))
}

// UpdatePortPrecommit calls the driver's hook.
func (d *Driver) UpdatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return d.port(ctx, "UpdatePortPrecommit", pc, rpcOf(pb.MechanismDriverClient.UpdatePortPrecommit))
}

// UpdatePortPostcommit calls the driver's hook.
func (d *Driver) UpdatePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return d.port(ctx, "UpdatePortPostcommit", pc, rpcOf(pb.MechanismDriverClient.UpdatePortPostcommit))
}

// DeletePortPrecommit calls the driver's hook.
func (d *Driver) DeletePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return d.port(ctx, "DeletePortPrecommit", pc, rpcOf(pb.MechanismDriverClient.DeletePortPrecommit))
}

// DeletePortPostcommit calls the driver's hook.
func (d *Driver) DeletePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return d.port(ctx, "DeletePortPostcommit", pc, rpcOf(pb.MechanismDriverClient.DeletePortPostcommit))
}

// BindPort offers the driver the segments to bind; its SetBinding and
// ContinueBinding callbacks act on pc.
func (d *Driver) BindPort(ctx context.Context, pc core.PortContext) error {
	segs := wire.Segments(pc.SegmentsToBind())
	return d.port(ctx, "BindPort", pc, func(c pb.MechanismDriverClient, ctx context.Context, m *pb.PortContext) error {
		_, err := c.BindPort(ctx, &pb.BindPortRequest{Context: m, SegmentsToBind: segs})
		return err
	})
}
