package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/reference/agent"
	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/linuxbridge"
	"github.com/ml2go/ml2go/reference/agent/vmplug"
	"github.com/ml2go/ml2go/reference/agentrpc"
	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/reference/netns"
	"github.com/ml2go/ml2go/reference/server"
	"github.com/ml2go/ml2go/typedrivers/vlan"
)

// downTime is the agents' down time in these tests: short, so that a
// stopped agent is seen dead quickly.
const downTime = 3 * time.Second

var (
	runID     = randomID()
	nsCounter atomic.Int64
)

func randomID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cloud is a running ml2go server.
type cloud struct {
	plugin *ml2.Plugin
	url    string
}

func startServer(t testing.TB, mechanismDrivers ...string) *cloud {
	t.Helper()
	return startServerOn(t, "127.0.0.1:0", mechanismDrivers...)
}

// startServerOn runs a server listening on addr.
func startServerOn(t testing.TB, addr string, mechanismDrivers ...string) *cloud {
	t.Helper()
	cfg := config.Default()
	// Agents in other namespaces reach a server on a link, not loopback.
	cfg.ML2go.AllowNoauthOnPublicAddress = true
	cfg.ML2Options.MechanismDrivers = mechanismDrivers
	cfg.AgentDownTime = downTime
	cfg.VXLAN.VNIRanges = []core.SegmentRange{{Min: 1000, Max: 1999}}
	var err error
	cfg.VLAN.NetworkVLANRanges, err = vlan.ParseNetworkVLANRanges([]string{"physnet1"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, server.Options{DataDir: t.TempDir(), Logger: testLogger(t, "server")})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ctx, ln)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = srv.Close()
	})
	return &cloud{plugin: srv.Plugin(), url: "http://" + ln.Addr().String()}
}

// host is a hypervisor: a namespace with an underlay address, and the
// agent programming it.
type host struct {
	name string
	ns   *netns.Namespace
	ip   netip.Addr
	stop func() // stops the running agent

	// agentType and dataplane say which agent runs; the default is the
	// Linux bridge agent programming ns.
	agentType string
	dataplane func(log hclog.Logger) (dataplane.Dataplane, error)
	// bridgeMappings are reported to the server (physnet → bridge).
	bridgeMappings map[string]any
}

func newNS(t testing.TB, role string) *netns.Namespace {
	t.Helper()
	name := fmt.Sprintf("e2e%s-%d%s", runID, nsCounter.Add(1), role)
	ns, err := netns.New(context.Background(), name)
	if err != nil {
		t.Skipf("cannot create network namespace %s: %v", name, err)
	}
	t.Cleanup(func() { assert.NoError(t, ns.Delete()) })
	return ns
}

// newDataplane returns the agent type and a new dataplane value of h.
func (h *host) newDataplane(log hclog.Logger) (string, dataplane.Dataplane, error) {
	if h.dataplane != nil {
		dp, err := h.dataplane(log)
		return h.agentType, dp, err
	}
	dp, err := linuxbridge.New(linuxbridge.Config{LocalIP: h.ip, EnableVXLAN: true},
		linuxbridge.WithHandle(h.ns.Netlink()), linuxbridge.WithLogger(log))
	return "Linux bridge agent", dp, err
}

// startAgent runs an agent for h against c, with a new dataplane value,
// as starting the ml2go-agent process does.
func (h *host) startAgent(t testing.TB, c *cloud) {
	t.Helper()
	log := testLogger(t, h.name)
	agentType, dp, err := h.newDataplane(log)
	require.NoError(t, err)
	a := agent.New(agent.Config{
		Host: h.name, AgentType: agentType, Binary: "ml2go-agent",
		Configurations: map[string]any{"tunnel_types": []any{"vxlan"}, "tunneling_ip": h.ip.String(),
			"l2_population": true, "interface_mappings": map[string]any{}, "bridge_mappings": h.bridgeMappings},
		ReportInterval:  300 * time.Millisecond,
		PollingInterval: 200 * time.Millisecond,
		WatchWait:       5 * time.Second,
		Logger:          log,
	}, agentrpc.NewClient(c.url), dp)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.Run(ctx)
	}()
	h.stop = func() {
		cancel()
		<-done
		_ = dp.Close()
		h.stop = nil
	}
	t.Cleanup(func() {
		if h.stop != nil {
			h.stop()
		}
	})
}

