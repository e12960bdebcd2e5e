package agent_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/reference/agent"
	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agentrpc"
	"github.com/ml2go/ml2go/reference/agentserver"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// fakeDataplane wires the ports whose devices are "plugged".
type fakeDataplane struct {
	mu      sync.Mutex
	plugged map[string]bool // devices present
	last    *dataplane.State
	applies int
	broken  string // a network Apply cannot wire
}

func newFakeDataplane() *fakeDataplane { return &fakeDataplane{plugged: map[string]bool{}} }

func (f *fakeDataplane) Apply(_ context.Context, s *dataplane.State) (dataplane.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last, f.applies = s, f.applies+1
	var res dataplane.Result
	var err error
	for id, p := range s.Ports {
		switch {
		case p.NetworkID == f.broken:
			err = errors.New("cannot wire network " + f.broken)
		case f.plugged[p.Device] && p.AdminStateUp:
			res.Wired = append(res.Wired, id)
		}
	}
	return res, err
}

func (f *fakeDataplane) breakNetwork(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.broken = id
}

func (f *fakeDataplane) Close() error { return nil }

func (f *fakeDataplane) plug(portID string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plugged[dataplane.TapName(portID)] = on
}

func (f *fakeDataplane) applyCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applies
}

func (f *fakeDataplane) state() *dataplane.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// server is an ml2 plugin with the agent channel in front of it, behind a
// handler that a test can swap to play a server restart.
type server struct {
	plugin  *ml2.Plugin // replaced by restart: read it from the test goroutine only
	http    *httptest.Server
	handler atomic.Value // http.Handler
}

func newServer(t *testing.T) *server {
	t.Helper()
	store, err := sqlstore.Open(context.Background(), "sqlite://:memory:")
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	s := &server{}
	s.start(t, store)
	s.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(s.http.Close)
	return s
}

// start builds a plugin and its agent channel over store, as a server
// process does when it starts.
func (s *server) start(t *testing.T, store core.Store) {
	t.Helper()
	reg := core.NewRegistry()
	vnis, err := vxlan.ParseVNIRanges([]string{"100:200"})
	require.NoError(t, err)
	require.NoError(t, reg.RegisterTypeDriver(vxlan.New(vxlan.Config{VNIRanges: vnis})))
	require.NoError(t, reg.RegisterMechanismDriver("fakeagent", fakeagent.New(fakeagent.Config{})))
	svc := agentserver.New(nil)
	svc.Subscribe(reg.Events())
	p, err := ml2.New(context.Background(), ml2.Config{TenantNetworkTypes: []string{core.TypeVXLAN},
		MechanismDrivers: []string{"fakeagent"}}, reg, store)
	require.NoError(t, err)
	require.NoError(t, svc.Bind(context.Background(), p))
	t.Cleanup(svc.Close)
	s.plugin = p
	s.handler.Store(svc.Handler())
}

// restart plays a server restart: a new plugin and agent channel over the
// same database, remembering nothing.
func (s *server) restart(t *testing.T) { s.start(t, s.plugin.Store()) }

func startAgent(t *testing.T, s *server, host, ip string, dp dataplane.Dataplane) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a := agent.New(agent.Config{
		Host: host, AgentType: fakeagent.AgentType, Binary: "ml2go-agent",
		Configurations:  map[string]any{"tunnel_types": []any{"vxlan"}, "tunneling_ip": ip},
		ReportInterval:  100 * time.Millisecond,
		PollingInterval: 50 * time.Millisecond,
		WatchWait:       time.Second,
	}, agentrpc.NewClient(s.http.URL), dp)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	require.Eventually(t, func() bool {
		agents, err := s.plugin.ListAgents(ctx, &core.ListOptions{Filters: map[string][]string{"host": {host}}})
		return err == nil && len(agents) == 1
	}, 5*time.Second, 20*time.Millisecond, "the agent registers")
}

