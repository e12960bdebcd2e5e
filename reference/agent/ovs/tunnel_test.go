package ovs

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/ovs/ovstest"
)

// tunnelHosts is two hosts joined by VXLAN: network 1 and network 2 have
// one VM on each host, all in one IP subnet.
type tunnelHosts struct {
	ul                 *ovstest.Underlay
	cfgA, cfgB         Config
	dA, dB             *Dataplane
	net1, net2         *dataplane.Network
	a1, b1, a2, b2     *vm
	pa1, pb1, pa2, pb2 *dataplane.Port
}

func newTunnelHosts(t *testing.T, tunnelType string) *tunnelHosts {
	t.Helper()
	requireOVS(t)
	sfx := suffix(t)
	h := &tunnelHosts{ul: ovstest.NewUnderlay(t, sfx)}
	h.cfgA, h.cfgB = hostConfig(sfx, "a"), hostConfig(sfx, "b")
	h.cfgA.TunnelTypes, h.cfgB.TunnelTypes = []string{tunnelType}, []string{tunnelType}
	h.cfgA.LocalIP, h.cfgB.LocalIP = h.ul.A, h.ul.B
	h.dA, h.dB = newDataplane(t, h.cfgA), newDataplane(t, h.cfgB)

	h.net1 = &dataplane.Network{ID: uuid.NewString(), NetworkType: tunnelType, SegmentationID: 1001}
	h.net2 = &dataplane.Network{ID: uuid.NewString(), NetworkType: tunnelType, SegmentationID: 1002}
	ip := func(n int) netip.Prefix { return netip.MustParsePrefix("10.232.0." + strconv.Itoa(n) + "/24") }
	mk := func(name string, n int, netID string) (*vm, *dataplane.Port) {
		id := uuid.NewString()
		v := newVM(t, "ovt"+sfx+name, id, fmt.Sprintf("fa:16:3e:00:02:%02x", n), ip(n))
		return v, v.port(id, netID)
	}
	h.a1, h.pa1 = mk("a1", 1, h.net1.ID)
	h.b1, h.pb1 = mk("b1", 2, h.net1.ID)
	h.a2, h.pa2 = mk("a2", 3, h.net2.ID)
	h.b2, h.pb2 = mk("b2", 4, h.net2.ID)
	return h
}

// state is host local's desired state: its ports on nets, with the L2
// population entries of the other host's ports on the same networks.
func (h *tunnelHosts) state(local, remote netip.Addr, mine, theirs []*dataplane.Port, nets ...*dataplane.Network) *dataplane.State {
	s := &dataplane.State{Networks: map[string]*dataplane.Network{}, Ports: map[string]*dataplane.Port{}}
	for _, n := range nets {
		c := *n
		c.FDB = nil
		for _, p := range theirs {
			if p.NetworkID != n.ID {
				continue
			}
			if len(c.FDB) == 0 {
				c.FDB = append(c.FDB, dataplane.FDBEntry{MAC: dataplane.FloodMAC, Endpoint: remote})
			}
			c.FDB = append(c.FDB, dataplane.FDBEntry{MAC: p.MACAddress, IP: p.FixedIPs[0], Endpoint: remote})
		}
		s.Networks[n.ID] = &c
	}
	for _, p := range mine {
		if _, ok := s.Networks[p.NetworkID]; ok {
			s.Ports[p.ID] = p
		}
	}
	return s
}

// apply applies both hosts' states for the given networks and returns the
// writes of each.
func (h *tunnelHosts) apply(t *testing.T, ctx context.Context, dA, dB *Dataplane, nets ...*dataplane.Network) (int, int) {
	t.Helper()
	sa := h.state(h.ul.A, h.ul.B, []*dataplane.Port{h.pa1, h.pa2}, []*dataplane.Port{h.pb1, h.pb2}, nets...)
	sb := h.state(h.ul.B, h.ul.A, []*dataplane.Port{h.pb1, h.pb2}, []*dataplane.Port{h.pa1, h.pa2}, nets...)
	ra, err := dA.Apply(ctx, sa)
	require.NoError(t, err)
	rb, err := dB.Apply(ctx, sb)
	require.NoError(t, err)
	assert.Equal(t, slices.Sorted(maps.Keys(sa.Ports)), ra.Wired)
	assert.Equal(t, slices.Sorted(maps.Keys(sb.Ports)), rb.Wired)
	return ra.Writes, rb.Writes
}

