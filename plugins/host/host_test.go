package host_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/host"
	"github.com/ml2go/ml2go/plugins/internal/channel"
	"github.com/ml2go/ml2go/typedrivers/local"
	"github.com/ml2go/ml2go/typedrivers/vlan"
)

// testPlugin is the path of the test plugin binary built by TestMain.
var testPlugin string

func TestMain(m *testing.M) {
	if os.Getenv(envEcho) != "" {
		echo()
		return
	}
	dir, err := os.MkdirTemp("", "ml2go-testplugin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testPlugin = filepath.Join(dir, "testplugin")
	out, err := exec.Command("go", "build", "-o", testPlugin, "./internal/testplugin").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build test plugin: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// load starts the test plugin with short timeouts and backoff.
func load(t testing.TB, mod ...func(*host.Config)) *host.Driver {
	t.Helper()
	cfg := host.Config{
		Name:           "testplugin",
		Command:        testPlugin,
		CallTimeout:    5 * time.Second,
		RestartBackoff: 50 * time.Millisecond,
		Logger:         hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: os.Stderr}),
	}
	for _, m := range mod {
		m(&cfg)
	}
	d, err := host.Load(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// env is an ML2 plugin on an in-memory SQLite store with the out-of-process
// driver as its only mechanism driver.
type env struct {
	t      testing.TB
	ctx    context.Context
	plugin *ml2.Plugin
	driver *host.Driver
}

func newEnv(t testing.TB, d *host.Driver) *env {
	t.Helper()
	return newEnvWith(t, "remote", d)
}

func newEnvWith(t testing.TB, name string, d core.MechanismDriver) *env {
	t.Helper()
	ctx := context.Background()
	reg := core.NewRegistry()
	ranges, err := vlan.ParseNetworkVLANRanges([]string{"physnet1:100:200"})
	require.NoError(t, err)
	require.NoError(t, reg.RegisterTypeDriver(local.New(local.Config{})))
	require.NoError(t, reg.RegisterTypeDriver(vlan.New(vlan.Config{NetworkVLANRanges: ranges})))
	require.NoError(t, reg.RegisterMechanismDriver(name, d))
	p, err := ml2.New(ctx, ml2.Config{MechanismDrivers: []string{name}}, reg, sqlstoretest.Open(t, sqlstoretest.SQLite))
	require.NoError(t, err)
	hd, _ := d.(*host.Driver)
	return &env{t: t, ctx: ctx, plugin: p, driver: hd}
}

func ptr[T any](v T) *T { return &v }

// waitRunning waits until the driver is running after at least restarts
// restarts.
func waitRunning(t testing.TB, d *host.Driver, restarts int) host.Health {
	t.Helper()
	var h host.Health
	require.Eventually(t, func() bool {
		h = d.Health()
		return h.State == host.StateRunning && h.Restarts >= restarts
	}, 10*time.Second, 20*time.Millisecond, "health: %+v", h)
	return h
}

func TestLoadAndHealth(t *testing.T) {
	d := load(t)
	h := d.Health()
	assert.Equal(t, host.StateRunning, h.State)
	assert.Equal(t, base.MechanismDriverAPIVersion, h.APIVersion)
	assert.NotZero(t, h.PID)
	assert.Zero(t, h.Restarts)
	assert.Equal(t, core.ConnectivityL2, d.Connectivity())
	assert.Equal(t, "testplugin", d.Name())
}

func TestLoadRefusesUnsupportedAPIVersion(t *testing.T) {
	_, err := host.Load(context.Background(), host.Config{
		Name: "future", Command: testPlugin, Env: []string{"ML2GO_TESTPLUGIN_API_VERSIONS=7,8"},
	})
	var ve *base.APIVersionError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []uint32{7, 8}, ve.Plugin)
	assert.Contains(t, err.Error(), "this host supports [1]")
}

func TestLoadFailsForMissingBinary(t *testing.T) {
	_, err := host.Load(context.Background(), host.Config{Name: "gone", Command: filepath.Join(t.TempDir(), "nope")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gone")
}

// transport is a way the host and a driver talk.
type transport struct {
	name string
	// channel: the host's calls go on the call channel; callbacks: the
	// driver's callbacks into the host do.
	channel, callbacks bool
	mod                func(*host.Config)
}

// transports are the two ways the host and a driver talk: the call
// channel both ways, which drivers built with plugins/sdk use, and plain
// gRPC (go-plugin's connection, and its broker for the callbacks), which
// every driver speaks.
var transports = []transport{
	{"channel", true, true, func(*host.Config) {}},
	{"grpc", false, false, func(c *host.Config) { c.PlainGRPC = true }},
}

// callbackTransports are the transports, and for the tests of the
// driver's callbacks a driver that takes the host's calls on the channel
// but calls back over the broker, as one does that does not know the
// host's end of the channel (it is hidden from its environment here).
var callbackTransports = append(slices.Clip(transports), transport{
	"channel_broker_callbacks", true, false,
	func(c *host.Config) { c.Env = append(c.Env, channel.EnvHostSocket+"=") },
})

func TestRoundTripThroughML2(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) { testRoundTripThroughML2(t, tr.mod, tr.channel) })
	}
}

