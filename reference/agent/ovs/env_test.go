package ovs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	goovs "github.com/digitalocean/go-openvswitch/ovs"
	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/ovs/ovstest"
	"github.com/ml2go/ml2go/reference/netns"
)

// This file is the test environment: a running Open vSwitch, "VMs" that
// are network namespaces plugged by a veth pair whose host end is named
// like a Nova tap, and ICMP echo from inside them. Everything a test makes
// has a random suffix and is removed by t.Cleanup, failed test or not.

// requireOVS skips the test unless it runs as root next to a running
// Open vSwitch.
func requireOVS(tb testing.TB) { ovstest.Require(tb) }

// suffix is a short random suffix for names of one test run.
func suffix(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 3)
	_, err := rand.Read(b)
	require.NoError(tb, err)
	return hex.EncodeToString(b)
}

// testCtx is a context that ends with the test.
func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

// vsctl runs ovs-vsctl for the test environment.
func vsctl(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := exec.Command("ovs-vsctl", append([]string{"--timeout=10"}, args...)...).CombinedOutput()
	require.NoError(tb, err, "ovs-vsctl %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

// run runs a command of the test environment.
func run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(tb, err, "%s %v: %s", name, args, out)
	return strings.TrimSpace(string(out))
}

// deleteBridgeOnCleanup removes bridge br when the test ends.
func deleteBridgeOnCleanup(tb testing.TB, br string) {
	tb.Cleanup(func() {
		if out, err := exec.Command("ovs-vsctl", "--timeout=10", "--if-exists", "del-br", br).CombinedOutput(); err != nil {
			tb.Logf("cleanup: del-br %s: %v: %s", br, err, out)
		}
	})
}

// addBridge creates an OVS bridge (the operator's part, e.g. a physical
// bridge of bridge_mappings) on the userspace datapath.
func addBridge(tb testing.TB, br string) {
	tb.Helper()
	deleteBridgeOnCleanup(tb, br)
	vsctl(tb, "add-br", br, "--", "set", "Bridge", br, "datapath_type=netdev")
}

// hostConfig is the configuration of simulated host host in the test run
// sfx: bridge and patch port names of its own (OVS port names are unique
// across the one OVS all simulated hosts share), userspace datapath.
func hostConfig(sfx, host string) Config {
	return Config{
		IntegrationBridge: "bi" + host + sfx,
		TunnelBridge:      "bt" + host + sfx,
		IntPeerPatchPort:  "pt" + host + sfx,
		TunPeerPatchPort:  "pi" + host + sfx,
		DatapathType:      "netdev",
	}
}

// newDataplane makes a Dataplane for cfg whose bridges are removed when
// the test ends.
func newDataplane(tb testing.TB, cfg Config) *Dataplane {
	tb.Helper()
	level := hclog.Warn
	if l := os.Getenv("ML2GO_OVS_TEST_LOG"); l != "" {
		level = hclog.LevelFromString(l)
	}
	d, err := New(cfg, hclog.New(&hclog.LoggerOptions{Name: "test", Level: level, Output: testWriter{tb}}))
	require.NoError(tb, err)
	c := d.Config()
	deleteBridgeOnCleanup(tb, c.IntegrationBridge)
	if c.tunnelling() {
		deleteBridgeOnCleanup(tb, c.TunnelBridge)
	}
	tb.Cleanup(func() { _ = d.Close() })
	return d
}

// testWriter sends log lines to the test log.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// vm is a namespace standing for a VM, with one port plugged by a veth
// pair: the host end (the "tap") in the root namespace, eth0 inside.
type vm struct {
	name string
	ns   *netns.Namespace
	tap  string
	mac  string
	addr netip.Prefix
}

// newVM creates the namespace and plugs port portID with mac and addr,
// as a hypervisor would; the host end stays down until the agent wires
// it.
func newVM(tb testing.TB, name, portID, mac string, addr netip.Prefix) *vm {
	tb.Helper()
	v := &vm{name: name, tap: dataplane.TapName(portID), mac: mac, addr: addr}
	ns, err := netns.New(context.Background(), name)
	require.NoError(tb, err, "create namespace %s", name)
	v.ns = ns
	tb.Cleanup(func() {
		if err := ns.Delete(); err != nil {
			tb.Logf("cleanup: delete namespace %s: %v", name, err)
		}
		if l, err := netlink.LinkByName(v.tap); err == nil {
			_ = netlink.LinkDel(l)
		}
	})
	hw, err := net.ParseMAC(mac)
	require.NoError(tb, err)
	la := netlink.NewLinkAttrs()
	la.Name = v.tap
	require.NoError(tb, netlink.LinkAdd(&netlink.Veth{
		LinkAttrs: la, PeerName: "eth0", PeerHardwareAddr: hw, PeerNamespace: netlink.NsFd(int(ns.NsHandle())),
	}), "create veth %s", v.tap)

	h := ns.Netlink()
	eth0, err := h.LinkByName("eth0")
	require.NoError(tb, err)
	ipnet := &net.IPNet{IP: addr.Addr().AsSlice(), Mask: net.CIDRMask(addr.Bits(), addr.Addr().BitLen())}
	require.NoError(tb, h.AddrAdd(eth0, &netlink.Addr{IPNet: ipnet}))
	require.NoError(tb, h.LinkSetUp(eth0))
	return v
}

// port is the dataplane.Port of the VM's port on network netID.
func (v *vm) port(portID, netID string) *dataplane.Port {
	return &dataplane.Port{
		ID: portID, NetworkID: netID, MACAddress: v.mac, AdminStateUp: true,
		FixedIPs: []netip.Addr{v.addr.Addr()}, Device: v.tap,
	}
}

// pinger sends ICMP echo requests from inside a VM.
type pinger struct {
	conn *icmp.PacketConn
	id   int
	mu   sync.Mutex
	seq  int
}

// newPinger opens a raw ICMP socket in the VM's namespace.
func (v *vm) newPinger(tb testing.TB) *pinger {
	tb.Helper()
	var conn *icmp.PacketConn
	require.NoError(tb, v.ns.Do(func() error {
		var err error
		conn, err = icmp.ListenPacket("ip4:icmp", "0.0.0.0")
		return err
	}))
	tb.Cleanup(func() { _ = conn.Close() })
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return &pinger{conn: conn, id: int(b[0])<<8 | int(b[1])}
}

// ping sends one echo request to dst and reports whether the reply came
// within timeout.
func (p *pinger) ping(dst netip.Addr, timeout time.Duration) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq = (p.seq + 1) & 0xffff
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: p.id, Seq: p.seq, Data: []byte("ml2go-ovs-test")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return false, err
	}
	if _, err := p.conn.WriteTo(b, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return false, fmt.Errorf("send echo to %s: %w", dst, err)
	}
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 1500)
	for {
		if err := p.conn.SetReadDeadline(deadline); err != nil {
			return false, err
		}
		n, peer, err := p.conn.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return false, nil
			}
			return false, err
		}
		reply, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || reply.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		echo, ok := reply.Body.(*icmp.Echo)
		if !ok || echo.ID != p.id || echo.Seq != p.seq {
			continue
		}
		if ip, ok := peer.(*net.IPAddr); ok && ip.IP.Equal(dst.AsSlice()) {
			return true, nil
		}
	}
}

