// Package fakeagent is a small agent-based mechanism driver, built on
// package mechdrivers/agent, for tests and demos that need bound ports
// before real agents exist. It binds normal ports to segments reachable by a
// live agent of type "Fake agent" on the port's host, with binding:vif_type
// "ovs" and binding:vif_details {"port_filter": false, "connectivity": "l2"}.
//
// Nothing runs such an agent: a test registers one by storing an Agent
// value, built with NewAgent, and keeps it alive by refreshing its
// heartbeat in the same way:
//
//	reg.RegisterMechanismDriver("fakeagent", fakeagent.New(fakeagent.Config{}))
//	...
//	a := fakeagent.NewAgent("host1", map[string]string{"physnet1": "br-eth1"}, core.TypeVXLAN)
//	err := store.Update(ctx, func(tx core.Tx) error {
//		_, err := tx.UpsertAgent(ctx, a)
//		return err
//	})
//
// (or hand it to the orchestrator's agent-report entry point,
// ml2.Plugin.ReportAgentState, which also stamps the heartbeat). A port
// created or updated with binding:host_id "host1" is then bound to its
// network's first local, flat or vlan segment on physnet1, or vxlan segment.
package fakeagent

import (
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/agent"
)

// AgentType is the default agent type the driver binds to.
const AgentType = "Fake agent"

// Config configures the fake agent driver; the zero value is the default
// driver.
type Config struct {
	// AgentType is the type of the agents bound to. Default: AgentType.
	AgentType string
	// VIFType is the binding:vif_type of bound ports. Default: "ovs".
	VIFType string
	// VNICTypes are the VNIC types bound. Default: normal.
	VNICTypes []string
	// AgentDownTime is how long an agent may stay silent and still be
	// alive. Default: agent.DefaultAgentDownTime.
	AgentDownTime time.Duration
	// Now is the clock used to tell live agents. Default: time.Now.
	Now func() time.Time
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is the fake agent mechanism driver: an agent.Driver with the
// fake agent's settings.
type Driver struct {
	*agent.Driver
}

var _ core.MechanismDriver = (*Driver)(nil)

// New returns a driver for cfg.
func New(cfg Config) *Driver {
	if cfg.AgentType == "" {
		cfg.AgentType = AgentType
	}
	if cfg.VIFType == "" {
		cfg.VIFType = core.VIFTypeOVS
	}
	return &Driver{Driver: agent.New(agent.Config{
		AgentType:          cfg.AgentType,
		VIFType:            cfg.VIFType,
		VIFDetails:         map[string]any{"port_filter": false},
		SupportedVNICTypes: cfg.VNICTypes,
		Connectivity:       core.ConnectivityL2,
		AgentDownTime:      cfg.AgentDownTime,
		Now:                cfg.Now,
		Logger:             cfg.Logger,
	})}
}

// NewAgent returns an alive agent of type AgentType on host, ready to be
// stored with core.Tx.UpsertAgent. Its configuration maps the keys of
// bridgeMappings (physical network → bridge) and allows tunnelTypes besides
// local, flat and vlan, in the JSON form a store returns. An agent for a
// driver configured with another agent type needs its AgentType changed.
func NewAgent(host string, bridgeMappings map[string]string, tunnelTypes ...string) *core.Agent {
	mappings := make(map[string]any, len(bridgeMappings))
	for physnet, bridge := range bridgeMappings {
		mappings[physnet] = bridge
	}
	tunnels := make([]any, len(tunnelTypes))
	for i, t := range tunnelTypes {
		tunnels[i] = t
	}
	now := time.Now().UTC()
	return &core.Agent{
		AgentType:    AgentType,
		Binary:       "ml2go-fake-agent",
		Topic:        "N/A",
		Host:         host,
		AdminStateUp: true,
		Configurations: map[string]any{
			agent.ConfBridgeMappings: mappings,
			agent.ConfTunnelTypes:    tunnels,
		},
		StartedAt:   now,
		HeartbeatAt: now,
	}
}
