// Package agent is the runtime of ml2go-agent, the host agent: it reports
// the agent's state to the server, watches the host's desired state
// through the agent channel (package agentrpc), converges the host to it
// with its reconcilers (package dataplane), and reports the devices wired
// and unwired, which makes their ports ACTIVE or DOWN.
//
// Every reconciler (the L2 dataplane first, then a firewall, a DHCP
// server, an L3 router, ...) runs in a loop of its own over the same
// desired state: when it changes, every PollingInterval, and after a
// failure (an error or a panic) again after a backoff, without holding
// the others up. A port is reported up when the L2 reconciler wired it
// and every other reconciler is done with it: its latest Result, of a run
// over a state holding the port, does not hold it back
// (dataplane.Result.Pending). As Neutron's provisioning blocks, this fails
// closed: while a reconciler panics, or has not yet run over a new port,
// the port is not reported up. Each
// reconciler's runs and writes are counted under its name (Stats), and
// one can be replaced (Replace) while the others keep running untouched.
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
	"runtime/debug"
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

// Bounds of the delay before a failed reconciler runs again: it doubles
// from minRetry after each failure in a row, up to maxRetry (or
// PollingInterval, if longer). A change of the desired state runs it at
// once.
const (
	minRetry = 100 * time.Millisecond
	maxRetry = 10 * time.Second
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
	// PollingInterval is the time between a reconciler's runs when
	// nothing changed, which wires devices the hypervisor plugged since.
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
	log    hclog.Logger

	reportMu sync.Mutex // one device report at a time

	mu       sync.Mutex
	synced   bool // a watch has answered
	resync   bool // the next watch asks for the whole state
	wideSeen bool // the last watch was network-wide
	// wideReported is when a report first said the agent watches
	// network-wide; wideSettled that the watch asked for the whole state
	// again NetworkWideSettle after it (see agentrpc).
	wideReported time.Time
	wideSettled  bool
	revision     string
	networks     map[string]*agentrpc.Network
	ports        map[string]*agentrpc.Port
	netPorts     map[string]*agentrpc.NetworkPort // network-wide watches only
	gen          uint64                           // bumped by every change of the cache
	snap         *dataplane.State                 // the cache as of snapGen
	snapGen      uint64
	up           map[string]bool // ports reported wired
	runners      []*runner       // runners[0] is L2's when hasL2
	hasL2        bool
	runCtx       context.Context // Run's, while it runs
	runWG        sync.WaitGroup  // the runners' goroutines
}

// runner is one reconciler and what the agent knows of its runs. Its
// fields other than kick are guarded by Agent.mu.
type runner struct {
	r     dataplane.Reconciler
	kick  chan struct{} // run now
	stop  func()        // stops its loop and waits for it; nil when not running
	stats Stats
	ran   bool             // has a Result since it was started
	last  dataplane.Result // of the latest run that returned one
	state *dataplane.State // what that run converged to
}

// Stats counts a reconciler's work since it was started.
type Stats struct {
	// Runs counts the completed runs, failed ones included.
	Runs int
	// Writes adds up the writes of every run (dataplane.Result.Writes).
	Writes int
	// Failures counts the runs that returned an error or panicked.
	Failures int
	// LastError is the latest failure's, nil after a run that succeeded.
	LastError error
}

// New returns an agent that talks to the server through client and
// converges the host with dp, the L2 dataplane (run as dataplane.L2(dp)),
// and the other reconcilers, in that order. Reconciler names must be
// unique. A nil dp runs no L2 reconciler: no port is then reported up.
func New(cfg Config, client *agentrpc.Client, dp dataplane.Dataplane, reconcilers ...dataplane.Reconciler) *Agent {
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
	a := &Agent{cfg: cfg, client: client, log: log,
		networks: map[string]*agentrpc.Network{}, ports: map[string]*agentrpc.Port{},
		netPorts: map[string]*agentrpc.NetworkPort{}, up: map[string]bool{}}
	if dp != nil {
		a.hasL2 = true
		a.runners = append(a.runners, newRunner(dataplane.L2(dp)))
	}
	for _, r := range reconcilers {
		a.runners = append(a.runners, newRunner(r))
	}
	return a
}

func newRunner(r dataplane.Reconciler) *runner {
	return &runner{r: r, kick: make(chan struct{}, 1)}
}

