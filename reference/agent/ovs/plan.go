package ovs

import (
	"cmp"
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
)

// VLAN ids of the integration bridge, as Neutron's agent uses them.
const (
	// minLocalVLAN and maxLocalVLAN bound the local VLAN ids.
	minLocalVLAN = 1
	maxLocalVLAN = 4094
	// DeadVLAN is the tag of ports that must not carry traffic: not yet
	// bound, on a network this host cannot carry, or administratively
	// down. Table 0 of the integration bridge drops it.
	DeadVLAN = 4095
)

// Keys of Port other_config that record a port's network binding, as
// Neutron's agent stores them; a restarted agent recovers its local VLAN
// allocations from them.
const (
	ocNetUUID         = "net_uuid"
	ocNetworkType     = "network_type"
	ocPhysicalNetwork = "physical_network"
	ocSegmentationID  = "segmentation_id"
	ocTag             = "tag"
)

// otherConfigKeys are the other_config keys the agent owns.
var otherConfigKeys = []string{ocNetUUID, ocNetworkType, ocPhysicalNetwork, ocSegmentationID, ocTag}

// Keys of Interface external_ids the agent sets on VIFs (as Nova does).
// iface-id marks a port of the integration bridge as a VIF this agent
// wired.
const (
	extIfaceID     = "iface-id"
	extAttachedMAC = "attached-mac"
	extIfaceStatus = "iface-status"
)

// externalIDKeys are the external_ids keys the agent owns.
var externalIDKeys = []string{extIfaceID, extAttachedMAC, extIfaceStatus}

// tunnelTables maps a tunnel type to the br-tun table that turns its
// traffic into local VLANs, Neutron's table numbers.
var tunnelTables = map[string]int{
	TunnelGRE:    tableGRETunToLV,
	TunnelVXLAN:  tableVXLANTunToLV,
	TunnelGeneve: tableGeneveTunToLV,
}

// plan is the desired state of the host's OVS: State resolved against
// the configuration and what OVSDB already holds.
type plan struct {
	// physBridges maps each physical network to its bridge, for the
	// mapped bridges that exist.
	physBridges map[string]string
	// networks carried by the host (at least one port whose device
	// exists), by id.
	networks map[string]*netPlan
	// ports whose device exists, sorted by device.
	ports []*portPlan
	// tunnels are the tunnel ports of br-tun, by name.
	tunnels map[string]*tunnelPlan
	// patches are the patch ports of every bridge.
	patches []patchPlan
}

// netPlan is one network the host carries.
type netPlan struct {
	net *dataplane.Network
	// lvid is the local VLAN; 0 when the network cannot be wired.
	lvid int
	// physBridge carries a flat or vlan network.
	physBridge string
	// tunnelType is set for tunnelled networks.
	tunnelType string
	// floods are the remote endpoints of a tunnelled network, sorted.
	floods []netip.Addr
	// unicast are its L2 population unicast entries.
	unicast []unicastEntry
}

// unicastEntry says that MAC is behind the tunnel endpoint endpoint.
type unicastEntry struct {
	mac      string
	endpoint netip.Addr
}

// wirable reports whether the network can carry traffic on this host.
func (n *netPlan) wirable() bool { return n != nil && n.lvid != 0 }

// portPlan is one port whose device exists.
type portPlan struct {
	port *dataplane.Port
	net  *netPlan
	// tag is the access VLAN: the network's lvid, or DeadVLAN.
	tag         int
	otherConfig map[string]string
	externalIDs map[string]string
	// mtu is the network's MTU, for the interface's mtu_request; 0 leaves
	// the device's MTU alone.
	mtu int
	// skip is why the port is left alone (its device is a port of a
	// bridge this agent does not manage); "" otherwise.
	skip string
}

// live reports whether the port should carry traffic.
func (p *portPlan) live() bool { return p.skip == "" && p.tag != DeadVLAN }

// tunnelPlan is one tunnel port of br-tun.
type tunnelPlan struct {
	name    string
	typ     string
	remote  netip.Addr
	options map[string]string
}

// patchPlan is one end of a patch pair.
type patchPlan struct {
	bridge, name, peer string
}

