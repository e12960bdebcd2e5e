package drivertest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/typedrivers/flat"
	"github.com/ml2go/ml2go/typedrivers/local"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// Names and values the kit uses, for drivers that need to know them.
const (
	// DriverName is the name the driver under test is registered and
	// listed under in mechanism_drivers; binding levels carry it.
	DriverName = "drivertest"
	// DefaultHost is the binding host of the ports the kit binds.
	DefaultHost = "drivertest-host"
	// PhysicalNetwork is the physical network of flat and vlan networks.
	PhysicalNetwork = "physnet1"
)

// The resource names of the failure convention (see the package
// documentation).
const (
	FailCreatePrecommit = "drivertest-fail-create-precommit"
	FailUpdatePrecommit = "drivertest-fail-update-precommit"
	FailDeletePrecommit = "drivertest-fail-delete-precommit"
)

// opTimeout bounds each API-level operation, so that a hung driver fails
// the test instead of hanging it.
const opTimeout = 30 * time.Second

// FailureInjector is implemented by in-process drivers, or test wrappers
// around them, that can be told to fail: FailOn makes the named method
// (a core.MechanismDriver method name, such as "UpdatePortPrecommit")
// return err from now on, and FailOn(method, nil) stops it.
// mechdrivers/logger's Driver implements it.
type FailureInjector interface {
	FailOn(method string, err error)
}

// Option configures Run.
type Option func(*config)

type binding struct{ vnicType, networkType string }

type config struct {
	networkTypes []string
	binds        []binding
	host         string
	agents       []*core.Agent
	setup        []func(*testing.T, *ml2.Plugin)
}

// NetworkTypes lists the network types the driver accepts, in the order
// the kit uses them; networks of other types are never offered to it. The
// default is flat, vlan, vxlan and local. Only these four are known.
func NetworkTypes(types ...string) Option {
	return func(c *config) { c.networkTypes = slices.Clone(types) }
}

// Binds declares that the driver binds ports of vnicType (core.VNICNormal,
// core.VNICDirect, ...) on segments of networkType, on the binding host.
// The kit checks that such ports end bound, and that ports of any other
// declared-or-not combination end binding_failed. Give it once per
// combination; without it, the kit expects the driver to bind nothing.
func Binds(vnicType, networkType string) Option {
	return func(c *config) { c.binds = append(c.binds, binding{vnicType, networkType}) }
}

// Host sets the binding host of the ports the kit binds (default
// DefaultHost).
func Host(name string) Option { return func(c *config) { c.host = name } }

// Agents are reported to the orchestrator, as ml2go-agent would, before
// each subtest: agent-based drivers bind only on hosts with a live agent.
// Their Host should be the binding host.
func Agents(agents ...*core.Agent) Option {
	return func(c *config) { c.agents = append(c.agents, agents...) }
}

// Setup adds a function called with each fresh orchestrator, before the
// subtest runs, for whatever else the driver needs in the store.
func Setup(f func(t *testing.T, p *ml2.Plugin)) Option {
	return func(c *config) { c.setup = append(c.setup, f) }
}

// knownTypes are the network types the kit's orchestrator can create.
var knownTypes = []string{core.TypeFlat, core.TypeVLAN, core.TypeVXLAN, core.TypeLocal}

// vnicTypes are the VNIC types the kit knows, in the order it picks an
// unclaimed one.
var vnicTypes = []string{
	core.VNICNormal, core.VNICDirect, core.VNICMacvtap, core.VNICBaremetal, core.VNICDirectPhysical,
	core.VNICVirtioForward, core.VNICSmartNIC, core.VNICVDPA,
}

func (c *config) bindsOn(vnic, netType string) bool {
	return slices.Contains(c.binds, binding{vnic, netType})
}

// claimedVNICs are the VNIC types of the Binds declarations, in order.
func (c *config) claimedVNICs() []string {
	var out []string
	for _, b := range c.binds {
		if !slices.Contains(out, b.vnicType) {
			out = append(out, b.vnicType)
		}
	}
	return out
}

// baseType is the network type of the scenarios that need just one: the
// first one the driver binds, or else the first one it accepts.
func (c *config) baseType() string {
	for _, b := range c.binds {
		if slices.Contains(c.networkTypes, b.networkType) {
			return b.networkType
		}
	}
	return c.networkTypes[0]
}

// bindVNIC returns a VNIC type the driver binds on netType, or "".
func (c *config) bindVNIC(netType string) string {
	for _, b := range c.binds {
		if b.networkType == netType {
			return b.vnicType
		}
	}
	return ""
}