func testRoundTripThroughML2(t *testing.T, mod func(*host.Config), channel bool) {
	e := newEnv(t, load(t, mod))
	assert.Equal(t, channel, e.driver.Health().CallChannel)
	n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr("net")})
	require.NoError(t, err)
	n, err = e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Name: ptr("net2")})
	require.NoError(t, err)
	assert.Equal(t, "net2", n.Name)
	s, err := e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: mustPrefix("10.0.0.0/24")})
	require.NoError(t, err)
	s, err = e.plugin.UpdateSubnet(e.ctx, s.ID, &ml2.SubnetRequest{Name: ptr("sub")})
	require.NoError(t, err)
	assert.Equal(t, "sub", s.Name)
	p, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID, Name: ptr("p")})
	require.NoError(t, err)
	require.Len(t, p.FixedIPs, 1)
	p, err = e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{Name: ptr("p2")})
	require.NoError(t, err)
	assert.Equal(t, "p2", p.Name)
	require.NoError(t, e.plugin.DeletePort(e.ctx, p.ID))
	require.NoError(t, e.plugin.DeleteSubnet(e.ctx, s.ID))
	require.NoError(t, e.plugin.DeleteNetwork(e.ctx, n.ID))
	assert.Equal(t, 0, e.driver.Health().Restarts)
}

func TestPrecommitErrorIsTypedAndRollsBack(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) { testPrecommitErrorIsTypedAndRollsBack(t, tr.mod) })
	}
}

func testPrecommitErrorIsTypedAndRollsBack(t *testing.T, mod func(*host.Config)) {
	e := newEnv(t, load(t, mod))
	n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr("good")})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		op   func() error
	}{
		{"create_network", func() error {
			_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr("invalid")})
			return err
		}},
		{"update_network", func() error {
			_, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Name: ptr("invalid")})
			return err
		}},
		{"create_subnet", func() error {
			_, err := e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4,
				CIDR: mustPrefix("10.1.0.0/24"), Name: ptr("invalid")})
			return err
		}},
		{"create_port", func() error {
			_, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID, Name: ptr("invalid")})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			err := tc.op()
			require.Error(t, err)
			assert.Equal(t, "InvalidInput", core.TypeOf(err), "error: %v", err)
			assert.Equal(t, core.KindBadRequest, core.KindOf(err))
			assert.ErrorIs(t, err, core.ErrBadRequest)
			assert.Contains(t, err.Error(), `the test plugin refuses "invalid"`)
			assert.Equal(t, before, e.snapshot(), "rolled back")
		})
	}
}

func TestTimeout(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) { testTimeout(t, tr.mod) })
	}
}

func testTimeout(t *testing.T, mod func(*host.Config)) {
	for _, tc := range []struct {
		name     string
		timeout  time.Duration // the driver's default
		deadline time.Duration // the caller's, 0 for none
	}{
		{"default_timeout", 300 * time.Millisecond, 0},
		{"caller_deadline", 10 * time.Second, 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, load(t, mod, func(c *host.Config) { c.CallTimeout = tc.timeout }))
			ctx := e.ctx
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			before := e.snapshot()
			start := time.Now()
			_, err := e.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{Name: ptr("sleep")})
			assert.Less(t, time.Since(start), 2*time.Second)
			require.Error(t, err)
			assert.Equal(t, host.TypeTimeout, core.TypeOf(err), "error: %v", err)
			assert.Equal(t, core.KindUnavailable, core.KindOf(err))
			assert.Equal(t, before, e.snapshot())
			_, err = e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr("after")})
			require.NoError(t, err, "a timeout does not break the driver")
			assert.Equal(t, host.StateRunning, e.driver.Health().State)
		})
	}
}

