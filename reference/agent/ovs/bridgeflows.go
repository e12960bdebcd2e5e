package ovs

import (
	"fmt"
	"slices"

	goovs "github.com/digitalocean/go-openvswitch/ovs"
)

// OpenFlow tables and priorities of the integration and physical bridges,
// those of Neutron's OVS agent (native OpenFlow driver).
const (
	tableLocalSwitching  = 0
	tablePacketRateLimit = 59
	tableTransient       = 60
	priorityMax          = 65535
	priorityDropPort     = 2
	priorityPhysToLocal  = 3
	priorityLocalToPhys  = 4
)

// OpenFlow tables and priorities of the tunnel bridge, Neutron's too; its
// table 0 is tableLocalSwitching too.
const (
	tablePatchLVToTun  = 2
	tableGRETunToLV    = 3
	tableVXLANTunToLV  = 4
	tableGeneveTunToLV = 6
	tableLearnFromTun  = 10
	tableUcastToTun    = 20
	tableFloodToTun    = 22
	priorityUcast      = 2
)

// Ethernet address masks that split unicast from multicast/broadcast.
const (
	unicastDst   = "00:00:00:00:00:00/01:00:00:00:00:00"
	multicastDst = "01:00:00:00:00:00/01:00:00:00:00:00"
)

// untagged matches frames without an 802.1Q header.
var untagged = goovs.VLANTCI(0x0000, 0x1fff)

// tunIDAction sets the tunnel id to vni. It is written as the load that
// OVS dumps (rather than set_tunnel) so both sides compare equal.
func tunIDAction(vni int) goovs.Action {
	return goovs.Load(fmt.Sprintf("%#x", vni), "NXM_NX_TUN_ID[]")
}

// integrationFlows are the flows of br-int: dead VLAN and dead ports
// dropped, traffic from physical bridges translated to local VLANs, and
// everything else through tables 59 and 60 to NORMAL.
func (d *Dataplane) integrationFlows(p *plan, snap *snapshot) ([]flowEntry, error) {
	br := d.cfg.IntegrationBridge
	var fs flowSet
	fs.add(&goovs.Flow{Table: tableLocalSwitching, Priority: priorityMax,
		Matches: []goovs.Match{goovs.DataLinkVLAN(DeadVLAN)}, Actions: []goovs.Action{goovs.Drop()}})
	fs.add(&goovs.Flow{Table: tableLocalSwitching, Priority: 0,
		Actions: []goovs.Action{goovs.Resubmit(0, tablePacketRateLimit)}})
	fs.add(&goovs.Flow{Table: tablePacketRateLimit, Priority: 0,
		Actions: []goovs.Action{goovs.Resubmit(0, tableTransient)}})
	fs.add(&goovs.Flow{Table: tableTransient, Priority: 0,
		Actions: []goovs.Action{goovs.Normal()}})

	for _, physnet := range sortedKeys(p.physBridges) {
		phys := p.physBridges[physnet]
		ofport := snap.ofport(br, IntPatchName(phys))
		if ofport <= 0 {
			continue
		}
		fs.add(&goovs.Flow{Table: tableLocalSwitching, Priority: priorityDropPort, InPort: ofport,
			Actions: []goovs.Action{goovs.Drop()}})
		for _, np := range p.sortedNetworks() {
			if !np.wirable() || np.physBridge != phys {
				continue
			}
			vlan := untagged
			if np.net.NetworkType == "vlan" {
				vlan = goovs.DataLinkVLAN(np.net.SegmentationID)
			}
			fs.add(&goovs.Flow{Table: tableLocalSwitching, Priority: priorityPhysToLocal, InPort: ofport,
				Matches: []goovs.Match{vlan},
				Actions: []goovs.Action{goovs.ModVLANVID(np.lvid), goovs.Resubmit(0, tablePacketRateLimit)}})
		}
	}
	for _, pp := range p.ports {
		if pp.skip != "" || pp.tag != DeadVLAN {
			continue
		}
		if ofport := snap.ofport(br, pp.port.Device); ofport > 0 {
			fs.add(&goovs.Flow{Table: tableLocalSwitching, Priority: priorityDropPort, InPort: ofport,
				Actions: []goovs.Action{goovs.Drop()}})
		}
	}
	return fs.flows, fs.err
}

