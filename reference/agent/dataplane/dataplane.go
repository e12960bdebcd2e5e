// Package dataplane is the contract between the ml2go host agent and the
// code that programs a host's kernel: the desired state of one host, as
// the server computes it, and the Reconciler interface that each kernel
// concern satisfies (L2 wiring, a firewall, a DHCP server, an L3 router).
// The agent runs every reconciler it is given over the same desired
// state, each on its own: one failing does not stop the others.
//
// The L2 reconciler is a Dataplane (the Linux-bridge and Open vSwitch
// implementations), run through L2. It says which ports it wired
// (Result.Wired); another reconciler may hold a port back until it is done
// with it (Result.Pending). A port is reported up when the L2 reconciler
// wired it and every other reconciler has run over a state holding it
// without holding it back.
//
// A reconciler converges: it reads what the host really has, compares it
// with the desired state, and changes only the difference. Reconciling the
// same state twice changes nothing the second time, and a new value (an
// agent or reconciler restart) run on a host already converged tears
// nothing down that is still wanted.
package dataplane

import (
	"context"
	"net/netip"
)

// FloodMAC is the MAC of a flooding entry: broadcast, multicast and unknown
// unicast traffic of a network goes to every endpoint with such an entry
// (Neutron's l2population flood entry 00:00:00:00:00:00).
const FloodMAC = "00:00:00:00:00:00"

// State is the desired state of one host: the networks it carries and the
// ports bound to it, and, when a reconciler asks for them (NetworkWide),
// every port of those networks. The agent gives every reconciler the same
// State value: reconcilers only read it.
type State struct {
	// Networks by network id: every network with a port in Ports.
	Networks map[string]*Network
	// Ports by port id: the ports bound to this host.
	Ports map[string]*Port
	// NetworkPorts by port id: every port of the networks in Networks,
	// bound to this host, to another, or to none (a DHCP server serves
	// each of them, a router routes for them). Nil unless a reconciler of
	// the agent is NetworkWide.
	NetworkPorts map[string]*NetworkPort
}

// Network is one network as a host carries it: the segment its ports are
// bound to on this host, and where its traffic goes on other hosts.
type Network struct {
	ID string
	// NetworkType is "flat", "vlan", "vxlan", "gre", "geneve" or "local".
	NetworkType string
	// PhysicalNetwork is set for flat and vlan segments; the agent maps it
	// to an interface or bridge of the host.
	PhysicalNetwork string
	// SegmentationID is the VLAN id or tunnel id (VNI); 0 for flat and
	// local.
	SegmentationID int
	// MTU of the network, 0 when unknown.
	MTU int
	// FDB holds the L2 population entries of tunnelled networks: which
	// remote tunnel endpoint has which MAC, plus one FloodMAC entry per
	// remote endpoint that has ports of the network. Entries for this
	// host's own endpoint are never included.
	FDB []FDBEntry
	// Subnets of the network, by id; set only with NetworkPorts (a
	// NetworkWide reconciler).
	Subnets []Subnet
}

// Subnet is one subnet of a network, as a DHCP server or a router needs
// it.
type Subnet struct {
	ID        string
	IPVersion int
	CIDR      netip.Prefix
	// GatewayIP is invalid when the subnet has no gateway.
	GatewayIP       netip.Addr
	EnableDHCP      bool
	DNSNameservers  []netip.Addr
	HostRoutes      []HostRoute
	AllocationPools []IPRange
}

// HostRoute is a route a subnet's DHCP server hands out.
type HostRoute struct {
	Destination netip.Prefix
	NextHop     netip.Addr
}

// IPRange is an inclusive range of addresses.
type IPRange struct {
	Start netip.Addr
	End   netip.Addr
}

// NetworkPort is a port of a network a host serves, wherever it is bound.
type NetworkPort struct {
	ID        string
	NetworkID string
	// MACAddress is lower-case, colon-separated.
	MACAddress string
	FixedIPs   []FixedIP
	// DeviceOwner is Neutron's: "compute:nova", "network:dhcp",
	// "network:router_interface", ...; DeviceID the VM or router id.
	DeviceOwner string
	DeviceID    string
	// HostID is the host the port is bound to, "" when unbound.
	HostID       string
	AdminStateUp bool
}

