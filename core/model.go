package core

import (
	"net/netip"
	"time"
)

// Resource status values.
const (
	StatusActive = "ACTIVE"
	StatusDown   = "DOWN"
	StatusBuild  = "BUILD"
	StatusError  = "ERROR"
	StatusNA     = "N/A"
)

// Network types handled by the built-in type drivers.
const (
	TypeFlat   = "flat"
	TypeVLAN   = "vlan"
	TypeVXLAN  = "vxlan"
	TypeGRE    = "gre"
	TypeGeneve = "geneve"
	TypeLocal  = "local"
)

// VIF types of port bindings.
const (
	VIFTypeUnbound       = "unbound"
	VIFTypeBindingFailed = "binding_failed"
	VIFTypeDistributed   = "distributed"
	VIFTypeOVS           = "ovs"
	VIFTypeBridge        = "bridge"
	VIFTypeVhostUser     = "vhostuser"
	VIFTypeOther         = "other"
	VIFTypeTap           = "tap"
)

// VNIC types.
const (
	VNICNormal         = "normal"
	VNICDirect         = "direct"
	VNICMacvtap        = "macvtap"
	VNICBaremetal      = "baremetal"
	VNICDirectPhysical = "direct-physical"
	VNICVirtioForward  = "virtio-forwarder"
	VNICSmartNIC       = "smart-nic"
	VNICVDPA           = "vdpa"
)

// Device owners with special meaning.
const (
	DeviceOwnerDHCP                 = "network:dhcp"
	DeviceOwnerDistributed          = "network:distributed"
	DeviceOwnerFloatingIPAgentGW    = "network:floatingip_agent_gateway"
	DeviceOwnerRouterInterface      = "network:router_interface"
	DeviceOwnerRouterInterfaceDVR   = "network:router_interface_distributed"
	DeviceOwnerRouterHAInterface    = "network:ha_router_replicated_interface"
	DeviceOwnerRouterGateway        = "network:router_gateway"
	DeviceOwnerRouterSNAT           = "network:router_centralized_snat"
	DeviceOwnerFloatingIP           = "network:floatingip"
	DeviceOwnerRouterHAInterfaceOld = "network:router_ha_interface"
	DeviceOwnerNetworkPrefix        = "network:"
)

// MaxBindingLevels bounds hierarchical binding depth.
const MaxBindingLevels = 10

// Standard holds the standard attributes every top-level resource carries.
type Standard struct {
	ID             string
	ProjectID      string
	Name           string
	Description    string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	RevisionNumber int64
	Tags           []string
}

// Segment is one L2 segment of a network: a network type, an optional
// physical network and an optional segmentation id (VLAN tag, VNI, GRE key).
// Zero values mean "unset": PhysicalNetwork "" and SegmentationID 0.
type Segment struct {
	ID              string
	NetworkID       string
	NetworkType     string
	PhysicalNetwork string
	SegmentationID  int64
	// MTU is the type driver's MTU for the segment; 0 means no opinion.
	MTU int
	// Index orders the segments of a network.
	Index int
	// Dynamic segments are allocated during hierarchical port binding and
	// are not part of the network's provider attributes.
	Dynamic     bool
	Name        string
	Description string
	// CreatedAt, UpdatedAt and RevisionNumber are the segment's standard
	// attributes, set by the store.
	CreatedAt      time.Time
	UpdatedAt      time.Time
	RevisionNumber int64
}

// Network is an L2 network and its segments.
type Network struct {
	Standard
	AdminStateUp    bool
	Status          string
	Shared          bool
	External        bool
	MTU             int
	VLANTransparent bool
	// Segments are the static segments in order.
	Segments []Segment
	// Subnets are the ids of the network's subnets, in creation order.
	Subnets []string
	// Extra holds attributes owned by extension drivers.
	Extra map[string]any
}

// IPRange is an inclusive range of addresses, such as an allocation pool.
type IPRange struct {
	Start netip.Addr
	End   netip.Addr
}

// Contains reports whether ip lies in r.
func (r IPRange) Contains(ip netip.Addr) bool {
	return ip.BitLen() == r.Start.BitLen() && r.Start.Compare(ip) <= 0 && ip.Compare(r.End) <= 0
}

// HostRoute is a static route handed to instances by DHCP.
type HostRoute struct {
	Destination netip.Prefix
	NextHop     netip.Addr
}

// IPv6 address and RA modes.
const (
	IPv6ModeSLAAC            = "slaac"
	IPv6ModeDHCPv6Stateful   = "dhcpv6-stateful"
	IPv6ModeDHCPv6Stateless  = "dhcpv6-stateless"
	DefaultMACPrefix         = "fa:16:3e:00:00:00"
	DefaultGlobalPhysnetMTU  = 1500
	DefaultMaxDNSNameservers = 5
	DefaultMaxHostRoutes     = 20
)

// Subnet is an IP address block on a network.
type Subnet struct {
	Standard
	NetworkID string
	IPVersion int
	CIDR      netip.Prefix
	// GatewayIP is the zero Addr when the subnet has no gateway.
	GatewayIP       netip.Addr
	AllocationPools []IPRange
	DNSNameservers  []netip.Addr
	HostRoutes      []HostRoute
	EnableDHCP      bool
	IPv6RAMode      string
	IPv6AddressMode string
	SegmentID       string
	SubnetPoolID    string
	ServiceTypes    []string
	Extra           map[string]any
}

// IsAutoAddress reports whether addresses on the subnet are derived from
// MAC addresses: its address mode is SLAAC or DHCPv6-stateless, or it has
// no address mode and its RA mode is one of those.
func (s *Subnet) IsAutoAddress() bool {
	auto := func(m string) bool { return m == IPv6ModeSLAAC || m == IPv6ModeDHCPv6Stateless }
	if s.IPVersion != 6 {
		return false
	}
	return auto(s.IPv6AddressMode) || (s.IPv6AddressMode == "" && auto(s.IPv6RAMode))
}

// FixedIP is one address of a port.
type FixedIP struct {
	SubnetID  string
	IPAddress netip.Addr
}

// BindingLevel is one level of a (possibly hierarchical) port binding.
type BindingLevel struct {
	Level     int
	Driver    string
	SegmentID string
}

// PortBinding is a port's binding to a host.
type PortBinding struct {
	HostID     string
	VNICType   string
	Profile    map[string]any
	VIFType    string
	VIFDetails map[string]any
	// Levels are ordered top (0) to bottom; empty when not bound.
	Levels []BindingLevel
}

// Port is an attachment point on a network.
type Port struct {
	Standard
	NetworkID    string
	AdminStateUp bool
	MACAddress   string
	FixedIPs     []FixedIP
	DeviceID     string
	DeviceOwner  string
	Status       string
	Binding      PortBinding
	Extra        map[string]any
}

// Agent is a host agent as it reports itself.
type Agent struct {
	ID               string
	AgentType        string
	Binary           string
	Topic            string
	Host             string
	AvailabilityZone string
	AdminStateUp     bool
	Description      string
	Configurations   map[string]any
	CreatedAt        time.Time
	StartedAt        time.Time
	HeartbeatAt      time.Time
}

// Alive reports whether the agent's last heartbeat is younger than downTime.
func (a *Agent) Alive(now time.Time, downTime time.Duration) bool {
	return now.Sub(a.HeartbeatAt) < downTime
}
