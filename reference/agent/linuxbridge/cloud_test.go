package linuxbridge_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
)

// cloud plays the server: it knows every network and port and on which
// host each port is bound, and computes each host's desired state as ML2
// with the l2population driver would: a host gets,
// for every other host with active ports on a tunnelled network, a flood
// entry to that host's endpoint and one entry per fixed IP of each active
// port there.
type cloud struct {
	hosts []*host
	nets  map[string]*dataplane.Network
	ports map[string]*boundPort
}

// boundPort is a port and the host it is bound to.
type boundPort struct {
	port *dataplane.Port
	host *host
}

func newCloud(hosts ...*host) *cloud {
	return &cloud{hosts: hosts, nets: map[string]*dataplane.Network{}, ports: map[string]*boundPort{}}
}

// addNetwork records a network (its FDB is computed per host).
func (c *cloud) addNetwork(n dataplane.Network) *dataplane.Network {
	c.nets[n.ID] = &n
	return &n
}

// addPort binds a new port of network netID with one fixed IP to h.
func (c *cloud) addPort(h *host, id, netID, mac string, ip netip.Addr) *dataplane.Port {
	p := &dataplane.Port{
		ID:           id,
		NetworkID:    netID,
		MACAddress:   mac,
		FixedIPs:     []netip.Addr{ip},
		AdminStateUp: true,
		Device:       dataplane.TapName(id),
	}
	c.ports[id] = &boundPort{port: p, host: h}
	return p
}

// state is the desired state of h.
func (c *cloud) state(h *host) *dataplane.State {
	s := &dataplane.State{Networks: map[string]*dataplane.Network{}, Ports: map[string]*dataplane.Port{}}
	for id, bp := range c.ports {
		if bp.host != h {
			continue
		}
		p := *bp.port
		s.Ports[id] = &p
		if _, ok := s.Networks[p.NetworkID]; ok {
			continue
		}
		n := *c.nets[p.NetworkID]
		if n.NetworkType == "vxlan" {
			n.FDB = c.fdb(n.ID, h)
		}
		s.Networks[n.ID] = &n
	}
	return s
}

// fdb is what l2population tells h about network netID.
func (c *cloud) fdb(netID string, h *host) []dataplane.FDBEntry {
	var out []dataplane.FDBEntry
	for _, other := range c.hosts {
		if other == h {
			continue
		}
		var entries []dataplane.FDBEntry
		for _, bp := range c.ports {
			p := bp.port
			if bp.host != other || p.NetworkID != netID || !p.AdminStateUp {
				continue
			}
			for _, ip := range p.FixedIPs {
				entries = append(entries, dataplane.FDBEntry{MAC: p.MACAddress, IP: ip, Endpoint: other.ip})
			}
		}
		if len(entries) > 0 {
			out = append(out, dataplane.FDBEntry{MAC: dataplane.FloodMAC, Endpoint: other.ip})
			out = append(out, entries...)
		}
	}
	return out
}

// applyAll applies every host's desired state and returns the results by
// host.
func (c *cloud) applyAll(tb testing.TB) map[*host]dataplane.Result {
	tb.Helper()
	res := map[*host]dataplane.Result{}
	for _, h := range c.hosts {
		res[h] = h.apply(tb, c.state(h))
	}
	return res
}

// requireConverged applies every host's state and requires that nothing
// changed.
func (c *cloud) requireConverged(tb testing.TB) {
	tb.Helper()
	for h, r := range c.applyAll(tb) {
		require.Zero(tb, r.Writes, "re-apply on %s changed the dataplane", h.ns.Name)
	}
}

// wired is the sorted ids of the ports of h that the cloud expects wired.
func (c *cloud) wired(h *host) []string {
	var ids []string
	for id, bp := range c.ports {
		if bp.host == h && bp.port.AdminStateUp {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
