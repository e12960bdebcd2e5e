// Package linuxbridge is the server half of Neutron's Linux bridge
// mechanism driver (mech_linuxbridge.py), built on package
// mechdrivers/agent. It binds normal ports on a host whose "Linux bridge
// agent" is alive, with binding:vif_type "bridge" and binding:vif_details
// {"port_filter": true, "connectivity": "l2"}, as Neutron 21 reports them.
//
// A port is bound to the first segment to bind that the host's agent can
// reach:
//
//   - local, always;
//   - flat and vlan, when the segment's physical network is a key of the
//     agent's "interface_mappings" or "bridge_mappings";
//   - a tunnel type (vxlan, the only one the Linux bridge agent implements),
//     when it is in the agent's "tunnel_types" — the agent reports
//     ["vxlan"] when VXLAN is enabled.
//
// The driver supports VLAN-transparent networks, as Neutron's does.
//
// Register it under Name:
//
//	reg.RegisterMechanismDriver(linuxbridge.Name, linuxbridge.New(linuxbridge.Config{}))
package linuxbridge

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/agent"
)

// Name is the driver's name in [ml2] mechanism_drivers.
const Name = "linuxbridge"

// AgentType is the agent_type the Linux bridge agent reports.
const AgentType = "Linux bridge agent"

// VIFDetailPortFilter is the binding:vif_details key telling that the
// agent filters the port's traffic (security groups).
const VIFDetailPortFilter = "port_filter"

// Config configures the driver; the zero value is the default driver.
type Config struct {
	// AgentDownTime is how long an agent may stay silent and still be
	// alive (agent_down_time). Default: agent.DefaultAgentDownTime.
	AgentDownTime time.Duration
	// Now is the clock used to tell live agents. Default: time.Now.
	Now func() time.Time
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is the Linux bridge mechanism driver: an agent.Driver with the
// Linux bridge agent's settings. It is safe for concurrent use.
type Driver struct {
	*agent.Driver
}

// Interface guards.
var (
	_ core.MechanismDriver         = (*Driver)(nil)
	_ core.ConnectivityProvider    = (*Driver)(nil)
	_ core.VLANTransparencyChecker = (*Driver)(nil)
)

// New returns a driver for cfg.
func New(cfg Config) *Driver {
	return &Driver{Driver: agent.New(agent.Config{
		AgentType:          AgentType,
		VIFType:            core.VIFTypeBridge,
		VIFDetails:         map[string]any{VIFDetailPortFilter: true},
		SupportedVNICTypes: []string{core.VNICNormal},
		Connectivity:       core.ConnectivityL2,
		AgentDownTime:      cfg.AgentDownTime,
		Now:                cfg.Now,
		// The defaults are the Linux bridge driver's: tunnel_types plus
		// local, flat and vlan; interface_mappings ∪ bridge_mappings.
		AllowedNetworkTypes: agent.DefaultAllowedNetworkTypes,
		Mappings:            agent.DefaultMappings,
		Logger:              cfg.Logger,
	})}
}

// CheckVLANTransparency reports that the driver supports VLAN-transparent
// networks.
func (d *Driver) CheckVLANTransparency(context.Context, core.NetworkContext) bool { return true }