// reaches pings dst up to tries times and reports whether any reply came.
func (p *pinger) reaches(tb testing.TB, dst netip.Addr, tries int) bool {
	tb.Helper()
	for range tries {
		ok, err := p.ping(dst, 500*time.Millisecond)
		require.NoError(tb, err)
		if ok {
			return true
		}
	}
	return false
}

// requireReach asserts that from reaches dst (a first ping may be lost
// to ARP and MAC learning).
func requireReach(tb testing.TB, from *vm, dst *vm, msg string) {
	tb.Helper()
	require.True(tb, from.newPinger(tb).reaches(tb, dst.addr.Addr(), 6), "%s: %s cannot reach %s", msg, from.name, dst.addr.Addr())
}

// requireNoReach asserts that from does not reach dst.
func requireNoReach(tb testing.TB, from *vm, dst *vm, msg string) {
	tb.Helper()
	p := from.newPinger(tb)
	for range 2 {
		ok, err := p.ping(dst.addr.Addr(), 300*time.Millisecond)
		require.NoError(tb, err)
		require.False(tb, ok, "%s: %s reaches %s", msg, from.name, dst.addr.Addr())
	}
}

// ovsClient is a go-openvswitch client for checks.
func ovsClient() *goovs.Client { return goovs.New(goovs.Timeout(10)) }

// flowsOf returns the canonical flows of bridge br.
func flowsOf(tb testing.TB, br string) []flowEntry {
	tb.Helper()
	flows, err := newRunner(context.Background()).dumpFlows(br, false)
	require.NoError(tb, err)
	return flows
}

// netLinkExists reports whether the host has device name.
func netLinkExists(name string) (bool, error) {
	if _, err := netlink.LinkByName(name); err != nil {
		return false, err
	}
	return true, nil
}
