// Package openvswitch is the server half of Neutron's Open vSwitch
// mechanism driver (mech_openvswitch.py), built on package
// mechdrivers/agent. It binds ports on a host whose "Open vSwitch agent" is
// alive.
//
// # Segments
//
// A port is bound to the first segment to bind that the host's agent can
// reach:
//
//   - local, always;
//   - flat and vlan, when the segment's physical network is a key of the
//     agent's "bridge_mappings" (unlike the Linux bridge driver,
//     "interface_mappings" is not read);
//   - a tunnel type (vxlan, gre, geneve), when it is in the agent's
//     "tunnel_types".
//
// # VIF type and details
//
// Ports are bound with binding:vif_type "ovs" and, as Neutron 21 reports
// them for an agent using the iptables_hybrid firewall:
//
//	{"port_filter": true, "connectivity": "l2", "ovs_hybrid_plug": true,
//	 "datapath_type": "system", "bridge_name": "br-int"}
//
// where "ovs_hybrid_plug" is the agent's "ovs_hybrid_plug" (Config.OVSHybridPlug
// when it reports none), "datapath_type" the agent's "datapath_type"
// ("system" when it reports none) and "bridge_name" the agent's
// "integration_bridge" — absent, as in Neutron, when the agent reports
// none (every Open vSwitch agent does).
//
// An OVS-DPDK agent — "datapath_type" "netdev" and "ovs_capabilities"
// "iface_types" including "dpdkvhostuser" or "dpdkvhostuserclient" — gets
// normal ports bound with binding:vif_type "vhostuser" and the vhost-user
// details of VhostUserVIFDetails.
//
// # VNIC types
//
// As Neutron's driver: normal, direct, smart-nic and vdpa, less
// Config.ProhibitedVNICTypes (vnic_type_prohibit_list). A direct port is
// only bound when its binding:profile "capabilities" include "switchdev"
// (it is then always "ovs"); a smart-nic port only to an agent reporting
// "baremetal_smartnic": true.
//
// The driver does not support VLAN-transparent networks. Register it under
// Name:
//
//	reg.RegisterMechanismDriver(openvswitch.Name, openvswitch.New(openvswitch.Config{}))
package openvswitch

import (
	"context"
	"path"
	"slices"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/agent"
)

// Name is the driver's name in [ml2] mechanism_drivers.
const Name = "openvswitch"

// AgentType is the agent_type the Open vSwitch agent reports.
const AgentType = "Open vSwitch agent"

// Keys of core.Agent.Configurations the driver reads, besides those of
// package agent.
const (
	ConfOVSHybridPlug      = "ovs_hybrid_plug"
	ConfDatapathType       = "datapath_type"
	ConfIntegrationBridge  = "integration_bridge"
	ConfOVSCapabilities    = "ovs_capabilities"
	ConfVhostUserSocketDir = "vhostuser_socket_dir"
)

// binding:vif_details keys the driver sets, besides "connectivity".
const (
	VIFDetailPortFilter       = "port_filter"
	VIFDetailOVSHybridPlug    = "ovs_hybrid_plug"
	VIFDetailDatapathType     = "datapath_type"
	VIFDetailBridgeName       = "bridge_name"
	VIFDetailVhostUserMode    = "vhostuser_mode"
	VIFDetailVhostUserSocket  = "vhostuser_socket"
	VIFDetailVhostUserOVSPlug = "vhostuser_ovs_plug"
)

// Open vSwitch values the driver knows.
const (
	// DatapathSystem is the kernel datapath, the default datapath_type.
	DatapathSystem = "system"
	// DatapathNetdev is the userspace (DPDK) datapath.
	DatapathNetdev = "netdev"
	// IfaceDPDKVhostUser and IfaceDPDKVhostUserClient are the vhost-user
	// interface types of ovs_capabilities "iface_types": OVS as the
	// socket's server, or as its client.
	IfaceDPDKVhostUser       = "dpdkvhostuser"
	IfaceDPDKVhostUserClient = "dpdkvhostuserclient"
	// DefaultVhostUserSocketDir is where vhost-user sockets live when the
	// agent reports no "vhostuser_socket_dir".
	DefaultVhostUserSocketDir = "/var/run/openvswitch"
	// VhostUserModeServer and VhostUserModeClient are the
	// "vhostuser_mode" values: QEMU's side of the socket.
	VhostUserModeServer = "server"
	VhostUserModeClient = "client"
	// ProfileCapabilitySwitchdev is the binding:profile "capabilities"
	// entry a direct port needs to be bound.
	ProfileCapabilitySwitchdev = "switchdev"
)

