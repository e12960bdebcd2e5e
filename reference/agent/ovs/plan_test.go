package ovs

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
)

// fakeSnapshot is an OVSDB with the agent's br-int holding the given VIF
// rows.
func fakeSnapshot(vifs ...*portRow) *snapshot {
	s := &snapshot{bridges: map[string]*bridgeRow{"br-int": {name: "br-int"}}, ports: map[string]*portRow{}}
	for _, p := range vifs {
		if p.bridge == "" {
			p.bridge = "br-int"
		}
		if _, ok := s.bridges[p.bridge]; !ok {
			s.bridges[p.bridge] = &bridgeRow{name: p.bridge}
		}
		s.bridges[p.bridge].ports = append(s.bridges[p.bridge].ports, p.name)
		s.ports[p.name] = p
	}
	return s
}

// vifRow is a VIF the agent wired earlier on network netID with lvid.
func vifRow(dev, portID, netID, lvid string) *portRow {
	return &portRow{
		name:        dev,
		otherConfig: map[string]string{"net_uuid": netID, "tag": lvid},
		iface:       &ifaceRow{name: dev, ofport: 1, externalIDs: map[string]string{"iface-id": portID}},
	}
}

func testDataplane(t *testing.T, cfg Config) *Dataplane {
	t.Helper()
	d, err := New(cfg, nil)
	require.NoError(t, err)
	return d
}

func TestPlanLocalVLANs(t *testing.T) {
	d := testDataplane(t, Config{
		BridgeMappings: map[string]string{"physnet1": "br-eth1"},
		TunnelTypes:    []string{"vxlan"},
		LocalIP:        netip.MustParseAddr("192.0.2.1"),
	})
	nets := map[string]*dataplane.Network{
		"n-a": {ID: "n-a", NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 100},
		"n-b": {ID: "n-b", NetworkType: "vxlan", SegmentationID: 5000},
		"n-c": {ID: "n-c", NetworkType: "flat", PhysicalNetwork: "physnet1"},
		"n-d": {ID: "n-d", NetworkType: "vlan", PhysicalNetwork: "physnet9", SegmentationID: 7},
		"n-e": {ID: "n-e", NetworkType: "gre", SegmentationID: 7},
		"n-f": {ID: "n-f", NetworkType: "local"},
		"n-g": {ID: "n-g", NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 200},
	}
	port := func(id, netID string, up bool) *dataplane.Port {
		return &dataplane.Port{ID: id, NetworkID: netID, MACAddress: "fa:16:3e:00:00:01", AdminStateUp: up, Device: dataplane.TapName(id)}
	}
	ports := map[string]*dataplane.Port{}
	for _, p := range []*dataplane.Port{
		port("p-a", "n-a", true), port("p-a2", "n-a", false), port("p-b", "n-b", true), port("p-c", "n-c", true),
		port("p-d", "n-d", true), port("p-e", "n-e", true), port("p-f", "n-f", true),
		port("p-g", "n-g", true), port("p-x", "n-unknown", true), port("p-gone", "n-a", true),
	} {
		ports[p.ID] = p
	}
	links := map[string]link{}
	for id, p := range ports {
		if id != "p-gone" {
			links[p.Device] = link{}
		}
	}
	// OVSDB remembers n-b on VLAN 7 and n-g on VLAN 1.
	snap := fakeSnapshot(vifRow("tapp-b", "p-b", "n-b", "7"), vifRow("tapp-g", "p-g", "n-g", "1"))
	snap.bridges["br-eth1"] = &bridgeRow{name: "br-eth1"}

	p := d.planFor(&dataplane.State{Networks: nets, Ports: ports}, links, snap)

	lvids := map[string]int{}
	for id, np := range p.networks {
		lvids[id] = np.lvid
	}
	assert.Equal(t, map[string]int{
		"n-a": 2, // lowest free after the recovered 1 and 7
		"n-b": 7, // recovered
		"n-c": 3,
		"n-d": 0, // physnet9 is not mapped
		"n-e": 0, // gre is not a tunnel type of this host
		"n-f": 4,
		"n-g": 1, // recovered
	}, lvids)

	tags := map[string]int{}
	for _, pp := range p.ports {
		tags[pp.port.ID] = pp.tag
	}
	assert.Equal(t, map[string]int{
		"p-a": 2, "p-a2": DeadVLAN, "p-b": 7, "p-c": 3, "p-d": DeadVLAN, "p-e": DeadVLAN,
		"p-f": 4, "p-g": 1, "p-x": DeadVLAN,
	}, tags, "p-gone has no device and is not planned")

	for _, pp := range p.ports {
		switch pp.port.ID {
		case "p-a2":
			assert.Equal(t, map[string]string{"net_uuid": "n-a", "network_type": "vlan", "physical_network": "physnet1",
				"segmentation_id": "100", "tag": "2"}, pp.otherConfig, "admin-down port keeps its network's VLAN in other_config")
		case "p-b":
			assert.Equal(t, map[string]string{"net_uuid": "n-b", "network_type": "vxlan", "segmentation_id": "5000", "tag": "7"}, pp.otherConfig)
		case "p-d":
			assert.NotContains(t, pp.otherConfig, "tag")
		case "p-x":
			assert.Empty(t, pp.otherConfig)
		}
		assert.Equal(t, pp.port.ID, pp.externalIDs["iface-id"])
	}
	assert.Equal(t, []patchPlan{
		{"br-int", "patch-tun", "patch-int"}, {"br-tun", "patch-int", "patch-tun"},
		{"br-int", "int-br-eth1", "phy-br-eth1"}, {"br-eth1", "phy-br-eth1", "int-br-eth1"},
	}, p.patches)
}