// planFor resolves s against the configuration, the devices of the host
// and OVSDB.
func (d *Dataplane) planFor(s *dataplane.State, links map[string]link, snap *snapshot) *plan {
	cfg := d.cfg
	p := &plan{physBridges: map[string]string{}, networks: map[string]*netPlan{}, tunnels: map[string]*tunnelPlan{}}
	for physnet, br := range cfg.BridgeMappings {
		if snap.bridges[br] != nil {
			p.physBridges[physnet] = br
		}
	}

	// Ports whose device is there, and the networks they make active.
	devices := map[string]string{}
	for _, id := range sortedKeys(s.Ports) {
		port := s.Ports[id]
		if port == nil || port.Device == "" {
			continue
		}
		if _, ok := links[port.Device]; !ok {
			continue
		}
		if other, dup := devices[port.Device]; dup {
			d.log.Warn("two ports claim one device; the second is left out", "device", port.Device, "port", other, "other_port", id)
			continue
		}
		devices[port.Device] = id
		pp := &portPlan{port: port}
		if row, ok := snap.ports[port.Device]; ok && row.bridge != cfg.IntegrationBridge {
			pp.skip = "device is a port of bridge " + row.bridge
		}
		if n := s.Networks[port.NetworkID]; n != nil && pp.skip == "" {
			np, ok := p.networks[n.ID]
			if !ok {
				np = d.netPlanFor(n, p.physBridges)
				p.networks[n.ID] = np
			}
			pp.net = np
		}
		p.ports = append(p.ports, pp)
	}
	slices.SortFunc(p.ports, func(a, b *portPlan) int { return cmp.Compare(a.port.Device, b.port.Device) })

	d.allocateLocalVLANs(p, snap)

	for _, pp := range p.ports {
		pp.tag = DeadVLAN
		if pp.net.wirable() && pp.port.AdminStateUp {
			pp.tag = pp.net.lvid
		}
		pp.otherConfig = otherConfigFor(pp.net)
		pp.externalIDs = map[string]string{
			extIfaceID:     pp.port.ID,
			extAttachedMAC: pp.port.MACAddress,
			extIfaceStatus: "active",
		}
		if pp.net != nil && pp.net.net.MTU > 0 {
			pp.mtu = pp.net.net.MTU
		}
	}

	// Tunnel ports: one per (type, remote endpoint) in some flood list.
	for _, id := range sortedKeys(p.networks) {
		np := p.networks[id]
		if !np.wirable() || np.tunnelType == "" {
			continue
		}
		for _, ep := range np.floods {
			name := TunnelPortName(np.tunnelType, ep)
			if _, ok := p.tunnels[name]; ok {
				continue
			}
			opts := map[string]string{
				"remote_ip": ep.String(),
				"local_ip":  cfg.LocalIP.String(),
				"key":       "flow",
			}
			if np.tunnelType == TunnelVXLAN {
				opts["dst_port"] = strconv.Itoa(cfg.VXLANPort)
			}
			p.tunnels[name] = &tunnelPlan{name: name, typ: np.tunnelType, remote: ep, options: opts}
		}
	}

	if cfg.tunnelling() {
		p.patches = append(p.patches,
			patchPlan{cfg.IntegrationBridge, cfg.IntPeerPatchPort, cfg.TunPeerPatchPort},
			patchPlan{cfg.TunnelBridge, cfg.TunPeerPatchPort, cfg.IntPeerPatchPort})
	}
	for _, physnet := range sortedKeys(p.physBridges) {
		br := p.physBridges[physnet]
		p.patches = append(p.patches,
			patchPlan{cfg.IntegrationBridge, IntPatchName(br), PhysPatchName(br)},
			patchPlan{br, PhysPatchName(br), IntPatchName(br)})
	}
	return p
}

// netPlanFor works out how the host carries n, given the bridges of the
// physical networks; lvid stays 0 until allocateLocalVLANs, and for ever
// when the host cannot carry n.
func (d *Dataplane) netPlanFor(n *dataplane.Network, physBridges map[string]string) *netPlan {
	np := &netPlan{net: n}
	switch n.NetworkType {
	case "flat", "vlan":
		np.physBridge = physBridges[n.PhysicalNetwork]
	case TunnelVXLAN, TunnelGRE, TunnelGeneve:
		if slices.Contains(d.cfg.TunnelTypes, n.NetworkType) {
			np.tunnelType = n.NetworkType
			np.floods, np.unicast = d.fdbOf(n)
		}
	}
	return np
}

