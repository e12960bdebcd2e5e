// Package agentrpc is the channel between ml2go-server and its host
// agents, which replaces Neutron's message bus with three HTTP calls under
// /ml2go/agent/v1:
//
//	POST /ml2go/agent/v1/report   an agent's heartbeat and configuration
//	                              (Neutron's report_state)
//	GET  /ml2go/agent/v1/state    the host's desired state, as a watch:
//	                              ?host=<host>&since=<revision>&wait=<seconds>
//	                              [&network_wide=true]
//	POST /ml2go/agent/v1/devices  devices wired and unwired (Neutron's
//	                              update_device_list): ports go ACTIVE or DOWN
//
// The watch is keyed by revision: the number of the last change of the
// store's host change feed the agent saw, shared by every server on the
// store. An agent asks for the changes since the revision it last saw, from
// any server, before or after that server restarted; the answer carries
// only the ports and networks of its host that changed since then, or,
// when the feed no longer holds what it missed (or on its first call), the
// whole state with Full set. When nothing changed the call waits up to
// wait seconds for a change, then answers with no changes and the same
// revision. Revisions are opaque strings.
//
// An agent that serves whole networks (a DHCP server, a router) asks with
// network_wide=true: its state then also carries the subnets of each of
// its networks and every port of them, wherever bound (NetworkPorts), and
// its watch wakes for changes of those too; resumed on a server that has
// not served the host, it gets the whole state. Agents that do not ask
// are sent neither and woken by neither. Such an agent also reports
// ConfigNetworkWide, from which every server sharing the store learns,
// within NetworkWideSettle, to record the changes that concern only
// network-wide hosts (until then, those made through other servers may
// not reach it): NetworkWideSettle after that report, it asks for the
// whole state once more.
//
// This package holds the messages, shared by both ends, and Client, the
// agent's end.
package agentrpc

import (
	"net/netip"
	"time"
)

// Paths of the channel, relative to the server's base URL.
const (
	PathReport  = "/ml2go/agent/v1/report"
	PathState   = "/ml2go/agent/v1/state"
	PathDevices = "/ml2go/agent/v1/devices"
)

// ConfigNetworkWide is the Report configuration, true, of an agent that
// watches network-wide.
const ConfigNetworkWide = "network_wide"

// NetworkWideSettle bounds the time every server takes to learn of an
// agent reporting ConfigNetworkWide.
const NetworkWideSettle = 3 * time.Second

// Report is an agent's heartbeat (Neutron's report_state agent_state).
type Report struct {
	Host      string `json:"host"`
	AgentType string `json:"agent_type"`
	Binary    string `json:"binary"`
	// Configurations are what the agent can do: bridge_mappings,
	// interface_mappings, tunnel_types, tunneling_ip, l2_population, ...
	Configurations map[string]any `json:"configurations"`
	// StartFlag is set until the agent has completed its first sync.
	StartFlag bool `json:"start_flag"`
}

// ReportReply answers a Report.
type ReportReply struct {
	// State is "new", "alive", or "revived": the agent was silent longer
	// than the down time, and should resync.
	State string `json:"state"`
}

// State answers a watch.
type State struct {
	// Revision is what to pass as since in the next watch.
	Revision string `json:"revision"`
	// Full says that Networks and Ports are the whole desired state of the
	// host: the agent replaces what it holds. Otherwise they are what
	// changed, and Deleted* what went away.
	Full     bool       `json:"full"`
	Networks []*Network `json:"networks"`
	Ports    []*Port    `json:"ports"`
	// DeletedPorts are ports that are no longer bound to the host.
	DeletedPorts []string `json:"deleted_ports,omitempty"`
	// DeletedNetworks are networks the host no longer carries.
	DeletedNetworks []string `json:"deleted_networks,omitempty"`
	// NetworkPorts are, for a network-wide watch, the ports of the
	// host's networks (all of them when Full or for a network the host
	// did not carry before; otherwise those that changed), wherever they
	// are bound.
	NetworkPorts []*NetworkPort `json:"network_ports,omitempty"`
	// DeletedNetworkPorts are, for a network-wide watch, ports that left
	// the host's networks.
	DeletedNetworkPorts []string `json:"deleted_network_ports,omitempty"`
}

// Network is a network as one host carries it.
type Network struct {
	ID              string     `json:"id"`
	NetworkType     string     `json:"network_type"`
	PhysicalNetwork string     `json:"physical_network,omitempty"`
	SegmentationID  int        `json:"segmentation_id,omitempty"`
	MTU             int        `json:"mtu,omitempty"`
	FDB             []FDBEntry `json:"fdb,omitempty"`
	// Subnets are the network's subnets, for a network-wide watch: every
	// one of them each time the network is sent.
	Subnets []Subnet `json:"subnets,omitempty"`
}

// Subnet is one subnet of a network.
type Subnet struct {
	ID              string       `json:"id"`
	IPVersion       int          `json:"ip_version"`
	CIDR            netip.Prefix `json:"cidr"`
	GatewayIP       netip.Addr   `json:"gateway_ip,omitzero"`
	EnableDHCP      bool         `json:"enable_dhcp"`
	DNSNameservers  []netip.Addr `json:"dns_nameservers,omitempty"`
	HostRoutes      []HostRoute  `json:"host_routes,omitempty"`
	AllocationPools []IPRange    `json:"allocation_pools,omitempty"`
}

// HostRoute is a route of a subnet.
type HostRoute struct {
	Destination netip.Prefix `json:"destination"`
	NextHop     netip.Addr   `json:"nexthop"`
}

// IPRange is an inclusive range of addresses.
type IPRange struct {
	Start netip.Addr `json:"start"`
	End   netip.Addr `json:"end"`
}

// NetworkPort is a port of one of the host's networks, wherever bound.
type NetworkPort struct {
	ID           string    `json:"id"`
	NetworkID    string    `json:"network_id"`
	MACAddress   string    `json:"mac_address"`
	FixedIPs     []FixedIP `json:"fixed_ips"`
	DeviceOwner  string    `json:"device_owner,omitempty"`
	DeviceID     string    `json:"device_id,omitempty"`
	HostID       string    `json:"host_id,omitempty"`
	AdminStateUp bool      `json:"admin_state_up"`
}

// FixedIP is an address of a port in one of its network's subnets.
type FixedIP struct {
	SubnetID  string     `json:"subnet_id"`
	IPAddress netip.Addr `json:"ip_address"`
}

// FDBEntry is an L2 population entry: MAC (00:00:00:00:00:00 to flood)
// with IP, when known, is behind the tunnel endpoint Endpoint.
type FDBEntry struct {
	MAC      string     `json:"mac"`
	IP       netip.Addr `json:"ip,omitzero"`
	Endpoint netip.Addr `json:"endpoint"`
}

// Port is a port bound to the host.
type Port struct {
	ID           string       `json:"id"`
	NetworkID    string       `json:"network_id"`
	MACAddress   string       `json:"mac_address"`
	FixedIPs     []netip.Addr `json:"fixed_ips"`
	AdminStateUp bool         `json:"admin_state_up"`
	Device       string       `json:"device"`
}

// Devices reports the host's devices that were wired (Up) and unwired
// (Down), by port id.
type Devices struct {
	Host string   `json:"host"`
	Up   []string `json:"up,omitempty"`
	Down []string `json:"down,omitempty"`
}

// DevicesReply answers Devices.
type DevicesReply struct {
	// Failed are the ports whose status could not be set; the agent
	// reports them again.
	Failed []string `json:"failed,omitempty"`
}
