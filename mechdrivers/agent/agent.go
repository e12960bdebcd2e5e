// Package agent is the base of agent-based mechanism drivers: drivers that
// bind a port when an agent of theirs runs on the port's host and can reach
// one of the port's segments. It is Neutron's AgentMechanismDriverBase and
// SimpleAgentMechanismDriverBase; the Open vSwitch, Linux-bridge and fake
// agent drivers are built on it.
//
// # Binding
//
// Driver.BindPort binds a port when
//
//  1. its VNIC type (normal when unset) is one of the driver's supported
//     types, less the prohibited ones;
//  2. an agent of the driver's type on the binding host (in the order
//     core.PortContext.HostAgents returns them) is alive — its last
//     heartbeat is younger than AgentDownTime; dead agents are skipped with
//     a warning — and, for a smart-nic port, reports
//     "baremetal_smartnic": true;
//  3. one of the allowed segments fits that agent (CheckSegmentForAgent):
//     its network type is one the agent allows (AllowedNetworkTypes) and,
//     for flat and vlan segments, its physical network is a key of the
//     agent's mappings (Mappings).
//
// The first agent and segment that fit win: the port is bound to the
// segment with the driver's VIF type and VIF details, the latter always
// including "connectivity". The allowed segments are the segments to bind,
// restricted — when the port has fixed IPs and Config.SubnetSegmentID is set
// — to those of the port's subnets (any subnet without a segment allows
// every segment).
//
// # Agent configuration
//
// Agents report a JSON configuration (core.Agent.Configurations). The
// defaults read:
//
//	"tunnel_types":       ["vxlan", ...]            allowed besides local, flat and vlan
//	"bridge_mappings":    {"physnet1": "br-eth1"}    physical networks reachable
//	"interface_mappings": {"physnet2": "eth2"}       physical networks reachable
//	"baremetal_smartnic": true                       accepts smart-nic ports
//
// Drivers that need more (an agent-dependent VIF type, for instance) set the
// hooks of Config, and may wrap BindPort with checks of their own.
package agent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
)

// DefaultAgentDownTime is how long an agent may stay silent and still be
// alive, when Config.AgentDownTime is zero (Neutron's agent_down_time).
const DefaultAgentDownTime = 75 * time.Second

// Keys of core.Agent.Configurations read by the defaults.
const (
	ConfTunnelTypes       = "tunnel_types"
	ConfBridgeMappings    = "bridge_mappings"
	ConfInterfaceMappings = "interface_mappings"
	ConfBaremetalSmartNIC = "baremetal_smartnic"
)

// VIFDetailConnectivity is the binding:vif_details key carrying the
// driver's connectivity.
const VIFDetailConnectivity = "connectivity"

