package linuxbridge_test

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/linuxbridge"
)

// Addresses of the simulated hosts (TEST-NET-1) and tenant ports
// (TEST-NET-2): they live only inside the test's namespaces.
var (
	host1IP = netip.MustParseAddr("192.0.2.1")
	host2IP = netip.MustParseAddr("192.0.2.2")
)

func tenantIP(last byte) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, last}) }

const (
	netAID   = "6a1f0c2e-1001-4c3b-9d7e-0f1e2d3c4b5a"
	netBID   = "b7e2d91c-1002-4a6f-8e5d-1c2b3a4d5e6f"
	tenantMT = 1450
)

// twoHosts is the end-to-end setup: two hosts joined by an underlay, each
// with its own Linux bridge dataplane.
func twoHosts(t *testing.T, arpResponder bool) (h1, h2 *host) {
	t.Helper()
	cfg := func(ip netip.Addr) linuxbridge.Config {
		return linuxbridge.Config{LocalIP: ip, EnableVXLAN: true, ARPResponder: arpResponder}
	}
	h1 = newHost(t, "h1", cfg(host1IP))
	h2 = newHost(t, "h2", cfg(host2IP))
	joinUnderlay(t, h1, h2, "ul0", true)
	return h1, h2
}

// TestVXLANTwoHosts is the end-to-end life of VXLAN networks between two
// hosts: wiring, traffic, isolation, idempotence, restart, admin state,
// port and network removal.
func TestVXLANTwoHosts(t *testing.T) {
	h1, h2 := twoHosts(t, false)
	c := newCloud(h1, h2)
	c.addNetwork(dataplane.Network{ID: netAID, NetworkType: "vxlan", SegmentationID: 1001, MTU: tenantMT})
	c.addNetwork(dataplane.Network{ID: netBID, NetworkType: "vxlan", SegmentationID: 1002, MTU: tenantMT})
	// Both networks use the same addresses: only the VNI separates them.
	pA1 := c.addPort(h1, "a1a1a1a1-0000-4000-8000-000000000001", netAID, "fa:16:3e:0a:00:01", tenantIP(11))
	pA2 := c.addPort(h2, "a2a2a2a2-0000-4000-8000-000000000002", netAID, "fa:16:3e:0a:00:02", tenantIP(12))
	pA3 := c.addPort(h1, "a3a3a3a3-0000-4000-8000-000000000003", netAID, "fa:16:3e:0a:00:03", tenantIP(13))
	pB1 := c.addPort(h1, "b1b1b1b1-0000-4000-8000-000000000001", netBID, "fa:16:3e:0b:00:01", tenantIP(21))
	pB2 := c.addPort(h2, "b2b2b2b2-0000-4000-8000-000000000002", netBID, "fa:16:3e:0b:00:02", tenantIP(22))
	vmA1 := plugVM(t, h1, pA1, 24, tenantMT)
	vmA2 := plugVM(t, h2, pA2, 24, tenantMT)
	vmA3 := plugVM(t, h1, pA3, 24, tenantMT)
	vmB1 := plugVM(t, h1, pB1, 24, tenantMT)
	_ = plugVM(t, h2, pB2, 24, tenantMT)

	brA, brB := linuxbridge.BridgeName(netAID), linuxbridge.BridgeName(netBID)

	t.Run("first apply wires both hosts", func(t *testing.T) {
		for h, r := range c.applyAll(t) {
			assert.Positive(t, r.Writes, h.ns.Name)
			assert.Equal(t, c.wired(h), r.Wired, h.ns.Name)
		}
	})

	t.Run("layout is Neutron's", func(t *testing.T) {
		for _, h := range []*host{h1, h2} {
			for _, n := range []struct {
				bridge, vxlan string
				vni           int
			}{{brA, "vxlan-1001", 1001}, {brB, "vxlan-1002", 1002}} {
				br := h.link(t, n.bridge)
				require.IsType(t, &netlink.Bridge{}, br)
				assert.Equal(t, tenantMT, br.Attrs().MTU)
				assert.True(t, isUp(br))

				v, ok := h.link(t, n.vxlan).(*netlink.Vxlan)
				require.True(t, ok, "%s is a vxlan device", n.vxlan)
				assert.Equal(t, n.vni, v.VxlanId)
				assert.Equal(t, 4789, v.Port, "IANA port, not the kernel's 8472")
				assert.False(t, v.Learning)
				assert.False(t, v.Proxy)
				assert.Equal(t, h.ip.String(), v.SrcAddr.String())
				assert.Equal(t, br.Attrs().Index, v.MasterIndex)
				assert.Equal(t, tenantMT, v.MTU)
				assert.True(t, isUp(v))
			}
		}
		for _, p := range []*dataplane.Port{pA1, pA3, pB1} {
			tap := h1.link(t, p.Device)
			want := h1.link(t, linuxbridge.BridgeName(p.NetworkID))
			assert.Equal(t, want.Attrs().Index, tap.Attrs().MasterIndex, p.Device)
			assert.True(t, isUp(tap), p.Device)
		}
		// Unicast-mode L2 population: a flood entry and one entry per
		// remote port, to the other host's endpoint.
		assert.Equal(t, []string{
			"00:00:00:00:00:00 192.0.2.2",
			"fa:16:3e:0a:00:02 192.0.2.2",
		}, h1.fdb(t, "vxlan-1001"))
		assert.Equal(t, []string{
			"00:00:00:00:00:00 192.0.2.1",
			"fa:16:3e:0a:00:01 192.0.2.1",
			"fa:16:3e:0a:00:03 192.0.2.1",
		}, h2.fdb(t, "vxlan-1001"))
	})

	t.Run("VMs on the same network reach each other across hosts", func(t *testing.T) {
		vmA1.requirePing(t, tenantIP(12))
		vmA2.requirePing(t, tenantIP(11))
		vmA2.requirePing(t, tenantIP(13))
		vmB1.requirePing(t, tenantIP(22))
	})

	t.Run("networks are isolated", func(t *testing.T) {
		vmA1.requireNoPing(t, tenantIP(22)) // net B, other host
		vmA1.requireNoPing(t, tenantIP(21)) // net B, same host
		vmB1.requireNoPing(t, tenantIP(12)) // net A, other host
	})

	t.Run("second apply writes nothing", func(t *testing.T) {
		c.requireConverged(t)
	})

	t.Run("restart changes nothing and keeps traffic flowing", func(t *testing.T) {
		var sent, lost atomic.Int64
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				sent.Add(1)
				if err := vmA1.pinger.Ping(context.Background(), tenantIP(12), time.Second); err != nil {
					lost.Add(1)
				}
			}
		})
		time.Sleep(200 * time.Millisecond)
		for _, h := range []*host{h1, h2} {
			h.restart(t)
			r := h.apply(t, c.state(h))
			assert.Zero(t, r.Writes, "restarted agent on %s changed the dataplane", h.ns.Name)
			assert.Equal(t, c.wired(h), r.Wired)
		}
		time.Sleep(200 * time.Millisecond)
		stop()
		wg.Wait()
		t.Logf("continuous ping during restart: %d sent, %d lost", sent.Load(), lost.Load())
		assert.Greater(t, sent.Load(), int64(10))
		assert.Zero(t, lost.Load())
	})

	t.Run("admin down sets the device down and unwires it", func(t *testing.T) {
		pA1.AdminStateUp = false
		res := c.applyAll(t)
		assert.Equal(t, c.wired(h1), res[h1].Wired)
		assert.NotContains(t, res[h1].Wired, pA1.ID)
		tap := h1.link(t, pA1.Device)
		assert.False(t, isUp(tap))
		assert.Equal(t, h1.link(t, brA).Attrs().Index, tap.Attrs().MasterIndex, "still plugged, as Neutron leaves it")
		// l2population withdrew the port's entry; h1 keeps its flood
		// entry on h2 because of its other active port.
		assert.Equal(t, []string{
			"00:00:00:00:00:00 192.0.2.1",
			"fa:16:3e:0a:00:03 192.0.2.1",
		}, h2.fdb(t, "vxlan-1001"))
		vmA2.requireNoPing(t, tenantIP(11))
		vmA2.requirePing(t, tenantIP(13))
		c.requireConverged(t)

		pA1.AdminStateUp = true
		res = c.applyAll(t)
		assert.Contains(t, res[h1].Wired, pA1.ID)
		assert.True(t, isUp(h1.link(t, pA1.Device)))
		vmA2.requirePing(t, tenantIP(11))
	})

	t.Run("deleted port is detached and its entries withdrawn", func(t *testing.T) {
		delete(c.ports, pA3.ID)
		res := c.applyAll(t)
		assert.Equal(t, c.wired(h1), res[h1].Wired)
		tap := h1.link(t, pA3.Device)
		assert.Zero(t, tap.Attrs().MasterIndex, "detached from the bridge")
		assert.Equal(t, []string{
			"00:00:00:00:00:00 192.0.2.1",
			"fa:16:3e:0a:00:01 192.0.2.1",
		}, h2.fdb(t, "vxlan-1001"))
		vmA2.requireNoPing(t, tenantIP(13))
		vmA2.requirePing(t, tenantIP(11))
		_ = vmA3
		c.requireConverged(t)
	})

	t.Run("network without ports on a host is removed there", func(t *testing.T) {
		delete(c.ports, pB1.ID)
		res := c.applyAll(t)
		assert.Positive(t, res[h1].Writes)
		assert.False(t, h1.hasLink(t, brB), "bridge of the removed network")
		assert.False(t, h1.hasLink(t, "vxlan-1002"), "vxlan device of the removed network")
		assert.Zero(t, h1.link(t, pB1.Device).Attrs().MasterIndex, "tap kept, detached")
		// h2 keeps the network (its own port) but no longer floods to h1.
		assert.True(t, h2.hasLink(t, brB))
		assert.Empty(t, h2.fdb(t, "vxlan-1002"))
		// Network A is untouched.
		vmA1.requirePing(t, tenantIP(12))
		c.requireConverged(t)
	})

	t.Run("empty state removes everything", func(t *testing.T) {
		for _, h := range []*host{h1, h2} {
			r := h.apply(t, &dataplane.State{})
			assert.Positive(t, r.Writes)
			assert.Empty(t, r.Wired)
			for _, name := range []string{brA, brB, "vxlan-1001", "vxlan-1002"} {
				assert.False(t, h.hasLink(t, name), "%s on %s", name, h.ns.Name)
			}
			assert.True(t, h.hasLink(t, "ul0"), "underlay untouched")
			r = h.apply(t, &dataplane.State{})
			assert.Zero(t, r.Writes)
		}
	})
}

