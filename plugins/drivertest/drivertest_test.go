package drivertest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/extensions/portsecurity"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/plugins/drivertest"
	"github.com/ml2go/ml2go/typedrivers/flat"
	"github.com/ml2go/ml2go/typedrivers/geneve"
	"github.com/ml2go/ml2go/typedrivers/gre"
	"github.com/ml2go/ml2go/typedrivers/local"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// The logger driver binds nothing by default: the kit expects every port
// it offers to end binding_failed. Its FailOn makes it a FailureInjector.
func TestLoggerDriver(t *testing.T) {
	drivertest.Run(t, func(*testing.T) core.MechanismDriver { return logger.New(nil) })
}

// With a BindFunc, the logger driver binds normal ports on vlan and vxlan
// segments.
func TestLoggerDriverBinding(t *testing.T) {
	drivertest.Run(t, func(*testing.T) core.MechanismDriver {
		d := logger.New(nil)
		d.BindFunc = func(_ context.Context, pc core.PortContext) error {
			if pc.Current().Binding.VNICType != core.VNICNormal {
				return nil
			}
			for _, s := range pc.SegmentsToBind() {
				if s.NetworkType == core.TypeVLAN || s.NetworkType == core.TypeVXLAN {
					pc.SetBinding(s.ID, core.VIFTypeOther, map[string]any{}, core.StatusActive)
					return nil
				}
			}
			return nil
		}
		return d
	}, drivertest.Binds(core.VNICNormal, core.TypeVLAN), drivertest.Binds(core.VNICNormal, core.TypeVXLAN))
}

// Setup functions run once for each fresh orchestrator: once per
// top-level subtest.
func TestSetupRunsForEachSubtest(t *testing.T) {
	var mu sync.Mutex
	var plugins []*ml2.Plugin
	drivertest.Run(t, func(*testing.T) core.MechanismDriver { return logger.New(nil) },
		drivertest.NetworkTypes(core.TypeVLAN),
		drivertest.Setup(func(t *testing.T, p *ml2.Plugin) {
			mu.Lock()
			defer mu.Unlock()
			require.NotNil(t, p)
			plugins = append(plugins, p)
		}))
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, plugins, 4, "lifecycle/vlan, bind_port, precommit_errors, postcommit_retry")
	assert.NotSame(t, plugins[0], plugins[1])
}

// failingFakeAgent is the fake agent driver with a FailOn, which is how a
// vendor lets the kit test error propagation of an in-process driver that
// has no failure injection of its own.
type failingFakeAgent struct {
	*fakeagent.Driver

	mu       sync.Mutex
	failures map[string]error
}

func (d *failingFakeAgent) FailOn(method string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failures[method] = err
}

func (d *failingFakeAgent) failure(method string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failures[method]
}

func (d *failingFakeAgent) orFail(method string, hook func() error) error {
	if err := d.failure(method); err != nil {
		return err
	}
	return hook()
}

func (d *failingFakeAgent) CreateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return d.orFail("CreateNetworkPrecommit", func() error { return d.Driver.CreateNetworkPrecommit(ctx, nc) })
}

func (d *failingFakeAgent) UpdateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return d.orFail("UpdateNetworkPrecommit", func() error { return d.Driver.UpdateNetworkPrecommit(ctx, nc) })
}

func (d *failingFakeAgent) DeleteNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return d.orFail("DeleteNetworkPrecommit", func() error { return d.Driver.DeleteNetworkPrecommit(ctx, nc) })
}

func (d *failingFakeAgent) CreateSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return d.orFail("CreateSubnetPrecommit", func() error { return d.Driver.CreateSubnetPrecommit(ctx, sc) })
}

func (d *failingFakeAgent) UpdateSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return d.orFail("UpdateSubnetPrecommit", func() error { return d.Driver.UpdateSubnetPrecommit(ctx, sc) })
}

func (d *failingFakeAgent) DeleteSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return d.orFail("DeleteSubnetPrecommit", func() error { return d.Driver.DeleteSubnetPrecommit(ctx, sc) })
}

func (d *failingFakeAgent) CreatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return d.orFail("CreatePortPrecommit", func() error { return d.Driver.CreatePortPrecommit(ctx, pc) })
}

func (d *failingFakeAgent) UpdatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return d.orFail("UpdatePortPrecommit", func() error { return d.Driver.UpdatePortPrecommit(ctx, pc) })
}

