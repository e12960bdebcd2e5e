package ml2

import (
	"context"
	"time"

	"github.com/ml2go/ml2go/core"
)

// Agent states returned by ReportAgentState.
const (
	AgentNew     = "new"
	AgentAlive   = "alive"
	AgentRevived = "revived"
)

// ReportAgentState records an agent heartbeat and returns whether the agent
// is new, alive, or revived after being silent longer than AgentDownTime.
// When an agent revives, every port on its host whose binding failed is
// bound again.
func (p *Plugin) ReportAgentState(ctx context.Context, a *core.Agent) (string, error) {
	now := time.Now().UTC()
	state := AgentAlive
	err := p.store.Update(ctx, func(tx core.Tx) error {
		prev, err := tx.ListAgents(ctx, &core.ListOptions{Filters: map[string][]string{
			"host": {a.Host}, "agent_type": {a.AgentType}}})
		if err != nil {
			return err
		}
		a.HeartbeatAt = now
		created, err := tx.UpsertAgent(ctx, a)
		if err != nil {
			return err
		}
		switch {
		case created:
			state = AgentNew
		case len(prev) == 1 && !prev[0].Alive(now, p.cfg.AgentDownTime):
			state = AgentRevived
		default:
			state = AgentAlive
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if state == AgentRevived && a.AdminStateUp {
		p.rebindFailed(ctx, a.Host)
	}
	return state, nil
}

// rebindFailed retries binding of the host's binding_failed ports.
func (p *Plugin) rebindFailed(ctx context.Context, host string) {
	ports, err := p.ListPorts(ctx, &core.ListOptions{Filters: map[string][]string{
		"binding:host_id": {host}, "binding:vif_type": {core.VIFTypeBindingFailed}}})
	if err != nil {
		p.log.Error("listing ports to rebind", "host", host, "error", err)
		return
	}
	for _, port := range ports {
		if _, err := p.bind(ctx, port.ID); err != nil {
			p.log.Error("rebinding port", "port", port.ID, "error", err)
		}
	}
}

// ListAgents lists agents.
func (p *Plugin) ListAgents(ctx context.Context, opts *core.ListOptions) ([]*core.Agent, error) {
	opts = orEmpty(opts)
	var out []*core.Agent
	err := p.store.View(ctx, func(tx core.Tx) (err error) {
		out, err = tx.ListAgents(ctx, opts)
		return err
	})
	return out, err
}
