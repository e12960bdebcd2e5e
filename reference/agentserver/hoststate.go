package agentserver

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/l2population"
	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agentrpc"
)

// tunnelTypes are the network types whose hosts get L2 population entries.
var tunnelTypes = []string{core.TypeVXLAN, core.TypeGRE, core.TypeGeneve}

// hostState computes the whole desired state of host from the store: the
// ports bound to it (a bottom binding level, a VIF type other than unbound
// and binding_failed), the networks of those ports with the segment they
// are bound to, and, for tunnelled networks, the L2 population entries of
// the other hosts. With wide, each network also carries its subnets, and
// NetworkPorts every port of those networks.
func (s *Service) hostState(ctx context.Context, host string, wide bool) (*agentrpc.State, error) {
	st := &agentrpc.State{Full: true, Networks: []*agentrpc.Network{}, Ports: []*agentrpc.Port{}}
	if wide {
		st.NetworkPorts = []*agentrpc.NetworkPort{}
	}
	err := s.store.View(ctx, func(tx core.Tx) error {
		ports, err := tx.ListPorts(ctx, &core.ListOptions{Filters: map[string][]string{"binding:host_id": {host}}})
		if err != nil {
			return err
		}
		var agents []*core.Agent
		nets := map[string]*agentrpc.Network{}
		for _, p := range ports {
			levels := p.Binding.Levels
			if len(levels) == 0 || p.Binding.VIFType == core.VIFTypeUnbound || p.Binding.VIFType == core.VIFTypeBindingFailed {
				continue
			}
			st.Ports = append(st.Ports, wirePort(p))
			if nets[p.NetworkID] != nil {
				continue
			}
			seg, err := tx.GetSegment(ctx, levels[len(levels)-1].SegmentID)
			if err != nil {
				return err
			}
			n, err := tx.GetNetwork(ctx, p.NetworkID)
			if err != nil {
				return err
			}
			wn := &agentrpc.Network{ID: n.ID, NetworkType: seg.NetworkType, PhysicalNetwork: seg.PhysicalNetwork,
				SegmentationID: int(seg.SegmentationID), MTU: n.MTU}
			var all []*core.Port // every port of the network, when wide
			if wide {
				if all, err = networkWide(ctx, tx, wn); err != nil {
					return err
				}
				for _, np := range all {
					st.NetworkPorts = append(st.NetworkPorts, wireNetworkPort(np))
				}
			}
			if slices.Contains(tunnelTypes, seg.NetworkType) {
				if agents == nil {
					if agents, err = tx.ListAgents(ctx, nil); err != nil {
						return err
					}
				}
				var peers []*core.Port
				if wide {
					peers = slices.DeleteFunc(slices.Clone(all), func(p *core.Port) bool { return p.Status != core.StatusActive })
				} else if peers, err = tx.ListPorts(ctx, &core.ListOptions{Filters: map[string][]string{
					"network_id": {n.ID}, "status": {core.StatusActive}}}); err != nil {
					return err
				}
				for _, e := range l2population.Table(peers, seg.NetworkType, agents, host, time.Now(), s.downTime) {
					wn.FDB = append(wn.FDB, agentrpc.FDBEntry{MAC: e.MAC, IP: e.IP, Endpoint: e.Endpoint})
				}
			}
			nets[n.ID] = wn
			st.Networks = append(st.Networks, wn)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	carried := make(map[string]bool, len(st.Networks))
	for _, n := range st.Networks {
		carried[n.ID] = true
	}
	s.mu.Lock()
	s.carried[host] = carried
	s.mu.Unlock()
	return st, nil
}

// networkWide sets the subnets of wn from the store and returns every port
// of its network.
func networkWide(ctx context.Context, tx core.Tx, wn *agentrpc.Network) ([]*core.Port, error) {
	byNet := &core.ListOptions{Filters: map[string][]string{"network_id": {wn.ID}}}
	subnets, err := tx.ListSubnets(ctx, byNet)
	if err != nil {
		return nil, err
	}
	for _, sn := range subnets {
		wn.Subnets = append(wn.Subnets, wireSubnet(sn))
	}
	return tx.ListPorts(ctx, byNet)
}

// wireSubnet is sn as the agent channel carries it.
func wireSubnet(sn *core.Subnet) agentrpc.Subnet {
	ws := agentrpc.Subnet{ID: sn.ID, IPVersion: sn.IPVersion, CIDR: sn.CIDR, GatewayIP: sn.GatewayIP,
		EnableDHCP: sn.EnableDHCP, DNSNameservers: slices.Clone(sn.DNSNameservers)}
	for _, r := range sn.HostRoutes {
		ws.HostRoutes = append(ws.HostRoutes, agentrpc.HostRoute{Destination: r.Destination, NextHop: r.NextHop})
	}
	for _, r := range sn.AllocationPools {
		ws.AllocationPools = append(ws.AllocationPools, agentrpc.IPRange{Start: r.Start, End: r.End})
	}
	return ws
}

// wireNetworkPort is p as the hosts serving its network see it.
func wireNetworkPort(p *core.Port) *agentrpc.NetworkPort {
	wp := &agentrpc.NetworkPort{ID: p.ID, NetworkID: p.NetworkID, MACAddress: strings.ToLower(p.MACAddress),
		DeviceOwner: p.DeviceOwner, DeviceID: p.DeviceID, HostID: p.Binding.HostID, AdminStateUp: p.AdminStateUp,
		FixedIPs: make([]agentrpc.FixedIP, len(p.FixedIPs))}
	for i, ip := range p.FixedIPs {
		wp.FixedIPs[i] = agentrpc.FixedIP{SubnetID: ip.SubnetID, IPAddress: ip.IPAddress}
	}
	return wp
}

// wirePort is p as its host sees it.
func wirePort(p *core.Port) *agentrpc.Port {
	wp := &agentrpc.Port{ID: p.ID, NetworkID: p.NetworkID, MACAddress: strings.ToLower(p.MACAddress),
		AdminStateUp: p.AdminStateUp, Device: dataplane.TapName(p.ID)}
	for _, ip := range p.FixedIPs {
		wp.FixedIPs = append(wp.FixedIPs, ip.IPAddress)
	}
	return wp
}

// delta keeps of the whole state st what changed: the given ports and
// networks, and the networks of changed ports; what changed and is not in
// st is deleted. For a network-wide state (NetworkPorts set) it keeps too
// the changed ports of its networks and every port of the networks that
// were not carried before (per carried), and deletes the changed ports it
// does not hold.
func delta(st *agentrpc.State, ports, networks []string, carried func(string) bool) *agentrpc.State {
	out := &agentrpc.State{Networks: []*agentrpc.Network{}, Ports: []*agentrpc.Port{}}
	if st.NetworkPorts != nil {
		out.NetworkPorts = []*agentrpc.NetworkPort{}
		held := make(map[string]bool, len(st.NetworkPorts))
		for _, p := range st.NetworkPorts {
			held[p.ID] = true
			if !carried(p.NetworkID) || slices.Contains(ports, p.ID) {
				out.NetworkPorts = append(out.NetworkPorts, p)
			}
		}
		for _, id := range dedupe(ports) {
			if !held[id] {
				out.DeletedNetworkPorts = append(out.DeletedNetworkPorts, id)
			}
		}
	}
	wantNet := map[string]bool{}
	for _, id := range networks {
		wantNet[id] = true
	}
	havePort := map[string]bool{}
	for _, p := range st.Ports {
		havePort[p.ID] = true
		if slices.Contains(ports, p.ID) {
			out.Ports = append(out.Ports, p)
			wantNet[p.NetworkID] = true
		}
	}
	haveNet := map[string]bool{}
	for _, n := range st.Networks {
		haveNet[n.ID] = true
		if wantNet[n.ID] {
			out.Networks = append(out.Networks, n)
		}
	}
	for _, id := range dedupe(ports) {
		if !havePort[id] {
			out.DeletedPorts = append(out.DeletedPorts, id)
		}
	}
	for _, id := range dedupe(networks) {
		if !haveNet[id] {
			out.DeletedNetworks = append(out.DeletedNetworks, id)
		}
	}
	return out
}

func dedupe(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return slices.Compact(ids)
}
