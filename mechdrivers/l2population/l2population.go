// Package l2population is Neutron's L2 population (neutron/plugins/ml2/
// drivers/l2pop), split in two:
//
//   - pure functions computing the forwarding (FDB) table a host's L2 agent
//     needs for one network — Table, with TunnelEndpoint and Handles — from
//     which the server builds each host's desired state;
//   - a mechanism driver, registered as Name, enforcing what Neutron's l2pop
//     driver enforces in the API path: the MAC address of an ACTIVE port
//     cannot change.
//
// Neutron pushes FDB changes to agents as notifications (add_fdb_entries,
// remove_fdb_entries, update_fdb_entries); here the server computes each
// host's whole table instead, so the driver sends nothing.
//
// # The table
//
// With L2 population, an agent does not learn where the MAC addresses of a
// tunnelled network live, nor floods to every tunnel endpoint: the server
// tells it. For a network and a host, the table holds, for every other host
// with ACTIVE ports on the network:
//
//   - a flood entry (MAC FloodMAC, no IP) to that host's tunnel endpoint,
//     telling the agent to include the endpoint in the network's flooding
//     list;
//   - one unicast entry [MAC, IP] per fixed IP of each of its ACTIVE ports,
//     telling the agent that the MAC (and, for ARP responders, the IP)
//     lives behind that endpoint.
//
// A host's tunnel endpoint is the "tunneling_ip" its agent reports in its
// configurations. L2 population applies to the network types in the
// agent's "l2pop_network_types" or, when it reports none, its
// "tunnel_types" — so flat and vlan networks are left alone by default.
package l2population

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/agent"
)

// Name is the driver's name in [ml2] mechanism_drivers.
const Name = "l2population"

// FloodMAC is the MAC address of flood entries (Neutron's FLOODING_ENTRY
// is [FloodMAC, FloodIP]).
const FloodMAC = "00:00:00:00:00:00"

// FloodIP is the IP address Neutron sends in flood entries.
const FloodIP = "0.0.0.0"

// Keys of core.Agent.Configurations read by the package, besides
// agent.ConfTunnelTypes.
const (
	// ConfTunnelingIP is the agent's tunnel endpoint address.
	ConfTunnelingIP = "tunneling_ip"
	// ConfL2popNetworkTypes lists the network types L2 population applies
	// to on the agent; when absent, its tunnel types.
	ConfL2popNetworkTypes = "l2pop_network_types"
)

// Entry is one FDB entry: traffic to MAC (and ARP for IP) goes to the
// tunnel endpoint Endpoint. A flood entry has MAC FloodMAC and an invalid
// (zero) IP: broadcast, unknown-unicast and multicast traffic of the
// network is flooded to Endpoint too.
type Entry struct {
	MAC      string
	IP       netip.Addr
	Endpoint netip.Addr
}

// IsFlood reports whether e is a flood entry.
func (e Entry) IsFlood() bool { return e.MAC == FloodMAC && !e.IP.IsValid() }

// PortInfo returns e as Neutron sends it in fdb_entries: [mac, ip], with
// [FloodMAC, FloodIP] for a flood entry.
func (e Entry) PortInfo() [2]string {
	if e.IsFlood() {
		return [2]string{FloodMAC, FloodIP}
	}
	return [2]string{e.MAC, e.IP.String()}
}

// compare orders entries by endpoint, flood entry first, then by MAC and
// IP.
func compare(a, b Entry) int {
	if c := a.Endpoint.Compare(b.Endpoint); c != 0 {
		return c
	}
	if af, bf := a.IsFlood(), b.IsFlood(); af != bf {
		if af {
			return -1
		}
		return 1
	}
	return cmp.Or(cmp.Compare(a.MAC, b.MAC), a.IP.Compare(b.IP))
}

