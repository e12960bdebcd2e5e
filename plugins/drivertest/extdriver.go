package drivertest

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/typedrivers/local"
)

// The resources of extension drivers, as core.ExtensionAttributer names
// them.
const (
	ResourceNetworks = "networks"
	ResourceSubnets  = "subnets"
	ResourcePorts    = "ports"
)

var extResources = []string{ResourceNetworks, ResourceSubnets, ResourcePorts}

// ExtensionOption configures RunExtensionDriver.
type ExtensionOption func(*extConfig)

type extConfig struct {
	requests map[string]extRequest
}

type extRequest struct{ req, want map[string]any }

// Request gives the attributes the kit sends when it creates a resource
// (ResourceNetworks, ResourceSubnets or ResourcePorts), and the values it
// then expects in the resource's Extra map on creation and on every read
// (want may be nil). Without it the kit sends no attribute of the driver's.
func Request(resource string, req, want map[string]any) ExtensionOption {
	return func(c *extConfig) {
		c.requests[resource] = extRequest{req: maps.Clone(req), want: maps.Clone(want)}
	}
}

// RunExtensionDriver runs the conformance checks of core.ExtensionDriver
// against the drivers factory returns: factory is called once per
// top-level subtest, with that subtest's t (register cleanups on it). The
// driver is registered as DriverName and is the only extension driver of
// an ML2 orchestrator on an in-memory SQLite store, with local networks and
// the logger mechanism driver; the orchestrator calls its Initialize.
// Subtests:
//
//   - lifecycle/<resource>: a network, subnet or port is created (with the
//     attributes of Request), read, listed, renamed and deleted; every
//     Process* and Extend* hook called succeeds. Each attribute the driver
//     declares (core.ExtensionAttributer) for the resource shows in its
//     Extra map on creation, on a read and in a listing, with the same
//     value, and keeps that value through an update that does not mention
//     it (Neutron's extension drivers always put the current value in the
//     result).
//   - process_errors/<operation>: when a Process* hook fails with a typed
//     core error, the create or update fails with that error (same Neutron
//     type, kind and message) and the store is left as it was; the same
//     operation then succeeds. This covers the resources the driver
//     declares attributes for (all three if it declares none).
//
// For process_errors the kit must be able to make the driver fail, as for
// mechanism drivers (see the package documentation): with FailOn, whose
// methods are "ProcessCreateNetwork", "ProcessUpdatePort", ...; or with the
// naming convention: ProcessCreate* fails for a resource named
// FailCreatePrecommit, ProcessUpdate* for one renamed FailUpdatePrecommit.
func RunExtensionDriver(t *testing.T, factory func(t *testing.T) core.ExtensionDriver, opts ...ExtensionOption) {
	t.Helper()
	cfg := &extConfig{requests: map[string]extRequest{}}
	for _, o := range opts {
		o(cfg)
	}
	for r := range cfg.requests {
		if !slices.Contains(extResources, r) {
			t.Fatalf("drivertest: Request(%q, ...): the resources are %v", r, extResources)
		}
	}
	k := &extKit{cfg: cfg, factory: factory}
	for _, r := range extResources {
		t.Run("lifecycle/"+r, func(t *testing.T) { k.lifecycle(t, r) })
	}
	t.Run("process_errors", k.processErrors)
}

// extKit holds what the extension-driver scenarios share.
type extKit struct {
	cfg     *extConfig
	factory func(t *testing.T) core.ExtensionDriver
}

// extEnv is one orchestrator on a fresh store with a fresh driver behind
// a recorder.
type extEnv struct {
	t     *testing.T
	raw   core.ExtensionDriver
	p     *ml2.Plugin
	rec   *extRecorder
	attrs map[string][]string
}