func TestVXLANBetweenTwoHosts(t *testing.T) {
	h := newTunnelHosts(t, TunnelVXLAN)
	ctx := testCtx(t)
	wa, wb := h.apply(t, ctx, h.dA, h.dB, h.net1, h.net2)
	assert.Positive(t, wa)
	assert.Positive(t, wb)
	tunA := TunnelPortName(TunnelVXLAN, h.ul.B)
	tunB := TunnelPortName(TunnelVXLAN, h.ul.A)

	t.Run("tunnel and patch ports", func(t *testing.T) {
		snap, err := newRunner(ctx).readSnapshot()
		require.NoError(t, err)
		tests := []struct {
			cfg          Config
			tun          string
			local, remot netip.Addr
		}{
			{h.cfgA, tunA, h.ul.A, h.ul.B},
			{h.cfgB, tunB, h.ul.B, h.ul.A},
		}
		for _, tt := range tests {
			row := snap.ports[tt.tun]
			require.NotNil(t, row, tt.tun)
			assert.Equal(t, tt.cfg.TunnelBridge, row.bridge)
			assert.Equal(t, "vxlan", row.iface.typ)
			assert.Equal(t, map[string]string{
				"remote_ip": tt.remot.String(), "local_ip": tt.local.String(), "dst_port": "4789", "key": "flow",
			}, row.iface.options)
			assert.Positive(t, row.iface.ofport, "tunnel port is up: %s", row.iface.err)
			assert.Len(t, snap.portsOf(tt.cfg.TunnelBridge), 3, "br-tun: internal, patch-int and one tunnel port")
			assert.Equal(t, "patch", snap.ports[tt.cfg.IntPeerPatchPort].iface.typ)
			assert.Equal(t, tt.cfg.TunPeerPatchPort, snap.ports[tt.cfg.IntPeerPatchPort].iface.options["peer"])
			assert.Equal(t, tt.cfg.IntPeerPatchPort, snap.ports[tt.cfg.TunPeerPatchPort].iface.options["peer"])
		}
	})

	t.Run("br-tun flows", func(t *testing.T) {
		snap, err := newRunner(ctx).readSnapshot()
		require.NoError(t, err)
		lv := snap.ports[h.a1.tap].tag
		tun := strconv.Itoa(snap.ofport(h.cfgA.TunnelBridge, tunA))
		patch := strconv.Itoa(snap.ofport(h.cfgA.TunnelBridge, h.cfgA.TunPeerPatchPort))
		flows := flowStrings(flowsOf(t, h.cfgA.TunnelBridge))
		for _, want := range []string{
			"table=0,priority=1,in_port=" + patch + ",cookie=0x6d6c32676f,actions=resubmit(,2)",
			"table=0,priority=1,in_port=" + tun + ",cookie=0x6d6c32676f,actions=resubmit(,4)",
			"table=0,priority=0,cookie=0x6d6c32676f,actions=drop",
			"table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,cookie=0x6d6c32676f,actions=resubmit(,20)",
			"table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,cookie=0x6d6c32676f,actions=resubmit(,22)",
			"table=4,priority=1,tun_id=0x3e9,cookie=0x6d6c32676f,actions=mod_vlan_vid:" + strconv.Itoa(lv) + ",resubmit(,10)",
			"table=10,priority=1,cookie=0x6d6c32676f,actions=output:" + patch,
			"table=20,priority=2,dl_dst=" + h.b1.mac + ",dl_vlan=" + strconv.Itoa(lv) + ",cookie=0x6d6c32676f,actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID[],output:" + tun,
			"table=20,priority=0,cookie=0x6d6c32676f,actions=resubmit(,22)",
			"table=22,priority=1,dl_vlan=" + strconv.Itoa(lv) + ",cookie=0x6d6c32676f,actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID[],output:" + tun,
			"table=22,priority=0,cookie=0x6d6c32676f,actions=drop",
		} {
			assert.Contains(t, flows, want)
		}
	})

	t.Run("connectivity across the tunnel", func(t *testing.T) {
		before, err := ovsClient().OpenFlow.DumpPort(h.cfgA.TunnelBridge, tunA)
		require.NoError(t, err)
		checkReachability(t, []reachability{
			{h.a1, h.b1, true, "network 1 across hosts"},
			{h.b2, h.a2, true, "network 2 across hosts"},
			{h.a1, h.b2, false, "network 1 does not reach network 2"},
			{h.b1, h.a2, false, "network 1 does not reach network 2"},
		})
		after, err := ovsClient().OpenFlow.DumpPort(h.cfgA.TunnelBridge, tunA)
		require.NoError(t, err)
		assert.Greater(t, after.Transmitted.Packets, before.Transmitted.Packets, "VMs' traffic went out through the VXLAN port")
		assert.Greater(t, after.Received.Packets, before.Received.Packets, "and came back through it")
	})

	t.Run("converged and restarted agents write nothing", func(t *testing.T) {
		wa, wb := h.apply(t, ctx, h.dA, h.dB, h.net1, h.net2)
		assert.Zero(t, wa)
		assert.Zero(t, wb)
		rA, err := New(h.cfgA, nil)
		require.NoError(t, err)
		rB, err := New(h.cfgB, nil)
		require.NoError(t, err)
		wa, wb = h.apply(t, ctx, rA, rB, h.net1, h.net2)
		assert.Zero(t, wa)
		assert.Zero(t, wb)
		requireReach(t, h.a1, h.b1, "after restart")
	})

	t.Run("removed network leaves its flows, the shared tunnel stays", func(t *testing.T) {
		wa, wb := h.apply(t, ctx, h.dA, h.dB, h.net1)
		assert.Positive(t, wa)
		assert.Positive(t, wb)
		for _, br := range []string{h.cfgA.TunnelBridge, h.cfgA.IntegrationBridge} {
			for _, f := range flowsOf(t, br) {
				assert.NotContains(t, f.match, "tun_id=0x3ea", "%s: %s", br, f)
				assert.NotContains(t, f.actions, "0x3ea->", "%s: %s", br, f)
				assert.NotContains(t, f.match, h.b2.mac, "%s: %s", br, f)
			}
		}
		ports, err := ovsClient().VSwitch.ListPorts(h.cfgA.TunnelBridge)
		require.NoError(t, err)
		assert.Contains(t, ports, tunA)
		requireReach(t, h.a1, h.b1, "network 1 still works")
		wa, wb = h.apply(t, ctx, h.dA, h.dB, h.net1)
		assert.Zero(t, wa)
		assert.Zero(t, wb)
	})

	t.Run("without networks the tunnel port and VIFs go", func(t *testing.T) {
		h.apply(t, ctx, h.dA, h.dB)
		ports, err := ovsClient().VSwitch.ListPorts(h.cfgA.TunnelBridge)
		require.NoError(t, err)
		assert.Equal(t, []string{h.cfgA.TunPeerPatchPort}, ports)
		ports, err = ovsClient().VSwitch.ListPorts(h.cfgA.IntegrationBridge)
		require.NoError(t, err)
		assert.Equal(t, []string{h.cfgA.IntPeerPatchPort}, ports)
		for _, f := range flowsOf(t, h.cfgA.TunnelBridge) {
			assert.False(t, f.priority == 1 && f.table == 22, "flood flow left: %s", f)
		}
	})
}

