package host

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	edpb "github.com/ml2go/ml2go/plugins/proto/extdriver/v1"
)

// ExtensionDriver is an out-of-process extension driver seen as a
// core.ExtensionDriver (and a core.ExtensionAttributer). It is safe for
// concurrent use.
//
// The driver owns the attributes it keeps in a resource's Extra map: each
// hook sends the resource to the driver and takes back only its Extra map,
// where the values the driver did not change keep their Go values. Inside
// Process* hooks the transaction crosses to the driver as a callback
// service with its reading methods only, valid until the hook returns.
// ExtensionAliases and ExtensionAttributes are what the driver said when
// its current (or last) process started.
//
// While the driver cannot answer (it is restarting, failed, or too slow),
// Process* hooks fail with ExtensionDriverUnavailable or
// ExtensionDriverTimeout, so that nothing is created or changed without
// the driver; Extend* hooks leave the resource as stored (and log), so
// that reads keep working. An error the driver returns is returned in
// both cases.
type ExtensionDriver struct {
	p   *process[extConn]
	txs *pending[core.ExtensionTx]
}

var (
	_ core.ExtensionDriver     = (*ExtensionDriver)(nil)
	_ core.ExtensionAttributer = (*ExtensionDriver)(nil)
)

// extConn is the host's connection to one extension-driver process.
type extConn struct {
	rpc     edpb.ExtensionDriverClient
	aliases []string
	attrs   map[string][]string
}

// LoadExtensionDriver starts the extension driver's process, checks the
// handshake, negotiates the API version and learns the driver's aliases
// and attributes, and supervises the process until Close. It does not
// call Initialize: the orchestrator does. An error means the driver could
// not be started; nothing is left running.
func LoadExtensionDriver(ctx context.Context, cfg Config) (*ExtensionDriver, error) {
	txs := newPending[core.ExtensionTx]()
	srv := &txServer{calls: txs}
	spec := &kindSpec[extConn]{
		kind:        base.KindExtension,
		title:       "Extension driver",
		pluginName:  base.ExtensionDriverPluginName,
		versions:    base.SupportedExtensionDriverAPIVersions,
		unavailable: ExtensionDriverUnavailable,
		timeout:     ExtensionDriverTimeout,
		callbacks:   func(r grpc.ServiceRegistrar) { edpb.RegisterTransactionServer(r, srv) },
		describe:    describeExt,
		initialize: func(ctx context.Context, c extConn, v uint32) error {
			_, err := c.rpc.Initialize(ctx, &edpb.InitializeRequest{ApiVersion: v})
			return err
		},
	}
	p, err := load(ctx, cfg, spec)
	if err != nil {
		return nil, err
	}
	return &ExtensionDriver{p: p, txs: txs}, nil
}

func describeExt(ctx context.Context, cc grpc.ClientConnInterface, brokerID uint32) (extConn, []uint32, error) {
	rpc := edpb.NewExtensionDriverClient(cc)
	desc, err := rpc.Describe(ctx, &edpb.DescribeRequest{
		HostApiVersions:     base.SupportedExtensionDriverAPIVersions,
		TransactionBrokerId: brokerID,
	})
	if err != nil {
		return extConn{}, nil, err
	}
	c := extConn{rpc: rpc, aliases: desc.ExtensionAliases}
	if len(desc.ExtensionAttributes) > 0 {
		c.attrs = make(map[string][]string, len(desc.ExtensionAttributes))
		for resource, a := range desc.ExtensionAttributes {
			if a != nil && len(a.Names) > 0 {
				c.attrs[resource] = a.Names
			}
		}
	}
	return c, desc.ApiVersions, nil
}

// Name returns the driver's configured name.
func (d *ExtensionDriver) Name() string { return d.p.cfg.Name }

// Health returns the driver's supervision status.
func (d *ExtensionDriver) Health() Health { return d.p.Health() }

// Close stops supervising the driver and kills its process. Calls made
// afterwards fail with ExtensionDriverUnavailable.
func (d *ExtensionDriver) Close() error { return d.p.close() }

// Initialize initializes the driver process, and remembers to initialize
// every process the supervisor starts later.
func (d *ExtensionDriver) Initialize(ctx context.Context) error { return d.p.initialize(ctx) }

// ExtensionAliases returns the API extension aliases the driver provides.
func (d *ExtensionDriver) ExtensionAliases() []string { return slices.Clone(d.p.lastConn().aliases) }

// ExtensionAttributes returns the attributes the driver adds, by resource.
func (d *ExtensionDriver) ExtensionAttributes() map[string][]string {
	attrs := d.p.lastConn().attrs
	if attrs == nil {
		return nil
	}
	out := make(map[string][]string, len(attrs))
	for k, v := range attrs {
		out[k] = slices.Clone(v)
	}
	return out
}

type (
	processRPC func(edpb.ExtensionDriverClient, context.Context, *edpb.ProcessRequest, ...grpc.CallOption) (*edpb.ExtraResponse, error)
	extendRPC  func(edpb.ExtensionDriverClient, context.Context, *edpb.ExtendRequest, ...grpc.CallOption) (*edpb.ExtraResponse, error)
)