func (k *extKit) newEnv(t *testing.T) *extEnv {
	t.Helper()
	ctx := context.Background()
	raw := k.factory(t)
	if raw == nil {
		t.Fatal("drivertest: the factory returned a nil extension driver")
	}
	log := testLogger(t, "drivertest", hclog.Warn)
	rec := &extRecorder{d: raw}
	reg := core.NewRegistry()
	for _, err := range []error{
		reg.RegisterTypeDriver(local.New(local.Config{Logger: log})),
		reg.RegisterMechanismDriver("logger", logger.New(nil)),
		reg.RegisterExtensionDriver(DriverName, rec),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	store, err := sqlstore.Open(ctx, "sqlite://:memory:", sqlstore.WithLogger(log))
	if err != nil {
		t.Fatalf("drivertest: open the store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	p, err := ml2.New(ctx, ml2.Config{MechanismDrivers: []string{"logger"}, ExtensionDrivers: []string{DriverName}, Logger: log}, reg, store)
	if err != nil {
		t.Fatalf("drivertest: the orchestrator could not start with the extension driver (Initialize failed?): %v", err)
	}
	if n := len(rec.callsTo("Initialize")); n != 1 {
		t.Fatalf("drivertest: Initialize was called %d times, want 1", n)
	}
	e := &extEnv{t: t, raw: raw, p: p, rec: rec}
	if a, ok := raw.(core.ExtensionAttributer); ok {
		e.attrs = a.ExtensionAttributes()
	}
	return e
}

func (e *extEnv) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	e.t.Cleanup(cancel)
	return ctx
}

// resource is what the scenarios need of a network, subnet or port.
type resource struct {
	id    string
	extra map[string]any
}

// extOps are the operations on one kind of resource.
type extOps struct {
	// parents creates what a resource of the kind needs and returns the
	// function creating one with a name and request attributes.
	parents func(t *testing.T) func(name string, req map[string]any) (resource, error)
	get     func(id string) (resource, error)
	list    func() ([]resource, error)
	rename  func(id, name string) (resource, error)
	remove  func(id string) error
	// probe calls the driver's Process hook directly, in a read-only
	// transaction, on a resource named name: a copy of the resource id,
	// or a new one on the parents of the last created resource when id is
	// "".
	probe func(ctx context.Context, tx core.ExtensionTx, create bool, id, name string) error
	// suffix names the hooks: "Network", "Subnet", "Port".
	suffix string
}

func (e *extEnv) ops(kind string) extOps {
	var netID, subnetID string
	network := func(t *testing.T) string {
		n, err := e.p.CreateNetwork(e.ctx(), &ml2.NetworkRequest{Name: ptr(netName)})
		require.NoError(t, err, "create a network%s", e.rec.failures())
		return n.ID
	}
	switch kind {
	case ResourceNetworks:
		return extOps{
			suffix: "Network",
			parents: func(*testing.T) func(string, map[string]any) (resource, error) {
				return func(name string, req map[string]any) (resource, error) {
					n, err := e.p.CreateNetwork(e.ctx(), &ml2.NetworkRequest{Name: ptr(name), Extensions: req})
					if err != nil {
						return resource{}, err
					}
					return resource{n.ID, n.Extra}, nil
				}
			},
			get: func(id string) (resource, error) {
				n, err := e.p.GetNetwork(e.ctx(), id)
				if err != nil {
					return resource{}, err
				}
				return resource{n.ID, n.Extra}, nil
			},
			list: func() ([]resource, error) {
				ns, err := e.p.ListNetworks(e.ctx(), nil)
				out := make([]resource, len(ns))
				for i, n := range ns {
					out[i] = resource{n.ID, n.Extra}
				}
				return out, err
			},
			rename: func(id, name string) (resource, error) {
				n, err := e.p.UpdateNetwork(e.ctx(), id, &ml2.NetworkRequest{Name: ptr(name)})
				if err != nil {
					return resource{}, err
				}
				return resource{n.ID, n.Extra}, nil
			},
			remove: func(id string) error { return e.p.DeleteNetwork(e.ctx(), id) },
			probe: func(ctx context.Context, tx core.ExtensionTx, create bool, id, name string) error {
				if create {
					n := &core.Network{Standard: core.Standard{ID: "drivertest-probe-net", Name: name, ProjectID: "default"},
						AdminStateUp: true, Status: core.StatusActive}
					return e.raw.ProcessCreateNetwork(ctx, tx, nil, n)
				}
				n, err := tx.GetNetwork(ctx, id)
				if err != nil {
					return err
				}
				n.Name = name
				return e.raw.ProcessUpdateNetwork(ctx, tx, nil, n)
			},
		}
	case ResourceSubnets:
		return extOps{
			suffix: "Subnet",
			parents: func(t *testing.T) func(string, map[string]any) (resource, error) {
				netID = network(t)
				return func(name string, req map[string]any) (resource, error) {
					s, err := e.p.CreateSubnet(e.ctx(), &ml2.SubnetRequest{NetworkID: netID, Name: ptr(name), IPVersion: 4,
						CIDR: netip.MustParsePrefix(subnetCIDR), Extensions: req})
					if err != nil {
						return resource{}, err
					}
					return resource{s.ID, s.Extra}, nil
				}
			},
			get: func(id string) (resource, error) {
				s, err := e.p.GetSubnet(e.ctx(), id)
				if err != nil {
					return resource{}, err
				}
				return resource{s.ID, s.Extra}, nil
			},
			list: func() ([]resource, error) {
				ss, err := e.p.ListSubnets(e.ctx(), nil)
				out := make([]resource, len(ss))
				for i, s := range ss {
					out[i] = resource{s.ID, s.Extra}
				}
				return out, err
			},
			rename: func(id, name string) (resource, error) {
				s, err := e.p.UpdateSubnet(e.ctx(), id, &ml2.SubnetRequest{Name: ptr(name)})
				if err != nil {
					return resource{}, err
				}
				return resource{s.ID, s.Extra}, nil
			},
			remove: func(id string) error { return e.p.DeleteSubnet(e.ctx(), id) },
			probe: func(ctx context.Context, tx core.ExtensionTx, create bool, id, name string) error {
				if create {
					s := &core.Subnet{Standard: core.Standard{ID: "drivertest-probe-subnet", Name: name, ProjectID: "default"},
						NetworkID: netID, IPVersion: 4, CIDR: netip.MustParsePrefix(subnetCIDR)}
					return e.raw.ProcessCreateSubnet(ctx, tx, nil, s)
				}
				s, err := tx.GetSubnet(ctx, id)
				if err != nil {
					return err
				}
				s.Name = name
				return e.raw.ProcessUpdateSubnet(ctx, tx, nil, s)
			},
		}
	}
	return extOps{
		suffix: "Port",
		parents: func(t *testing.T) func(string, map[string]any) (resource, error) {
			netID = network(t)
			s, err := e.p.CreateSubnet(e.ctx(), &ml2.SubnetRequest{NetworkID: netID, Name: ptr(subnetName), IPVersion: 4,
				CIDR: netip.MustParsePrefix(subnetCIDR)})
			require.NoError(t, err, "create a subnet%s", e.rec.failures())
			subnetID = s.ID
			return func(name string, req map[string]any) (resource, error) {
				p, err := e.p.CreatePort(e.ctx(), &ml2.PortRequest{NetworkID: netID, Name: ptr(name), Extensions: req})
				if err != nil {
					return resource{}, err
				}
				return resource{p.ID, p.Extra}, nil
			}
		},
		get: func(id string) (resource, error) {
			p, err := e.p.GetPort(e.ctx(), id)
			if err != nil {
				return resource{}, err
			}
			return resource{p.ID, p.Extra}, nil
		},
		list: func() ([]resource, error) {
			ps, err := e.p.ListPorts(e.ctx(), nil)
			out := make([]resource, len(ps))
			for i, p := range ps {
				out[i] = resource{p.ID, p.Extra}
			}
			return out, err
		},
		rename: func(id, name string) (resource, error) {
			p, err := e.p.UpdatePort(e.ctx(), id, &ml2.PortRequest{Name: ptr(name)})
			if err != nil {
				return resource{}, err
			}
			return resource{p.ID, p.Extra}, nil
		},
		remove: func(id string) error { return e.p.DeletePort(e.ctx(), id) },
		probe: func(ctx context.Context, tx core.ExtensionTx, create bool, id, name string) error {
			if create {
				p := &core.Port{Standard: core.Standard{ID: "drivertest-probe-port", Name: name, ProjectID: "default"},
					NetworkID: netID, AdminStateUp: true, Status: core.StatusDown, MACAddress: "fa:16:3e:00:00:01",
					FixedIPs: []core.FixedIP{{SubnetID: subnetID, IPAddress: netip.MustParseAddr("10.0.0.250")}},
					Binding:  core.PortBinding{VNICType: core.VNICNormal, VIFType: core.VIFTypeUnbound, VIFDetails: map[string]any{}}}
				return e.raw.ProcessCreatePort(ctx, tx, nil, p)
			}
			p, err := tx.GetPort(ctx, id)
			if err != nil {
				return err
			}
			p.Name = name
			return e.raw.ProcessUpdatePort(ctx, tx, nil, p)
		},
	}
}

// declared returns the values of the attributes the driver declares for
// kind in extra, failing the test for a missing one.
func (e *extEnv) declared(t *testing.T, kind, when string, extra map[string]any) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, a := range e.attrs[kind] {
		v, ok := extra[a]
		if !ok {
			t.Errorf("attribute %s, which the driver declares for %s, is missing %s (Extra: %v)", a, kind, when, extra)
			continue
		}
		out[a] = v
	}
	return out
}

func (k *extKit) lifecycle(t *testing.T, kind string) {
	e := k.newEnv(t)
	ops := e.ops(kind)
	create := ops.parents(t)
	want := k.cfg.requests[kind]
	hooks := func(t *testing.T, m int, methods ...string) {
		t.Helper()
		for _, method := range methods {
			calls := e.rec.since(m, method)
			if len(calls) == 0 {
				t.Errorf("%s was not called", method)
			}
			for _, c := range calls {
				if c.err != nil {
					t.Errorf("%s returned: %v", method, c.err)
				}
			}
		}
	}

	m := e.rec.mark()
	r, err := create(netName+"-"+kind, want.req)
	require.NoError(t, err, "create a resource of %s with request attributes %v%s", kind, want.req, e.rec.failures())
	hooks(t, m, "ProcessCreate"+ops.suffix, "Extend"+ops.suffix)
	for a, v := range want.want {
		assert.Equal(t, v, r.extra[a], "attribute %s of the created resource", a)
	}
	created := e.declared(t, kind, "from the create's response", r.extra)

	m = e.rec.mark()
	got, err := ops.get(r.id)
	require.NoError(t, err, "read the resource%s", e.rec.failures())
	hooks(t, m, "Extend"+ops.suffix)
	assert.Equal(t, created, e.declared(t, kind, "on a read", got.extra), "a read shows the values of the create's response")
	for a, v := range want.want {
		assert.Equal(t, v, got.extra[a], "attribute %s on a read", a)
	}

	all, err := ops.list()
	require.NoError(t, err, "list the resources%s", e.rec.failures())
	i := slices.IndexFunc(all, func(x resource) bool { return x.id == r.id })
	require.GreaterOrEqual(t, i, 0, "the resource is listed")
	assert.Equal(t, created, e.declared(t, kind, "in a listing", all[i].extra), "a listing shows the values of the create's response")

	m = e.rec.mark()
	u, err := ops.rename(r.id, renamed)
	require.NoError(t, err, "rename the resource%s", e.rec.failures())
	hooks(t, m, "ProcessUpdate"+ops.suffix)
	assert.Equal(t, created, e.declared(t, kind, "after an update", u.extra),
		"an update that does not mention the attributes keeps their values")
	require.NoError(t, ops.remove(r.id), "delete the resource%s", e.rec.failures())
}

func (k *extKit) processErrors(t *testing.T) {
	e := k.newEnv(t)
	kinds := extResources
	if e.attrs != nil {
		kinds = slices.DeleteFunc(slices.Clone(extResources), func(r string) bool { return len(e.attrs[r]) == 0 })
	}
	for _, kind := range kinds {
		for _, phase := range []string{"Create", "Update"} {
			name := strings.ToLower(phase) + "_" + strings.TrimSuffix(kind, "s")
			t.Run(name, func(t *testing.T) { e.failProcess(t, kind, phase) })
		}
	}
}

// failProcess makes the Process<phase> hook of kind fail and checks that
// the operation fails with its error and rolls back.
func (e *extEnv) failProcess(t *testing.T, kind, phase string) {
	ops := e.ops(kind)
	method := "Process" + phase + ops.suffix
	create := ops.parents(t)
	inj, injecting := e.raw.(FailureInjector)
	target := "drivertest-target"
	if !injecting {
		target = failName(phase)
	}
	var existing string
	op := func(name string) error {
		_, err := create(name, nil)
		return err
	}
	if phase == "Update" {
		r, err := create(netName+"-"+kind, nil)
		require.NoError(t, err, "create the resource to update%s", e.rec.failures())
		existing = r.id
		op = func(name string) error {
			_, err := ops.rename(existing, name)
			return err
		}
	}

	var want error
	disarm := func() {}
	if injecting {
		want = core.InvalidInput("drivertest injected a failure of %s", method)
		inj.FailOn(method, want)
		disarm = func() { inj.FailOn(method, nil) }
		t.Cleanup(disarm)
	} else {
		err := e.p.Store().View(e.ctx(), func(tx core.Tx) error {
			return protect(method, func() error { return ops.probe(e.ctx(), tx, phase == "Create", existing, target) })
		})
		if err == nil {
			t.Fatalf("%s did not fail for a resource named %q: the kit cannot test error propagation. Honour the "+
				"failure convention when %s=1 (see the package documentation), or implement drivertest.FailureInjector",
				method, target, EnvConformance)
		}
		if core.TypeOf(err) == "" {
			t.Fatalf("%s failed with an untyped error for a resource named %q: return a typed core error "+
				"(core.InvalidInput, ...): %v", method, target, err)
		}
		want = err
	}

	before := e.extSnapshot(t)
	m := e.rec.mark()
	err := op(target)
	disarm()
	require.Error(t, err, "the operation succeeded although %s failed", method)
	if !slices.ContainsFunc(e.rec.since(m, method), func(c call) bool { return c.err != nil }) {
		t.Fatalf("the operation failed, but not because %s did: %v", method, err)
	}
	assert.Equal(t, core.TypeOf(want), core.TypeOf(err), "the API error has the driver's Neutron type; error: %v", err)
	assert.Equal(t, core.KindOf(want), core.KindOf(err), "the API error has the driver's kind (HTTP status); error: %v", err)
	assert.Contains(t, err.Error(), want.Error(), "the API error carries the driver's message")
	assert.Equal(t, before, e.extSnapshot(t), "the store is unchanged after %s failed", method)
	require.NoError(t, op(renamed), "after refusing the operation, the driver accepts it for a resource not named for failure%s",
		e.rec.failures())
}

// extSnapshot is the store's resources, read without the driver's
// Extend hooks.
func (e *extEnv) extSnapshot(t *testing.T) snapshot {
	t.Helper()
	var s snapshot
	ctx := context.Background()
	require.NoError(t, e.p.Store().View(ctx, func(tx core.Tx) error {
		var err error
		if s.Networks, err = tx.ListNetworks(ctx, &core.ListOptions{}); err != nil {
			return err
		}
		if s.Subnets, err = tx.ListSubnets(ctx, &core.ListOptions{}); err != nil {
			return err
		}
		if s.Ports, err = tx.ListPorts(ctx, &core.ListOptions{}); err != nil {
			return err
		}
		s.Segments, err = tx.ListSegments(ctx, &core.ListOptions{})
		return err
	}))
	return s
}

// extRecorder is the extension driver as the orchestrator sees it: it
// forwards every call, records it, and turns a panic of an in-process
// driver into an error naming the hook.
type extRecorder struct {
	d core.ExtensionDriver

	mu    sync.Mutex
	calls []call
}

var (
	_ core.ExtensionDriver     = (*extRecorder)(nil)
	_ core.ExtensionAttributer = (*extRecorder)(nil)
)

func (r *extRecorder) do(method string, f func() error) error {
	err := protect(method, f)
	r.mu.Lock()
	r.calls = append(r.calls, call{method: method, err: err})
	r.mu.Unlock()
	return err
}

func (r *extRecorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// since returns the calls of method after mark m.
func (r *extRecorder) since(m int, method string) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls[m:] {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

func (r *extRecorder) callsTo(method string) []call { return r.since(0, method) }

// failures describes the failed hook calls, for messages.
func (r *extRecorder) failures() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := ""
	for _, c := range r.calls {
		if c.err != nil {
			s += fmt.Sprintf("\n\t%s returned: %v", c.method, c.err)
		}
	}
	if s != "" {
		s = "\ndriver hooks that failed:" + s
	}
	return s
}

func (r *extRecorder) Initialize(ctx context.Context) error {
	return r.do("Initialize", func() error { return r.d.Initialize(ctx) })
}

func (r *extRecorder) ExtensionAliases() []string { return r.d.ExtensionAliases() }

func (r *extRecorder) ExtensionAttributes() map[string][]string {
	if a, ok := r.d.(core.ExtensionAttributer); ok {
		return a.ExtensionAttributes()
	}
	return nil
}

func (r *extRecorder) ProcessCreateNetwork(ctx context.Context, tx core.ExtensionTx, req map[string]any, n *core.Network) error {
	return r.do("ProcessCreateNetwork", func() error { return r.d.ProcessCreateNetwork(ctx, tx, req, n) })
}

func (r *extRecorder) ProcessUpdateNetwork(ctx context.Context, tx core.ExtensionTx, req map[string]any, n *core.Network) error {
	return r.do("ProcessUpdateNetwork", func() error { return r.d.ProcessUpdateNetwork(ctx, tx, req, n) })
}

func (r *extRecorder) ExtendNetwork(ctx context.Context, n *core.Network) error {
	return r.do("ExtendNetwork", func() error { return r.d.ExtendNetwork(ctx, n) })
}

func (r *extRecorder) ProcessCreateSubnet(ctx context.Context, tx core.ExtensionTx, req map[string]any, s *core.Subnet) error {
	return r.do("ProcessCreateSubnet", func() error { return r.d.ProcessCreateSubnet(ctx, tx, req, s) })
}

func (r *extRecorder) ProcessUpdateSubnet(ctx context.Context, tx core.ExtensionTx, req map[string]any, s *core.Subnet) error {
	return r.do("ProcessUpdateSubnet", func() error { return r.d.ProcessUpdateSubnet(ctx, tx, req, s) })
}

func (r *extRecorder) ExtendSubnet(ctx context.Context, s *core.Subnet) error {
	return r.do("ExtendSubnet", func() error { return r.d.ExtendSubnet(ctx, s) })
}

func (r *extRecorder) ProcessCreatePort(ctx context.Context, tx core.ExtensionTx, req map[string]any, p *core.Port) error {
	return r.do("ProcessCreatePort", func() error { return r.d.ProcessCreatePort(ctx, tx, req, p) })
}

func (r *extRecorder) ProcessUpdatePort(ctx context.Context, tx core.ExtensionTx, req map[string]any, p *core.Port) error {
	return r.do("ProcessUpdatePort", func() error { return r.d.ProcessUpdatePort(ctx, tx, req, p) })
}

func (r *extRecorder) ExtendPort(ctx context.Context, p *core.Port) error {
	return r.do("ExtendPort", func() error { return r.d.ExtendPort(ctx, p) })
}