// Config configures an agent-based driver. Only AgentType and VIFType are
// required.
type Config struct {
	// AgentType is the agent_type of the driver's agents, such as
	// "Open vSwitch agent".
	AgentType string
	// VIFType is the binding:vif_type of the ports the driver binds, such
	// as core.VIFTypeOVS.
	VIFType string
	// VIFDetails are the binding:vif_details of the ports the driver binds;
	// "connectivity" is added unless given.
	VIFDetails map[string]any
	// SupportedVNICTypes are the VNIC types the driver binds. Default:
	// normal.
	SupportedVNICTypes []string
	// ProhibitedVNICTypes are removed from SupportedVNICTypes
	// (vnic_type_prohibit_list). Initialize refuses entries that are not
	// supported, and a list prohibiting every supported type.
	ProhibitedVNICTypes []string
	// Connectivity is what the driver provides. Default: legacy.
	Connectivity core.Connectivity
	// AgentDownTime is how long an agent may stay silent and still be
	// alive. Default: DefaultAgentDownTime.
	AgentDownTime time.Duration
	// Now is the clock used to tell live agents. Default: time.Now.
	Now func() time.Time

	// AllowedNetworkTypes returns the network types an agent can bind.
	// Default: DefaultAllowedNetworkTypes.
	AllowedNetworkTypes func(a *core.Agent) []string
	// Mappings returns the physical networks an agent reaches, as keys
	// (values are bridge or interface names). Default: DefaultMappings.
	Mappings func(a *core.Agent) map[string]string
	// VIFTypeFor, when set, gives the VIF type of a port bound to seg
	// through a, instead of VIFType.
	VIFTypeFor func(pc core.PortContext, a *core.Agent, seg core.Segment) string
	// VIFDetailsFor, when set, gives the VIF details of a port bound to seg
	// through a, instead of Driver.VIFDetails; they are used as returned
	// (start from Driver.VIFDetails to keep "connectivity").
	VIFDetailsFor func(pc core.PortContext, a *core.Agent, seg core.Segment) map[string]any
	// SubnetSegmentID returns the segment id of a subnet ("" when the
	// subnet is not bound to a segment). When set, a port with fixed IPs is
	// only bound to segments of its subnets. core.PortContext cannot look
	// subnets up, so the default is to consider every segment to bind.
	SubnetSegmentID func(ctx context.Context, subnetID string) (string, error)

	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is an agent-based mechanism driver. It implements BindPort and
// Connectivity; every other hook is the no-op of core.MechanismDriverBase.
// A Driver is immutable once built and safe for concurrent use.
type Driver struct {
	core.MechanismDriverBase

	cfg     Config
	vnics   []string
	details map[string]any
	log     hclog.Logger
}

// Interface guards.
var (
	_ core.MechanismDriver      = (*Driver)(nil)
	_ core.ConnectivityProvider = (*Driver)(nil)
)

// New returns a driver for cfg, with defaults filled in. The configuration
// is copied; it is checked by Initialize.
func New(cfg Config) *Driver {
	if len(cfg.SupportedVNICTypes) == 0 {
		cfg.SupportedVNICTypes = []string{core.VNICNormal}
	}
	cfg.SupportedVNICTypes = slices.Clone(cfg.SupportedVNICTypes)
	cfg.ProhibitedVNICTypes = slices.Clone(cfg.ProhibitedVNICTypes)
	if cfg.Connectivity == "" {
		cfg.Connectivity = core.ConnectivityLegacy
	}
	if cfg.AgentDownTime <= 0 {
		cfg.AgentDownTime = DefaultAgentDownTime
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AllowedNetworkTypes == nil {
		cfg.AllowedNetworkTypes = DefaultAllowedNetworkTypes
	}
	if cfg.Mappings == nil {
		cfg.Mappings = DefaultMappings
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	details := map[string]any{VIFDetailConnectivity: string(cfg.Connectivity)}
	maps.Copy(details, core.CloneMap(cfg.VIFDetails))
	cfg.VIFDetails = nil
	return &Driver{
		cfg: cfg,
		vnics: slices.DeleteFunc(slices.Clone(cfg.SupportedVNICTypes), func(v string) bool {
			return slices.Contains(cfg.ProhibitedVNICTypes, v)
		}),
		details: details,
		log:     log,
	}
}

// Initialize checks the configuration.
func (d *Driver) Initialize(context.Context) error {
	if d.cfg.AgentType == "" {
		return fmt.Errorf("agent mechanism driver: no agent type")
	}
	if d.cfg.VIFType == "" && d.cfg.VIFTypeFor == nil {
		return fmt.Errorf("agent mechanism driver for %q: no VIF type", d.cfg.AgentType)
	}
	for _, v := range d.cfg.ProhibitedVNICTypes {
		if !slices.Contains(d.cfg.SupportedVNICTypes, v) {
			return fmt.Errorf("agent mechanism driver for %q: prohibited VNIC type %q is not supported (supported: %v)",
				d.cfg.AgentType, v, d.cfg.SupportedVNICTypes)
		}
	}
	if len(d.vnics) == 0 {
		return fmt.Errorf("agent mechanism driver for %q: every supported VNIC type is prohibited", d.cfg.AgentType)
	}
	return nil
}

// AgentType returns the agent type the driver binds to.
func (d *Driver) AgentType() string { return d.cfg.AgentType }

// Connectivity returns the driver's connectivity.
func (d *Driver) Connectivity() core.Connectivity { return d.cfg.Connectivity }

// SupportedVNICTypes returns the VNIC types the driver binds: the supported
// ones less the prohibited ones.
func (d *Driver) SupportedVNICTypes() []string { return slices.Clone(d.vnics) }

// VIFType returns the configured VIF type.
func (d *Driver) VIFType() string { return d.cfg.VIFType }

// VIFDetails returns a copy of the configured VIF details, with
// "connectivity".
func (d *Driver) VIFDetails() map[string]any { return core.CloneMap(d.details) }

// AllowedNetworkTypes returns the network types agent a can bind.
func (d *Driver) AllowedNetworkTypes(a *core.Agent) []string { return d.cfg.AllowedNetworkTypes(a) }

// Mappings returns the physical networks agent a reaches, as keys.
func (d *Driver) Mappings(a *core.Agent) map[string]string { return d.cfg.Mappings(a) }

// CheckSegmentForAgent reports whether agent a can bind seg: a is of the
// driver's agent type, seg's network type is allowed by a and, for flat and
// vlan segments, seg's physical network is mapped by a.
func (d *Driver) CheckSegmentForAgent(seg core.Segment, a *core.Agent) bool {
	if a.AgentType != d.cfg.AgentType {
		return false
	}
	if !slices.Contains(d.AllowedNetworkTypes(a), seg.NetworkType) {
		d.log.Debug("network type not allowed by agent", "segment", seg.ID, "network_type", seg.NetworkType,
			"agent", a.ID, "host", a.Host)
		return false
	}
	switch seg.NetworkType {
	case core.TypeFlat, core.TypeVLAN:
		if _, ok := d.Mappings(a)[seg.PhysicalNetwork]; !ok {
			d.log.Debug("physical network not mapped by agent", "segment", seg.ID,
				"physical_network", seg.PhysicalNetwork, "agent", a.ID, "host", a.Host)
			return false
		}
	}
	return true
}

// BindPort binds pc to the first allowed segment that a live agent of the
// driver's type on the binding host can reach, or leaves it unbound. It
// returns an error only when agents or subnets cannot be looked up.
func (d *Driver) BindPort(ctx context.Context, pc core.PortContext) error {
	port := pc.Current()
	log := d.log.With("port", port.ID, "host", pc.Host())
	vnic := port.Binding.VNICType
	if vnic == "" {
		vnic = core.VNICNormal
	}
	if !slices.Contains(d.vnics, vnic) {
		log.Debug("refusing to bind: unsupported vnic type", "vnic_type", vnic, "supported", d.vnics)
		return nil
	}
	segments, err := d.allowedSegments(ctx, pc)
	if err != nil {
		return err
	}
	agents, err := pc.HostAgents(ctx, d.cfg.AgentType)
	if err != nil {
		return fmt.Errorf("listing %s agents on host %q: %w", d.cfg.AgentType, pc.Host(), err)
	}
	if len(agents) == 0 {
		log.Debug("port not bound: no agents on host", "agent_type", d.cfg.AgentType)
		return nil
	}
	now := d.cfg.Now()
	for i := range agents {
		a := &agents[i]
		if !a.Alive(now, d.cfg.AgentDownTime) {
			log.Warn("refusing to bind port to dead agent", "agent", a.ID, "agent_type", a.AgentType,
				"heartbeat", a.HeartbeatAt)
			continue
		}
		if vnic == core.VNICSmartNIC && !AgentBool(a, ConfBaremetalSmartNIC) {
			log.Debug("agent does not accept smart-nic ports", "agent", a.ID)
			continue
		}
		for _, seg := range segments {
			if d.CheckSegmentForAgent(seg, a) {
				vifType, details := d.vifType(pc, a, seg), d.vifDetails(pc, a, seg)
				log.Debug("bound port", "agent", a.ID, "segment", seg.ID, "network_type", seg.NetworkType,
					"vif_type", vifType)
				pc.SetBinding(seg.ID, vifType, details, "")
				return nil
			}
		}
	}
	log.Debug("port not bound: no live agent can reach a segment", "agent_type", d.cfg.AgentType,
		"segments", len(segments))
	return nil
}

// allowedSegments returns the segments to bind, restricted to those of the
// port's subnets when that can be known.
func (d *Driver) allowedSegments(ctx context.Context, pc core.PortContext) ([]core.Segment, error) {
	segments := pc.SegmentsToBind()
	fixedIPs := pc.Current().FixedIPs
	if len(fixedIPs) == 0 || d.cfg.SubnetSegmentID == nil {
		return segments, nil
	}
	subnetSegments := map[string]bool{}
	seen := map[string]bool{}
	for _, ip := range fixedIPs {
		if seen[ip.SubnetID] {
			continue
		}
		seen[ip.SubnetID] = true
		id, err := d.cfg.SubnetSegmentID(ctx, ip.SubnetID)
		if err != nil {
			return nil, fmt.Errorf("looking up the segment of subnet %s: %w", ip.SubnetID, err)
		}
		if id == "" {
			return segments, nil
		}
		subnetSegments[id] = true
	}
	return slices.DeleteFunc(slices.Clone(segments), func(s core.Segment) bool {
		return !subnetSegments[s.ID]
	}), nil
}

func (d *Driver) vifType(pc core.PortContext, a *core.Agent, seg core.Segment) string {
	if d.cfg.VIFTypeFor != nil {
		return d.cfg.VIFTypeFor(pc, a, seg)
	}
	return d.cfg.VIFType
}

func (d *Driver) vifDetails(pc core.PortContext, a *core.Agent, seg core.Segment) map[string]any {
	if d.cfg.VIFDetailsFor != nil {
		return d.cfg.VIFDetailsFor(pc, a, seg)
	}
	return d.VIFDetails()
}

// DefaultAllowedNetworkTypes returns the agent's "tunnel_types" followed by
// local, flat and vlan.
func DefaultAllowedNetworkTypes(a *core.Agent) []string {
	return append(AgentStrings(a, ConfTunnelTypes), core.TypeLocal, core.TypeFlat, core.TypeVLAN)
}

// DefaultMappings returns the union of the agent's "interface_mappings" and
// "bridge_mappings" (the latter winning on a shared key).
func DefaultMappings(a *core.Agent) map[string]string {
	m := AgentStringMap(a, ConfInterfaceMappings)
	maps.Copy(m, AgentStringMap(a, ConfBridgeMappings))
	return m
}

// AgentStrings returns the list of strings under key in a's configuration
// (see Strings).
func AgentStrings(a *core.Agent, key string) []string {
	return Strings(a.Configurations[key])
}

// Strings returns v as a list of strings: a JSON list ([]any) or a
// []string (copied). Anything else is no strings; list elements that are
// not strings are skipped.
func Strings(v any) []string {
	switch v := v.(type) {
	case []string:
		return slices.Clone(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// AgentStringMap returns the map under key in a's configuration — a JSON
// object (map[string]any) or a map[string]string — with values rendered as
// strings. It never returns nil.
func AgentStringMap(a *core.Agent, key string) map[string]string {
	out := map[string]string{}
	switch v := a.Configurations[key].(type) {
	case map[string]string:
		maps.Copy(out, v)
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok {
				out[k] = s
			} else {
				out[k] = fmt.Sprint(e)
			}
		}
	}
	return out
}

// AgentBool reports whether key is true in a's configuration.
func AgentBool(a *core.Agent, key string) bool {
	b, _ := a.Configurations[key].(bool)
	return b
}