func (d *failingFakeAgent) DeletePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return d.orFail("DeletePortPrecommit", func() error { return d.Driver.DeletePortPrecommit(ctx, pc) })
}

// The fake agent driver binds normal ports on every network type its
// agent allows, once the agent has reported on the binding host.
func TestFakeAgentDriver(t *testing.T) {
	agent := fakeagent.NewAgent(drivertest.DefaultHost, map[string]string{drivertest.PhysicalNetwork: "br-eth1"}, core.TypeVXLAN)
	opts := []drivertest.Option{drivertest.Agents(agent)}
	for _, nt := range []string{core.TypeFlat, core.TypeVLAN, core.TypeVXLAN, core.TypeLocal} {
		opts = append(opts, drivertest.Binds(core.VNICNormal, nt))
	}
	drivertest.Run(t, func(*testing.T) core.MechanismDriver {
		return &failingFakeAgent{Driver: fakeagent.New(fakeagent.Config{}), failures: map[string]error{}}
	}, opts...)
}

// The example vendor driver, built and run out of process as the server
// runs it.
func TestVendorExampleBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds examples/vendor-mechdriver")
	}
	bin := drivertest.Build(t, "../../examples/vendor-mechdriver")
	drivertest.Run(t, drivertest.Binary(t, bin, "-hosts", drivertest.DefaultHost),
		drivertest.NetworkTypes(core.TypeVLAN, core.TypeFlat),
		drivertest.Binds(core.VNICDirect, core.TypeVLAN),
		drivertest.Binds(core.VNICDirect, core.TypeFlat))
}

// broken breaks the contract three ways: its CreateNetworkPostcommit is
// not idempotent, its BindPort panics, and it cannot be asked to fail.
type broken struct {
	core.MechanismDriverBase

	mu   sync.Mutex
	seen map[string]bool
}

func (b *broken) CreateNetworkPostcommit(_ context.Context, nc core.NetworkContext) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen[nc.Current().ID] {
		return core.Typed(core.KindConflict, "AcmeConflict", "network %s exists", nc.Current().ID)
	}
	b.seen[nc.Current().ID] = true
	return nil
}

func (b *broken) BindPort(context.Context, core.PortContext) error { panic("broken driver") }

const envBroken = "DRIVERTEST_RUN_BROKEN"

// TestBrokenDriver runs the kit against broken; it only runs inside
// TestKitReportsBrokenDriver, which expects it to fail.
func TestBrokenDriver(t *testing.T) {
	if os.Getenv(envBroken) == "" {
		t.Skip("run by TestKitReportsBrokenDriver")
	}
	drivertest.Run(t, func(*testing.T) core.MechanismDriver { return &broken{seen: map[string]bool{}} },
		drivertest.Binds(core.VNICNormal, core.TypeVLAN))
}