func TestPanicRestartsDriver(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) { testPanicRestartsDriver(t, tr.mod, tr.channel) })
	}
}

func testPanicRestartsDriver(t *testing.T, mod func(*host.Config), channel bool) {
	e := newEnv(t, load(t, mod))
	pid := e.driver.Health().PID
	before := e.snapshot()
	_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr("panic")})
	require.Error(t, err)
	assert.Equal(t, host.TypeUnavailable, core.TypeOf(err), "error: %v", err)
	assert.Equal(t, core.KindUnavailable, core.KindOf(err))
	assert.Equal(t, before, e.snapshot())

	h := waitRunning(t, e.driver, 1)
	assert.NotEqual(t, pid, h.PID)
	assert.Equal(t, channel, h.CallChannel, "the new process takes calls as the old one did")
	require.Error(t, h.LastError)
	_, err = e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr("after")})
	require.NoError(t, err)
}

func TestKillUnderLoad(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) { testKillUnderLoad(t, tr.mod) })
	}
}

func testKillUnderLoad(t *testing.T, mod func(*host.Config)) {
	d := load(t, mod)
	require.NoError(t, d.Initialize(context.Background()))
	pid := d.Health().PID

	// Calls in flight: each sleeps in the driver until it is killed.
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			nc := &mechtest.FakeNetworkContext{CurrentNetwork: &core.Network{Standard: core.Standard{ID: fmt.Sprint(i), Name: "sleep"}}}
			errs[i] = d.CreateNetworkPrecommit(context.Background(), nc)
		})
	}
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("calls in flight did not return after the kill")
	}
	for _, err := range errs {
		require.Error(t, err)
		assert.Equal(t, host.TypeUnavailable, core.TypeOf(err), "error: %v", err)
	}

	h := waitRunning(t, d, 1)
	assert.NotEqual(t, pid, h.PID)
	nc := &mechtest.FakeNetworkContext{CurrentNetwork: &core.Network{Standard: core.Standard{ID: "x", Name: "ok"}}}
	require.NoError(t, d.CreateNetworkPrecommit(context.Background(), nc))
}

func TestRestartReinitializes(t *testing.T) {
	initLog := filepath.Join(t.TempDir(), "init.log")
	d := load(t, func(c *host.Config) { c.Env = []string{"ML2GO_TESTPLUGIN_INIT_LOG=" + initLog} })
	require.NoError(t, d.Initialize(context.Background()))
	first := d.Health().PID
	require.NoError(t, syscall.Kill(first, syscall.SIGKILL))
	second := waitRunning(t, d, 1).PID
	data, err := os.ReadFile(initLog)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d\n%d\n", first, second), string(data))
}

func TestCallsFailFastWhileDown(t *testing.T) {
	d := load(t, func(c *host.Config) { c.RestartBackoff = time.Hour })
	require.NoError(t, syscall.Kill(d.Health().PID, syscall.SIGKILL))
	require.Eventually(t, func() bool { return d.Health().State == host.StateRestarting }, 5*time.Second, 10*time.Millisecond)
	start := time.Now()
	err := d.CreateNetworkPrecommit(context.Background(), &mechtest.FakeNetworkContext{CurrentNetwork: &core.Network{}})
	assert.Less(t, time.Since(start), 100*time.Millisecond)
	assert.Equal(t, host.TypeUnavailable, core.TypeOf(err))
	assert.ErrorIs(t, err, core.ErrUnavailable)
	require.NoError(t, d.Close())
	assert.Equal(t, host.StateFailed, d.Health().State)
	err = d.Initialize(context.Background())
	assert.Equal(t, host.TypeUnavailable, core.TypeOf(err))
}

// TestBindPortThroughCallbacks binds ports with every callback of a port
// context (SetBinding, ContinueBinding, AllocateDynamicSegment) on each
// way the driver may call back, and checks that the callbacks took the
// call channel when the driver could.
func TestBindPortThroughCallbacks(t *testing.T) {
	for _, tr := range callbackTransports {
		t.Run(tr.name, func(t *testing.T) { testBindPortThroughCallbacks(t, tr) })
	}
}

