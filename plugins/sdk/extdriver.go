package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	edpb "github.com/ml2go/ml2go/plugins/proto/extdriver/v1"
)

// registerExt returns what registers the service of the extension driver
// d, with its connection to the host's transaction reads.
func registerExt(name string, d core.ExtensionDriver, log hclog.Logger) registerFunc {
	return func(r grpc.ServiceRegistrar, broker *plugin.GRPCBroker) {
		host := newHostConn(broker, hostSocket(), log, edpb.NewTransactionClient)
		edpb.RegisterExtensionDriverServer(r, &extServer{name: name, d: d, host: host})
	}
}

// extServer adapts a core.ExtensionDriver to the generated service.
type extServer struct {
	edpb.UnimplementedExtensionDriverServer
	name string
	d    core.ExtensionDriver
	host *hostConn[edpb.TransactionClient]
}

// Describe connects to the host's transaction service (see hostConn) and
// describes the driver.
func (s *extServer) Describe(_ context.Context, req *edpb.DescribeRequest) (*edpb.DescribeResponse, error) {
	if err := s.host.connect(req.TransactionBrokerId); err != nil {
		return nil, err
	}
	versions := base.SupportedExtensionDriverAPIVersions
	if wire.TestAPIVersions != nil {
		versions = wire.TestAPIVersions
	}
	resp := &edpb.DescribeResponse{Name: s.name, ApiVersions: versions, ExtensionAliases: s.d.ExtensionAliases()}
	if a, ok := s.d.(core.ExtensionAttributer); ok {
		attrs := a.ExtensionAttributes()
		resp.ExtensionAttributes = make(map[string]*edpb.Attributes, len(attrs))
		for _, resource := range slices.Sorted(maps.Keys(attrs)) {
			resp.ExtensionAttributes[resource] = &edpb.Attributes{Names: attrs[resource]}
		}
	}
	return resp, nil
}

// Initialize initializes the driver.
func (s *extServer) Initialize(ctx context.Context, _ *edpb.InitializeRequest) (*edpb.Empty, error) {
	return &edpb.Empty{}, wire.ToStatus(s.d.Initialize(ctx))
}

// processHook runs a Process* hook of the driver on the resource of req,
// with the host's transaction, and answers the resource's Extra map.
func processHook[T any](ctx context.Context, s *extServer, req *edpb.ProcessRequest, extra func(*T) map[string]any,
	hook func(context.Context, core.ExtensionTx, map[string]any, *T) error,
) (*edpb.ExtraResponse, error) {
	res, err := wire.Decode[T](req.ResourceJson)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	if res == nil {
		res = new(T)
	}
	attrs, err := wire.CoreExtra(req.RequestJson)
	if err != nil {
		return nil, wire.ToStatus(fmt.Errorf("decode request: %w", err))
	}
	if err := hook(ctx, &remoteTx{host: s.host, callID: req.CallId}, attrs, res); err != nil {
		return nil, wire.ToStatus(err)
	}
	return extraResponse(extra(res))
}

// extendHook runs an Extend* hook of the driver on the resource of req.
func extendHook[T any](ctx context.Context, req *edpb.ExtendRequest, extra func(*T) map[string]any,
	hook func(context.Context, *T) error,
) (*edpb.ExtraResponse, error) {
	res, err := wire.Decode[T](req.ResourceJson)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	if res == nil {
		res = new(T)
	}
	if err := hook(ctx, res); err != nil {
		return nil, wire.ToStatus(err)
	}
	return extraResponse(extra(res))
}

func extraResponse(m map[string]any) (*edpb.ExtraResponse, error) {
	data, err := wire.Extra(m)
	if err != nil {
		return nil, wire.ToStatus(fmt.Errorf("encode extra attributes: %w", err))
	}
	return &edpb.ExtraResponse{ExtraJson: data}, nil
}

func networkExtra(n *core.Network) map[string]any { return n.Extra }
func subnetExtra(s *core.Subnet) map[string]any   { return s.Extra }
func portExtra(p *core.Port) map[string]any       { return p.Extra }

// ProcessCreateNetwork calls the driver's hook.
func (s *extServer) ProcessCreateNetwork(ctx context.Context, req *edpb.ProcessRequest) (*edpb.ExtraResponse, error) {
	return processHook(ctx, s, req, networkExtra, s.d.ProcessCreateNetwork)
}

// ProcessUpdateNetwork calls the driver's hook.
func (s *extServer) ProcessUpdateNetwork(ctx context.Context, req *edpb.ProcessRequest) (*edpb.ExtraResponse, error) {
	return processHook(ctx, s, req, networkExtra, s.d.ProcessUpdateNetwork)
}

// ProcessCreateSubnet calls the driver's hook.
func (s *extServer) ProcessCreateSubnet(ctx context.Context, req *edpb.ProcessRequest) (*edpb.ExtraResponse, error) {
	return processHook(ctx, s, req, subnetExtra, s.d.ProcessCreateSubnet)
}

// ProcessUpdateSubnet calls the driver's hook.
func (s *extServer) ProcessUpdateSubnet(ctx context.Context, req *edpb.ProcessRequest) (*edpb.ExtraResponse, error) {
	return processHook(ctx, s, req, subnetExtra, s.d.ProcessUpdateSubnet)
}

// ProcessCreatePort calls the driver's hook.
func (s *extServer) ProcessCreatePort(ctx context.Context, req *edpb.ProcessRequest) (*edpb.ExtraResponse, error) {
	return processHook(ctx, s, req, portExtra, s.d.ProcessCreatePort)
}

// ProcessUpdatePort calls the driver's hook.
func (s *extServer) ProcessUpdatePort(ctx context.Context, req *edpb.ProcessRequest) (*edpb.ExtraResponse, error) {
	return processHook(ctx, s, req, portExtra, s.d.ProcessUpdatePort)
}