// TestKitReportsBrokenDriver checks that the kit fails a driver that
// breaks the contract, naming what it broke.
func TestKitReportsBrokenDriver(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenDriver$", "-test.v")
	cmd.Env = append(os.Environ(), envBroken+"=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the kit passed a broken driver:\n%s", out)
	s := string(out)
	for _, want := range []string{
		"--- PASS: TestBrokenDriver/lifecycle/vlan",
		"--- FAIL: TestBrokenDriver/bind_port/bound/normal/vlan/on_create",
		"BindPort panicked: broken driver",
		"--- FAIL: TestBrokenDriver/bind_port/no_segments_offered/normal",
		"--- FAIL: TestBrokenDriver/bind_port/unusable_segments/normal/flat",
		"--- FAIL: TestBrokenDriver/precommit_errors/create_network",
		fmt.Sprintf("CreateNetworkPrecommit did not fail for a resource named %q", drivertest.FailCreatePrecommit),
		"--- FAIL: TestBrokenDriver/postcommit_retry/network",
		"CreateNetworkPostcommit succeeded, then failed when called again with the same context",
	} {
		assert.Contains(t, s, want)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// The built-in type drivers, in process. Their pools are small, so that
// the kit exhausts them.
func TestBuiltinTypeDrivers(t *testing.T) {
	const physnet = drivertest.PhysicalNetwork
	vnis := []core.SegmentRange{{Min: 1, Max: 3}}
	vlans, err := vlan.ParseNetworkVLANRanges([]string{physnet + ":100:102"})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		new  func() core.TypeDriver
		opts []drivertest.TypeOption
	}{
		{"vxlan", func() core.TypeDriver { return vxlan.New(vxlan.Config{VNIRanges: vnis}) }, []drivertest.TypeOption{
			drivertest.TenantPool(3),
			drivertest.ValidSegments(core.Segment{}, core.Segment{SegmentationID: 5000}),
			drivertest.InvalidSegments(core.Segment{PhysicalNetwork: physnet}),
		}},
		{"gre", func() core.TypeDriver { return gre.New(gre.Config{TunnelIDRanges: vnis}) }, []drivertest.TypeOption{
			drivertest.TenantPool(3), drivertest.InvalidSegments(core.Segment{PhysicalNetwork: physnet}),
		}},
		{"geneve", func() core.TypeDriver { return geneve.New(geneve.Config{VNIRanges: vnis}) }, []drivertest.TypeOption{
			drivertest.TenantPool(3), drivertest.InvalidSegments(core.Segment{PhysicalNetwork: physnet}),
		}},
		{"vlan", func() core.TypeDriver { return vlan.New(vlan.Config{NetworkVLANRanges: vlans}) }, []drivertest.TypeOption{
			drivertest.TenantPool(3),
			drivertest.ValidSegments(core.Segment{PhysicalNetwork: physnet}, core.Segment{PhysicalNetwork: physnet, SegmentationID: 4000}),
			drivertest.InvalidSegments(core.Segment{PhysicalNetwork: "unknown"},
				core.Segment{PhysicalNetwork: physnet, SegmentationID: 5000}),
		}},
		{"flat", func() core.TypeDriver { return flat.New(flat.Config{FlatNetworks: []string{physnet}}) }, []drivertest.TypeOption{
			drivertest.TenantPool(0),
			drivertest.ValidSegments(core.Segment{PhysicalNetwork: physnet}),
			drivertest.InvalidSegments(core.Segment{}, core.Segment{PhysicalNetwork: physnet, SegmentationID: 5}),
		}},
		{"local", func() core.TypeDriver { return local.New(local.Config{}) }, []drivertest.TypeOption{
			drivertest.InvalidSegments(core.Segment{PhysicalNetwork: physnet}),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			drivertest.RunTypeDriver(t, func(*testing.T) core.TypeDriver { return tc.new() }, tc.opts...)
		})
	}
}

// failingPortSecurity is the port_security extension driver with a
// FailOn, which is how a vendor lets the kit test error propagation of an
// in-process extension driver.
type failingPortSecurity struct {
	*portsecurity.Driver

	mu       sync.Mutex
	failures map[string]error
}

func (d *failingPortSecurity) FailOn(method string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failures[method] = err
}

func (d *failingPortSecurity) failure(method string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failures[method]
}

func (d *failingPortSecurity) ProcessCreateNetwork(ctx context.Context, tx core.ExtensionTx, req map[string]any, n *core.Network) error {
	if err := d.failure("ProcessCreateNetwork"); err != nil {
		return err
	}
	return d.Driver.ProcessCreateNetwork(ctx, tx, req, n)
}

func (d *failingPortSecurity) ProcessUpdateNetwork(ctx context.Context, tx core.ExtensionTx, req map[string]any, n *core.Network) error {
	if err := d.failure("ProcessUpdateNetwork"); err != nil {
		return err
	}
	return d.Driver.ProcessUpdateNetwork(ctx, tx, req, n)
}

func (d *failingPortSecurity) ProcessCreatePort(ctx context.Context, tx core.ExtensionTx, req map[string]any, p *core.Port) error {
	if err := d.failure("ProcessCreatePort"); err != nil {
		return err
	}
	return d.Driver.ProcessCreatePort(ctx, tx, req, p)
}

func (d *failingPortSecurity) ProcessUpdatePort(ctx context.Context, tx core.ExtensionTx, req map[string]any, p *core.Port) error {
	if err := d.failure("ProcessUpdatePort"); err != nil {
		return err
	}
	return d.Driver.ProcessUpdatePort(ctx, tx, req, p)
}

// The built-in port_security extension driver, in process.
func TestPortSecurityExtensionDriver(t *testing.T) {
	off := map[string]any{portsecurity.Attribute: false}
	drivertest.RunExtensionDriver(t, func(*testing.T) core.ExtensionDriver {
		return &failingPortSecurity{Driver: portsecurity.New(nil), failures: map[string]error{}}
	}, drivertest.Request(drivertest.ResourceNetworks, off, off), drivertest.Request(drivertest.ResourcePorts, off, off))
}

// testPlugin builds plugins/host's test plugin, which serves a type driver
// (vxlan, VNIs 100-102) and an extension driver (a color on networks and
// ports) besides its mechanism driver.
func testPlugin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds plugins/host/internal/testplugin")
	}
	return drivertest.Build(t, "github.com/ml2go/ml2go/plugins/host/internal/testplugin")
}

