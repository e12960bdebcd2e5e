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
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/plugins/drivertest"
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
