package ml2

import (
	"context"
	"strconv"
	"strings"
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
	if err := checkAgentText(a); err != nil {
		return "", err
	}
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

// ListAgents lists agents. Besides the store's filters it accepts the
// API's "alive" filter ("true" or "false"): alive agents sent their last
// heartbeat less than AgentDownTime ago, as Agent.Alive computes it.
func (p *Plugin) ListAgents(ctx context.Context, opts *core.ListOptions) ([]*core.Agent, error) {
	opts, err := listOptions(opts)
	if err != nil {
		return nil, err
	}
	opts, err = p.aliveFilter(opts, time.Now())
	if err != nil {
		return nil, err
	}
	var out []*core.Agent
	err = p.store.View(ctx, func(tx core.Tx) (err error) {
		out, err = tx.ListAgents(ctx, opts)
		return err
	})
	return out, err
}

// aliveFilter replaces an "alive" filter of opts by the store's heartbeat
// filters, for the time now. It returns opts itself when there is none.
func (p *Plugin) aliveFilter(opts *core.ListOptions, now time.Time) (*core.ListOptions, error) {
	values, ok := opts.Filters[filterAlive]
	if !ok {
		return opts, nil
	}
	var want [2]bool // want[0]: dead agents, want[1]: alive ones
	for _, v := range values {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "t", "true", "on", "y", "yes":
			want[1] = true
		case "0", "f", "false", "off", "n", "no":
			want[0] = true
		default:
			return nil, core.InvalidInput("'%s' cannot be converted to boolean", v)
		}
	}
	out := *opts
	out.Filters = make(map[string][]string, len(opts.Filters))
	for k, v := range opts.Filters {
		if k != filterAlive {
			out.Filters[k] = v
		}
	}
	// Heartbeats are whole seconds: an agent is alive exactly when its
	// heartbeat is later than the whole second before the cut-off.
	cutoff := now.Add(-p.cfg.AgentDownTime).Unix()
	switch {
	case want[0] && want[1]:
	case want[1]:
		out.Filters[filterHeartbeatAfter] = []string{strconv.FormatInt(cutoff, 10)}
	case want[0]:
		out.Filters[filterHeartbeatBefore] = []string{strconv.FormatInt(cutoff+1, 10)}
	default: // an empty value list matches nothing, as other filters do
		out.Filters[filterHeartbeatAfter] = []string{}
	}
	return &out, nil
}

// Filter names of agent listings (see core.ListOptions).
const (
	filterAlive           = "alive"
	filterHeartbeatAfter  = "heartbeat_after"
	filterHeartbeatBefore = "heartbeat_before"
)

// AgentDownTime is how long an agent may stay silent and still be alive
// (agent_down_time).
func (p *Plugin) AgentDownTime() time.Duration { return p.cfg.AgentDownTime }

// AgentRequest carries the attributes of an agent update; a nil pointer
// means the attribute was not given.
type AgentRequest struct {
	AdminStateUp *bool
	Description  *string
}

// GetAgent returns one agent.
func (p *Plugin) GetAgent(ctx context.Context, id string) (*core.Agent, error) {
	if err := checkID(id, core.AgentNotFound); err != nil {
		return nil, err
	}
	var a *core.Agent
	err := p.store.View(ctx, func(tx core.Tx) (err error) {
		a, err = tx.GetAgent(ctx, id)
		return err
	})
	return a, err
}

// UpdateAgent changes an agent's admin_state_up and description.
func (p *Plugin) UpdateAgent(ctx context.Context, id string, req *AgentRequest) (*core.Agent, error) {
	if err := checkID(id, core.AgentNotFound); err != nil {
		return nil, err
	}
	if err := req.checkText(); err != nil {
		return nil, err
	}
	var a *core.Agent
	err := p.store.Update(ctx, func(tx core.Tx) error {
		var err error
		if a, err = tx.GetAgent(ctx, id); err != nil {
			return err
		}
		setIf(&a.AdminStateUp, req.AdminStateUp)
		setIf(&a.Description, req.Description)
		return tx.UpdateAgent(ctx, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// DeleteAgent deletes an agent; it is registered again at its next report.
func (p *Plugin) DeleteAgent(ctx context.Context, id string) error {
	if err := checkID(id, core.AgentNotFound); err != nil {
		return err
	}
	return p.store.Update(ctx, func(tx core.Tx) error { return tx.DeleteAgent(ctx, id) })
}
