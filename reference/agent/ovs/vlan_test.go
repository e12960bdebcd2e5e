package ovs

import (
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
)

// vlanHost is one host with a physical bridge for physnet1 and four VMs:
// vm1 and vm2 on vlan network A (VLAN 100), vm3 on vlan network B (VLAN
// 101), vm4 on flat network C, all in one IP subnet so that only L2
// isolation keeps the networks apart. Three "outside" hosts sit on the
// physical bridge as access ports of VLAN 100, VLAN 101 and untagged:
// reaching them proves the translation between local VLANs and the
// segments.
type vlanHost struct {
	d                    *Dataplane
	cfg                  Config
	phys                 string
	netA, netB, netC     *dataplane.Network
	vm1, vm2, vm3, vm4   *vm
	extA, extB, extC     *vm
	port1, port2, p3, p4 *dataplane.Port
}

func newVLANHost(t *testing.T) *vlanHost {
	t.Helper()
	requireOVS(t)
	sfx := suffix(t)
	h := &vlanHost{phys: "bp" + sfx}
	addBridge(t, h.phys)
	h.cfg = hostConfig(sfx, "v")
	h.cfg.BridgeMappings = map[string]string{"physnet1": h.phys}
	h.d = newDataplane(t, h.cfg)
	// The operator's own flow on the physical bridge: the agent must keep
	// it.
	run(t, "ovs-ofctl", "add-flow", h.phys, "cookie=0x1,priority=50,dl_type=0x88cc,actions=drop")

	h.netA = &dataplane.Network{ID: uuid.NewString(), NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 100}
	h.netB = &dataplane.Network{ID: uuid.NewString(), NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 101}
	h.netC = &dataplane.Network{ID: uuid.NewString(), NetworkType: "flat", PhysicalNetwork: "physnet1"}
	ip := func(n int) netip.Prefix { return netip.MustParsePrefix("10.231.0." + strconv.Itoa(n) + "/24") }
	id1, id2, id3, id4 := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	h.vm1 = newVM(t, "ovt"+sfx+"vm1", id1, "fa:16:3e:00:01:01", ip(1))
	h.vm2 = newVM(t, "ovt"+sfx+"vm2", id2, "fa:16:3e:00:01:02", ip(2))
	h.vm3 = newVM(t, "ovt"+sfx+"vm3", id3, "fa:16:3e:00:01:03", ip(3))
	h.vm4 = newVM(t, "ovt"+sfx+"vm4", id4, "fa:16:3e:00:01:04", ip(4))
	h.port1, h.port2, h.p3 = h.vm1.port(id1, h.netA.ID), h.vm2.port(id2, h.netA.ID), h.vm3.port(id3, h.netB.ID)
	h.p4 = h.vm4.port(id4, h.netC.ID)

	h.extA = newVM(t, "ovt"+sfx+"exa", uuid.NewString(), "fa:16:3e:00:0a:01", ip(10))
	h.extB = newVM(t, "ovt"+sfx+"exb", uuid.NewString(), "fa:16:3e:00:0a:02", ip(11))
	h.extC = newVM(t, "ovt"+sfx+"exc", uuid.NewString(), "fa:16:3e:00:0a:03", ip(12))
	for _, ext := range []struct {
		vm  *vm
		tag string
	}{{h.extA, "tag=100"}, {h.extB, "tag=101"}, {h.extC, "tag=0"}} {
		vsctl(t, "add-port", h.phys, ext.vm.tap, ext.tag)
		run(t, "ip", "link", "set", ext.vm.tap, "up")
	}
	return h
}

// state is the host's desired state with the given ports.
func (h *vlanHost) state(ports ...*dataplane.Port) *dataplane.State {
	s := &dataplane.State{Networks: map[string]*dataplane.Network{}, Ports: map[string]*dataplane.Port{}}
	for _, p := range ports {
		s.Ports[p.ID] = p
		for _, n := range []*dataplane.Network{h.netA, h.netB, h.netC} {
			if n.ID == p.NetworkID {
				s.Networks[n.ID] = n
			}
		}
	}
	return s
}

