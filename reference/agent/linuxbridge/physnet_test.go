package linuxbridge_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/linuxbridge"
)

// physnetHosts is two hosts whose interface phys (mapped from physnet1)
// is the same wire: a veth pair between them.
func physnetHosts(t *testing.T, phys string) (h1, h2 *host) {
	t.Helper()
	cfg := func() linuxbridge.Config {
		return linuxbridge.Config{PhysicalInterfaceMappings: map[string]string{"physnet1": phys}}
	}
	h1 = newHost(t, "h1", cfg())
	h2 = newHost(t, "h2", cfg())
	joinUnderlay(t, h1, h2, phys, false)
	return h1, h2
}

// TestFlatNetwork checks a flat network: the mapped interface itself is
// the bridge's uplink, VMs on two hosts reach each other over it, and
// removing the network gives the interface back untouched.
func TestFlatNetwork(t *testing.T) {
	h1, h2 := physnetHosts(t, "phys0")
	c := newCloud(h1, h2)
	c.addNetwork(dataplane.Network{ID: netAID, NetworkType: "flat", PhysicalNetwork: "physnet1", MTU: 1500})
	p1 := c.addPort(h1, "f1f1f1f1-0000-4000-8000-000000000001", netAID, "fa:16:3e:0f:00:01", tenantIP(31))
	p2 := c.addPort(h2, "f2f2f2f2-0000-4000-8000-000000000002", netAID, "fa:16:3e:0f:00:02", tenantIP(32))
	vm1 := plugVM(t, h1, p1, 24, 1500)
	_ = plugVM(t, h2, p2, 24, 1500)

	for h, r := range c.applyAll(t) {
		assert.Equal(t, c.wired(h), r.Wired)
		br := h.link(t, linuxbridge.BridgeName(netAID))
		assert.Equal(t, br.Attrs().Index, h.link(t, "phys0").Attrs().MasterIndex, "physical interface enslaved")
	}
	vm1.requirePing(t, tenantIP(32))
	c.requireConverged(t)

	r := h1.apply(t, &dataplane.State{})
	assert.Positive(t, r.Writes)
	assert.False(t, h1.hasLink(t, linuxbridge.BridgeName(netAID)))
	phys := h1.link(t, "phys0")
	assert.Zero(t, phys.Attrs().MasterIndex)
	assert.True(t, isUp(phys), "the operator's interface keeps its state")
}

// TestLocalNetworks checks local networks: a bridge without uplink joins
// the VMs of one host, and two local networks do not see each other.
func TestLocalNetworks(t *testing.T) {
	h := newHost(t, "h", linuxbridge.Config{})
	c := newCloud(h)
	c.addNetwork(dataplane.Network{ID: netAID, NetworkType: "local"})
	c.addNetwork(dataplane.Network{ID: netBID, NetworkType: "local"})
	pA1 := c.addPort(h, "e1e1e1e1-0000-4000-8000-000000000001", netAID, "fa:16:3e:0e:00:01", tenantIP(41))
	pA2 := c.addPort(h, "e2e2e2e2-0000-4000-8000-000000000002", netAID, "fa:16:3e:0e:00:02", tenantIP(42))
	pB := c.addPort(h, "e3e3e3e3-0000-4000-8000-000000000003", netBID, "fa:16:3e:0e:00:03", tenantIP(43))
	vmA1 := plugVM(t, h, pA1, 24, 0)
	_ = plugVM(t, h, pA2, 24, 0)
	_ = plugVM(t, h, pB, 24, 0)

	r := c.applyAll(t)[h]
	assert.Equal(t, c.wired(h), r.Wired)
	vmA1.requirePing(t, tenantIP(42))
	vmA1.requireNoPing(t, tenantIP(43))
	c.requireConverged(t)
}

// TestVLANNetwork checks vlan networks: a sub-interface "<iface>.<vlan>"
// of the mapped interface (shortened when the name is too long) is the
// uplink, VMs on two hosts reach each other, two VLANs are isolated, and
// removing a network deletes its sub-interface but not the interface.
//
// This machine's kernel has no 802.1q support: the test skips when
// creating the sub-interface is refused as unsupported.
func TestVLANNetwork(t *testing.T) {
	const phys = "enp0s31f6-phys1" // 15 characters: sub-interface names get hashed
	h1, h2 := physnetHosts(t, phys)
	c := newCloud(h1, h2)
	c.addNetwork(dataplane.Network{ID: netAID, NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 100, MTU: 1500})
	c.addNetwork(dataplane.Network{ID: netBID, NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 200, MTU: 1500})
	pA1 := c.addPort(h1, "71717171-0000-4000-8000-000000000001", netAID, "fa:16:3e:07:00:01", tenantIP(51))
	pA2 := c.addPort(h2, "72727272-0000-4000-8000-000000000002", netAID, "fa:16:3e:07:00:02", tenantIP(52))
	pB2 := c.addPort(h2, "73737373-0000-4000-8000-000000000003", netBID, "fa:16:3e:07:00:03", tenantIP(53))

	if _, err := h1.dp.Apply(t.Context(), c.state(h1)); errIsUnsupported(err) {
		t.Skipf("this kernel cannot create 802.1q VLAN sub-interfaces, so vlan networks cannot be wired here: %v", err)
	}
	vmA1 := plugVM(t, h1, pA1, 24, 1500)
	_ = plugVM(t, h2, pA2, 24, 1500)
	_ = plugVM(t, h2, pB2, 24, 1500)
	for h, r := range c.applyAll(t) {
		assert.Equal(t, c.wired(h), r.Wired)
	}

	sub := linuxbridge.VLANName(phys, 100)
	require.NotEqual(t, phys+".100", sub, "long interface names are shortened")
	for _, h := range []*host{h1, h2} {
		v, ok := h.link(t, sub).(*netlink.Vlan)
		require.True(t, ok, "%s is a VLAN sub-interface", sub)
		assert.Equal(t, 100, v.VlanId)
		assert.Equal(t, h.link(t, phys).Attrs().Index, v.ParentIndex)
		assert.Equal(t, h.link(t, linuxbridge.BridgeName(netAID)).Attrs().Index, v.MasterIndex)
		assert.True(t, isUp(v))
	}
	vmA1.requirePing(t, tenantIP(52))
	vmA1.requireNoPing(t, tenantIP(53))
	c.requireConverged(t)

	delete(c.ports, pB2.ID)
	c.applyAll(t)
	assert.False(t, h2.hasLink(t, linuxbridge.VLANName(phys, 200)))
	assert.True(t, h2.hasLink(t, phys))
	c.requireConverged(t)
}