func testBindPortThroughCallbacks(t *testing.T, tr transport) {
	e := newEnv(t, load(t, tr.mod))
	n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
	require.NoError(t, err)
	_, err = e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: mustPrefix("10.0.0.0/24")})
	require.NoError(t, err)

	t.Run("normal", func(t *testing.T) {
		p, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID, HostID: ptr("host1"), VNICType: ptr(core.VNICNormal)})
		require.NoError(t, err)
		assert.Equal(t, core.VIFTypeOther, p.Binding.VIFType)
		assert.Equal(t, map[string]any{"bound_by": "testplugin"}, p.Binding.VIFDetails)
		require.Len(t, p.Binding.Levels, 1)
		assert.Equal(t, "remote", p.Binding.Levels[0].Driver)
		assert.Equal(t, n.Segments[0].ID, p.Binding.Levels[0].SegmentID)
	})
	t.Run("direct_not_bound", func(t *testing.T) {
		p, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID, HostID: ptr("host1"), VNICType: ptr(core.VNICDirect)})
		require.NoError(t, err)
		assert.Equal(t, core.VIFTypeBindingFailed, p.Binding.VIFType)
	})
	t.Run("hierarchical_dynamic_segment", func(t *testing.T) {
		p, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID, HostID: ptr("host2"),
			VNICType: ptr(core.VNICNormal), Profile: &map[string]any{"dynamic_physnet": "physnet1"}})
		require.NoError(t, err)
		assert.Equal(t, core.VIFTypeOther, p.Binding.VIFType)
		require.Len(t, p.Binding.Levels, 2)
		segs, err := e.plugin.ListSegments(e.ctx, nil)
		require.NoError(t, err)
		var dyn *core.Segment
		for _, s := range segs {
			if s.ID == p.Binding.Levels[1].SegmentID {
				dyn = s
			}
		}
		require.NotNil(t, dyn, "bottom level is the dynamic segment")
		assert.True(t, dyn.Dynamic)
		assert.Equal(t, core.TypeVLAN, dyn.NetworkType)
		assert.Equal(t, "physnet1", dyn.PhysicalNetwork)
	})
	h := e.driver.Health()
	assert.Equal(t, tr.channel, h.CallChannel, "hook calls on the channel")
	assert.Equal(t, tr.callbacks, h.CallbackChannel, "callbacks on the channel")
	assert.Zero(t, h.Restarts)
}

func TestTypedErrorsSurviveTheWire(t *testing.T) {
	// The in-process logger and the out-of-process test plugin refuse the
	// same precommit with the same error.
	inproc := logger.New(nil)
	inproc.FailOn("CreateNetworkPrecommit", core.InvalidInput("the test plugin refuses %q", "invalid"))
	local := newEnvWith(t, "inproc", inproc)
	_, lerr := local.plugin.CreateNetwork(local.ctx, &ml2.NetworkRequest{Name: ptr("invalid")})
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			remote := newEnv(t, load(t, tr.mod))
			_, rerr := remote.plugin.CreateNetwork(remote.ctx, &ml2.NetworkRequest{Name: ptr("invalid")})
			assert.Equal(t, lerr.Error(), rerr.Error())
			assert.Equal(t, core.TypeOf(lerr), core.TypeOf(rerr))
			assert.Equal(t, core.KindOf(lerr), core.KindOf(rerr))
		})
	}
}

