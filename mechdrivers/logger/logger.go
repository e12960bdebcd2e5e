// Package logger is a mechanism driver that records every call it gets and
// logs it. It is ml2go's test double for the ML2 orchestrator — with failure
// injection for the precommit and postcommit semantics and a pluggable bind
// behaviour — and a template for writing a driver of your own.
//
// # Using it in tests
//
//	d := logger.New(nil) // or logger.New(hclog.Default().Named("logger"))
//	reg.RegisterMechanismDriver("logger", d)
//	d.FailOn("CreatePortPostcommit", core.InvalidInput("Some errors"))
//	d.BindFunc = func(ctx context.Context, pc core.PortContext) error {
//		seg := pc.SegmentsToBind()[0]
//		pc.SetBinding(seg.ID, core.VIFTypeOVS, map[string]any{"port_filter": false}, "")
//		return nil
//	}
//	... drive the plugin ...
//	calls := d.CallsTo("CreatePortPrecommit")
//
// Method names are those of the Go methods ("CreateNetworkPrecommit",
// "BindPort", ...). Each Call holds deep copies of what the context showed
// at the time of the call, so later changes to the resources do not alter
// the log. A Driver is safe for concurrent use once configured: set
// BindFunc, Provides and VLANTransparent before handing it to the registry.
//
// # Writing a mechanism driver
//
// A driver is any value that implements core.MechanismDriver. Embed
// core.MechanismDriverBase, implement only the hooks you need, and register
// the driver under a name that configuration then lists (mechanism_drivers
// gives the call order):
//
//	type Driver struct {
//		core.MechanismDriverBase // no-ops for the hooks not written here
//		backend *acme.Client
//	}
//
//	func (d *Driver) CreateNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
//		return d.backend.CreateNetwork(ctx, nc.Current().ID, nc.Segments())
//	}
//
//	func (d *Driver) BindPort(ctx context.Context, pc core.PortContext) error {
//		for _, seg := range pc.SegmentsToBind() {
//			if seg.NetworkType == core.TypeVLAN {
//				pc.SetBinding(seg.ID, core.VIFTypeOther, map[string]any{"vlan": seg.SegmentationID}, "")
//				return nil
//			}
//		}
//		return nil // not for us: the next driver gets its turn
//	}
//
//	reg.RegisterMechanismDriver("acme", &Driver{backend: client})
//
// Each hook gets a context describing the operation:
//
//   - Initialize runs once, after every driver is registered and the store
//     is ready. Check your configuration here; an error stops the server.
//   - *Precommit hooks run inside the database transaction. They must be
//     quick and must not block on the network. Returning an error rolls the
//     whole operation back; an error wrapping core.ErrRetry makes the
//     request run again instead (for conflicts that a retry resolves).
//     The first failing driver stops the call.
//   - *Postcommit hooks run after the commit and may talk to your backend.
//     A failing Create*Postcommit deletes the resource just created and the
//     error reaches the client. A failing Update*Postcommit is logged, the
//     other drivers are still called and the update stands; for networks
//     and subnets the error reaches the client, for ports it is swallowed.
//     Delete*Postcommit errors are logged and swallowed.
//   - BindPort runs outside any transaction, possibly several times for one
//     port, and its result may be thrown away: it must have no side effects.
//     Pick one of pc.SegmentsToBind() and call pc.SetBinding (the port is
//     bound) or pc.ContinueBinding (hierarchical binding: the next level
//     binds the segments you pass, often a dynamic segment obtained with
//     pc.AllocateDynamicSegment), or leave the port alone so that the next
//     driver gets its turn. pc.HostAgents tells which agents run on the
//     binding host. Returning an error is logged and the next driver tried.
//
// Optional interfaces add capabilities: core.ConnectivityProvider (ports
// without fixed IPs are only offered to "l2" drivers) and
// core.VLANTransparencyChecker (VLAN-transparent networks need every driver
// to support them).
//
// Contexts and the resources they return belong to the orchestrator and are
// valid only during the call: copy what you keep (the Clone methods of
// core.Network, core.Subnet and core.Port make deep copies, as this driver
// does for its log) and do not modify them. Agent-based drivers should build on package
// mechdrivers/agent instead of starting from here.
package logger

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
)

