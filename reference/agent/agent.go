// Package agent is the runtime of ml2go-agent, the host agent: it reports
// the agent's state to the server, watches the host's desired state
// through the agent channel (package agentrpc), converges the host's
// dataplane to it (package dataplane), and reports the devices it wired
// and unwired, which makes their ports ACTIVE or DOWN.
//
// An agent never tears the dataplane down for lack of news: until its
// first watch answers it applies nothing, and when the server is
// unreachable it keeps what it has and retries. After a disconnect it
// resumes its watch from the last revision it saw; the server sends the
// whole state only when it cannot tell what changed.
package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agentrpc"
)

// Defaults of Config, Neutron's where Neutron has one.
const (
	DefaultReportInterval  = 30 * time.Second
	DefaultPollingInterval = 2 * time.Second
	DefaultWatchWait       = 30 * time.Second
)

// Config configures an agent.
type Config struct {
	// Host is the host name the agent reports and binds ports for.
	Host string
	// AgentType is the agent's type, such as "Linux bridge agent".
	AgentType string
	// Binary names the agent program in reports.
	Binary string
	// Configurations are reported to the server, which binds ports by
	// them (bridge_mappings, tunnel_types, tunneling_ip, ...).
	Configurations map[string]any
	// ReportInterval is the time between state reports.
	ReportInterval time.Duration
	// PollingInterval is the time between dataplane applies when nothing
	// changed, which wires devices the hypervisor plugged since.
	PollingInterval time.Duration
	// WatchWait is how long one watch call waits for a change.
	WatchWait time.Duration
	// Logger receives the agent's logs; nil discards them.
	Logger hclog.Logger
}

// Agent is a running host agent.
type Agent struct {
	cfg    Config
	client *agentrpc.Client
	dp     dataplane.Dataplane
	log    hclog.Logger

	kick chan struct{} // apply now

	mu       sync.Mutex
	synced   bool // a watch has answered
	resync   bool // the next watch asks for the whole state
	revision string
	networks map[string]*agentrpc.Network
	ports    map[string]*agentrpc.Port
	up       map[string]bool // ports reported wired
	applied  int             // completed applies
}

// New returns an agent that talks to the server through client and
// programs dp.
func New(cfg Config, client *agentrpc.Client, dp dataplane.Dataplane) *Agent {
	if cfg.ReportInterval <= 0 {
		cfg.ReportInterval = DefaultReportInterval
	}
	if cfg.PollingInterval <= 0 {
		cfg.PollingInterval = DefaultPollingInterval
	}
	if cfg.WatchWait <= 0 {
		cfg.WatchWait = DefaultWatchWait
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Agent{cfg: cfg, client: client, dp: dp, log: log, kick: make(chan struct{}, 1),
		networks: map[string]*agentrpc.Network{}, ports: map[string]*agentrpc.Port{}, up: map[string]bool{}}
}

// Run runs the agent until ctx ends. It returns ctx's error.
func (a *Agent) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, loop := range []func(context.Context){a.reportLoop, a.watchLoop, a.applyLoop} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop(ctx)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// Applied returns how many applies have completed, for tests and health.
func (a *Agent) Applied() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.applied
}

// reportLoop reports the agent's state every ReportInterval. A server that
// says the agent was dead ("revived") gets a full resync.
func (a *Agent) reportLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.ReportInterval)
	defer t.Stop()
	for {
		a.mu.Lock()
		start := a.applied == 0
		a.mu.Unlock()
		rep, err := a.client.Report(ctx, &agentrpc.Report{Host: a.cfg.Host, AgentType: a.cfg.AgentType,
			Binary: a.cfg.Binary, Configurations: a.cfg.Configurations, StartFlag: start})
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("reporting state", "error", err)
		case err == nil:
			a.log.Trace("reported state", "state", rep.State)
		}
		if err == nil && rep.State == "revived" {
			a.log.Info("server had the agent dead: resyncing")
			a.mu.Lock()
			a.resync = true
			a.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// watchLoop keeps the cached desired state current.
func (a *Agent) watchLoop(ctx context.Context) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		a.mu.Lock()
		since := a.revision
		if a.resync {
			since, a.resync = "", false
		}
		a.mu.Unlock()
		st, err := a.client.Watch(ctx, a.cfg.Host, since, a.cfg.WatchWait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var rpcErr *agentrpc.Error
			if errors.As(err, &rpcErr) && rpcErr.Status == 400 {
				// A revision the server refuses: start afresh.
				a.mu.Lock()
				a.revision = ""
				a.mu.Unlock()
			}
			backoff = min(max(2*backoff, 250*time.Millisecond), 10*time.Second)
			a.log.Warn("watching desired state", "error", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		if a.merge(st) {
			a.poke()
		}
	}
}

// merge folds a watch answer into the cache and reports whether anything
// changed.
func (a *Agent) merge(st *agentrpc.State) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.revision = st.Revision
	first := !a.synced
	a.synced = true
	if st.Full {
		a.networks, a.ports = map[string]*agentrpc.Network{}, map[string]*agentrpc.Port{}
	}
	for _, id := range st.DeletedPorts {
		delete(a.ports, id)
	}
	for _, id := range st.DeletedNetworks {
		delete(a.networks, id)
	}
	for _, n := range st.Networks {
		a.networks[n.ID] = n
	}
	for _, p := range st.Ports {
		a.ports[p.ID] = p
	}
	// A network without ports here is not carried.
	used := map[string]bool{}
	for _, p := range a.ports {
		used[p.NetworkID] = true
	}
	maps.DeleteFunc(a.networks, func(id string, _ *agentrpc.Network) bool { return !used[id] })
	return first || st.Full || len(st.Networks)+len(st.Ports)+len(st.DeletedPorts)+len(st.DeletedNetworks) > 0
}

