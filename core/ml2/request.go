package ml2

import (
	"net/netip"

	"github.com/ml2go/ml2go/core"
)

// ProviderSegment is the provider:* attributes of a request: the network
// type and, optionally, a physical network and a segmentation id (0 = let
// the type driver choose).
type ProviderSegment struct {
	NetworkType     string
	PhysicalNetwork string
	SegmentationID  int64
}

// NetworkRequest carries the attributes of a network create or update. A
// nil pointer means the attribute was not given.
type NetworkRequest struct {
	// ProjectID owns the network (create only); empty means the
	// configured default project.
	ProjectID       string
	Name            *string
	Description     *string
	AdminStateUp    *bool
	Shared          *bool
	External        *bool
	VLANTransparent *bool
	// MTU, when non-zero, requests an MTU no larger than the segments
	// allow; on update, 0 recomputes it.
	MTU *int
	// Provider holds single-segment provider attributes.
	Provider *ProviderSegment
	// Segments holds multi-provider segments; it cannot be combined with
	// Provider.
	Segments []ProviderSegment
	Tags     []string
	// Extensions are request attributes for extension drivers.
	Extensions map[string]any
	// IfRevision, when set, requires the current revision to match
	// (If-Match).
	IfRevision *int64
}

// FixedIPRequest asks for an address: in a subnet (SubnetID), a specific
// address (IPAddress), or both.
type FixedIPRequest struct {
	SubnetID  string
	IPAddress netip.Addr
}

// PortRequest carries the attributes of a port create or update. A nil
// pointer means the attribute was not given.
type PortRequest struct {
	ProjectID    string
	NetworkID    string // create only
	Name         *string
	Description  *string
	AdminStateUp *bool
	DeviceID     *string
	DeviceOwner  *string
	// MACAddress requests a MAC; on update a pointer to "" regenerates it.
	MACAddress *string
	// FixedIPs nil allocates automatically; an empty slice asks for no
	// address (auto-address IPv6 subnets still contribute theirs).
	FixedIPs *[]FixedIPRequest
	HostID   *string
	VNICType *string
	// Profile, when set, replaces binding:profile; a nil map clears it.
	Profile    *map[string]any
	Tags       []string
	Extensions map[string]any
	IfRevision *int64
}

// SubnetRequest carries the attributes of a subnet create or update. A nil
// pointer means the attribute was not given. Addresses are parsed values;
// the API layer parses text with ipam.ParseIP and ipam.ParseCIDR.
type SubnetRequest struct {
	ProjectID   string
	NetworkID   string // create only
	Name        *string
	Description *string
	IPVersion   int          // create only
	CIDR        netip.Prefix // create only; host bits are cleared
	// GatewayIP: nil = default, pointer to the zero Addr = no gateway.
	GatewayIP       *netip.Addr
	AllocationPools *[]core.IPRange
	DNSNameservers  *[]netip.Addr
	HostRoutes      *[]core.HostRoute
	EnableDHCP      *bool
	IPv6RAMode      *string // create only
	IPv6AddressMode *string // create only
	SegmentID       *string
	ServiceTypes    *[]string
	Tags            []string
	Extensions      map[string]any
	IfRevision      *int64
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