// TestARPResponder checks the arp_responder option: VXLAN devices with
// proxy on answer ARP from neighbour entries filled from L2 population, so
// traffic flows although ARP requests never cross the tunnel.
func TestARPResponder(t *testing.T) {
	h1, h2 := twoHosts(t, true)
	c := newCloud(h1, h2)
	c.addNetwork(dataplane.Network{ID: netAID, NetworkType: "vxlan", SegmentationID: 1001, MTU: tenantMT})
	p1 := c.addPort(h1, "a1a1a1a1-0000-4000-8000-000000000001", netAID, "fa:16:3e:0a:00:01", tenantIP(11))
	p2 := c.addPort(h2, "a2a2a2a2-0000-4000-8000-000000000002", netAID, "fa:16:3e:0a:00:02", tenantIP(12))
	vm1 := plugVM(t, h1, p1, 24, tenantMT)
	_ = plugVM(t, h2, p2, 24, tenantMT)
	c.applyAll(t)

	v, ok := h1.link(t, "vxlan-1001").(*netlink.Vxlan)
	require.True(t, ok)
	assert.True(t, v.Proxy, "proxy (ARP responder) on")
	neighs := permanentNeighs(t, h1, "vxlan-1001")
	assert.Equal(t, map[string]string{"198.51.100.12": "fa:16:3e:0a:00:02"}, neighs)
	vm1.requirePing(t, tenantIP(12))
	c.requireConverged(t)

	t.Run("stale neighbour entry removed", func(t *testing.T) {
		l := h1.link(t, "vxlan-1001")
		mac, err := net.ParseMAC("fa:16:3e:0a:00:99")
		require.NoError(t, err)
		require.NoError(t, h1.ns.Netlink().NeighSet(&netlink.Neigh{
			LinkIndex: l.Attrs().Index, Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT,
			IP: net.ParseIP("198.51.100.99"), HardwareAddr: mac,
		}))
		r := h1.apply(t, c.state(h1))
		assert.Equal(t, 1, r.Writes)
		assert.Equal(t, map[string]string{"198.51.100.12": "fa:16:3e:0a:00:02"}, permanentNeighs(t, h1, "vxlan-1001"))
	})

	t.Run("turning the option off recreates the device without proxy", func(t *testing.T) {
		h1.cfg.ARPResponder = false
		h1.restart(t)
		r := h1.apply(t, c.state(h1))
		assert.Positive(t, r.Writes)
		v, ok := h1.link(t, "vxlan-1001").(*netlink.Vxlan)
		require.True(t, ok)
		assert.False(t, v.Proxy)
		assert.Empty(t, permanentNeighs(t, h1, "vxlan-1001"))
		assert.Equal(t, []string{"00:00:00:00:00:00 192.0.2.2", "fa:16:3e:0a:00:02 192.0.2.2"}, h1.fdb(t, "vxlan-1001"))
		vm1.requirePing(t, tenantIP(12))
		c.requireConverged(t)
	})
}

// permanentNeighs returns the permanent IPv4 neighbour entries of a device
// as IP → MAC.
func permanentNeighs(tb testing.TB, h *host, dev string) map[string]string {
	tb.Helper()
	l := h.link(tb, dev)
	entries, err := h.ns.Netlink().NeighList(l.Attrs().Index, netlink.FAMILY_V4)
	require.NoError(tb, err)
	out := map[string]string{}
	for _, e := range entries {
		if e.State&netlink.NUD_PERMANENT != 0 {
			out[e.IP.String()] = e.HardwareAddr.String()
		}
	}
	return out
}