// TestCallChannelSocketsAreRemoved checks that each driver process has
// the two sockets of its call channel (the one it serves the host's calls
// on, the one the host serves its callbacks on), that a process's sockets
// go when it does, even when it was killed and left its own behind, and
// that the sockets and their directory are gone once the driver is
// closed. Without the channel there is no directory at all.
func TestCallChannelSocketsAreRemoved(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			socketDirs := func() []string {
				dirs, err := filepath.Glob(filepath.Join(tmp, "ml2go-driver-*"))
				require.NoError(t, err)
				return dirs
			}
			sockets := func() []string {
				dirs := socketDirs()
				require.Len(t, dirs, 1, "one directory for the driver's sockets")
				entries, err := os.ReadDir(dirs[0])
				require.NoError(t, err)
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				return names
			}
			d := load(t, tr.mod)
			if !tr.channel {
				assert.Empty(t, socketDirs())
				require.NoError(t, d.Close())
				assert.Empty(t, socketDirs())
				return
			}
			assert.ElementsMatch(t, []string{"1.sock", "1-host.sock"}, sockets())
			require.NoError(t, syscall.Kill(d.Health().PID, syscall.SIGKILL))
			h := waitRunning(t, d, 1)
			assert.True(t, h.CallChannel)
			// The process connects to the host's end when it is described;
			// the host may accept the connection a moment later.
			assert.Eventually(t, func() bool { return d.Health().CallbackChannel }, 5*time.Second, 10*time.Millisecond)
			assert.ElementsMatch(t, []string{"2.sock", "2-host.sock"}, sockets(), "the killed process's sockets are gone")
			require.NoError(t, d.Close())
			assert.False(t, d.Health().CallbackChannel)
			assert.Empty(t, socketDirs())
		})
	}
}

// snapshot is everything a failed operation must leave unchanged.
type snapshot struct {
	Networks []*core.Network
	Subnets  []*core.Subnet
	Ports    []*core.Port
	Segments []*core.Segment
}

func (e *env) snapshot() snapshot {
	e.t.Helper()
	var s snapshot
	var err error
	s.Networks, err = e.plugin.ListNetworks(e.ctx, nil)
	require.NoError(e.t, err)
	s.Subnets, err = e.plugin.ListSubnets(e.ctx, nil)
	require.NoError(e.t, err)
	s.Ports, err = e.plugin.ListPorts(e.ctx, nil)
	require.NoError(e.t, err)
	s.Segments, err = e.plugin.ListSegments(e.ctx, nil)
	require.NoError(e.t, err)
	return s
}

// TestBindPortLongAfterStart binds a port more than go-plugin's broker
// accept timeout (5 s) after the driver started: the callback connection
// is made when the driver starts, not at the first bind, whichever way
// the driver calls back.
func TestBindPortLongAfterStart(t *testing.T) {
	for _, tr := range callbackTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			testBindPortLongAfterStart(t, tr.mod)
		})
	}
}

func testBindPortLongAfterStart(t *testing.T, mod func(*host.Config)) {
	e := newEnv(t, load(t, mod))
	n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
	require.NoError(t, err)
	_, err = e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: mustPrefix("10.0.0.0/24")})
	require.NoError(t, err)
	time.Sleep(6 * time.Second)
	p, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID, HostID: ptr("host1"), VNICType: ptr(core.VNICNormal)})
	require.NoError(t, err)
	assert.Equal(t, core.VIFTypeOther, p.Binding.VIFType)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDriverLogsReachTheHost checks that what the driver logs reaches the
// host's logger under the driver's name, at the levels that logger shows,
// and that what it does not show never does.
func TestDriverLogsReachTheHost(t *testing.T) {
	for _, tc := range []struct {
		level hclog.Level
		shown bool
	}{
		{hclog.Info, true},
		{hclog.Trace, true},
		{hclog.Warn, false},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			var out syncBuffer
			d := load(t, func(c *host.Config) {
				c.Logger = hclog.New(&hclog.LoggerOptions{Name: "host", Level: tc.level, Output: &out})
			})
			pc := mechtest.NewPortContext(&core.Port{Standard: core.Standard{ID: "logged-port"}, NetworkID: "n"})
			require.NoError(t, d.CreatePortPrecommit(context.Background(), pc))
			if !tc.shown {
				// Give a stray line the time to arrive before looking.
				time.Sleep(200 * time.Millisecond)
				assert.NotContains(t, out.String(), "logged-port")
				return
			}
			require.Eventually(t, func() bool {
				return strings.Contains(out.String(), "CreatePortPrecommit called")
			}, 5*time.Second, 10*time.Millisecond, "host log: %s", out.String())
			line := ""
			for l := range strings.SplitSeq(out.String(), "\n") {
				if strings.Contains(l, "CreatePortPrecommit called") {
					line = l
				}
			}
			assert.Contains(t, line, "[INFO]")
			assert.Contains(t, line, "host.testplugin")
			assert.Contains(t, line, "port=logged-port")
		})
	}
}
