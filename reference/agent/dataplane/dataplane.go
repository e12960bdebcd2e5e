// Package dataplane is the contract between the ml2go host agent and the
// code that programs a host's kernel: the desired state of one host, as
// the server computes it, and the Dataplane interface that the Linux-bridge
// and Open vSwitch implementations satisfy.
//
// A Dataplane converges: Apply reads what the host really has, compares it
// with the desired state, and changes only the difference. Applying the same
// state twice changes nothing the second time, and a new Dataplane value
// (an agent restart) applied to a host already wired tears nothing down
// that is still wanted.
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
// ports bound to it.
type State struct {
	// Networks by network id: every network with a port in Ports.
	Networks map[string]*Network
	// Ports by port id: the ports bound to this host.
	Ports map[string]*Port
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

// Result is what an Apply achieved.
type Result struct {
	// Wired are the ids of the ports whose device exists and is wired to
	// its network: the agent reports them up.
	Wired []string
	// Writes counts the changes Apply made to the dataplane (links
	// created, deleted or changed, FDB entries, flows, OVSDB rows): zero
	// when the host was already converged.
	Writes int
}

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