// carriable reports whether the host has what n needs: a mapped bridge, a
// configured tunnel type, or nothing at all (local).
func (np *netPlan) carriable() bool {
	switch np.net.NetworkType {
	case "flat":
		return np.physBridge != ""
	case "vlan":
		return np.physBridge != "" && np.net.SegmentationID >= 1 && np.net.SegmentationID <= maxLocalVLAN
	case "local":
		return true
	default:
		return np.tunnelType != ""
	}
}

// fdbOf splits n's L2 population entries into flood endpoints and unicast
// entries, leaving out this host's own endpoint, malformed entries and
// endpoints of the other address family.
func (d *Dataplane) fdbOf(n *dataplane.Network) ([]netip.Addr, []unicastEntry) {
	local := d.cfg.LocalIP
	usable := func(ep netip.Addr) bool {
		return ep.IsValid() && ep != local && ep.Is4() == local.Is4()
	}
	floodSet := map[netip.Addr]bool{}
	seenMAC := map[string]bool{}
	var unicast []unicastEntry
	entries := slices.Clone(n.FDB)
	slices.SortFunc(entries, func(a, b dataplane.FDBEntry) int {
		return cmp.Or(cmp.Compare(a.MAC, b.MAC), a.Endpoint.Compare(b.Endpoint))
	})
	for _, e := range entries {
		ep := e.Endpoint.Unmap()
		if !usable(ep) {
			continue
		}
		if e.MAC == dataplane.FloodMAC {
			floodSet[ep] = true
			continue
		}
		hw, err := net.ParseMAC(e.MAC)
		if err != nil || len(hw) != 6 || hw[0]&1 == 1 {
			continue
		}
		mac := hw.String()
		if seenMAC[mac] {
			continue
		}
		seenMAC[mac] = true
		unicast = append(unicast, unicastEntry{mac: mac, endpoint: ep})
	}
	floods := make([]netip.Addr, 0, len(floodSet))
	for ep := range floodSet {
		floods = append(floods, ep)
	}
	slices.SortFunc(floods, netip.Addr.Compare)
	return floods, unicast
}

// allocateLocalVLANs gives every carriable network of p a local VLAN:
// the one OVSDB records for it when still free (so a restarted agent
// renumbers nothing), else the lowest free one.
func (d *Dataplane) allocateLocalVLANs(p *plan, snap *snapshot) {
	recorded := map[string]int{}
	for _, row := range snap.portsOf(d.cfg.IntegrationBridge) {
		if row.iface.externalIDs[extIfaceID] == "" {
			continue
		}
		netID := row.otherConfig[ocNetUUID]
		lvid, err := strconv.Atoi(row.otherConfig[ocTag])
		if netID == "" || err != nil || lvid < minLocalVLAN || lvid > maxLocalVLAN {
			continue
		}
		if old, ok := recorded[netID]; !ok || lvid < old {
			recorded[netID] = lvid
		}
	}
	ids := sortedKeys(p.networks)
	used := map[int]bool{}
	for _, id := range ids {
		np := p.networks[id]
		if lvid, ok := recorded[id]; ok && np.carriable() && !used[lvid] {
			np.lvid = lvid
			used[lvid] = true
		}
	}
	next := minLocalVLAN
	for _, id := range ids {
		np := p.networks[id]
		if np.lvid != 0 || !np.carriable() {
			continue
		}
		for next <= maxLocalVLAN && used[next] {
			next++
		}
		if next > maxLocalVLAN {
			d.log.Error("no local VLAN left; network's ports stay in the dead VLAN", "network", id)
			continue
		}
		np.lvid = next
		used[next] = true
	}
}

// otherConfigFor is the Port other_config of a port on network np (nil:
// unknown network).
func otherConfigFor(np *netPlan) map[string]string {
	if np == nil {
		return map[string]string{}
	}
	oc := map[string]string{
		ocNetUUID:     np.net.ID,
		ocNetworkType: np.net.NetworkType,
	}
	if np.net.PhysicalNetwork != "" {
		oc[ocPhysicalNetwork] = np.net.PhysicalNetwork
	}
	if np.net.SegmentationID != 0 {
		oc[ocSegmentationID] = strconv.Itoa(np.net.SegmentationID)
	}
	if np.lvid != 0 {
		oc[ocTag] = strconv.Itoa(np.lvid)
	}
	return oc
}