// Run runs the agent until ctx ends. It returns ctx's error. It leaves
// the reconcilers open: their owner closes them.
func (a *Agent) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, loop := range []func(context.Context){a.reportLoop, a.watchLoop} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop(ctx)
		}()
	}
	a.mu.Lock()
	a.runCtx = ctx
	for _, rn := range a.runners {
		a.startLocked(ctx, rn)
	}
	a.mu.Unlock()
	<-ctx.Done()
	a.mu.Lock()
	a.runCtx = nil
	for _, rn := range a.runners {
		rn.stop = nil
	}
	a.mu.Unlock()
	a.runWG.Wait()
	wg.Wait()
	return ctx.Err()
}

// startLocked starts rn's loop under ctx; a.mu is held.
func (a *Agent) startLocked(ctx context.Context, rn *runner) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	a.runWG.Add(1)
	go func() {
		defer a.runWG.Done()
		defer close(done)
		a.runLoop(ctx, rn)
	}()
	rn.stop = func() {
		cancel()
		<-done
	}
	poke(rn.kick)
}

// Replace puts r in the place of the reconciler of the same name, which
// it returns, stopped (its run in progress finished) but not closed: the
// caller closes it. r starts at once, with its own Stats; the other
// reconcilers go on undisturbed. Until r's first run, what the old one
// last achieved (the ports it wired or held back) stands. The L2
// dataplane is replaced with dataplane.L2(d).
func (a *Agent) Replace(r dataplane.Reconciler) (dataplane.Reconciler, error) {
	a.mu.Lock()
	i := slices.IndexFunc(a.runners, func(rn *runner) bool { return rn.r.Name() == r.Name() })
	if i < 0 {
		a.mu.Unlock()
		return nil, fmt.Errorf("agent: no reconciler named %q", r.Name())
	}
	old := a.runners[i]
	stop := old.stop
	old.stop = nil
	a.mu.Unlock()
	if stop != nil {
		stop()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	rn := newRunner(r)
	rn.last, rn.state, rn.ran = old.last, old.state, old.ran
	a.runners[i] = rn
	if a.runCtx != nil && a.runCtx.Err() == nil {
		a.startLocked(a.runCtx, rn)
	}
	return old.r, nil
}

// Applied returns how many runs of the L2 reconciler (of the first one
// without L2) have completed, for tests and health.
func (a *Agent) Applied() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.appliedLocked()
}

func (a *Agent) appliedLocked() int {
	if len(a.runners) == 0 {
		return 0
	}
	return a.runners[0].stats.Runs
}

// Stats returns each reconciler's counters by its name.
func (a *Agent) Stats() map[string]Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]Stats, len(a.runners))
	for _, rn := range a.runners {
		out[rn.r.Name()] = rn.stats
	}
	return out
}

// networkWide reports whether a reconciler needs network-wide facts.
func (a *Agent) networkWide() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.ContainsFunc(a.runners, func(rn *runner) bool {
		w, ok := rn.r.(dataplane.NetworkWide)
		return ok && w.NetworkWide()
	})
}

// reportLoop reports the agent's state every ReportInterval. A server that
// says the agent was dead ("revived") gets a full resync.
func (a *Agent) reportLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.ReportInterval)
	defer t.Stop()
	for {
		a.mu.Lock()
		start := a.appliedLocked() == 0
		a.mu.Unlock()
		wide := a.networkWide()
		conf := a.cfg.Configurations
		if wide {
			conf = maps.Clone(conf)
			if conf == nil {
				conf = map[string]any{}
			}
			conf[agentrpc.ConfigNetworkWide] = true
		}
		rep, err := a.client.Report(ctx, &agentrpc.Report{Host: a.cfg.Host, AgentType: a.cfg.AgentType,
			Binary: a.cfg.Binary, Configurations: conf, StartFlag: start})
		if err == nil && wide {
			a.mu.Lock()
			if a.wideReported.IsZero() {
				a.wideReported = time.Now()
			}
			a.mu.Unlock()
		}
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
		wide := a.networkWide()
		wait := a.cfg.WatchWait
		a.mu.Lock()
		since := a.revision
		if a.resync || wide != a.wideSeen {
			// Network-wide facts wanted (or no longer): start afresh.
			since, a.resync = "", false
		}
		if wide && !a.wideSettled {
			// Until every server records what concerns only network-wide
			// hosts, some may not reach this one: once they do, the whole
			// state again.
			wait = min(wait, agentrpc.NetworkWideSettle)
			if !a.wideReported.IsZero() && time.Since(a.wideReported) >= agentrpc.NetworkWideSettle {
				since, a.wideSettled = "", true
			}
		}
		a.mu.Unlock()
		st, err := a.client.WatchState(ctx, &agentrpc.WatchRequest{Host: a.cfg.Host, Since: since,
			Wait: wait, NetworkWide: wide})
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
		if a.merge(st, wide) {
			a.pokeAll()
		}
	}
}

