package linuxbridge_test

import (
	"net"
	"net/netip"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/linuxbridge"
)

// plainTap makes the device of a port on h as a veth whose peer stays in
// the host: enough for tests that look at wiring, not traffic.
func plainTap(tb testing.TB, h *host, portID string) string {
	tb.Helper()
	name := dataplane.TapName(portID)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: "p" + name[3:]}
	require.NoError(tb, h.ns.Netlink().LinkAdd(veth))
	return name
}

// oneVXLANHost is a host with one vxlan network, one plugged port, and
// L2 population entries for two remote hosts.
func oneVXLANHost(t *testing.T) (*host, *dataplane.State) {
	t.Helper()
	h := newHost(t, "h", linuxbridge.Config{LocalIP: host1IP, EnableVXLAN: true})
	const portID = "c0c0c0c0-0000-4000-8000-000000000001"
	plainTap(t, h, portID)
	remote2, remote3 := netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
	s := &dataplane.State{
		Networks: map[string]*dataplane.Network{netAID: {
			ID: netAID, NetworkType: "vxlan", SegmentationID: 1001, MTU: tenantMT,
			FDB: []dataplane.FDBEntry{
				{MAC: dataplane.FloodMAC, Endpoint: remote2},
				{MAC: "fa:16:3e:00:00:02", IP: tenantIP(2), Endpoint: remote2},
				{MAC: dataplane.FloodMAC, Endpoint: remote3},
				{MAC: "fa:16:3e:00:00:03", IP: tenantIP(3), Endpoint: remote3},
				// This host's own entries are ignored.
				{MAC: dataplane.FloodMAC, Endpoint: host1IP},
			},
		}},
		Ports: map[string]*dataplane.Port{portID: {
			ID: portID, NetworkID: netAID, MACAddress: "fa:16:3e:00:00:01",
			FixedIPs: []netip.Addr{tenantIP(1)}, AdminStateUp: true, Device: dataplane.TapName(portID),
		}},
	}
	r := h.apply(t, s)
	require.Equal(t, []string{portID}, r.Wired)
	return h, s
}