// vm is an instance plugged into a host for a port.
type vm struct {
	ns     *netns.Namespace
	pinger *vmplug.Pinger
	ip     netip.Addr
}

func plug(t *testing.T, h *host, p *core.Port) *vm {
	return plugInto(t, h.ns.Netlink(), p)
}

// plugInto plugs a new VM for p, its tap on the host that hostLinks
// programs.
func plugInto(t *testing.T, hostLinks *netlink.Handle, p *core.Port) *vm {
	t.Helper()
	ns := newNS(t, "vm")
	ip := p.FixedIPs[0].IPAddress
	_, err := vmplug.Plug(context.Background(), hostLinks, ns.NsHandle(),
		vmplug.VM{PortID: p.ID, MAC: p.MACAddress, Addr: netip.PrefixFrom(ip, 24)})
	require.NoError(t, err)
	pinger, err := vmplug.NewPinger(ns)
	require.NoError(t, err)
	t.Cleanup(func() { _ = pinger.Close() })
	return &vm{ns: ns, pinger: pinger, ip: ip}
}

func (v *vm) ping(dst *vm) error {
	return v.pinger.Ping(context.Background(), dst.ip, time.Second)
}

// pingPatiently pings dst, waiting long for the reply: a reply that a
// loaded machine delays is not a lost packet.
func (v *vm) pingPatiently(dst *vm) error {
	return v.pinger.Ping(context.Background(), dst.ip, 5*time.Second)
}

func (v *vm) requirePing(t *testing.T, dst *vm) {
	t.Helper()
	var err error
	for range 5 {
		if err = v.ping(dst); err == nil {
			return
		}
	}
	require.NoError(t, err, "%s reaches %s", v.ip, dst.ip)
}

func (c *cloud) port(t *testing.T, netID, subnetID, host, ip string) *core.Port {
	t.Helper()
	ips := []ml2.FixedIPRequest{{SubnetID: subnetID, IPAddress: netip.MustParseAddr(ip)}}
	p, err := c.plugin.CreatePort(context.Background(), &ml2.PortRequest{
		ProjectID: "demo", NetworkID: netID, HostID: &host, FixedIPs: &ips,
		DeviceOwner: ptr("compute:nova"), DeviceID: ptr("vm-" + ip)})
	require.NoError(t, err)
	return p
}

func (c *cloud) network(t testing.TB, cidr string) (*core.Network, *core.Subnet) {
	t.Helper()
	ctx := context.Background()
	n, err := c.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{ProjectID: "demo"})
	require.NoError(t, err)
	s, err := c.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{ProjectID: "demo", NetworkID: n.ID, IPVersion: 4,
		CIDR: netip.MustParsePrefix(cidr)})
	require.NoError(t, err)
	return n, s
}

func (c *cloud) waitStatus(t *testing.T, id, want string) {
	t.Helper()
	require.Eventually(t, func() bool {
		p, err := c.plugin.GetPort(context.Background(), id)
		return err == nil && p.Status == want
	}, 15*time.Second, 50*time.Millisecond, "port %s goes %s", id, want)
}

// linkIndexes maps the links of ns to their indexes: links recreated get
// new ones.
func linkIndexes(t *testing.T, ns *netns.Namespace) map[string]int {
	t.Helper()
	links, err := ns.Netlink().LinkList()
	require.NoError(t, err)
	out := map[string]int{}
	for _, l := range links {
		out[l.Attrs().Name] = l.Attrs().Index
	}
	return out
}