// merge folds a watch answer into the cache and reports whether anything
// changed.
func (a *Agent) merge(st *agentrpc.State, wide bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.revision = st.Revision
	a.wideSeen = wide
	first := !a.synced
	a.synced = true
	if st.Full {
		a.networks, a.ports = map[string]*agentrpc.Network{}, map[string]*agentrpc.Port{}
		a.netPorts = map[string]*agentrpc.NetworkPort{}
	}
	for _, id := range st.DeletedPorts {
		delete(a.ports, id)
	}
	for _, id := range st.DeletedNetworks {
		delete(a.networks, id)
	}
	for _, id := range st.DeletedNetworkPorts {
		delete(a.netPorts, id)
	}
	for _, n := range st.Networks {
		a.networks[n.ID] = n
	}
	for _, p := range st.Ports {
		a.ports[p.ID] = p
	}
	for _, p := range st.NetworkPorts {
		a.netPorts[p.ID] = p
	}
	// A network without ports here is not carried.
	used := map[string]bool{}
	for _, p := range a.ports {
		used[p.NetworkID] = true
	}
	maps.DeleteFunc(a.networks, func(id string, _ *agentrpc.Network) bool { return !used[id] })
	maps.DeleteFunc(a.netPorts, func(_ string, p *agentrpc.NetworkPort) bool { return !used[p.NetworkID] })
	changed := first || st.Full || len(st.Networks)+len(st.Ports)+len(st.DeletedPorts)+len(st.DeletedNetworks)+
		len(st.NetworkPorts)+len(st.DeletedNetworkPorts) > 0
	if changed {
		a.gen++
	}
	return changed
}

// pokeAll has every reconciler run now.
func (a *Agent) pokeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, rn := range a.runners {
		poke(rn.kick)
	}
}

func poke(kick chan struct{}) {
	select {
	case kick <- struct{}{}:
	default:
	}
}

// desired returns the cached state for the reconcilers, nil before the
// first watch answer. Every reconciler gets the same value until the
// cache changes.
func (a *Agent) desired() *dataplane.State {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.synced {
		return nil
	}
	if a.snap == nil || a.snapGen != a.gen {
		a.snap, a.snapGen = toDataplane(a.networks, a.ports, a.netPorts, a.wideSeen), a.gen
	}
	return a.snap
}

// runLoop runs rn's reconciler when the desired state changes, every
// PollingInterval, and, after a failure, again after a backoff (a change
// of the desired state cuts it short) until ctx ends.
func (a *Agent) runLoop(ctx context.Context, rn *runner) {
	t := time.NewTicker(a.cfg.PollingInterval)
	defer t.Stop()
	var retry <-chan time.Time // set while failing
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-rn.kick:
		case <-t.C:
			if retry != nil {
				continue // failing: the backoff says when
			}
		case <-retry:
		}
		err := a.runOnce(ctx, rn)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			backoff, retry = 0, nil
			continue
		}
		backoff = min(max(2*backoff, minRetry), max(maxRetry, a.cfg.PollingInterval))
		retry = time.After(backoff)
		a.log.Error("reconciling desired state", "reconciler", rn.r.Name(), "error", err, "retry_in", backoff)
	}
}

// runOnce runs rn's reconciler over the desired state, records what it
// achieved, and reports the devices wired and unwired since the last
// report. A panic of the reconciler is its error; what it last achieved
// stands.
func (a *Agent) runOnce(ctx context.Context, rn *runner) error {
	desired := a.desired()
	if desired == nil {
		return nil
	}
	res, runErr, panicked := reconcile(ctx, rn.r, desired)
	if runErr != nil {
		runErr = fmt.Errorf("%s: %w", rn.r.Name(), runErr)
	}
	if res.Writes > 0 {
		a.log.Debug("converged", "reconciler", rn.r.Name(), "writes", res.Writes, "ports", len(desired.Ports),
			"wired", len(res.Wired), "pending", len(res.Pending))
	}
	a.mu.Lock()
	rn.stats.Runs++
	rn.stats.Writes += res.Writes
	rn.stats.LastError = runErr
	if runErr != nil {
		rn.stats.Failures++
	}
	if !panicked {
		// A failed run still says what it achieved: the ports of the
		// networks it could not wire are left out of Wired.
		rn.last, rn.state, rn.ran = res, desired, true
	}
	a.mu.Unlock()
	if err := a.reportDevices(ctx); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}