// Call is one recorded call. Only the fields that the called hook's context
// has are set.
type Call struct {
	// Method is the name of the Driver method called, such as
	// "CreateNetworkPrecommit" or "BindPort".
	Method string

	// Network and OriginalNetwork are the context's resources in network
	// hooks (OriginalNetwork only for updates).
	Network, OriginalNetwork *core.Network
	// Subnet and OriginalSubnet are the context's resources in subnet hooks
	// (OriginalSubnet only for updates).
	Subnet, OriginalSubnet *core.Subnet
	// Port and OriginalPort are the context's resources in port hooks
	// (OriginalPort only for updates).
	Port, OriginalPort *core.Port

	// Segments are the static segments of the network concerned, in
	// network, subnet and port hooks.
	Segments []core.Segment
	// SegmentsToBind are the candidate segments, in BindPort.
	SegmentsToBind []core.Segment
	// BindingLevels are the port's binding levels, in port hooks; in
	// BindPort, those above the level being bound.
	BindingLevels []core.BoundLevel

	// Err is what the call returned: an injected failure, or BindFunc's
	// error.
	Err error
}

// clone returns a deep copy of c.
func (c Call) clone() Call {
	c.Network, c.OriginalNetwork = c.Network.Clone(), c.OriginalNetwork.Clone()
	c.Subnet, c.OriginalSubnet = c.Subnet.Clone(), c.OriginalSubnet.Clone()
	c.Port, c.OriginalPort = c.Port.Clone(), c.OriginalPort.Clone()
	c.Segments = slices.Clone(c.Segments)
	c.SegmentsToBind = slices.Clone(c.SegmentsToBind)
	c.BindingLevels = slices.Clone(c.BindingLevels)
	return c
}

// BindFunc is a binding behaviour for the logger driver: it is called by
// BindPort with the same arguments.
type BindFunc func(ctx context.Context, pc core.PortContext) error

// Driver is the logger mechanism driver. The zero value is not usable: call
// New.
type Driver struct {
	// BindFunc, when set, is called by BindPort to bind the port; when nil
	// BindPort binds nothing.
	BindFunc BindFunc
	// Provides is the connectivity the driver reports; empty means
	// core.ConnectivityLegacy, as for a driver that does not say.
	Provides core.Connectivity
	// VLANTransparent is what CheckVLANTransparency answers.
	VLANTransparent bool

	log hclog.Logger

	mu       sync.Mutex
	calls    []Call
	failures map[string]error
}

// Interface guards: the driver is a mechanism driver that also states its
// connectivity and VLAN-transparency support.
var (
	_ core.MechanismDriver         = (*Driver)(nil)
	_ core.ConnectivityProvider    = (*Driver)(nil)
	_ core.VLANTransparencyChecker = (*Driver)(nil)
)

// methods are the names FailOn accepts: the hooks that return an error.
var methods = map[string]bool{
	"Initialize":              true,
	"CreateNetworkPrecommit":  true,
	"CreateNetworkPostcommit": true,
	"UpdateNetworkPrecommit":  true,
	"UpdateNetworkPostcommit": true,
	"DeleteNetworkPrecommit":  true,
	"DeleteNetworkPostcommit": true,
	"CreateSubnetPrecommit":   true,
	"CreateSubnetPostcommit":  true,
	"UpdateSubnetPrecommit":   true,
	"UpdateSubnetPostcommit":  true,
	"DeleteSubnetPrecommit":   true,
	"DeleteSubnetPostcommit":  true,
	"CreatePortPrecommit":     true,
	"CreatePortPostcommit":    true,
	"UpdatePortPrecommit":     true,
	"UpdatePortPostcommit":    true,
	"DeletePortPrecommit":     true,
	"DeletePortPostcommit":    true,
	"BindPort":                true,
}

// New returns a driver that logs each call to log at Info level; a nil log
// discards the logs (the calls are still recorded).
func New(log hclog.Logger) *Driver {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Driver{log: log, failures: map[string]error{}}
}

// FailOn makes method return err from now on; a nil err removes the
// failure. method is a Driver method name that returns an error, such as
// "CreatePortPostcommit" or "BindPort" (an injected BindPort failure is
// returned without calling BindFunc). An unknown name panics, so that a
// typo does not silently test nothing.
func (d *Driver) FailOn(method string, err error) {
	if !methods[method] {
		panic(fmt.Sprintf("logger: FailOn: unknown method %q", method))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil {
		delete(d.failures, method)
		return
	}
	d.failures[method] = err
}

// Calls returns a copy of every call recorded since New or the last Reset,
// in order.
func (d *Driver) Calls() []Call {
	return d.filter(func(Call) bool { return true })
}

// CallsTo returns a copy of the recorded calls of one method, in order.
func (d *Driver) CallsTo(method string) []Call {
	return d.filter(func(c Call) bool { return c.Method == method })
}

// Methods returns the names of the recorded calls, in order: handy for
// asserting on call order.
func (d *Driver) Methods() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, len(d.calls))
	for i, c := range d.calls {
		out[i] = c.Method
	}
	return out
}