// ExtendNetwork calls the driver's hook.
func (s *extServer) ExtendNetwork(ctx context.Context, req *edpb.ExtendRequest) (*edpb.ExtraResponse, error) {
	return extendHook(ctx, req, networkExtra, s.d.ExtendNetwork)
}

// ExtendSubnet calls the driver's hook.
func (s *extServer) ExtendSubnet(ctx context.Context, req *edpb.ExtendRequest) (*edpb.ExtraResponse, error) {
	return extendHook(ctx, req, subnetExtra, s.d.ExtendSubnet)
}

// ExtendPort calls the driver's hook.
func (s *extServer) ExtendPort(ctx context.Context, req *edpb.ExtendRequest) (*edpb.ExtraResponse, error) {
	return extendHook(ctx, req, portExtra, s.d.ExtendPort)
}

// remoteTx is the core.ExtensionTx of one Process* call: each of its
// methods reads in the host's transaction, through a callback into the
// host.
type remoteTx struct {
	host   *hostConn[edpb.TransactionClient]
	callID uint64
}

var _ core.ExtensionTx = (*remoteTx)(nil)

// txCall runs one reading callback and decodes its JSON answer into a T.
func txCall[T any](ctx context.Context, t *remoteTx, method string,
	rpc func(edpb.TransactionClient, context.Context) (*edpb.ResourceResponse, error),
) (T, error) {
	var out T
	cl, err := t.host.client()
	if err != nil {
		return out, err
	}
	resp, err := rpc(cl, ctx)
	if err != nil {
		return out, callbackError(method, err)
	}
	if len(resp.Json) > 0 {
		if err := json.Unmarshal(resp.Json, &out); err != nil {
			return out, fmt.Errorf("host callback %s: decode: %w", method, err)
		}
	}
	return out, nil
}

// get returns the callback of a Get* method.
func (t *remoteTx) get(id string,
	rpc func(edpb.TransactionClient, context.Context, *edpb.GetRequest, ...grpc.CallOption) (*edpb.ResourceResponse, error),
) func(edpb.TransactionClient, context.Context) (*edpb.ResourceResponse, error) {
	return func(cl edpb.TransactionClient, ctx context.Context) (*edpb.ResourceResponse, error) {
		return rpc(cl, ctx, &edpb.GetRequest{CallId: t.callID, Id: id})
	}
}

// list returns the callback of a List* method.
func (t *remoteTx) list(opts *core.ListOptions,
	rpc func(edpb.TransactionClient, context.Context, *edpb.ListRequest, ...grpc.CallOption) (*edpb.ResourceResponse, error),
) func(edpb.TransactionClient, context.Context) (*edpb.ResourceResponse, error) {
	return func(cl edpb.TransactionClient, ctx context.Context) (*edpb.ResourceResponse, error) {
		var data []byte
		if opts != nil {
			var err error
			if data, err = json.Marshal(opts); err != nil {
				return nil, fmt.Errorf("encode list options: %w", err)
			}
		}
		return rpc(cl, ctx, &edpb.ListRequest{CallId: t.callID, OptionsJson: data})
	}
}

// GetNetwork reads a network in the host's transaction.
func (t *remoteTx) GetNetwork(ctx context.Context, id string) (*core.Network, error) {
	return txCall[*core.Network](ctx, t, "GetNetwork", t.get(id, edpb.TransactionClient.GetNetwork))
}

// GetSubnet reads a subnet in the host's transaction.
func (t *remoteTx) GetSubnet(ctx context.Context, id string) (*core.Subnet, error) {
	return txCall[*core.Subnet](ctx, t, "GetSubnet", t.get(id, edpb.TransactionClient.GetSubnet))
}

// GetPort reads a port in the host's transaction.
func (t *remoteTx) GetPort(ctx context.Context, id string) (*core.Port, error) {
	return txCall[*core.Port](ctx, t, "GetPort", t.get(id, edpb.TransactionClient.GetPort))
}

// GetSegment reads a segment in the host's transaction.
func (t *remoteTx) GetSegment(ctx context.Context, id string) (*core.Segment, error) {
	return txCall[*core.Segment](ctx, t, "GetSegment", t.get(id, edpb.TransactionClient.GetSegment))
}

// NetworkSegments reads a network's segments in the host's transaction.
func (t *remoteTx) NetworkSegments(ctx context.Context, networkID string, includeDynamic bool) ([]core.Segment, error) {
	return txCall[[]core.Segment](ctx, t, "NetworkSegments", func(cl edpb.TransactionClient, ctx context.Context) (*edpb.ResourceResponse, error) {
		return cl.NetworkSegments(ctx, &edpb.NetworkSegmentsRequest{CallId: t.callID, NetworkId: networkID, IncludeDynamic: includeDynamic})
	})
}

// ListNetworks lists networks in the host's transaction.
func (t *remoteTx) ListNetworks(ctx context.Context, opts *core.ListOptions) ([]*core.Network, error) {
	return txCall[[]*core.Network](ctx, t, "ListNetworks", t.list(opts, edpb.TransactionClient.ListNetworks))
}

// ListSubnets lists subnets in the host's transaction.
func (t *remoteTx) ListSubnets(ctx context.Context, opts *core.ListOptions) ([]*core.Subnet, error) {
	return txCall[[]*core.Subnet](ctx, t, "ListSubnets", t.list(opts, edpb.TransactionClient.ListSubnets))
}

// ListPorts lists ports in the host's transaction.
func (t *remoteTx) ListPorts(ctx context.Context, opts *core.ListOptions) ([]*core.Port, error) {
	return txCall[[]*core.Port](ctx, t, "ListPorts", t.list(opts, edpb.TransactionClient.ListPorts))
}