// Run runs the conformance checks against the drivers factory returns:
// factory is called once per top-level subtest, with that subtest's t
// (register cleanups on it). The driver is registered as DriverName and is
// the only mechanism driver; the orchestrator calls its Initialize.
func Run(t *testing.T, factory func(t *testing.T) core.MechanismDriver, opts ...Option) {
	t.Helper()
	cfg := &config{networkTypes: slices.Clone(knownTypes), host: DefaultHost}
	for _, o := range opts {
		o(cfg)
	}
	if len(cfg.networkTypes) == 0 {
		t.Fatal("drivertest: NetworkTypes needs at least one network type")
	}
	for _, nt := range cfg.networkTypes {
		if !slices.Contains(knownTypes, nt) {
			t.Fatalf("drivertest: unknown network type %q: the kit knows %v", nt, knownTypes)
		}
	}
	for _, b := range cfg.binds {
		if !slices.Contains(cfg.networkTypes, b.networkType) {
			t.Fatalf("drivertest: Binds(%q, %q): network type %q is not among NetworkTypes %v",
				b.vnicType, b.networkType, b.networkType, cfg.networkTypes)
		}
		if !slices.Contains(vnicTypes, b.vnicType) {
			t.Fatalf("drivertest: Binds(%q, %q): unknown VNIC type %q", b.vnicType, b.networkType, b.vnicType)
		}
	}
	k := &kit{cfg: cfg, factory: factory}
	for _, nt := range cfg.networkTypes {
		t.Run("lifecycle/"+nt, func(t *testing.T) { k.lifecycle(t, nt) })
	}
	t.Run("bind_port", k.bindPort)
	t.Run("precommit_errors", k.precommitErrors)
	t.Run("postcommit_retry", k.postcommitRetry)
}

// kit holds what the scenarios share.
type kit struct {
	cfg     *config
	factory func(t *testing.T) core.MechanismDriver
}

// env is one orchestrator on a fresh store, with a fresh driver behind a
// recorder.
type env struct {
	t   *testing.T
	k   *kit
	p   *ml2.Plugin
	raw core.MechanismDriver
	rec *recorder
}

// newEnv builds an env; with retry, every successful postcommit is called
// a second time.
func (k *kit) newEnv(t *testing.T, retry bool) *env {
	t.Helper()
	ctx := context.Background()
	raw := k.factory(t)
	if raw == nil {
		t.Fatal("drivertest: the factory returned a nil driver")
	}
	log := testLogger(t, "drivertest", hclog.Warn)
	reg := core.NewRegistry()
	ranges, err := vlan.ParseNetworkVLANRanges([]string{PhysicalNetwork + ":100:199"})
	if err != nil {
		t.Fatal(err)
	}
	vnis, err := vxlan.ParseVNIRanges([]string{"1:1000"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []core.TypeDriver{
		flat.New(flat.Config{FlatNetworks: []string{PhysicalNetwork}, Logger: log}),
		vlan.New(vlan.Config{NetworkVLANRanges: ranges, Logger: log}),
		vxlan.New(vxlan.Config{VNIRanges: vnis, Logger: log}),
		local.New(local.Config{Logger: log}),
	} {
		if err := reg.RegisterTypeDriver(d); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{d: raw, retry: retry}
	if err := reg.RegisterMechanismDriver(DriverName, rec); err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, "sqlite://:memory:", sqlstore.WithLogger(log))
	if err != nil {
		t.Fatalf("drivertest: open the store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	p, err := ml2.New(ctx, ml2.Config{MechanismDrivers: []string{DriverName}, Logger: log}, reg, store)
	if err != nil {
		t.Fatalf("drivertest: the orchestrator could not start with the driver (Initialize failed?): %v", err)
	}
	if n := len(rec.callsTo("Initialize")); n != 1 {
		t.Fatalf("drivertest: Initialize was called %d times, want 1", n)
	}
	for _, a := range k.cfg.agents {
		a := *a
		a.Configurations = core.CloneMap(a.Configurations)
		if _, err := p.ReportAgentState(ctx, &a); err != nil {
			t.Fatalf("drivertest: report agent %s on %s: %v", a.AgentType, a.Host, err)
		}
	}
	for _, f := range k.cfg.setup {
		f(t, p)
	}
	return &env{t: t, k: k, p: p, raw: raw, rec: rec}
}

// ctx returns a context bounded by opTimeout.
func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	e.t.Cleanup(cancel)
	return ctx
}

// testLogger returns an hclog logger that writes through t.Log (shown for
// failed tests, and with go test -v) until t ends, then discards.
func testLogger(t testing.TB, name string, level hclog.Level) hclog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: level, Output: w})
}

// testWriter forwards to t.Log until stopped: drivers may log from other
// goroutines after the test ends, when t.Log would panic.
type testWriter struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
}
