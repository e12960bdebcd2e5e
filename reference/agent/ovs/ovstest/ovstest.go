// Package ovstest helps tests play several hosts on this machine's one
// Open vSwitch (userspace datapath): Underlay is the "physical network"
// that carries tunnels between their bridges.
package ovstest

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// VXLANPort is the UDP port the underlay carries VXLAN on.
const VXLANPort = 4789

// Require skips tb unless it runs as root with Open vSwitch answering.
func Require(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root: creates network namespaces, links and OVS bridges")
	}
	if _, err := exec.LookPath("ovs-vsctl"); err != nil {
		tb.Skip("Open vSwitch is not installed (apt-get install openvswitch-switch; then reference/agent/ovs/testdata/start-ovs.sh)")
	}
	if out, err := exec.Command("ovs-vsctl", "--timeout=5", "show").CombinedOutput(); err != nil {
		tb.Skipf("Open vSwitch is not running (start it with reference/agent/ovs/testdata/start-ovs.sh): %v: %s",
			err, strings.TrimSpace(string(out)))
	}
}

// Underlay joins two simulated hosts sharing this machine's one Open
// vSwitch, whose tunnel endpoints are A and B.
//
// OVS's userspace datapath sends a tunnelled frame by looking up the
// remote endpoint in its router (which mirrors the kernel's routes),
// pushing the tunnel header and handing the packet to the bridge whose
// internal port the route leaves through; it receives one when a packet
// for an address of a bridge's internal port, on the tunnel's UDP port,
// is output to that internal port. Both endpoints have to live on internal
// ports of this one OVS, in the root namespace, so the kernel holds them
// as local addresses: the route to either leads to the underlay bridge's
// own internal port. The underlay bridge therefore hairpins tunnel traffic
// (VXLAN, Geneve, GRE) coming from its internal port back to it, where OVS
// terminates the tunnel; OVS's neighbour cache gets static entries for
// both endpoints, since the kernel does not answer ARP requests that come
// from one of its own addresses. The endpoints are loopback-range
// addresses (127.x.y.1 and .2, random per test): nothing leaves the
// machine.
type Underlay struct {
	Bridge string
	A, B   netip.Addr
}

// NewUnderlay makes an underlay whose bridge is named "ul"+suffix; it is
// deleted when tb ends.
func NewUnderlay(tb testing.TB, suffix string) *Underlay {
	tb.Helper()
	rb := make([]byte, 2)
	_, _ = rand.Read(rb)
	u := &Underlay{
		Bridge: "ul" + suffix,
		A:      netip.AddrFrom4([4]byte{127, 1 + rb[0]%250, rb[1], 1}),
		B:      netip.AddrFrom4([4]byte{127, 1 + rb[0]%250, rb[1], 2}),
	}
	tb.Cleanup(func() { _ = exec.Command("ovs-vsctl", "--timeout=10", "--if-exists", "del-br", u.Bridge).Run() })
	run(tb, "ovs-vsctl", "--timeout=10", "add-br", u.Bridge, "--", "set", "Bridge", u.Bridge, "datapath_type=netdev", "fail_mode=secure")
	run(tb, "ip", "link", "set", u.Bridge, "up")
	run(tb, "ip", "addr", "add", u.A.String()+"/32", "dev", u.Bridge)
	run(tb, "ip", "addr", "add", u.B.String()+"/32", "dev", u.Bridge)
	for _, match := range []string{
		fmt.Sprintf("udp,tp_dst=%d", VXLANPort), // VXLAN
		"udp,tp_dst=6081",                       // Geneve
		"ip,nw_proto=47",                        // GRE
	} {
		run(tb, "ovs-ofctl", "add-flow", u.Bridge, "priority=10,in_port=LOCAL,"+match+",actions=IN_PORT")
	}
	mac, err := os.ReadFile("/sys/class/net/" + u.Bridge + "/address")
	if err != nil {
		tb.Fatalf("ovstest: underlay MAC: %v", err)
	}
	for _, ip := range []netip.Addr{u.A, u.B} {
		run(tb, "ovs-appctl", "tnl/neigh/set", u.Bridge, ip.String(), strings.TrimSpace(string(mac)))
	}
	// OVS learns the kernel's routes asynchronously.
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := run(tb, "ovs-appctl", "ovs/route/show")
		if strings.Contains(out, u.A.String()+"/32 dev "+u.Bridge) && strings.Contains(out, u.B.String()+"/32 dev "+u.Bridge) {
			return u
		}
		if time.Now().After(deadline) {
			tb.Fatalf("ovstest: OVS's router never learned the underlay addresses:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("ovstest: %s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