func (d *Driver) filter(keep func(Call) bool) []Call {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Call
	for _, c := range d.calls {
		if keep(c) {
			out = append(out, c.clone())
		}
	}
	return out
}

// Reset forgets the recorded calls. Injected failures stay.
func (d *Driver) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = nil
}

// Connectivity returns Provides, or core.ConnectivityLegacy.
func (d *Driver) Connectivity() core.Connectivity {
	if d.Provides == "" {
		return core.ConnectivityLegacy
	}
	return d.Provides
}

// CheckVLANTransparency records the call and returns VLANTransparent.
func (d *Driver) CheckVLANTransparency(_ context.Context, nc core.NetworkContext) bool {
	d.record(networkCall("CheckVLANTransparency", nc))
	return d.VLANTransparent
}

// Initialize records the call.
func (d *Driver) Initialize(context.Context) error {
	return d.finish(Call{Method: "Initialize"})
}

// CreateNetworkPrecommit records the call.
func (d *Driver) CreateNetworkPrecommit(_ context.Context, nc core.NetworkContext) error {
	return d.finish(networkCall("CreateNetworkPrecommit", nc))
}

// CreateNetworkPostcommit records the call.
func (d *Driver) CreateNetworkPostcommit(_ context.Context, nc core.NetworkContext) error {
	return d.finish(networkCall("CreateNetworkPostcommit", nc))
}

// UpdateNetworkPrecommit records the call.
func (d *Driver) UpdateNetworkPrecommit(_ context.Context, nc core.NetworkContext) error {
	return d.finish(networkCall("UpdateNetworkPrecommit", nc))
}

// UpdateNetworkPostcommit records the call.
func (d *Driver) UpdateNetworkPostcommit(_ context.Context, nc core.NetworkContext) error {
	return d.finish(networkCall("UpdateNetworkPostcommit", nc))
}

// DeleteNetworkPrecommit records the call.
func (d *Driver) DeleteNetworkPrecommit(_ context.Context, nc core.NetworkContext) error {
	return d.finish(networkCall("DeleteNetworkPrecommit", nc))
}

// DeleteNetworkPostcommit records the call.
func (d *Driver) DeleteNetworkPostcommit(_ context.Context, nc core.NetworkContext) error {
	return d.finish(networkCall("DeleteNetworkPostcommit", nc))
}

// CreateSubnetPrecommit records the call.
func (d *Driver) CreateSubnetPrecommit(_ context.Context, sc core.SubnetContext) error {
	return d.finish(subnetCall("CreateSubnetPrecommit", sc))
}

// CreateSubnetPostcommit records the call.
func (d *Driver) CreateSubnetPostcommit(_ context.Context, sc core.SubnetContext) error {
	return d.finish(subnetCall("CreateSubnetPostcommit", sc))
}

// UpdateSubnetPrecommit records the call.
func (d *Driver) UpdateSubnetPrecommit(_ context.Context, sc core.SubnetContext) error {
	return d.finish(subnetCall("UpdateSubnetPrecommit", sc))
}

// UpdateSubnetPostcommit records the call.
func (d *Driver) UpdateSubnetPostcommit(_ context.Context, sc core.SubnetContext) error {
	return d.finish(subnetCall("UpdateSubnetPostcommit", sc))
}

// DeleteSubnetPrecommit records the call.
func (d *Driver) DeleteSubnetPrecommit(_ context.Context, sc core.SubnetContext) error {
	return d.finish(subnetCall("DeleteSubnetPrecommit", sc))
}

// DeleteSubnetPostcommit records the call.
func (d *Driver) DeleteSubnetPostcommit(_ context.Context, sc core.SubnetContext) error {
	return d.finish(subnetCall("DeleteSubnetPostcommit", sc))
}

// CreatePortPrecommit records the call.
func (d *Driver) CreatePortPrecommit(_ context.Context, pc core.PortContext) error {
	return d.finish(portCall("CreatePortPrecommit", pc))
}

// CreatePortPostcommit records the call.
func (d *Driver) CreatePortPostcommit(_ context.Context, pc core.PortContext) error {
	return d.finish(portCall("CreatePortPostcommit", pc))
}

