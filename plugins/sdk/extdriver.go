package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	edpb "github.com/ml2go/ml2go/plugins/proto/extdriver/v1"
)

// ErrNotAvailable is wrapped by the error of a core.Tx method that an
// out-of-process extension driver cannot use: only the reading methods
// listed in the package documentation cross the process boundary.
var ErrNotAvailable = errors.New("not available to an out-of-process extension driver")

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
	hook func(context.Context, core.Tx, map[string]any, *T) error,
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

// remoteTx is the core.Tx of one Process* call: its reading methods read
// in the host's transaction; the others fail with ErrNotAvailable.
//
// It embeds a nil core.Tx only so that it keeps compiling when core.Tx
// grows: a method added there and not here would panic. Every method of
// core.Tx is defined below.
type remoteTx struct {
	core.Tx
	host   *hostConn[edpb.TransactionClient]
	callID uint64
}

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

// notAvailable is the error of the methods that do not cross the process
// boundary.
func notAvailable(method string) error {
	return fmt.Errorf("core.Tx.%s: %w", method, ErrNotAvailable)
}

// The methods below are not available to an out-of-process extension
// driver.

func (*remoteTx) ReserveSegment(context.Context, core.SegmentKey) (bool, error) {
	return false, notAvailable("ReserveSegment")
}

func (*remoteTx) AllocateSegment(context.Context, string, string, []core.SegmentRange) (int64, bool, error) {
	return 0, false, notAvailable("AllocateSegment")
}

func (*remoteTx) ReleaseSegment(context.Context, core.SegmentKey) (bool, error) {
	return false, notAvailable("ReleaseSegment")
}

func (*remoteTx) SegmentAllocated(context.Context, core.SegmentKey) (bool, error) {
	return false, notAvailable("SegmentAllocated")
}

func (*remoteTx) CreateNetwork(context.Context, *core.Network) error {
	return notAvailable("CreateNetwork")
}

func (*remoteTx) GetNetworkSubnets(context.Context, string) (*core.Network, []*core.Subnet, error) {
	return nil, nil, notAvailable("GetNetworkSubnets")
}

func (*remoteTx) UpdateNetwork(context.Context, *core.Network) error {
	return notAvailable("UpdateNetwork")
}

func (*remoteTx) DeleteNetwork(context.Context, string) error { return notAvailable("DeleteNetwork") }

func (*remoteTx) CreateSegment(context.Context, *core.Segment) error {
	return notAvailable("CreateSegment")
}

func (*remoteTx) SetSegmentationID(context.Context, string, int64) error {
	return notAvailable("SetSegmentationID")
}

func (*remoteTx) UpdateSegment(context.Context, *core.Segment) error {
	return notAvailable("UpdateSegment")
}

func (*remoteTx) DeleteSegment(context.Context, string) error { return notAvailable("DeleteSegment") }

func (*remoteTx) ListSegments(context.Context, *core.ListOptions) ([]*core.Segment, error) {
	return nil, notAvailable("ListSegments")
}

func (*remoteTx) CreateSubnet(context.Context, *core.Subnet) error {
	return notAvailable("CreateSubnet")
}

func (*remoteTx) UpdateSubnet(context.Context, *core.Subnet) error {
	return notAvailable("UpdateSubnet")
}

func (*remoteTx) DeleteSubnet(context.Context, string) error { return notAvailable("DeleteSubnet") }

func (*remoteTx) CreatePort(context.Context, *core.Port) error { return notAvailable("CreatePort") }

func (*remoteTx) CreatePortWithIP(context.Context, *core.Port, core.IPAllocation) (bool, error) {
	return false, notAvailable("CreatePortWithIP")
}

func (*remoteTx) UpdatePort(context.Context, *core.Port) error { return notAvailable("UpdatePort") }

func (*remoteTx) DeletePort(context.Context, string) error { return notAvailable("DeletePort") }

func (*remoteTx) AllocateIP(context.Context, core.IPAllocation) (bool, error) {
	return false, notAvailable("AllocateIP")
}

func (*remoteTx) ReleaseIP(context.Context, string, netip.Addr) error {
	return notAvailable("ReleaseIP")
}

func (*remoteTx) AllocatedIPs(context.Context, string, netip.Addr, netip.Addr, int) ([]netip.Addr, error) {
	return nil, notAvailable("AllocatedIPs")
}

func (*remoteTx) SubnetAllocations(context.Context, string) ([]core.IPAllocation, error) {
	return nil, notAvailable("SubnetAllocations")
}

func (*remoteTx) UpsertAgent(context.Context, *core.Agent) (bool, error) {
	return false, notAvailable("UpsertAgent")
}

func (*remoteTx) GetAgent(context.Context, string) (*core.Agent, error) {
	return nil, notAvailable("GetAgent")
}

func (*remoteTx) UpdateAgent(context.Context, *core.Agent) error { return notAvailable("UpdateAgent") }

func (*remoteTx) DeleteAgent(context.Context, string) error { return notAvailable("DeleteAgent") }

func (*remoteTx) ListAgents(context.Context, *core.ListOptions) ([]*core.Agent, error) {
	return nil, notAvailable("ListAgents")
}

func (*remoteTx) AddHostChange(context.Context, *core.HostChange) error {
	return notAvailable("AddHostChange")
}

func (*remoteTx) HostChanges(context.Context, int64) ([]core.HostChange, int64, error) {
	return nil, 0, notAvailable("HostChanges")
}

func (*remoteTx) PruneHostChanges(context.Context, int64) error {
	return notAvailable("PruneHostChanges")
}

func (*remoteTx) ProjectQuotas(context.Context, string) (map[string]int, error) {
	return nil, notAvailable("ProjectQuotas")
}

func (*remoteTx) SetProjectQuotas(context.Context, string, map[string]int) error {
	return notAvailable("SetProjectQuotas")
}

func (*remoteTx) DeleteProjectQuotas(context.Context, string) error {
	return notAvailable("DeleteProjectQuotas")
}

func (*remoteTx) ListProjectQuotas(context.Context) (map[string]map[string]int, error) {
	return nil, notAvailable("ListProjectQuotas")
}

func (*remoteTx) CountResources(context.Context, string, ...string) (map[string]int, error) {
	return nil, notAvailable("CountResources")
}

func (*remoteTx) QuotaUsage(context.Context, string, string, int) (int, int, error) {
	return 0, 0, notAvailable("QuotaUsage")
}

func (*remoteTx) IPUsage(context.Context, *core.ListOptions) ([]core.IPUsage, error) {
	return nil, notAvailable("IPUsage")
}