func createPort(t *testing.T, s *server, netID, host string) *core.Port {
	t.Helper()
	p, err := s.plugin.CreatePort(context.Background(), &ml2.PortRequest{ProjectID: "p", NetworkID: netID, HostID: &host})
	require.NoError(t, err)
	require.Equal(t, core.VIFTypeOVS, p.Binding.VIFType, "bound")
	return p
}

func waitStatus(t *testing.T, s *server, id, want string) {
	t.Helper()
	require.Eventually(t, func() bool {
		p, err := s.plugin.GetPort(context.Background(), id)
		return err == nil && p.Status == want
	}, 5*time.Second, 20*time.Millisecond, "port %s goes %s", id, want)
}

func fdb(dp *fakeDataplane, netID string) []dataplane.FDBEntry {
	st := dp.state()
	if st == nil || st.Networks[netID] == nil {
		return nil
	}
	return st.Networks[netID].FDB
}

func TestAgentWiresPortsAndFollowsChanges(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	dp1, dp2 := newFakeDataplane(), newFakeDataplane()
	startAgent(t, s, "h1", "192.0.2.1", dp1)
	startAgent(t, s, "h2", "192.0.2.2", dp2)

	net, err := s.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{ProjectID: "p"})
	require.NoError(t, err)
	_, err = s.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{ProjectID: "p", NetworkID: net.ID, IPVersion: 4,
		CIDR: netip.MustParsePrefix("10.0.0.0/24")})
	require.NoError(t, err)

	// A bound port reaches its host's desired state; once its device is
	// plugged and wired, the port goes ACTIVE.
	p1 := createPort(t, s, net.ID, "h1")
	require.Eventually(t, func() bool { st := dp1.state(); return st != nil && st.Ports[p1.ID] != nil },
		5*time.Second, 20*time.Millisecond)
	got := dp1.state()
	assert.Equal(t, "vxlan", got.Networks[net.ID].NetworkType)
	assert.Equal(t, net.Segments[0].SegmentationID, int64(got.Networks[net.ID].SegmentationID))
	assert.Equal(t, dataplane.TapName(p1.ID), got.Ports[p1.ID].Device)
	assert.Equal(t, []netip.Addr{p1.FixedIPs[0].IPAddress}, got.Ports[p1.ID].FixedIPs)
	waitStatus(t, s, p1.ID, core.StatusDown)
	dp1.plug(p1.ID, true)
	waitStatus(t, s, p1.ID, core.StatusActive)

	// h2's port going ACTIVE gives h1 L2 population entries towards h2,
	// and h2 entries towards h1.
	p2 := createPort(t, s, net.ID, "h2")
	dp2.plug(p2.ID, true)
	waitStatus(t, s, p2.ID, core.StatusActive)
	h2 := netip.MustParseAddr("192.0.2.2")
	wantH1 := []dataplane.FDBEntry{
		{MAC: dataplane.FloodMAC, Endpoint: h2},
		{MAC: p2.MACAddress, IP: p2.FixedIPs[0].IPAddress, Endpoint: h2},
	}
	require.Eventually(t, func() bool { return slices.Equal(fdb(dp1, net.ID), wantH1) }, 5*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return len(fdb(dp2, net.ID)) == 2 }, 5*time.Second, 20*time.Millisecond)

	// A server restart: the agents get the whole state again, unchanged.
	applies := dp1.applyCount()
	s.restart(t)
	p3 := createPort(t, s, net.ID, "h1")
	require.Eventually(t, func() bool { st := dp1.state(); return st.Ports[p3.ID] != nil }, 5*time.Second, 20*time.Millisecond)
	assert.NotNil(t, dp1.state().Ports[p1.ID], "the whole state came back")
	assert.Greater(t, dp1.applyCount(), applies)

	// Unplugged → DOWN; deleted → gone from the host and from the
	// other host's entries.
	dp1.plug(p1.ID, false)
	waitStatus(t, s, p1.ID, core.StatusDown)
	require.NoError(t, s.plugin.DeletePort(ctx, p2.ID))
	require.Eventually(t, func() bool { return dp2.state().Ports[p2.ID] == nil }, 5*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return len(fdb(dp1, net.ID)) == 0 }, 5*time.Second, 20*time.Millisecond)
	assert.Empty(t, dp2.state().Networks, "h2 carries no network without ports")
}