func TestPlanRecordedVLANConflict(t *testing.T) {
	d := testDataplane(t, Config{})
	nets := map[string]*dataplane.Network{
		"n1": {ID: "n1", NetworkType: "local"},
		"n2": {ID: "n2", NetworkType: "local"},
	}
	ports := map[string]*dataplane.Port{
		"p1": {ID: "p1", NetworkID: "n1", AdminStateUp: true, Device: "tap1"},
		"p2": {ID: "p2", NetworkID: "n2", AdminStateUp: true, Device: "tap2"},
	}
	// Both claim VLAN 5: the first network by id keeps it.
	snap := fakeSnapshot(vifRow("tap1", "p1", "n1", "5"), vifRow("tap2", "p2", "n2", "5"))
	p := d.planFor(&dataplane.State{Networks: nets, Ports: ports}, map[string]link{"tap1": {}, "tap2": {}}, snap)
	assert.Equal(t, 5, p.networks["n1"].lvid)
	assert.Equal(t, 1, p.networks["n2"].lvid)
}

func TestPlanSkipsDevicesOfOtherBridges(t *testing.T) {
	d := testDataplane(t, Config{})
	snap := fakeSnapshot(&portRow{name: "tap1", bridge: "br-other", iface: &ifaceRow{name: "tap1", ofport: 3}})
	p := d.planFor(&dataplane.State{
		Networks: map[string]*dataplane.Network{"n1": {ID: "n1", NetworkType: "local"}},
		Ports:    map[string]*dataplane.Port{"p1": {ID: "p1", NetworkID: "n1", AdminStateUp: true, Device: "tap1"}},
	}, map[string]link{"tap1": {}}, snap)
	require.Len(t, p.ports, 1)
	assert.Equal(t, "device is a port of bridge br-other", p.ports[0].skip)
	assert.False(t, p.ports[0].live())
	assert.Empty(t, p.networks, "a skipped port does not make its network active")
	for _, cmd := range d.ensureTxn(p, snap).cmds {
		assert.NotContains(t, cmd, "tap1", "the device is left alone")
	}
	assert.Empty(t, d.removeTxn(p, snap).cmds)
}

func TestPlanTunnels(t *testing.T) {
	local := netip.MustParseAddr("192.0.2.1")
	r2, r3 := netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
	d := testDataplane(t, Config{TunnelTypes: []string{"vxlan", "geneve"}, LocalIP: local})
	nets := map[string]*dataplane.Network{
		"n1": {ID: "n1", NetworkType: "vxlan", SegmentationID: 10, FDB: []dataplane.FDBEntry{
			{MAC: dataplane.FloodMAC, Endpoint: r3},
			{MAC: dataplane.FloodMAC, Endpoint: r2},
			{MAC: dataplane.FloodMAC, Endpoint: r2},
			{MAC: dataplane.FloodMAC, Endpoint: local},                              // own endpoint
			{MAC: dataplane.FloodMAC, Endpoint: netip.MustParseAddr("2001:db8::1")}, // other family
			{MAC: "FA:16:3E:00:00:02", IP: netip.MustParseAddr("10.0.0.2"), Endpoint: r2},
			{MAC: "fa:16:3e:00:00:02", IP: netip.MustParseAddr("10.0.0.3"), Endpoint: r2}, // same MAC again
			{MAC: "01:00:5e:00:00:01", Endpoint: r2},                                      // multicast
			{MAC: "not-a-mac", Endpoint: r2},
			{MAC: "fa:16:3e:00:00:03", Endpoint: netip.Addr{}},
		}},
		"n2": {ID: "n2", NetworkType: "vxlan", SegmentationID: 11, FDB: []dataplane.FDBEntry{
			{MAC: dataplane.FloodMAC, Endpoint: r2},
		}},
		"n3": {ID: "n3", NetworkType: "geneve", SegmentationID: 12, FDB: []dataplane.FDBEntry{
			{MAC: dataplane.FloodMAC, Endpoint: r2},
		}},
		// No local port: no tunnel for it.
		"n4": {ID: "n4", NetworkType: "vxlan", SegmentationID: 13, FDB: []dataplane.FDBEntry{
			{MAC: dataplane.FloodMAC, Endpoint: netip.MustParseAddr("192.0.2.4")},
		}},
	}
	ports := map[string]*dataplane.Port{
		"p1": {ID: "p1", NetworkID: "n1", AdminStateUp: true, Device: "tap1"},
		"p2": {ID: "p2", NetworkID: "n2", AdminStateUp: true, Device: "tap2"},
		"p3": {ID: "p3", NetworkID: "n3", AdminStateUp: true, Device: "tap3"},
	}
	p := d.planFor(&dataplane.State{Networks: nets, Ports: ports},
		map[string]link{"tap1": {}, "tap2": {}, "tap3": {}}, fakeSnapshot())

	assert.Equal(t, []netip.Addr{r2, r3}, p.networks["n1"].floods)
	assert.Equal(t, []unicastEntry{{mac: "fa:16:3e:00:00:02", endpoint: r2}}, p.networks["n1"].unicast)
	require.Len(t, p.tunnels, 3, "vxlan to .2 (shared by n1 and n2) and .3, geneve to .2")
	assert.Equal(t, &tunnelPlan{name: "vxlan-c0000202", typ: "vxlan", remote: r2, options: map[string]string{
		"remote_ip": "192.0.2.2", "local_ip": "192.0.2.1", "key": "flow", "dst_port": "4789",
	}}, p.tunnels["vxlan-c0000202"])
	assert.Contains(t, p.tunnels, "vxlan-c0000203")
	assert.Equal(t, map[string]string{"remote_ip": "192.0.2.2", "local_ip": "192.0.2.1", "key": "flow"},
		p.tunnels["geneve-c0000202"].options)
}