// process runs a Process* hook on res, whose Extra map is *extra, with tx
// reachable for the driver's callbacks during the call.
func (d *ExtensionDriver) process(ctx context.Context, method string, tx core.ExtensionTx, req map[string]any, res any, extra *map[string]any, rpc processRPC) error {
	reqJSON, err := wire.Extra(req)
	if err != nil {
		return extEncodeError(err)
	}
	resJSON, err := json.Marshal(res)
	if err != nil {
		return extEncodeError(err)
	}
	id, done := d.txs.register(tx)
	defer done()
	return d.p.invoke(ctx, method, func(ctx context.Context, c extConn) error {
		resp, err := rpc(c.rpc, ctx, &edpb.ProcessRequest{CallId: id, RequestJson: reqJSON, ResourceJson: resJSON})
		if err != nil {
			return err
		}
		return applyExtra(resp, extra)
	})
}

// extEncodeError is the error of a hook whose arguments cannot be encoded.
func extEncodeError(err error) error {
	return core.Typed(core.KindInternal, "ExtensionDriverError", "encode extension driver call: %v", err)
}

// extend runs an Extend* hook on res, whose Extra map is *extra. When the
// driver cannot answer (it is down or too slow), res is left as stored and
// the read goes on: see ExtensionDriver.
func (d *ExtensionDriver) extend(ctx context.Context, method string, res any, extra *map[string]any, rpc extendRPC) error {
	resJSON, err := json.Marshal(res)
	if err != nil {
		return extEncodeError(err)
	}
	err = d.p.invoke(ctx, method, func(ctx context.Context, c extConn) error {
		resp, err := rpc(c.rpc, ctx, &edpb.ExtendRequest{ResourceJson: resJSON})
		if err != nil {
			return err
		}
		return applyExtra(resp, extra)
	})
	if t := core.TypeOf(err); t == ExtensionDriverUnavailable || t == ExtensionDriverTimeout {
		return nil // logged by invoke
	}
	return err
}

// applyExtra makes the driver's answer the resource's Extra map, keeping
// the Go values of the entries whose JSON the driver left as they were.
func applyExtra(resp *edpb.ExtraResponse, extra *map[string]any) error {
	got, err := wire.CoreExtra(resp.ExtraJson)
	if err != nil {
		// As a driver error, so that it is not taken for a transport
		// failure.
		return wire.ToStatus(core.Typed(core.KindInternal, "ExtensionDriverError", "%v", err))
	}
	for k, v := range got {
		if old, ok := (*extra)[k]; ok && sameJSON(old, v) {
			got[k] = old
		}
	}
	*extra = got
	return nil
}

// sameJSON reports whether old encodes to the JSON that decoded to v.
func sameJSON(old, v any) bool {
	data, err := json.Marshal(old)
	if err != nil {
		return false
	}
	var back any
	if err := json.Unmarshal(data, &back); err != nil {
		return false
	}
	return reflect.DeepEqual(back, v)
}

// ProcessCreateNetwork calls the driver's hook.
func (d *ExtensionDriver) ProcessCreateNetwork(ctx context.Context, tx core.ExtensionTx, req map[string]any, n *core.Network) error {
	return d.process(ctx, "ProcessCreateNetwork", tx, req, n, &n.Extra, edpb.ExtensionDriverClient.ProcessCreateNetwork)
}

// ProcessUpdateNetwork calls the driver's hook.
func (d *ExtensionDriver) ProcessUpdateNetwork(ctx context.Context, tx core.ExtensionTx, req map[string]any, n *core.Network) error {
	return d.process(ctx, "ProcessUpdateNetwork", tx, req, n, &n.Extra, edpb.ExtensionDriverClient.ProcessUpdateNetwork)
}

// ExtendNetwork calls the driver's hook.
func (d *ExtensionDriver) ExtendNetwork(ctx context.Context, n *core.Network) error {
	return d.extend(ctx, "ExtendNetwork", n, &n.Extra, edpb.ExtensionDriverClient.ExtendNetwork)
}

// ProcessCreateSubnet calls the driver's hook.
func (d *ExtensionDriver) ProcessCreateSubnet(ctx context.Context, tx core.ExtensionTx, req map[string]any, s *core.Subnet) error {
	return d.process(ctx, "ProcessCreateSubnet", tx, req, s, &s.Extra, edpb.ExtensionDriverClient.ProcessCreateSubnet)
}

// ProcessUpdateSubnet calls the driver's hook.
func (d *ExtensionDriver) ProcessUpdateSubnet(ctx context.Context, tx core.ExtensionTx, req map[string]any, s *core.Subnet) error {
	return d.process(ctx, "ProcessUpdateSubnet", tx, req, s, &s.Extra, edpb.ExtensionDriverClient.ProcessUpdateSubnet)
}

// ExtendSubnet calls the driver's hook.
func (d *ExtensionDriver) ExtendSubnet(ctx context.Context, s *core.Subnet) error {
	return d.extend(ctx, "ExtendSubnet", s, &s.Extra, edpb.ExtensionDriverClient.ExtendSubnet)
}