// FixedIP is one address of a port, in one of its network's subnets.
type FixedIP struct {
	SubnetID  string
	IPAddress netip.Addr
}

// FDBEntry says that MAC (with address IP, when known) is reached through
// the tunnel endpoint Endpoint. An entry with MAC FloodMAC names an
// endpoint to flood to; its IP is invalid.
type FDBEntry struct {
	MAC      string
	IP       netip.Addr
	Endpoint netip.Addr
}

// Port is one port bound to this host.
type Port struct {
	ID        string
	NetworkID string
	// MACAddress is lower-case, colon-separated.
	MACAddress string
	FixedIPs   []netip.Addr
	// AdminStateUp false keeps the port's device unwired (Linux bridge:
	// link down; OVS: dead VLAN).
	AdminStateUp bool
	// Device is the name of the port's device on the host: "tap" and the
	// first 11 characters of the port id (see TapName).
	Device string
}

// TapName is the host device of the port with the given id: "tap" and its
// first 11 characters, as Nova and Neutron's agents name it.
func TapName(portID string) string {
	if len(portID) > 11 {
		portID = portID[:11]
	}
	return "tap" + portID
}

// Result is what an Apply, or a Reconcile, achieved.
type Result struct {
	// Wired are the ids of the ports whose device exists and is wired to
	// its network: the agent reports them up. Only the L2 reconciler's
	// count.
	Wired []string
	// Pending are the ids of ports of this host that a reconciler other
	// than L2 has not finished with (a firewall that has not yet filtered
	// them): the agent does not report them up, wired or not, until a
	// later Result of that reconciler leaves them out.
	Pending []string
	// Writes counts the changes made to the host (links created, deleted
	// or changed, FDB entries, flows, OVSDB rows, rules, files): zero when
	// the host was already converged.
	Writes int
}

// Reconciler converges one concern of a host (L2 wiring, a firewall, a
// DHCP server, an L3 router) to the desired state.
type Reconciler interface {
	// Name names the reconciler among the agent's, such as "l2" or
	// "firewall": its counters are kept under that name.
	Name() string
	// Reconcile converges the reconciler's concern to s, which it must
	// not modify. Like Dataplane.Apply it removes what it made for what
	// is no longer in s and touches nothing it did not make. A failed
	// Reconcile still says what it achieved in its Result.
	Reconcile(ctx context.Context, s *State) (Result, error)
	// Close releases the reconciler's resources and leaves the host's
	// configuration in place.
	Close() error
}

// NetworkWide is implemented by a Reconciler that needs every port and
// subnet of the networks the host serves (State.NetworkPorts and
// Network.Subnets), which the agent then asks the server for.
type NetworkWide interface {
	NetworkWide() bool
}

// L2Name is the name of the L2 reconciler.
const L2Name = "l2"

// L2 is the reconciler that runs d: Reconcile is d.Apply, and its name is
// L2Name.
func L2(d Dataplane) Reconciler { return l2{d} }

type l2 struct{ d Dataplane }

func (l l2) Name() string { return L2Name }
func (l l2) Reconcile(ctx context.Context, s *State) (Result, error) {
	return l.d.Apply(ctx, s)
}
func (l l2) Close() error { return l.d.Close() }

// Dataplane programs one host.
type Dataplane interface {
	// Apply converges the host to s. A port whose device is not there yet
	// (the hypervisor has not plugged it) is left out of Result.Wired and
	// wired by a later Apply once it appears. Apply removes what earlier
	// Applies made for networks and ports no longer in s; it never touches
	// devices it did not make or wire.
	Apply(ctx context.Context, s *State) (Result, error)
	// Close releases the dataplane's resources (connections, sockets); it
	// leaves the host's wiring in place.
	Close() error
}