// reachability is one row of a connectivity table.
type reachability struct {
	from, to *vm
	want     bool
	why      string
}

// checkReachability pings every row of table from its source.
func checkReachability(t *testing.T, table []reachability) {
	t.Helper()
	for _, r := range table {
		if r.want {
			requireReach(t, r.from, r.to, r.why)
		} else {
			requireNoReach(t, r.from, r.to, r.why)
		}
	}
}

func TestVLANNetworksOnOneHost(t *testing.T) {
	h := newVLANHost(t)
	ctx := testCtx(t)
	all := h.state(h.port1, h.port2, h.p3, h.p4)

	res, err := h.d.Apply(ctx, all)
	require.NoError(t, err)
	assert.Equal(t, sortedIDs(h.port1, h.port2, h.p3, h.p4), res.Wired)
	assert.Positive(t, res.Writes)

	t.Run("ports tagged with per-network local VLANs recorded in other_config", func(t *testing.T) {
		snap, err := newRunner(ctx).readSnapshot()
		require.NoError(t, err)
		p1, p2, p3 := snap.ports[h.vm1.tap], snap.ports[h.vm2.tap], snap.ports[h.vm3.tap]
		require.NotNil(t, p1)
		require.NotNil(t, p2)
		require.NotNil(t, p3)
		for _, p := range []*portRow{p1, p2, p3} {
			assert.Equal(t, h.cfg.IntegrationBridge, p.bridge, p.name)
			assert.GreaterOrEqual(t, p.tag, 1, p.name)
			assert.LessOrEqual(t, p.tag, 4094, p.name)
			assert.Equal(t, strconv.Itoa(p.tag), p.otherConfig["tag"], p.name)
			assert.Equal(t, "vlan", p.otherConfig["network_type"], p.name)
			assert.Equal(t, "physnet1", p.otherConfig["physical_network"], p.name)
		}
		assert.Equal(t, p1.tag, p2.tag, "ports of one network share its local VLAN")
		assert.NotEqual(t, p1.tag, p3.tag, "networks get distinct local VLANs")
		assert.Equal(t, h.netA.ID, p1.otherConfig["net_uuid"])
		assert.Equal(t, "100", p1.otherConfig["segmentation_id"])
		assert.Equal(t, h.port1.ID, p1.iface.externalIDs["iface-id"])
		assert.Equal(t, h.vm1.mac, p1.iface.externalIDs["attached-mac"])
	})

	t.Run("default and translation flows", func(t *testing.T) {
		snap, err := newRunner(ctx).readSnapshot()
		require.NoError(t, err)
		lvA := snap.ports[h.vm1.tap].tag
		intPatch := snap.ofport(h.cfg.IntegrationBridge, IntPatchName(h.phys))
		physPatch := snap.ofport(h.phys, PhysPatchName(h.phys))
		require.Positive(t, intPatch)
		require.Positive(t, physPatch)
		intFlows := flowStrings(flowsOf(t, h.cfg.IntegrationBridge))
		for _, want := range []string{
			"table=0,priority=65535,dl_vlan=4095,cookie=0x6d6c32676f,actions=drop",
			"table=0,priority=0,cookie=0x6d6c32676f,actions=resubmit(,59)",
			"table=59,priority=0,cookie=0x6d6c32676f,actions=resubmit(,60)",
			"table=60,priority=0,cookie=0x6d6c32676f,actions=normal",
			"table=0,priority=3,dl_vlan=100,in_port=" + strconv.Itoa(intPatch) + ",cookie=0x6d6c32676f,actions=mod_vlan_vid:" + strconv.Itoa(lvA) + ",resubmit(,59)",
		} {
			assert.Contains(t, intFlows, want)
		}
		lvC := snap.ports[h.vm4.tap].tag
		assert.Contains(t, intFlows, "table=0,priority=3,in_port="+strconv.Itoa(intPatch)+",vlan_tci=0x0000/0x1fff,cookie=0x6d6c32676f,actions=mod_vlan_vid:"+strconv.Itoa(lvC)+",resubmit(,59)")
		assert.Contains(t, intFlows, "table=0,priority=2,in_port="+strconv.Itoa(intPatch)+",cookie=0x6d6c32676f,actions=drop")
		physFlows := flowStrings(flowsOf(t, h.phys))
		for _, want := range []string{
			"table=0,priority=4,dl_vlan=" + strconv.Itoa(lvA) + ",in_port=" + strconv.Itoa(physPatch) + ",cookie=0x6d6c32676f,actions=mod_vlan_vid:100,normal",
			"table=0,priority=4,dl_vlan=" + strconv.Itoa(lvC) + ",in_port=" + strconv.Itoa(physPatch) + ",cookie=0x6d6c32676f,actions=strip_vlan,normal",
			"table=0,priority=2,in_port=" + strconv.Itoa(physPatch) + ",cookie=0x6d6c32676f,actions=drop",
			"table=0,priority=0,cookie=0x6d6c32676f,actions=normal",
			"table=0,priority=50,dl_type=0x88cc,cookie=0x1,actions=drop", // the operator's
		} {
			assert.Contains(t, physFlows, want)
		}
	})

	t.Run("connectivity", func(t *testing.T) {
		checkReachability(t, []reachability{
			{h.vm1, h.vm2, true, "same network"},
			{h.vm2, h.vm1, true, "same network"},
			{h.vm1, h.extA, true, "network A leaves on VLAN 100"},
			{h.vm3, h.extB, true, "network B leaves on VLAN 101"},
			{h.vm3, h.vm1, false, "networks A and B are isolated"},
			{h.vm3, h.extA, false, "network B does not leak into VLAN 100"},
			{h.vm1, h.extB, false, "network A does not leak into VLAN 101"},
			{h.vm4, h.extC, true, "flat network C leaves untagged"},
			{h.vm4, h.vm1, false, "flat network C is isolated from A"},
			{h.vm1, h.extC, false, "network A does not leak untagged"},
			{h.extC, h.vm3, false, "untagged outside traffic does not reach network B"},
		})
	})

	t.Run("converged apply writes nothing", func(t *testing.T) {
		res, err := h.d.Apply(ctx, all)
		require.NoError(t, err)
		assert.Zero(t, res.Writes)
		assert.Equal(t, sortedIDs(h.port1, h.port2, h.p3, h.p4), res.Wired)
	})

	t.Run("admin-down port is in the dead VLAN", func(t *testing.T) {
		down := *h.port2
		down.AdminStateUp = false
		res, err := h.d.Apply(ctx, h.state(h.port1, &down, h.p3, h.p4))
		require.NoError(t, err)
		assert.Equal(t, sortedIDs(h.port1, h.p3, h.p4), res.Wired)
		snap, err := newRunner(ctx).readSnapshot()
		require.NoError(t, err)
		assert.Equal(t, DeadVLAN, snap.ports[h.vm2.tap].tag)
		assert.Equal(t, strconv.Itoa(snap.ports[h.vm1.tap].tag), snap.ports[h.vm2.tap].otherConfig["tag"],
			"the network keeps its local VLAN in other_config")
		ofport := snap.ofport(h.cfg.IntegrationBridge, h.vm2.tap)
		assert.Contains(t, flowStrings(flowsOf(t, h.cfg.IntegrationBridge)),
			"table=0,priority=2,in_port="+strconv.Itoa(ofport)+",cookie=0x6d6c32676f,actions=drop")
		requireNoReach(t, h.vm1, h.vm2, "admin-down port")

		res, err = h.d.Apply(ctx, all)
		require.NoError(t, err)
		assert.Equal(t, sortedIDs(h.port1, h.port2, h.p3, h.p4), res.Wired)
		requireReach(t, h.vm1, h.vm2, "port back up")
	})

	t.Run("deleted port and network leave br-int", func(t *testing.T) {
		down := *h.p3
		down.AdminStateUp = false
		_, err := h.d.Apply(ctx, h.state(h.port1, h.port2, &down, h.p4))
		require.NoError(t, err)
		snap, err := newRunner(ctx).readSnapshot()
		require.NoError(t, err)
		ofport3 := snap.ofport(h.cfg.IntegrationBridge, h.vm3.tap)
		require.Contains(t, flowStrings(flowsOf(t, h.cfg.IntegrationBridge)),
			"table=0,priority=2,in_port="+strconv.Itoa(ofport3)+",cookie=0x6d6c32676f,actions=drop")

		res, err := h.d.Apply(ctx, h.state(h.port1, h.port2, h.p4))
		require.NoError(t, err)
		assert.Positive(t, res.Writes)
		assert.Equal(t, sortedIDs(h.port1, h.port2, h.p4), res.Wired)

		ports, err := ovsClient().VSwitch.ListPorts(h.cfg.IntegrationBridge)
		require.NoError(t, err)
		assert.NotContains(t, ports, h.vm3.tap)
		assert.Contains(t, ports, h.vm1.tap)
		_, err = netLinkExists(h.vm3.tap)
		require.NoError(t, err, "the device belongs to the hypervisor and stays")
		for _, f := range append(flowsOf(t, h.cfg.IntegrationBridge), flowsOf(t, h.phys)...) {
			assert.NotContains(t, f.match, "dl_vlan=101", "flows of network B are gone: %s", f)
			assert.NotContains(t, f.actions, "mod_vlan_vid:101", "flows of network B are gone: %s", f)
		}
		for _, f := range flowsOf(t, h.cfg.IntegrationBridge) {
			assert.NotEqual(t, "in_port="+strconv.Itoa(ofport3), f.match, "flows of the deleted port are gone: %s", f)
		}
		requireReach(t, h.vm1, h.vm2, "remaining ports still work")

		res, err = h.d.Apply(ctx, h.state(h.port1, h.port2, h.p4))
		require.NoError(t, err)
		assert.Zero(t, res.Writes)
	})
}