// fdbMACs lists the MACs of the forwarding entries the agent programmed
// on the VXLAN device dev of ns (not those its bridge learned).
func fdbMACs(t *testing.T, ns *netns.Namespace, dev string) []string {
	t.Helper()
	l, err := ns.Netlink().LinkByName(dev)
	require.NoError(t, err)
	neighs, err := ns.Netlink().NeighList(l.Attrs().Index, syscall.AF_BRIDGE)
	require.NoError(t, err)
	var out []string
	for _, n := range neighs {
		if n.Flags&netlink.NTF_SELF != 0 {
			out = append(out, n.HardwareAddr.String()+"@"+n.IP.String())
		}
	}
	return out
}

func TestLinuxBridgeEndToEnd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and links")
	}
	ctx := context.Background()
	top := t // agents outlive the subtests that start them
	c := startServer(t, "linuxbridge", "l2population")
	a := &host{name: "host-a", ns: newNS(t, "ha"), ip: netip.MustParseAddr("192.0.2.1")}
	b := &host{name: "host-b", ns: newNS(t, "hb"), ip: netip.MustParseAddr("192.0.2.2")}
	require.NoError(t, netns.Connect(a.ns, b.ns, "underlay", netip.PrefixFrom(a.ip, 24), netip.PrefixFrom(b.ip, 24)))
	a.startAgent(t, c)
	b.startAgent(t, c)

	l := newLayout(t, c, a, b, "10.10.0", core.VIFTypeBridge, plug)
	red, blue, blueSub := l.red, l.blue, l.blueSub
	redB := l.redB
	vmRedA, vmRedB, vmBlueA, vmBlueB := l.vmRedA, l.vmRedB, l.vmBlueA, l.vmBlueB

	t.Run("VMs on a network reach each other across hosts", func(t *testing.T) {
		vmRedA.requirePing(t, vmRedB)
		vmBlueB.requirePing(t, vmBlueA)
	})
	t.Run("networks are isolated", func(t *testing.T) {
		assert.Error(t, vmRedA.ping(vmBlueB), "red reaches no blue address")
		assert.Error(t, vmBlueA.ping(vmRedB))
	})

	vniRed := fmt.Sprintf("vxlan-%d", red.Segments[0].SegmentationID)
	t.Run("agent restart keeps traffic and recreates nothing", func(t *testing.T) {
		before := linkIndexes(t, a.ns)
		sent, lost := pingThroughRestart(top, c, a, vmRedB, vmRedA)
		assert.Zero(t, lost, "pings lost of %d", sent)
		assert.Equal(t, before, linkIndexes(t, a.ns), "every link kept")
	})

	t.Run("a deleted port is unwired and forgotten by the other host", func(t *testing.T) {
		require.Contains(t, strings.Join(fdbMACs(t, a.ns, vniRed), " "), redB.MACAddress)
		require.NoError(t, c.plugin.DeletePort(ctx, redB.ID))
		require.Eventually(t, func() bool {
			l, err := b.ns.Netlink().LinkByName(dataplane.TapName(redB.ID))
			return err == nil && l.Attrs().MasterIndex == 0
		}, 10*time.Second, 50*time.Millisecond, "the tap is detached from its bridge on host-b")
		require.Eventually(t, func() bool {
			return !strings.Contains(strings.Join(fdbMACs(t, a.ns, vniRed), " "), redB.MACAddress)
		}, 10*time.Second, 50*time.Millisecond, "host-a drops the port's entry")
		assert.Error(t, vmRedA.ping(vmRedB))
	})

	t.Run("a dead agent's host fails binding; when it returns the port binds and goes ACTIVE", func(t *testing.T) {
		deadAgentRecovers(t, top, c, b, blue.ID, blueSub.ID, "10.10.0.23", func(p *core.Port) *vm { return plug(t, b, p) }, vmBlueA)
	})
}