func (a *Agent) poke() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// applyLoop applies the desired state when it changes and every
// PollingInterval.
func (a *Agent) applyLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.PollingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.kick:
		case <-t.C:
		}
		if err := a.applyOnce(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("applying desired state", "error", err)
		}
	}
}

// applyOnce converges the dataplane to the cached state and reports the
// devices wired and unwired since the last report.
func (a *Agent) applyOnce(ctx context.Context) error {
	a.mu.Lock()
	if !a.synced {
		a.mu.Unlock()
		return nil
	}
	desired := toDataplane(a.networks, a.ports)
	a.mu.Unlock()

	// A failed Apply still says what it wired: the networks it could not
	// wire keep their ports out of Result.Wired, the others are reported.
	res, applyErr := a.dp.Apply(ctx, desired)
	if applyErr != nil {
		applyErr = fmt.Errorf("apply: %w", applyErr)
	}
	if res.Writes > 0 {
		a.log.Debug("dataplane converged", "writes", res.Writes, "ports", len(desired.Ports), "wired", len(res.Wired))
	}
	wired := map[string]bool{}
	for _, id := range res.Wired {
		wired[id] = true
	}
	a.mu.Lock()
	var up, down []string
	for id := range wired {
		if !a.up[id] {
			up = append(up, id)
		}
	}
	for id := range a.up {
		switch {
		case desired.Ports[id] == nil:
			delete(a.up, id) // gone from this host: nothing to report
		case !wired[id]:
			down = append(down, id)
		}
	}
	a.applied++
	a.mu.Unlock()
	if len(up)+len(down) == 0 {
		return applyErr
	}
	slices.Sort(up)
	slices.Sort(down)
	rep, err := a.client.Devices(ctx, &agentrpc.Devices{Host: a.cfg.Host, Up: up, Down: down})
	if err != nil {
		return errors.Join(applyErr, fmt.Errorf("report devices: %w", err))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range up {
		a.up[id] = !slices.Contains(rep.Failed, id)
	}
	for _, id := range down {
		if !slices.Contains(rep.Failed, id) {
			delete(a.up, id)
		}
	}
	maps.DeleteFunc(a.up, func(_ string, v bool) bool { return !v })
	return applyErr
}

// toDataplane converts the cached state for the dataplane.
func toDataplane(networks map[string]*agentrpc.Network, ports map[string]*agentrpc.Port) *dataplane.State {
	st := &dataplane.State{Networks: make(map[string]*dataplane.Network, len(networks)),
		Ports: make(map[string]*dataplane.Port, len(ports))}
	for id, n := range networks {
		dn := &dataplane.Network{ID: n.ID, NetworkType: n.NetworkType, PhysicalNetwork: n.PhysicalNetwork,
			SegmentationID: n.SegmentationID, MTU: n.MTU}
		for _, e := range n.FDB {
			dn.FDB = append(dn.FDB, dataplane.FDBEntry{MAC: e.MAC, IP: e.IP, Endpoint: e.Endpoint})
		}
		st.Networks[id] = dn
	}
	for id, p := range ports {
		if networks[p.NetworkID] == nil {
			continue
		}
		st.Ports[id] = &dataplane.Port{ID: p.ID, NetworkID: p.NetworkID, MACAddress: p.MACAddress,
			FixedIPs: slices.Clone(p.FixedIPs), AdminStateUp: p.AdminStateUp, Device: p.Device}
	}
	return st
}
