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
// the other hosts.
func (s *Service) hostState(ctx context.Context, host string) (*agentrpc.State, error) {
	st := &agentrpc.State{Full: true, Networks: []*agentrpc.Network{}, Ports: []*agentrpc.Port{}}
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
			if slices.Contains(tunnelTypes, seg.NetworkType) {
				if agents == nil {
					if agents, err = tx.ListAgents(ctx, nil); err != nil {
						return err
					}
				}
				peers, err := tx.ListPorts(ctx, &core.ListOptions{Filters: map[string][]string{
					"network_id": {n.ID}, "status": {core.StatusActive}}})
				if err != nil {
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
// st is deleted.
func delta(st *agentrpc.State, ports, networks []string) *agentrpc.State {
	out := &agentrpc.State{Networks: []*agentrpc.Network{}, Ports: []*agentrpc.Port{}}
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