// tunnelFlows are the flows of br-tun, in Neutron's tables: from br-int,
// unicast to table 20 (L2 population entries) and the rest to table 22
// (flood to the network's endpoints); from a tunnel, the VNI becomes the
// local VLAN and the frame goes to br-int.
func (d *Dataplane) tunnelFlows(p *plan, snap *snapshot) ([]flowEntry, error) {
	br := d.cfg.TunnelBridge
	var fs flowSet
	patchInt := snap.ofport(br, d.cfg.TunPeerPatchPort)
	if patchInt > 0 {
		fs.add(&goovs.Flow{Table: tableLocalSwitching, Priority: 1, InPort: patchInt,
			Actions: []goovs.Action{goovs.Resubmit(0, tablePatchLVToTun)}})
		fs.add(&goovs.Flow{Table: tableLearnFromTun, Priority: 1,
			Actions: []goovs.Action{goovs.Output(patchInt)}})
	}
	fs.add(&goovs.Flow{Table: tableLocalSwitching, Priority: 0, Actions: []goovs.Action{goovs.Drop()}})
	fs.add(&goovs.Flow{Table: tablePatchLVToTun, Priority: 0,
		Matches: []goovs.Match{goovs.DataLinkDestination(unicastDst)},
		Actions: []goovs.Action{goovs.Resubmit(0, tableUcastToTun)}})
	fs.add(&goovs.Flow{Table: tablePatchLVToTun, Priority: 0,
		Matches: []goovs.Match{goovs.DataLinkDestination(multicastDst)},
		Actions: []goovs.Action{goovs.Resubmit(0, tableFloodToTun)}})
	for _, tt := range d.cfg.TunnelTypes {
		fs.add(&goovs.Flow{Table: tunnelTables[tt], Priority: 0, Actions: []goovs.Action{goovs.Drop()}})
	}
	fs.add(&goovs.Flow{Table: tableUcastToTun, Priority: 0,
		Actions: []goovs.Action{goovs.Resubmit(0, tableFloodToTun)}})
	fs.add(&goovs.Flow{Table: tableFloodToTun, Priority: 0, Actions: []goovs.Action{goovs.Drop()}})

	for _, name := range sortedKeys(p.tunnels) {
		t := p.tunnels[name]
		if ofport := snap.ofport(br, name); ofport > 0 {
			fs.add(&goovs.Flow{Table: tableLocalSwitching, Priority: 1, InPort: ofport,
				Actions: []goovs.Action{goovs.Resubmit(0, tunnelTables[t.typ])}})
		}
	}

	for _, np := range p.sortedNetworks() {
		if !np.wirable() || np.tunnelType == "" {
			continue
		}
		vni := np.net.SegmentationID
		if patchInt > 0 {
			fs.add(&goovs.Flow{Table: tunnelTables[np.tunnelType], Priority: 1,
				Matches: []goovs.Match{goovs.TunnelID(uint64(vni))},
				Actions: []goovs.Action{goovs.ModVLANVID(np.lvid), goovs.Resubmit(0, tableLearnFromTun)}})
		}
		var outs []int
		for _, ep := range np.floods {
			if ofport := snap.ofport(br, TunnelPortName(np.tunnelType, ep)); ofport > 0 {
				outs = append(outs, ofport)
			}
		}
		slices.Sort(outs)
		if len(outs) > 0 {
			actions := []goovs.Action{goovs.StripVLAN(), tunIDAction(vni)}
			for _, o := range outs {
				actions = append(actions, goovs.Output(o))
			}
			fs.add(&goovs.Flow{Table: tableFloodToTun, Priority: 1,
				Matches: []goovs.Match{goovs.DataLinkVLAN(np.lvid)}, Actions: actions})
		}
		for _, u := range np.unicast {
			ofport := snap.ofport(br, TunnelPortName(np.tunnelType, u.endpoint))
			if ofport <= 0 {
				continue
			}
			fs.add(&goovs.Flow{Table: tableUcastToTun, Priority: priorityUcast,
				Matches: []goovs.Match{goovs.DataLinkVLAN(np.lvid), goovs.DataLinkDestination(u.mac)},
				Actions: []goovs.Action{goovs.StripVLAN(), tunIDAction(vni), goovs.Output(ofport)}})
		}
	}
	return fs.flows, fs.err
}

// physicalFlows are the agent's flows on the physical bridge br:
// traffic from br-int leaves with the network's VLAN (or untagged for
// flat), anything else from br-int is dropped, the rest is NORMAL.
func (d *Dataplane) physicalFlows(br string, p *plan, snap *snapshot) ([]flowEntry, error) {
	var fs flowSet
	fs.add(&goovs.Flow{Table: 0, Priority: 0, Actions: []goovs.Action{goovs.Normal()}})
	ofport := snap.ofport(br, PhysPatchName(br))
	if ofport > 0 {
		fs.add(&goovs.Flow{Table: 0, Priority: priorityDropPort, InPort: ofport,
			Actions: []goovs.Action{goovs.Drop()}})
		for _, np := range p.sortedNetworks() {
			if !np.wirable() || np.physBridge != br {
				continue
			}
			first := goovs.StripVLAN()
			if np.net.NetworkType == "vlan" {
				first = goovs.ModVLANVID(np.net.SegmentationID)
			}
			fs.add(&goovs.Flow{Table: 0, Priority: priorityLocalToPhys, InPort: ofport,
				Matches: []goovs.Match{goovs.DataLinkVLAN(np.lvid)},
				Actions: []goovs.Action{first, goovs.Normal()}})
		}
	}
	return fs.flows, fs.err
}

// sortedNetworks returns the networks of p ordered by id.
func (p *plan) sortedNetworks() []*netPlan {
	out := make([]*netPlan, 0, len(p.networks))
	for _, id := range sortedKeys(p.networks) {
		out = append(out, p.networks[id])
	}
	return out
}