// reconcile runs r, turning a panic into an error.
func reconcile(ctx context.Context, r dataplane.Reconciler, s *dataplane.State) (res dataplane.Result, err error, panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			res, err, panicked = dataplane.Result{}, fmt.Errorf("panic: %v\n%s", v, debug.Stack()), true
		}
	}()
	res, err = r.Reconcile(ctx, s)
	return res, err, false
}

// reportDevices reports the ports that went up or down since the last
// report: up when the L2 reconciler wired them and every other reconciler
// is done with them (its latest Result, over a state holding the port,
// does not list it Pending), down otherwise. Nothing is reported until L2
// has run.
func (a *Agent) reportDevices(ctx context.Context) error {
	a.reportMu.Lock()
	defer a.reportMu.Unlock()
	a.mu.Lock()
	if !a.hasL2 || !a.runners[0].ran {
		a.mu.Unlock()
		return nil
	}
	l2 := a.runners[0]
	wired := make(map[string]bool, len(l2.last.Wired))
	for _, id := range l2.last.Wired {
		wired[id] = true
	}
	for _, rn := range a.runners[1:] {
		if !rn.ran {
			clear(wired)
			break
		}
		for _, id := range rn.last.Pending {
			delete(wired, id)
		}
		for id := range wired {
			if rn.state.Ports[id] == nil {
				delete(wired, id) // not yet done with: it has not seen the port
			}
		}
	}
	var up, down []string
	for id := range wired {
		if !a.up[id] {
			up = append(up, id)
		}
	}
	for id := range a.up {
		switch {
		case l2.state.Ports[id] == nil:
			delete(a.up, id) // gone from this host: nothing to report
		case !wired[id]:
			down = append(down, id)
		}
	}
	a.mu.Unlock()
	if len(up)+len(down) == 0 {
		return nil
	}
	slices.Sort(up)
	slices.Sort(down)
	rep, err := a.client.Devices(ctx, &agentrpc.Devices{Host: a.cfg.Host, Up: up, Down: down})
	if err != nil {
		return fmt.Errorf("report devices: %w", err)
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
	return nil
}

// toDataplane converts the cached state for the reconcilers; wide adds
// the network-wide facts.
func toDataplane(networks map[string]*agentrpc.Network, ports map[string]*agentrpc.Port,
	netPorts map[string]*agentrpc.NetworkPort, wide bool) *dataplane.State {
	st := &dataplane.State{Networks: make(map[string]*dataplane.Network, len(networks)),
		Ports: make(map[string]*dataplane.Port, len(ports))}
	for id, n := range networks {
		dn := &dataplane.Network{ID: n.ID, NetworkType: n.NetworkType, PhysicalNetwork: n.PhysicalNetwork,
			SegmentationID: n.SegmentationID, MTU: n.MTU}
		for _, e := range n.FDB {
			dn.FDB = append(dn.FDB, dataplane.FDBEntry{MAC: e.MAC, IP: e.IP, Endpoint: e.Endpoint})
		}
		if wide {
			for _, s := range n.Subnets {
				dn.Subnets = append(dn.Subnets, toSubnet(s))
			}
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
	if !wide {
		return st
	}
	st.NetworkPorts = make(map[string]*dataplane.NetworkPort, len(netPorts))
	for id, p := range netPorts {
		if networks[p.NetworkID] == nil {
			continue
		}
		np := &dataplane.NetworkPort{ID: p.ID, NetworkID: p.NetworkID, MACAddress: p.MACAddress,
			DeviceOwner: p.DeviceOwner, DeviceID: p.DeviceID, HostID: p.HostID, AdminStateUp: p.AdminStateUp,
			FixedIPs: make([]dataplane.FixedIP, len(p.FixedIPs))}
		for i, ip := range p.FixedIPs {
			np.FixedIPs[i] = dataplane.FixedIP{SubnetID: ip.SubnetID, IPAddress: ip.IPAddress}
		}
		st.NetworkPorts[id] = np
	}
	return st
}

func toSubnet(s agentrpc.Subnet) dataplane.Subnet {
	ds := dataplane.Subnet{ID: s.ID, IPVersion: s.IPVersion, CIDR: s.CIDR, GatewayIP: s.GatewayIP,
		EnableDHCP: s.EnableDHCP, DNSNameservers: slices.Clone(s.DNSNameservers)}
	for _, r := range s.HostRoutes {
		ds.HostRoutes = append(ds.HostRoutes, dataplane.HostRoute{Destination: r.Destination, NextHop: r.NextHop})
	}
	for _, r := range s.AllocationPools {
		ds.AllocationPools = append(ds.AllocationPools, dataplane.IPRange{Start: r.Start, End: r.End})
	}
	return ds
}