func ptr[T any](v T) *T { return &v }

// testLogger logs through the test at warnings and above.
func testLogger(t testing.TB, name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Warn, Output: testWriter{t}})
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// pingThroughRestart restarts h's agent while from pings to, and returns
// how many pings it sent and lost.
func pingThroughRestart(top *testing.T, c *cloud, h *host, from, to *vm) (sent, lost int64) {
	stop, pinging := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(pinging)
		for {
			select {
			case <-stop:
				return
			default:
			}
			sent++
			if from.pingPatiently(to) != nil {
				lost++
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	h.stop()
	h.startAgent(top, c)
	time.Sleep(2 * time.Second) // the new agent syncs, applies, reports
	close(stop)
	<-pinging
	return sent, lost
}

// deadAgentRecovers stops h's agent until the server has it dead, creates
// a port on h (binding_failed), plugs its VM as the hypervisor would, and
// restarts the agent: the port binds and goes ACTIVE, and its VM reaches
// peer.
func deadAgentRecovers(t *testing.T, top *testing.T, c *cloud, h *host, netID, subnetID, ip string, plug func(*core.Port) *vm, peer *vm) {
	ctx := context.Background()
	h.stop()
	require.Eventually(t, func() bool {
		agents, err := c.plugin.ListAgents(ctx, &core.ListOptions{Filters: map[string][]string{
			"host": {h.name}, "alive": {"false"}}})
		return err == nil && len(agents) == 1
	}, 3*downTime, 100*time.Millisecond, "%s's agent shows down", h.name)
	late := c.port(t, netID, subnetID, h.name, ip)
	assert.Equal(t, core.VIFTypeBindingFailed, late.Binding.VIFType)
	vmLate := plug(late)
	h.startAgent(top, c)
	c.waitStatus(t, late.ID, core.StatusActive)
	p, err := c.plugin.GetPort(ctx, late.ID)
	require.NoError(t, err)
	assert.NotEqual(t, core.VIFTypeBindingFailed, p.Binding.VIFType)
	vmLate.requirePing(t, peer)
}

// layout is two tenant networks on the same addresses (prefix.0/24), with
// a bound, plugged and ACTIVE VM of each on each of two hosts: red and
// blue, on hosts a and b.
type layout struct {
	red, blue                        *core.Network
	redSub, blueSub                  *core.Subnet
	redA, redB, blueA, blueB         *core.Port
	vmRedA, vmRedB, vmBlueA, vmBlueB *vm
}

// newLayout builds the layout on c, checking that the ports are bound with
// vifType; plug plugs a port's VM into its host.
func newLayout(t *testing.T, c *cloud, a, b *host, prefix, vifType string, plug func(*testing.T, *host, *core.Port) *vm) *layout {
	t.Helper()
	l := &layout{}
	l.red, l.redSub = c.network(t, prefix+".0/24")
	l.blue, l.blueSub = c.network(t, prefix+".0/24")
	l.redA, l.redB = c.port(t, l.red.ID, l.redSub.ID, a.name, prefix+".11"), c.port(t, l.red.ID, l.redSub.ID, b.name, prefix+".12")
	l.blueA, l.blueB = c.port(t, l.blue.ID, l.blueSub.ID, a.name, prefix+".21"), c.port(t, l.blue.ID, l.blueSub.ID, b.name, prefix+".22")
	ports := []*core.Port{l.redA, l.redB, l.blueA, l.blueB}
	for _, p := range ports {
		require.Equal(t, vifType, p.Binding.VIFType, "bound by the agent's driver")
	}
	l.vmRedA, l.vmRedB = plug(t, a, l.redA), plug(t, b, l.redB)
	l.vmBlueA, l.vmBlueB = plug(t, a, l.blueA), plug(t, b, l.blueB)
	for _, p := range ports {
		c.waitStatus(t, p.ID, core.StatusActive)
	}
	return l
}