// TestConvergesDrift changes one thing behind the agent's back and checks
// that the next Apply repairs exactly that, with the number of writes it
// takes and nothing more.
func TestConvergesDrift(t *testing.T) {
	const tap = "tapc0c0c0c0-00"
	brA := linuxbridge.BridgeName(netAID)
	fdbWant := []string{
		"00:00:00:00:00:00 192.0.2.2",
		"00:00:00:00:00:00 192.0.2.3",
		"fa:16:3e:00:00:02 192.0.2.2",
		"fa:16:3e:00:00:03 192.0.2.3",
	}
	fdbNeigh := func(h *host, mac, dst string) *netlink.Neigh {
		hw, err := net.ParseMAC(mac)
		require.NoError(t, err)
		return &netlink.Neigh{
			LinkIndex: h.link(t, "vxlan-1001").Attrs().Index, Family: syscall.AF_BRIDGE,
			Flags: netlink.NTF_SELF, State: netlink.NUD_PERMANENT | netlink.NUD_NOARP,
			HardwareAddr: hw, IP: net.ParseIP(dst),
		}
	}

	tests := []struct {
		name   string
		drift  func(t *testing.T, h *host)
		writes int
	}{
		{
			name: "stray flood entry removed",
			drift: func(t *testing.T, h *host) {
				require.NoError(t, h.ns.Netlink().NeighAppend(fdbNeigh(h, dataplane.FloodMAC, "192.0.2.99")))
			},
			writes: 1,
		},
		{
			name: "missing flood entry appended",
			drift: func(t *testing.T, h *host) {
				require.NoError(t, h.ns.Netlink().NeighDel(fdbNeigh(h, dataplane.FloodMAC, "192.0.2.3")))
			},
			writes: 1,
		},
		{
			name: "unicast entry pointing elsewhere replaced",
			drift: func(t *testing.T, h *host) {
				require.NoError(t, h.ns.Netlink().NeighSet(fdbNeigh(h, "fa:16:3e:00:00:02", "192.0.2.3")))
			},
			writes: 1,
		},
		{
			name: "stray unicast entry removed",
			drift: func(t *testing.T, h *host) {
				require.NoError(t, h.ns.Netlink().NeighSet(fdbNeigh(h, "fa:16:3e:00:00:99", "192.0.2.2")))
			},
			writes: 1,
		},
		{
			name: "detached tap re-enslaved",
			drift: func(t *testing.T, h *host) {
				require.NoError(t, h.ns.Netlink().LinkSetNoMaster(h.link(t, tap)))
			},
			writes: 1,
		},
		{
			name: "tap set down by hand set up",
			drift: func(t *testing.T, h *host) {
				require.NoError(t, h.ns.Netlink().LinkSetDown(h.link(t, tap)))
			},
			writes: 1,
		},
		{
			name: "bridge MTU restored",
			drift: func(t *testing.T, h *host) {
				require.NoError(t, h.ns.Netlink().LinkSetMTU(h.link(t, brA), 1400))
			},
			writes: 1,
		},
		{
			name: "deleted bridge rebuilt",
			drift: func(t *testing.T, h *host) {
				require.NoError(t, h.ns.Netlink().LinkDel(h.link(t, brA)))
			},
			// add bridge; enslave vxlan; enslave tap.
			writes: 3,
		},
		{
			name: "deleted vxlan device rebuilt with its entries",
			drift: func(t *testing.T, h *host) {
				require.NoError(t, h.ns.Netlink().LinkDel(h.link(t, "vxlan-1001")))
			},
			// add vxlan (up, MTU); enslave; 2 flood appends; 2 replaces.
			writes: 6,
		},
		{
			name: "vxlan device on the kernel's default port recreated",
			drift: func(t *testing.T, h *host) {
				nl := h.ns.Netlink()
				require.NoError(t, nl.LinkDel(h.link(t, "vxlan-1001")))
				v := &netlink.Vxlan{
					LinkAttrs: netlink.LinkAttrs{Name: "vxlan-1001", MTU: tenantMT},
					VxlanId:   1001, SrcAddr: net.IP(host1IP.AsSlice()), Port: 8472,
				}
				require.NoError(t, nl.LinkAdd(v))
				require.NoError(t, nl.LinkSetMasterByIndex(v, h.link(t, brA).Attrs().Index))
			},
			// delete; add; enslave; 4 entries.
			writes: 7,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, s := oneVXLANHost(t)
			tt.drift(t, h)
			r := h.apply(t, s)
			assert.Equal(t, tt.writes, r.Writes)
			assert.Len(t, r.Wired, 1)

			assert.Equal(t, fdbWant, h.fdb(t, "vxlan-1001"))
			br := h.link(t, brA)
			assert.Equal(t, tenantMT, br.Attrs().MTU)
			v, ok := h.link(t, "vxlan-1001").(*netlink.Vxlan)
			require.True(t, ok)
			assert.Equal(t, 4789, v.Port)
			assert.Equal(t, br.Attrs().Index, v.MasterIndex)
			tl := h.link(t, tap)
			assert.Equal(t, br.Attrs().Index, tl.Attrs().MasterIndex)
			assert.True(t, isUp(tl))

			assert.Zero(t, h.apply(t, s).Writes, "converged after the repair")
		})
	}
}

// TestLeavesForeignLinksAlone checks that links outside the agent's
// naming patterns survive every Apply, including one that removes all of
// the agent's own.
func TestLeavesForeignLinksAlone(t *testing.T) {
	h, s := oneVXLANHost(t)
	nl := h.ns.Netlink()
	brA := h.link(t, linuxbridge.BridgeName(netAID))

	foreignBridge := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br-ex"}}
	require.NoError(t, nl.LinkAdd(foreignBridge))
	shortBrq := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "brqmine"}}
	require.NoError(t, nl.LinkAdd(shortBrq))
	// A tap of someone else's, on someone else's bridge.
	foreignTap := plainTap(t, h, "f0f0f0f0-0000-4000-8000-000000000001")
	require.NoError(t, nl.LinkSetMaster(h.link(t, foreignTap), foreignBridge))
	// A VXLAN device outside the "vxlan-<VNI>" pattern.
	foreignVXLAN := &netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: "vxlan0"}, VxlanId: 7, Port: 4790}
	require.NoError(t, nl.LinkAdd(foreignVXLAN))
	// A non-tap device someone put on the agent's bridge.
	other := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "mon0"}, PeerName: "mon1"}
	require.NoError(t, nl.LinkAdd(other))
	require.NoError(t, nl.LinkSetMaster(other, brA))

	r := h.apply(t, s)
	assert.Zero(t, r.Writes)
	assert.Equal(t, brA.Attrs().Index, h.link(t, "mon0").Attrs().MasterIndex, "non-tap slave left on the bridge")

	r = h.apply(t, &dataplane.State{})
	assert.Positive(t, r.Writes)
	assert.False(t, h.hasLink(t, brA.Attrs().Name))
	for _, name := range []string{"br-ex", "brqmine", foreignTap, "vxlan0", "mon0"} {
		assert.True(t, h.hasLink(t, name), name)
	}
	assert.Equal(t, foreignBridge.Index, h.link(t, foreignTap).Attrs().MasterIndex)
}