// An out-of-process type driver, run by the kit as the server runs it.
func TestTypeDriverBinary(t *testing.T) {
	drivertest.RunTypeDriver(t, drivertest.TypeDriverBinary(t, testPlugin(t)),
		drivertest.TenantPool(3),
		drivertest.ValidSegments(core.Segment{}, core.Segment{SegmentationID: 5000}),
		drivertest.InvalidSegments(core.Segment{PhysicalNetwork: drivertest.PhysicalNetwork}))
}

// An out-of-process extension driver, which honours the failure
// convention, run by the kit as the server runs it.
func TestExtensionDriverBinary(t *testing.T) {
	const color, shade = "ml2go_test_color", "ml2go_test_shade"
	drivertest.RunExtensionDriver(t, drivertest.ExtensionDriverBinary(t, testPlugin(t)),
		drivertest.Request(drivertest.ResourceNetworks, map[string]any{color: "red"}, map[string]any{color: "red", shade: "dark red"}),
		drivertest.Request(drivertest.ResourcePorts, map[string]any{color: "green"}, map[string]any{color: "green", shade: "dark green"}))
}

// brokenType breaks the type-driver contract two ways: it reserves a
// complete segment without the allocator (so twice), and it drops the
// allocator's error from AllocateTenantSegment's chain.
type brokenType struct{ *vxlan.Driver }

func (b brokenType) ReserveProviderSegment(ctx context.Context, a core.SegmentAllocator, seg core.Segment) (core.Segment, error) {
	if seg.SegmentationID != 0 {
		seg.MTU = b.MTU("")
		return seg, nil
	}
	return b.Driver.ReserveProviderSegment(ctx, a, seg)
}

func (b brokenType) AllocateTenantSegment(ctx context.Context, a core.SegmentAllocator) (*core.Segment, error) {
	s, err := b.Driver.AllocateTenantSegment(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("allocation failed: %v", err)
	}
	return s, nil
}

const envBrokenType = "DRIVERTEST_RUN_BROKEN_TYPE"

// TestBrokenTypeDriver runs the type kit against brokenType; it only runs
// inside TestKitReportsBrokenTypeDriver, which expects it to fail.
func TestBrokenTypeDriver(t *testing.T) {
	if os.Getenv(envBrokenType) == "" {
		t.Skip("run by TestKitReportsBrokenTypeDriver")
	}
	drivertest.RunTypeDriver(t, func(*testing.T) core.TypeDriver {
		return brokenType{vxlan.New(vxlan.Config{VNIRanges: []core.SegmentRange{{Min: 1, Max: 3}}})}
	}, drivertest.ValidSegments(core.Segment{SegmentationID: 500}))
}

// TestKitReportsBrokenTypeDriver checks that the type kit fails a driver
// that breaks the contract, naming what it broke.
func TestKitReportsBrokenTypeDriver(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenTypeDriver$", "-test.v")
	cmd.Env = append(os.Environ(), envBrokenType+"=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the kit passed a broken type driver:\n%s", out)
	s := string(out)
	for _, want := range []string{
		"--- FAIL: TestBrokenTypeDriver/provider/0",
		"could be reserved a second time",
		"--- PASS: TestBrokenTypeDriver/tenant_pool",
		"--- FAIL: TestBrokenTypeDriver/allocator_errors/AllocateTenantSegment",
		"AllocateTenantSegment must return the allocator's error wrapped (%w)",
		"--- SKIP: TestBrokenTypeDriver/allocator_errors/ReserveProviderSegment",
	} {
		assert.Contains(t, s, want)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}