// ProcessCreatePort calls the driver's hook.
func (d *ExtensionDriver) ProcessCreatePort(ctx context.Context, tx core.ExtensionTx, req map[string]any, p *core.Port) error {
	return d.process(ctx, "ProcessCreatePort", tx, req, p, &p.Extra, edpb.ExtensionDriverClient.ProcessCreatePort)
}

// ProcessUpdatePort calls the driver's hook.
func (d *ExtensionDriver) ProcessUpdatePort(ctx context.Context, tx core.ExtensionTx, req map[string]any, p *core.Port) error {
	return d.process(ctx, "ProcessUpdatePort", tx, req, p, &p.Extra, edpb.ExtensionDriverClient.ProcessUpdatePort)
}

// ExtendPort calls the driver's hook.
func (d *ExtensionDriver) ExtendPort(ctx context.Context, p *core.Port) error {
	return d.extend(ctx, "ExtendPort", p, &p.Extra, edpb.ExtensionDriverClient.ExtendPort)
}

// txServer serves Transaction: it routes each read to the transaction of
// the Process* call it names, while that call is in progress.
type txServer struct {
	edpb.UnimplementedTransactionServer
	calls *pending[core.ExtensionTx]
}

// read runs f on the call's transaction and answers its result as JSON.
func read[T any](s *txServer, callID uint64, f func(core.ExtensionTx) (T, error)) (*edpb.ResourceResponse, error) {
	var data []byte
	err := s.calls.with(callID, "extension driver", func(tx core.ExtensionTx) error {
		v, err := f(tx)
		if err != nil {
			return wire.ToStatus(err)
		}
		if data, err = json.Marshal(v); err != nil {
			return wire.ToStatus(err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &edpb.ResourceResponse{Json: data}, nil
}

// listOptions decodes the options of a List* request.
func listOptions(data []byte) (*core.ListOptions, error) {
	opts, err := wire.Decode[core.ListOptions](data)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return opts, nil
}

// GetNetwork reads a network in the call's transaction.
func (s *txServer) GetNetwork(ctx context.Context, req *edpb.GetRequest) (*edpb.ResourceResponse, error) {
	return read(s, req.CallId, func(tx core.ExtensionTx) (*core.Network, error) { return tx.GetNetwork(ctx, req.Id) })
}

// GetSubnet reads a subnet in the call's transaction.
func (s *txServer) GetSubnet(ctx context.Context, req *edpb.GetRequest) (*edpb.ResourceResponse, error) {
	return read(s, req.CallId, func(tx core.ExtensionTx) (*core.Subnet, error) { return tx.GetSubnet(ctx, req.Id) })
}

// GetPort reads a port in the call's transaction.
func (s *txServer) GetPort(ctx context.Context, req *edpb.GetRequest) (*edpb.ResourceResponse, error) {
	return read(s, req.CallId, func(tx core.ExtensionTx) (*core.Port, error) { return tx.GetPort(ctx, req.Id) })
}

// GetSegment reads a segment in the call's transaction.
func (s *txServer) GetSegment(ctx context.Context, req *edpb.GetRequest) (*edpb.ResourceResponse, error) {
	return read(s, req.CallId, func(tx core.ExtensionTx) (*core.Segment, error) { return tx.GetSegment(ctx, req.Id) })
}

// NetworkSegments reads a network's segments in the call's transaction.
func (s *txServer) NetworkSegments(ctx context.Context, req *edpb.NetworkSegmentsRequest) (*edpb.ResourceResponse, error) {
	return read(s, req.CallId, func(tx core.ExtensionTx) ([]core.Segment, error) {
		return tx.NetworkSegments(ctx, req.NetworkId, req.IncludeDynamic)
	})
}

// ListNetworks lists networks in the call's transaction.
func (s *txServer) ListNetworks(ctx context.Context, req *edpb.ListRequest) (*edpb.ResourceResponse, error) {
	opts, err := listOptions(req.OptionsJson)
	if err != nil {
		return nil, err
	}
	return read(s, req.CallId, func(tx core.ExtensionTx) ([]*core.Network, error) { return tx.ListNetworks(ctx, opts) })
}

// ListSubnets lists subnets in the call's transaction.
func (s *txServer) ListSubnets(ctx context.Context, req *edpb.ListRequest) (*edpb.ResourceResponse, error) {
	opts, err := listOptions(req.OptionsJson)
	if err != nil {
		return nil, err
	}
	return read(s, req.CallId, func(tx core.ExtensionTx) ([]*core.Subnet, error) { return tx.ListSubnets(ctx, opts) })
}

// ListPorts lists ports in the call's transaction.
func (s *txServer) ListPorts(ctx context.Context, req *edpb.ListRequest) (*edpb.ResourceResponse, error) {
	opts, err := listOptions(req.OptionsJson)
	if err != nil {
		return nil, err
	}
	return read(s, req.CallId, func(tx core.ExtensionTx) ([]*core.Port, error) { return tx.ListPorts(ctx, opts) })
}