// TestPortPluggedLater checks that a port whose device is missing is
// neither wired nor an error, and is wired by the Apply after the
// hypervisor plugs it.
func TestPortPluggedLater(t *testing.T) {
	h := newHost(t, "h", linuxbridge.Config{})
	const netID, portID = "10c410c4-0000-4000-8000-000000000001", "d0d0d0d0-0000-4000-8000-000000000001"
	s := &dataplane.State{
		Networks: map[string]*dataplane.Network{netID: {ID: netID, NetworkType: "local"}},
		Ports: map[string]*dataplane.Port{portID: {
			ID: portID, NetworkID: netID, MACAddress: "fa:16:3e:00:00:01", AdminStateUp: true,
			Device: dataplane.TapName(portID),
		}},
	}
	r := h.apply(t, s)
	assert.Empty(t, r.Wired)
	assert.True(t, h.hasLink(t, linuxbridge.BridgeName(netID)), "bridge made before the port appears")
	assert.Zero(t, h.apply(t, s).Writes)

	plainTap(t, h, portID)
	r = h.apply(t, s)
	assert.Equal(t, []string{portID}, r.Wired)
	assert.Equal(t, 2, r.Writes, "enslave and set up")
}

// TestUnwirableNetworks checks that a network this agent cannot carry is
// reported as an error without keeping the other networks from being
// wired.
func TestUnwirableNetworks(t *testing.T) {
	h := newHost(t, "h", linuxbridge.Config{PhysicalInterfaceMappings: map[string]string{"physnet1": "nosuch0"}})
	ids := map[string]string{
		"local":    "11111111-0000-4000-8000-000000000001",
		"gre":      "22222222-0000-4000-8000-000000000002",
		"unmapped": "33333333-0000-4000-8000-000000000003",
		"missing":  "44444444-0000-4000-8000-000000000004",
		"vxlan":    "55555555-0000-4000-8000-000000000005",
	}
	s := &dataplane.State{
		Networks: map[string]*dataplane.Network{
			ids["local"]:    {ID: ids["local"], NetworkType: "local"},
			ids["gre"]:      {ID: ids["gre"], NetworkType: "gre", SegmentationID: 5},
			ids["unmapped"]: {ID: ids["unmapped"], NetworkType: "flat", PhysicalNetwork: "physnet9"},
			ids["missing"]:  {ID: ids["missing"], NetworkType: "flat", PhysicalNetwork: "physnet1"},
			ids["vxlan"]:    {ID: ids["vxlan"], NetworkType: "vxlan", SegmentationID: 9},
		},
		Ports: map[string]*dataplane.Port{},
	}
	for kind, netID := range ids {
		portID := netID[:8] + "-port-" + kind
		plainTap(t, h, portID)
		s.Ports[portID] = &dataplane.Port{ID: portID, NetworkID: netID, AdminStateUp: true, Device: dataplane.TapName(portID)}
	}
	r, err := h.dp.Apply(t.Context(), s)
	require.Error(t, err)
	for _, want := range []string{`"gre" is not supported`, `"physnet9" has no interface mapping`, "nosuch0", "enable_vxlan"} {
		assert.ErrorContains(t, err, want)
	}
	assert.Equal(t, []string{ids["local"][:8] + "-port-local"}, r.Wired)
}