// TestAgentReportsWhatAFailedApplyWired: a network the dataplane cannot
// wire keeps its ports DOWN; the ports of the others still go ACTIVE.
func TestAgentReportsWhatAFailedApplyWired(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	dp := newFakeDataplane()
	startAgent(t, s, "h1", "192.0.2.1", dp)
	var nets []*core.Network
	for _, cidr := range []string{"10.0.0.0/24", "10.0.1.0/24"} {
		net, err := s.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{ProjectID: "p"})
		require.NoError(t, err)
		_, err = s.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{ProjectID: "p", NetworkID: net.ID, IPVersion: 4,
			CIDR: netip.MustParsePrefix(cidr)})
		require.NoError(t, err)
		nets = append(nets, net)
	}
	dp.breakNetwork(nets[1].ID)
	var ports []*core.Port
	for _, net := range nets {
		p := createPort(t, s, net.ID, "h1")
		dp.plug(p.ID, true)
		ports = append(ports, p)
	}
	waitStatus(t, s, ports[0].ID, core.StatusActive)
	p, err := s.plugin.GetPort(ctx, ports[1].ID)
	require.NoError(t, err)
	assert.Equal(t, core.StatusDown, p.Status)
}

// fakeReconciler converges a concern of its own over the desired state:
// one write per port (of the host, and of its networks when wide) it has
// not seen, and one per port gone. It holds back the ports in hold, and
// panics while panics is set.
type fakeReconciler struct {
	name string
	wide bool

	mu     sync.Mutex
	seen   map[string]bool
	hold   map[string]bool
	panics bool
	last   *dataplane.State
}

func newFakeReconciler(name string, wide bool) *fakeReconciler {
	return &fakeReconciler{name: name, wide: wide, seen: map[string]bool{}, hold: map[string]bool{}}
}

func (f *fakeReconciler) Name() string      { return f.name }
func (f *fakeReconciler) NetworkWide() bool { return f.wide }
func (f *fakeReconciler) Close() error      { return nil }

func (f *fakeReconciler) Reconcile(_ context.Context, s *dataplane.State) (dataplane.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.panics {
		panic("fake reconciler panics")
	}
	f.last = s
	want := map[string]bool{}
	for id := range s.Ports {
		want[id] = true
	}
	for id := range s.NetworkPorts {
		want[id] = true
	}
	var res dataplane.Result
	for id := range want {
		if !f.seen[id] {
			f.seen[id] = true
			res.Writes++
		}
		if f.hold[id] {
			res.Pending = append(res.Pending, id)
		}
	}
	for id := range f.seen {
		if !want[id] {
			delete(f.seen, id)
			res.Writes++
		}
	}
	return res, nil
}

func (f *fakeReconciler) set(fn func(f *fakeReconciler)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeReconciler) state() *dataplane.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// runAgent starts an agent of host with the given L2 dataplane and
// reconcilers, and returns it.
func runAgent(t *testing.T, s *server, host, ip string, dp dataplane.Dataplane, rs ...dataplane.Reconciler) *agent.Agent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a := agent.New(agent.Config{
		Host: host, AgentType: fakeagent.AgentType, Binary: "ml2go-agent",
		Configurations:  map[string]any{"tunnel_types": []any{"vxlan"}, "tunneling_ip": ip},
		ReportInterval:  100 * time.Millisecond,
		PollingInterval: 50 * time.Millisecond,
		WatchWait:       time.Second,
	}, agentrpc.NewClient(s.http.URL), dp, rs...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	require.Eventually(t, func() bool {
		agents, err := s.plugin.ListAgents(ctx, &core.ListOptions{Filters: map[string][]string{"host": {host}}})
		return err == nil && len(agents) == 1
	}, 5*time.Second, 20*time.Millisecond, "the agent registers")
	return a
}