// TestRestartDisturbsNothing plays an agent restart: a new Dataplane on a
// wired host must find everything right (no write) while a VM pings
// another without losing a single reply.
func TestRestartDisturbsNothing(t *testing.T) {
	h := newVLANHost(t)
	ctx := testCtx(t)
	all := h.state(h.port1, h.port2, h.p3, h.p4)
	_, err := h.d.Apply(ctx, all)
	require.NoError(t, err)
	requireReach(t, h.vm1, h.vm2, "before restart")

	p := h.vm1.newPinger(t)
	var sent, lost atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			ok, err := p.ping(h.vm2.addr.Addr(), time.Second)
			sent.Add(1)
			if err != nil || !ok {
				lost.Add(1)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	time.Sleep(200 * time.Millisecond)
	for range 3 {
		restarted, err := New(h.cfg, nil)
		require.NoError(t, err)
		res, err := restarted.Apply(ctx, all)
		require.NoError(t, err)
		assert.Zero(t, res.Writes, "a restarted agent changes nothing")
		assert.Equal(t, sortedIDs(h.port1, h.port2, h.p3, h.p4), res.Wired)
		require.NoError(t, restarted.Close())
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("background ping: %d sent, %d lost", sent.Load(), lost.Load())
	assert.Positive(t, sent.Load())
	assert.Zero(t, lost.Load(), "no echo lost across restarts")
}

// sortedIDs returns the ids of ports, sorted.
func sortedIDs(ports ...*dataplane.Port) []string {
	ids := make([]string, 0, len(ports))
	for _, p := range ports {
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return ids
}

// flowStrings renders flows for assertions.
func flowStrings(flows []flowEntry) []string {
	out := make([]string, 0, len(flows))
	for _, f := range flows {
		out = append(out, f.String())
	}
	return out
}