// UpdatePortPrecommit records the call.
func (d *Driver) UpdatePortPrecommit(_ context.Context, pc core.PortContext) error {
	return d.finish(portCall("UpdatePortPrecommit", pc))
}

// UpdatePortPostcommit records the call.
func (d *Driver) UpdatePortPostcommit(_ context.Context, pc core.PortContext) error {
	return d.finish(portCall("UpdatePortPostcommit", pc))
}

// DeletePortPrecommit records the call.
func (d *Driver) DeletePortPrecommit(_ context.Context, pc core.PortContext) error {
	return d.finish(portCall("DeletePortPrecommit", pc))
}

// DeletePortPostcommit records the call.
func (d *Driver) DeletePortPostcommit(_ context.Context, pc core.PortContext) error {
	return d.finish(portCall("DeletePortPostcommit", pc))
}

// BindPort records the call, then returns the failure injected for
// "BindPort" if any, else calls BindFunc if set. The call is recorded as
// the context was before BindFunc ran.
func (d *Driver) BindPort(ctx context.Context, pc core.PortContext) error {
	c := portCall("BindPort", pc)
	c.SegmentsToBind = slices.Clone(pc.SegmentsToBind())
	if err := d.failure(c.Method); err != nil {
		return d.finishWith(c, err)
	}
	var err error
	if d.BindFunc != nil {
		err = d.BindFunc(ctx, pc)
	}
	return d.finishWith(c, err)
}

// finish completes a call whose only possible error is an injected one.
func (d *Driver) finish(c Call) error {
	return d.finishWith(c, d.failure(c.Method))
}

// finishWith records c with its outcome err, logs it, and returns err.
func (d *Driver) finishWith(c Call, err error) error {
	c.Err = err
	d.record(c)
	return err
}

func (d *Driver) failure(method string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failures[method]
}

func (d *Driver) record(c Call) {
	d.mu.Lock()
	d.calls = append(d.calls, c)
	d.mu.Unlock()
	d.log.Info(c.Method+" called", logArgs(c)...)
}

// networkCall, subnetCall and portCall deep-copy what a context shows, so
// that the log does not change when the orchestrator reuses or updates the
// values afterwards.

func networkCall(method string, nc core.NetworkContext) Call {
	return Call{
		Method:          method,
		Network:         nc.Current().Clone(),
		OriginalNetwork: nc.Original().Clone(),
		Segments:        slices.Clone(nc.Segments()),
	}
}

func subnetCall(method string, sc core.SubnetContext) Call {
	c := Call{Method: method, Subnet: sc.Current().Clone(), OriginalSubnet: sc.Original().Clone()}
	if nc := sc.Network(); nc != nil {
		c.Segments = slices.Clone(nc.Segments())
	}
	return c
}

func portCall(method string, pc core.PortContext) Call {
	c := Call{
		Method:        method,
		Port:          pc.Current().Clone(),
		OriginalPort:  pc.Original().Clone(),
		BindingLevels: slices.Clone(pc.BindingLevels()),
	}
	if nc := pc.Network(); nc != nil {
		c.Segments = slices.Clone(nc.Segments())
	}
	return c
}

// logArgs are the key/value pairs logged for c.
func logArgs(c Call) []any {
	var args []any
	switch {
	case c.Network != nil:
		args = append(args, "network", c.Network.ID)
	case c.Subnet != nil:
		args = append(args, "subnet", c.Subnet.ID, "network", c.Subnet.NetworkID)
	case c.Port != nil:
		args = append(args, "port", c.Port.ID, "network", c.Port.NetworkID, "host", c.Port.Binding.HostID,
			"vif_type", c.Port.Binding.VIFType)
	}
	if c.Network != nil || c.Subnet != nil || c.Port != nil {
		args = append(args, "update", c.OriginalNetwork != nil || c.OriginalSubnet != nil || c.OriginalPort != nil)
	}
	if c.Segments != nil {
		args = append(args, "segments", segmentStrings(c.Segments))
	}
	if c.SegmentsToBind != nil {
		args = append(args, "segments_to_bind", segmentStrings(c.SegmentsToBind))
	}
	if c.Err != nil {
		args = append(args, "error", c.Err)
	}
	return args
}

// segmentStrings renders segments as "id:type:physnet:segmentation_id".
func segmentStrings(segs []core.Segment) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = fmt.Sprintf("%s:%s:%s:%d", s.ID, s.NetworkType, s.PhysicalNetwork, s.SegmentationID)
	}
	return out
}