// TestOtherTunnelTypes runs GRE and Geneve networks between two hosts:
// the kernel here has neither, but OVS's userspace datapath does.
func TestOtherTunnelTypes(t *testing.T) {
	tests := []struct {
		typ   string
		table int
	}{
		{TunnelGRE, tableGRETunToLV},
		{TunnelGeneve, tableGeneveTunToLV},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			h := newTunnelHosts(t, tt.typ)
			ctx := testCtx(t)
			h.apply(t, ctx, h.dA, h.dB, h.net1, h.net2)
			tun := TunnelPortName(tt.typ, h.ul.B)
			assert.Equal(t, tt.typ, vsctl(t, "get", "Interface", tun, "type"))
			snap, err := newRunner(ctx).readSnapshot()
			require.NoError(t, err)
			assert.Contains(t, flowStrings(flowsOf(t, h.cfgA.TunnelBridge)),
				fmt.Sprintf("table=0,priority=1,in_port=%d,cookie=0x6d6c32676f,actions=resubmit(,%d)",
					snap.ofport(h.cfgA.TunnelBridge, tun), tt.table))
			checkReachability(t, []reachability{
				{h.a1, h.b1, true, "network 1 across hosts"},
				{h.b2, h.a2, true, "network 2 across hosts"},
				{h.a1, h.b2, false, "network 1 does not reach network 2"},
			})
			wa, wb := h.apply(t, ctx, h.dA, h.dB, h.net1, h.net2)
			assert.Zero(t, wa)
			assert.Zero(t, wb)
		})
	}
}