func newNetwork(t *testing.T, s *server, cidr string) *core.Network {
	t.Helper()
	ctx := context.Background()
	net, err := s.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{ProjectID: "p"})
	require.NoError(t, err)
	_, err = s.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{ProjectID: "p", NetworkID: net.ID, IPVersion: 4,
		CIDR: netip.MustParsePrefix(cidr)})
	require.NoError(t, err)
	return net
}

// TestReconcilersConvergeApart: every reconciler runs over the same
// desired state; one that panics does not stop the others converging but,
// failing closed, keeps the ports from going up until it recovers; one
// that holds a port back keeps it DOWN until it lets it go.
func TestReconcilersConvergeApart(t *testing.T) {
	s := newServer(t)
	dp := newFakeDataplane()
	firewall, broken := newFakeReconciler("firewall", false), newFakeReconciler("broken", false)
	broken.set(func(f *fakeReconciler) { f.panics = true })
	a := runAgent(t, s, "h1", "192.0.2.1", dp, firewall, broken)
	net := newNetwork(t, s, "10.0.0.0/24")

	held, free := createPort(t, s, net.ID, "h1"), createPort(t, s, net.ID, "h1")
	firewall.set(func(f *fakeReconciler) { f.hold[held.ID] = true })
	runs := a.Stats()["firewall"].Runs
	dp.plug(held.ID, true)
	dp.plug(free.ID, true)
	require.Eventually(t, func() bool {
		st := a.Stats()
		return st["firewall"].Runs > runs+1 && st["firewall"].Writes == 2 && st["broken"].Failures > 1 &&
			len(dp.state().Ports) == 2
	}, 5*time.Second, 20*time.Millisecond, "the others converge")
	stats := a.Stats()
	assert.ErrorContains(t, stats["broken"].LastError, "panic")
	assert.Zero(t, stats["broken"].Writes)
	assert.Positive(t, stats[dataplane.L2Name].Runs)
	assert.Nil(t, firewall.state().NetworkPorts, "no reconciler asked for network-wide facts")
	for _, id := range []string{held.ID, free.ID} {
		p, err := s.plugin.GetPort(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, core.StatusDown, p.Status, "wired, but a reconciler panics")
	}

	broken.set(func(f *fakeReconciler) { f.panics = false })
	waitStatus(t, s, free.ID, core.StatusActive)
	p, err := s.plugin.GetPort(context.Background(), held.ID)
	require.NoError(t, err)
	assert.Equal(t, core.StatusDown, p.Status, "wired, but held back by the firewall")
	assert.NoError(t, a.Stats()["broken"].LastError)

	firewall.set(func(f *fakeReconciler) { delete(f.hold, held.ID) })
	waitStatus(t, s, held.ID, core.StatusActive)

	// The reconcilers were handed one state value, not copies.
	require.Eventually(t, func() bool { return dp.state() == firewall.state() }, 5*time.Second, 20*time.Millisecond)
}

// TestReplaceRestartsOneReconciler: a reconciler replaced by a new value
// converges again from scratch; the others make no write.
func TestReplaceRestartsOneReconciler(t *testing.T) {
	s := newServer(t)
	dp := newFakeDataplane()
	dhcp, firewall := newFakeReconciler("dhcp", false), newFakeReconciler("firewall", false)
	a := runAgent(t, s, "h1", "192.0.2.1", dp, dhcp, firewall)
	net := newNetwork(t, s, "10.0.0.0/24")
	for range 3 {
		p := createPort(t, s, net.ID, "h1")
		dp.plug(p.ID, true)
		waitStatus(t, s, p.ID, core.StatusActive)
	}
	require.Eventually(t, func() bool {
		st := a.Stats()
		return st["dhcp"].Writes == 3 && st["firewall"].Writes == 3
	}, 5*time.Second, 20*time.Millisecond)
	before := a.Stats()

	fresh := newFakeReconciler("firewall", false)
	old, err := a.Replace(fresh)
	require.NoError(t, err)
	assert.Same(t, firewall, old)
	require.Eventually(t, func() bool { return a.Stats()["firewall"].Writes == 3 }, 5*time.Second, 20*time.Millisecond,
		"the new firewall converges from scratch")
	runs := a.Stats()["dhcp"].Runs
	require.Eventually(t, func() bool { return a.Stats()["dhcp"].Runs > runs+2 }, 5*time.Second, 20*time.Millisecond)
	after := a.Stats()
	assert.Equal(t, before["dhcp"].Writes, after["dhcp"].Writes, "dhcp re-applied nothing")
	assert.Equal(t, before[dataplane.L2Name].Writes, after[dataplane.L2Name].Writes, "l2 re-applied nothing")

	_, err = a.Replace(newFakeReconciler("l3", false))
	assert.ErrorContains(t, err, `no reconciler named "l3"`)
	assert.NotContains(t, a.Stats(), "l3", "a refused replacement changes nothing")
}