// TunnelEndpoint returns the agent's tunneling_ip from its configurations,
// and false when it reports none, or one that is not a usable address (not
// an IP address, or the unspecified address). An IPv4-mapped IPv6 address
// is returned as IPv4.
func TunnelEndpoint(a *core.Agent) (netip.Addr, bool) {
	s, _ := a.Configurations[ConfTunnelingIP].(string)
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.IsUnspecified() {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// Handles reports whether L2 population applies to networkType for agent
// a: networkType is in the agent's l2pop_network_types or, when it reports
// none (the key is absent or null), in its tunnel_types.
func Handles(a *core.Agent, networkType string) bool {
	key := agent.ConfTunnelTypes
	if v, ok := a.Configurations[ConfL2popNetworkTypes]; ok && v != nil {
		key = ConfL2popNetworkTypes
	}
	return slices.Contains(agent.AgentStrings(a, key), networkType)
}

// Table returns the FDB entries host forHost needs for one network of type
// networkType, sorted by endpoint, flood entry first, then by MAC and IP,
// without duplicates. It is a pure function of its arguments.
//
// ports are all the ports of the network, with their binding host and
// status. agents are agents of any type (every agent of the deployment
// will do); a host's endpoint is the TunnelEndpoint of its L2 population
// agent: among the host's agents that report a tunneling_ip, are alive at
// now (core.Agent.Alive with downTime) and handle networkType (Handles),
// the first by agent type then id.
//
// The table is empty when forHost has no such agent: L2 population does
// not apply to the network there. Otherwise, for every other host with an
// L2 population agent and ACTIVE ports on the network, it holds one flood
// entry to the host's endpoint and one [MAC, IP] entry per fixed IP of each
// of its ACTIVE ports. Hosts without such an agent are skipped, and so is
// anything to forHost's own endpoint (another host reporting the same
// endpoint included). Table does not check that forHost has ports on the
// network: the caller asks for the networks that forHost's agent hosts.
//
// As Neutron's l2pop driver, Table leaves out distributed router interface
// ports (network:router_interface_distributed) and HA router replicated
// interface ports (network:ha_router_replicated_interface), whose
// per-host bindings a core.Port does not carry. Unlike it, it also leaves
// out hosts whose agent is dead or does not handle networkType: the
// result is the desired state, not a stream of changes.
func Table(ports []*core.Port, networkType string, agents []*core.Agent, forHost string, now time.Time, downTime time.Duration) []Entry {
	endpoints := Endpoints(agents, networkType, now, downTime)
	own, ok := endpoints[forHost]
	if !ok {
		return nil
	}
	var out []Entry
	flooded := map[netip.Addr]bool{}
	for _, p := range ports {
		host := p.Binding.HostID
		if host == "" || host == forHost || p.Status != core.StatusActive || !populated(p) {
			continue
		}
		ep, ok := endpoints[host]
		if !ok || ep == own {
			continue
		}
		if !flooded[ep] {
			flooded[ep] = true
			out = append(out, Entry{MAC: FloodMAC, Endpoint: ep})
		}
		for _, ip := range p.FixedIPs {
			out = append(out, Entry{MAC: p.MACAddress, IP: ip.IPAddress, Endpoint: ep})
		}
	}
	slices.SortFunc(out, compare)
	return slices.Compact(out)
}

// Endpoints returns the tunnel endpoint of every host with an L2
// population agent for networkType, chosen as Table documents.
func Endpoints(agents []*core.Agent, networkType string, now time.Time, downTime time.Duration) map[string]netip.Addr {
	sorted := slices.Clone(agents)
	slices.SortStableFunc(sorted, func(a, b *core.Agent) int {
		return cmp.Or(cmp.Compare(a.Host, b.Host), cmp.Compare(a.AgentType, b.AgentType), cmp.Compare(a.ID, b.ID))
	})
	out := map[string]netip.Addr{}
	for _, a := range sorted {
		if _, done := out[a.Host]; done || a.Host == "" {
			continue
		}
		ep, ok := TunnelEndpoint(a)
		if !ok || !a.Alive(now, downTime) || !Handles(a, networkType) {
			continue
		}
		out[a.Host] = ep
	}
	return out
}

// populated reports whether L2 population publishes p's addresses.
func populated(p *core.Port) bool {
	switch p.DeviceOwner {
	case core.DeviceOwnerRouterInterfaceDVR, core.DeviceOwnerRouterHAInterface:
		return false
	}
	return true
}

// Config configures the mechanism driver; the zero value is the default
// driver.
type Config struct {
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is the L2 population mechanism driver. It binds no port and has
// no hook of its own: subscribed to the core's events (core.Subscriber),
// it refuses before commit to change the MAC address of an ACTIVE port,
// whose old address other hosts' tables still hold. It is safe for
// concurrent use.
type Driver struct {
	core.MechanismDriverBase

	log hclog.Logger
}

// Interface guards.
var (
	_ core.MechanismDriver = (*Driver)(nil)
	_ core.Subscriber      = (*Driver)(nil)
)

// New returns a driver for cfg.
func New(cfg Config) *Driver {
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Driver{log: log}
}

// Subscribe subscribes CheckPortChange to port changes before commit.
func (d *Driver) Subscribe(events *core.Events) {
	events.Ports.BeforeCommit(Name, d.CheckPortChange)
}

// CheckPortChange refuses, with core.InvalidInput (400), an update
// changing the MAC address of a port whose status is ACTIVE.
func (d *Driver) CheckPortChange(_ context.Context, c *core.Change[core.Port]) error {
	cur, orig := c.New, c.Old
	if c.Action != core.ActionUpdate || orig == nil || orig.MACAddress == cur.MACAddress || cur.Status != core.StatusActive {
		return nil
	}
	d.log.Debug("refusing MAC address change of ACTIVE port", "port", cur.ID,
		"mac_address", orig.MACAddress, "new_mac_address", cur.MACAddress)
	return core.InvalidInput("unable to modify mac_address of ACTIVE port %s", cur.ID)
}