// vhostUserDevicePrefix prefixes vhost-user socket names, which are cut to
// vhostUserNameLen characters.
const (
	vhostUserDevicePrefix = "vhu"
	vhostUserNameLen      = 14
)

// DefaultVNICTypes are the VNIC types the driver binds unless prohibited.
var DefaultVNICTypes = []string{core.VNICNormal, core.VNICDirect, core.VNICSmartNIC, core.VNICVDPA}

// Config configures the driver; the zero value is the default driver.
type Config struct {
	// ProhibitedVNICTypes are VNIC types of DefaultVNICTypes not to bind
	// ([OVS_DRIVER] vnic_type_prohibit_list). Initialize refuses types
	// that are not in DefaultVNICTypes, and a list prohibiting them all.
	ProhibitedVNICTypes []string
	// OVSHybridPlug is "ovs_hybrid_plug" for agents that do not report
	// it. Default false.
	OVSHybridPlug bool
	// AgentDownTime is how long an agent may stay silent and still be
	// alive (agent_down_time). Default: agent.DefaultAgentDownTime.
	AgentDownTime time.Duration
	// Now is the clock used to tell live agents. Default: time.Now.
	Now func() time.Time
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is the Open vSwitch mechanism driver: an agent.Driver with the
// Open vSwitch agent's settings, and a check of direct ports. It is safe
// for concurrent use.
type Driver struct {
	*agent.Driver

	log hclog.Logger
}

// Interface guards.
var (
	_ core.MechanismDriver      = (*Driver)(nil)
	_ core.ConnectivityProvider = (*Driver)(nil)
)

// New returns a driver for cfg.
func New(cfg Config) *Driver {
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	d := &Driver{log: log}
	d.Driver = agent.New(agent.Config{
		AgentType: AgentType,
		VIFType:   core.VIFTypeOVS,
		VIFDetails: map[string]any{
			VIFDetailPortFilter:    true,
			VIFDetailOVSHybridPlug: cfg.OVSHybridPlug,
		},
		SupportedVNICTypes:  DefaultVNICTypes,
		ProhibitedVNICTypes: cfg.ProhibitedVNICTypes,
		Connectivity:        core.ConnectivityL2,
		AgentDownTime:       cfg.AgentDownTime,
		Now:                 cfg.Now,
		AllowedNetworkTypes: agent.DefaultAllowedNetworkTypes,
		Mappings:            Mappings,
		VIFTypeFor: func(pc core.PortContext, a *core.Agent, _ core.Segment) string {
			return d.vifType(pc.Current(), a)
		},
		VIFDetailsFor: func(pc core.PortContext, a *core.Agent, _ core.Segment) map[string]any {
			return d.vifDetails(pc.Current(), a)
		},
		Logger: cfg.Logger,
	})
	return d
}

// BindPort binds pc as agent.Driver.BindPort does, except that a direct
// port whose binding:profile "capabilities" lack "switchdev" is left
// unbound.
func (d *Driver) BindPort(ctx context.Context, pc core.PortContext) error {
	port := pc.Current()
	if port.Binding.VNICType == core.VNICDirect &&
		!slices.Contains(profileStrings(port.Binding.Profile, "capabilities"), ProfileCapabilitySwitchdev) {
		d.log.Debug("refusing to bind direct port without switchdev capability", "port", port.ID, "host", pc.Host())
		return nil
	}
	return d.Driver.BindPort(ctx, pc)
}

// Mappings returns the physical networks agent a reaches: its
// "bridge_mappings" (physical network → bridge).
func Mappings(a *core.Agent) map[string]string {
	return agent.AgentStringMap(a, agent.ConfBridgeMappings)
}

// SupportedVIFType returns the VIF type of normal ports bound through agent
// a: "vhostuser" for an OVS-DPDK agent (datapath "netdev" with a
// vhost-user interface type), else "ovs".
func SupportedVIFType(a *core.Agent) string {
	ifaces := ifaceTypes(a)
	vhostUser := slices.Contains(ifaces, IfaceDPDKVhostUser) || slices.Contains(ifaces, IfaceDPDKVhostUserClient)
	if vhostUser && a.Configurations[ConfDatapathType] == DatapathNetdev {
		return core.VIFTypeVhostUser
	}
	return core.VIFTypeOVS
}

// vifType is Neutron's get_vif_type: direct ports are always "ovs".
func (d *Driver) vifType(port *core.Port, a *core.Agent) string {
	if port.Binding.VNICType == core.VNICDirect {
		return core.VIFTypeOVS
	}
	return SupportedVIFType(a)
}

// vifDetails is Neutron's get_vif_details for a port bound through a.
func (d *Driver) vifDetails(port *core.Port, a *core.Agent) map[string]any {
	var details map[string]any
	if d.vifType(port, a) == core.VIFTypeVhostUser {
		details = VhostUserVIFDetails(a, port.ID)
	} else {
		details = d.VIFDetails()
		if hybrid, ok := a.Configurations[ConfOVSHybridPlug].(bool); ok {
			details[VIFDetailOVSHybridPlug] = hybrid
		}
	}
	details[VIFDetailDatapathType] = DatapathType(a)
	if bridge, _ := a.Configurations[ConfIntegrationBridge].(string); bridge != "" {
		details[VIFDetailBridgeName] = bridge
	}
	return details
}

// DatapathType returns agent a's "datapath_type", or DatapathSystem when it
// reports none.
func DatapathType(a *core.Agent) string {
	if t, _ := a.Configurations[ConfDatapathType].(string); t != "" {
		return t
	}
	return DatapathSystem
}

// VhostUserVIFDetails returns the binding:vif_details of port portID bound
// to vhost-user through agent a, without "datapath_type" and
// "bridge_name" (which the driver adds as for other ports):
//
//	{"port_filter": false, "ovs_hybrid_plug": false, "connectivity": "l2",
//	 "vhostuser_mode": "server" (OVS is the client: dpdkvhostuserclient) or "client",
//	 "vhostuser_ovs_plug": true,
//	 "vhostuser_socket": "<vhostuser_socket_dir>/<first 14 characters of "vhu"+portID>"}
func VhostUserVIFDetails(a *core.Agent, portID string) map[string]any {
	mode := VhostUserModeClient
	if slices.Contains(ifaceTypes(a), IfaceDPDKVhostUserClient) {
		mode = VhostUserModeServer
	}
	dir, _ := a.Configurations[ConfVhostUserSocketDir].(string)
	if dir == "" {
		dir = DefaultVhostUserSocketDir
	}
	name := vhostUserDevicePrefix + portID
	if len(name) > vhostUserNameLen {
		name = name[:vhostUserNameLen]
	}
	return map[string]any{
		VIFDetailPortFilter:         false,
		VIFDetailOVSHybridPlug:      false,
		agent.VIFDetailConnectivity: string(core.ConnectivityL2),
		VIFDetailVhostUserMode:      mode,
		VIFDetailVhostUserOVSPlug:   true,
		VIFDetailVhostUserSocket:    path.Join(dir, name),
	}
}

// ifaceTypes returns agent a's ovs_capabilities "iface_types".
func ifaceTypes(a *core.Agent) []string {
	caps, _ := a.Configurations[ConfOVSCapabilities].(map[string]any)
	return agent.Strings(caps["iface_types"])
}

// profileStrings returns the list of strings under key in a binding
// profile.
func profileStrings(profile map[string]any, key string) []string {
	return agent.Strings(profile[key])
}
