package linuxbridge_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/linuxbridge"
	"github.com/ml2go/ml2go/reference/agent/vmplug"
	"github.com/ml2go/ml2go/reference/netns"
)

// runID keeps this process's namespace names apart from any other run's.
var runID = func() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}()

var nsCounter atomic.Int64

// requireRoot skips tests that program the kernel when they cannot.
func requireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root: creates network namespaces and links")
	}
}

// newNS makes a throwaway named namespace deleted when the test ends
// (with every link inside it). It skips the test when namespaces cannot
// be made here.
func newNS(tb testing.TB, role string) *netns.Namespace {
	tb.Helper()
	requireRoot(tb)
	name := fmt.Sprintf("lbt%s-%d%s", runID, nsCounter.Add(1), role)
	ns, err := netns.New(context.Background(), name)
	if err != nil {
		tb.Skipf("cannot create network namespace %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if err := ns.Delete(); err != nil {
			tb.Errorf("delete namespace %s: %v", name, err)
		}
	})
	return ns
}

// testLogger logs through the test.
func testLogger(tb testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:   tb.Name(),
		Level:  hclog.Info,
		Output: testWriter{tb},
	})
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// host is one simulated hypervisor: a namespace with an underlay address
// and a Linux bridge dataplane programming it.
type host struct {
	ns  *netns.Namespace
	ip  netip.Addr
	cfg linuxbridge.Config
	dp  *linuxbridge.Dataplane
}

// newHost makes a host namespace and a dataplane for it.
func newHost(tb testing.TB, role string, cfg linuxbridge.Config) *host {
	tb.Helper()
	h := &host{ns: newNS(tb, role), ip: cfg.LocalIP, cfg: cfg}
	// Registered after the namespace's cleanup, so it runs before it.
	tb.Cleanup(func() {
		if h.dp != nil {
			_ = h.dp.Close()
		}
	})
	h.restart(tb)
	return h
}

// restart replaces the host's dataplane with a new value, as an agent
// restart does.
func (h *host) restart(tb testing.TB) {
	tb.Helper()
	if h.dp != nil {
		require.NoError(tb, h.dp.Close())
	}
	dp, err := linuxbridge.New(h.cfg, linuxbridge.WithHandle(h.ns.Netlink()), linuxbridge.WithLogger(testLogger(tb)))
	require.NoError(tb, err)
	h.dp = dp
}

// link returns the named link of the host, failing the test if absent.
func (h *host) link(tb testing.TB, name string) netlink.Link {
	tb.Helper()
	l, err := h.ns.Netlink().LinkByName(name)
	require.NoError(tb, err, "link %s in %s", name, h.ns.Name)
	return l
}

// hasLink reports whether the host has the named link.
func (h *host) hasLink(tb testing.TB, name string) bool {
	tb.Helper()
	_, err := h.ns.Netlink().LinkByName(name)
	if err == nil {
		return true
	}
	var notFound netlink.LinkNotFoundError
	require.ErrorAs(tb, err, &notFound)
	return false
}

// fdb returns the forwarding entries of a VXLAN device as "mac dst"
// strings, sorted.
func (h *host) fdb(tb testing.TB, dev string) []string {
	tb.Helper()
	l := h.link(tb, dev)
	entries, err := h.ns.Netlink().NeighList(l.Attrs().Index, syscall.AF_BRIDGE)
	require.NoError(tb, err)
	var out []string
	for _, e := range entries {
		if e.Flags&netlink.NTF_SELF != 0 {
			out = append(out, e.HardwareAddr.String()+" "+e.IP.String())
		}
	}
	slices.Sort(out)
	return out
}

// apply runs one Apply with a deadline.
func (h *host) apply(tb testing.TB, s *dataplane.State) dataplane.Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := h.dp.Apply(ctx, s)
	require.NoError(tb, err, "apply on %s", h.ns.Name)
	return res
}

// joinUnderlay connects hosts a and b with a veth pair named dev on both
// sides, gives each end its host's address (prefix /24) and brings them
// up: the physical network between two hypervisors.
func joinUnderlay(tb testing.TB, a, b *host, dev string, withIPs bool) {
	tb.Helper()
	var addrA, addrB netip.Prefix
	if withIPs {
		addrA, addrB = netip.PrefixFrom(a.ip, 24), netip.PrefixFrom(b.ip, 24)
	}
	require.NoError(tb, netns.Connect(a.ns, b.ns, dev, addrA, addrB))
}

// vm is one simulated instance: a namespace plugged into a host as a port.
type vm struct {
	ns     *netns.Namespace
	pinger *vmplug.Pinger
}

// plugVM makes a VM namespace and plugs it into h for port p.
func plugVM(tb testing.TB, h *host, p *dataplane.Port, prefixLen, mtu int) *vm {
	tb.Helper()
	ns := newNS(tb, "vm")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tap, err := vmplug.Plug(ctx, h.ns.Netlink(), ns.NsHandle(), vmplug.VM{
		PortID: p.ID,
		MAC:    p.MACAddress,
		Addr:   netip.PrefixFrom(p.FixedIPs[0], prefixLen),
		MTU:    mtu,
	})
	require.NoError(tb, err)
	require.Equal(tb, p.Device, tap)
	pinger, err := vmplug.NewPinger(ns)
	require.NoError(tb, err)
	// Registered after the namespace's cleanup, so it runs before it.
	tb.Cleanup(func() { _ = pinger.Close() })
	return &vm{ns: ns, pinger: pinger}
}

// ping sends one echo request from v to dst, with a short timeout.
func (v *vm) ping(dst netip.Addr) error {
	return v.pinger.Ping(context.Background(), dst, time.Second)
}

// requirePing asserts that v reaches dst, allowing a few tries for ARP
// and the bridge to settle.
func (v *vm) requirePing(tb testing.TB, dst netip.Addr) {
	tb.Helper()
	var err error
	for range 3 {
		if err = v.ping(dst); err == nil {
			return
		}
	}
	require.NoError(tb, err, "ping %s from %s", dst, v.ns.Name)
}

// requireNoPing asserts that v does not reach dst.
func (v *vm) requireNoPing(tb testing.TB, dst netip.Addr) {
	tb.Helper()
	err := v.pinger.Ping(context.Background(), dst, 500*time.Millisecond)
	require.Error(tb, err, "ping %s from %s must fail", dst, v.ns.Name)
}

// isUp reports whether a link is administratively up.
func isUp(l netlink.Link) bool { return l.Attrs().Flags&net.FlagUp != 0 }

// errIsUnsupported reports whether err says the kernel lacks a link type.
func errIsUnsupported(err error) bool {
	return errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EAFNOSUPPORT) ||
		errors.Is(err, syscall.EPROTONOSUPPORT)
}
