package ml2

import (
	"encoding/json"
	"net/netip"
	"reflect"

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

// textCheck finds the first attribute of a request whose text no store
// holds (core.ValidText): a NUL character or bytes that are not UTF-8.
type textCheck struct{ err error }

func (c *textCheck) str(name, s string) {
	if c.err == nil && !core.ValidText(s) {
		c.err = core.InvalidText(name)
	}
}

func (c *textCheck) ptr(name string, s *string) {
	if s != nil {
		c.str(name, *s)
	}
}

func (c *textCheck) list(name string, l []string) {
	for _, s := range l {
		c.str(name, s)
	}
}

// value checks every string of a JSON-like value: map keys, elements and
// the strings of other types (such as named string types) alike.
func (c *textCheck) value(name string, v any) {
	switch x := v.(type) {
	case nil, bool, float64, int, int64, json.Number:
	case string:
		c.str(name, x)
	case map[string]any:
		for k, e := range x {
			c.str(name, k)
			c.value(name, e)
		}
	case []any:
		for _, e := range x {
			c.value(name, e)
		}
	default:
		c.walk(name, reflect.ValueOf(x))
	}
}

// walk checks the strings of a value of any other type.
func (c *textCheck) walk(name string, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		c.str(name, v.String())
	case reflect.Map:
		for it := v.MapRange(); it.Next() && c.err == nil; {
			c.walk(name, it.Key())
			c.walk(name, it.Value())
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len() && c.err == nil; i++ {
			c.walk(name, v.Index(i))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			c.walk(name, v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField() && c.err == nil; i++ {
			c.walk(name, v.Field(i))
		}
	}
}

func (c *textCheck) extensions(ext map[string]any) {
	for k, v := range ext {
		c.str(k, k)
		c.value(k, v)
	}
}

func (c *textCheck) segment(prefix string, s ProviderSegment) {
	c.str(prefix+"network_type", s.NetworkType)
	c.str(prefix+"physical_network", s.PhysicalNetwork)
}

// checkText refuses text no store holds in any attribute of the request
// (core.InvalidText), before anything is stored.
func (r *NetworkRequest) checkText() error {
	var c textCheck
	c.str("project_id", r.ProjectID)
	c.ptr("name", r.Name)
	c.ptr("description", r.Description)
	if r.Provider != nil {
		c.segment("provider:", *r.Provider)
	}
	for _, s := range r.Segments {
		c.segment("segments: provider:", s)
	}
	c.list("tags", r.Tags)
	c.extensions(r.Extensions)
	return c.err
}

// checkText refuses text no store holds in any attribute of the request
// (core.InvalidText), before anything is stored.
func (r *PortRequest) checkText() error {
	var c textCheck
	c.str("project_id", r.ProjectID)
	c.str("network_id", r.NetworkID)
	c.ptr("name", r.Name)
	c.ptr("description", r.Description)
	c.ptr("device_id", r.DeviceID)
	c.ptr("device_owner", r.DeviceOwner)
	c.ptr("mac_address", r.MACAddress)
	if r.FixedIPs != nil {
		for _, f := range *r.FixedIPs {
			c.str("fixed_ips: subnet_id", f.SubnetID)
		}
	}
	c.ptr("binding:host_id", r.HostID)
	c.ptr("binding:vnic_type", r.VNICType)
	if r.Profile != nil {
		c.value("binding:profile", *r.Profile)
	}
	c.list("tags", r.Tags)
	c.extensions(r.Extensions)
	return c.err
}

// checkText refuses text no store holds in any attribute of the request
// (core.InvalidText), before anything is stored.
func (r *SubnetRequest) checkText() error {
	var c textCheck
	c.str("project_id", r.ProjectID)
	c.str("network_id", r.NetworkID)
	c.ptr("name", r.Name)
	c.ptr("description", r.Description)
	c.ptr("ipv6_ra_mode", r.IPv6RAMode)
	c.ptr("ipv6_address_mode", r.IPv6AddressMode)
	c.ptr("segment_id", r.SegmentID)
	if r.ServiceTypes != nil {
		c.list("service_types", *r.ServiceTypes)
	}
	c.list("tags", r.Tags)
	c.extensions(r.Extensions)
	return c.err
}

// checkText refuses text no store holds in any attribute of the request
// (core.InvalidText), before anything is stored.
func (r *SegmentRequest) checkText() error {
	var c textCheck
	c.str("network_id", r.NetworkID)
	c.str("network_type", r.NetworkType)
	c.str("physical_network", r.PhysicalNetwork)
	c.ptr("name", r.Name)
	c.ptr("description", r.Description)
	return c.err
}

// checkText refuses text no store holds in the request
// (core.InvalidText), before anything is stored.
func (r *AgentRequest) checkText() error {
	var c textCheck
	c.ptr("description", r.Description)
	return c.err
}

// checkAgentText refuses text no store holds in an agent's report
// (core.InvalidText), before anything is stored.
func checkAgentText(a *core.Agent) error {
	var c textCheck
	c.str("agent_type", a.AgentType)
	c.str("binary", a.Binary)
	c.str("topic", a.Topic)
	c.str("host", a.Host)
	c.str("availability_zone", a.AvailabilityZone)
	c.str("description", a.Description)
	c.value("configurations", a.Configurations)
	return c.err
}