// TestNetworkWideReconcilerSeesTheWholeNetwork: an agent with a
// network-wide reconciler gets every port and the subnets of its
// networks, including ports of other hosts and unbound ports made after
// it started; an agent without gets none of that.
func TestNetworkWideReconcilerSeesTheWholeNetwork(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	dhcp := newFakeReconciler("dhcp", true)
	l2only := newFakeReconciler("firewall", false)
	runAgent(t, s, "h1", "192.0.2.1", newFakeDataplane(), dhcp)
	runAgent(t, s, "h2", "192.0.2.2", newFakeDataplane(), l2only)
	net := newNetwork(t, s, "10.0.0.0/24")
	mine, theirs := createPort(t, s, net.ID, "h1"), createPort(t, s, net.ID, "h2")

	hasPort := func(r *fakeReconciler, id string) func() bool {
		return func() bool { st := r.state(); return st != nil && st.NetworkPorts[id] != nil }
	}
	require.Eventually(t, hasPort(dhcp, theirs.ID), 5*time.Second, 20*time.Millisecond, "another host's port")
	st := dhcp.state()
	require.NotNil(t, st.NetworkPorts[mine.ID])
	assert.Equal(t, "h2", st.NetworkPorts[theirs.ID].HostID)
	assert.Equal(t, []dataplane.FixedIP{{SubnetID: theirs.FixedIPs[0].SubnetID, IPAddress: theirs.FixedIPs[0].IPAddress}},
		st.NetworkPorts[theirs.ID].FixedIPs)
	require.Len(t, st.Networks[net.ID].Subnets, 1)
	sn := st.Networks[net.ID].Subnets[0]
	assert.Equal(t, netip.MustParsePrefix("10.0.0.0/24"), sn.CIDR)
	assert.Equal(t, netip.MustParseAddr("10.0.0.1"), sn.GatewayIP)
	assert.True(t, sn.EnableDHCP)
	assert.NotEmpty(t, sn.AllocationPools)

	unbound, err := s.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "p", NetworkID: net.ID})
	require.NoError(t, err)
	require.Eventually(t, hasPort(dhcp, unbound.ID), 5*time.Second, 20*time.Millisecond, "an unbound port")
	require.NoError(t, s.plugin.DeletePort(ctx, theirs.ID))
	require.Eventually(t, func() bool { return !hasPort(dhcp, theirs.ID)() }, 5*time.Second, 20*time.Millisecond,
		"a deleted port leaves")
	_, err = s.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{ProjectID: "p", NetworkID: net.ID, IPVersion: 4,
		CIDR: netip.MustParsePrefix("10.0.1.0/24")})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(dhcp.state().Networks[net.ID].Subnets) == 2 },
		5*time.Second, 20*time.Millisecond, "a new subnet")

	other := l2only.state()
	require.NotNil(t, other)
	assert.Nil(t, other.NetworkPorts, "h2 did not ask")
	for _, n := range other.Networks {
		assert.Empty(t, n.Subnets)
	}

	// h1 says it watches network-wide, for every server to know.
	agents, err := s.plugin.ListAgents(ctx, nil)
	require.NoError(t, err)
	wide := map[string]any{}
	for _, a := range agents {
		wide[a.Host] = a.Configurations[agentrpc.ConfigNetworkWide]
	}
	assert.Equal(t, map[string]any{"h1": true, "h2": nil}, wide)
}
