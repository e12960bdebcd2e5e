// Package agentserver is the server's end of the agent channel (see
// package agentrpc): it records agents' reports, tells each host what it
// must carry through a resumable watch, and turns the devices agents wire
// and unwire into port status.
//
// A Service learns of changes through a mechanism driver of its own
// (Service.Notifier), registered after the configured ones: the ports and
// networks that changed, and the hosts they concern, are appended to the
// store's host change feed (core.HostChange), whose numbers are the
// watch's revisions. Each server reads the feed (at once for its own
// changes, every PollInterval for those of other servers sharing the
// store) and wakes the watches the new changes concern. Each host's
// desired state is computed from the store, the only source of truth; the
// feed only says what to recompute and send. An agent can therefore resume
// its watch on another server, or on the same one after a restart; it
// gets the whole state only when the feed no longer holds the changes it
// missed.
package agentserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/reference/agentrpc"
	"github.com/ml2go/ml2go/reference/api"
)

// MaxWait bounds how long a watch waits for a change.
const MaxWait = 60 * time.Second

// PollInterval is how often a server reads the change feed for changes
// made through other servers.
const PollInterval = time.Second

// Service is the server's end of the agent channel.
type Service struct {
	plugin   *ml2.Plugin
	store    core.Store
	log      hclog.Logger
	changes  *changelog
	downTime time.Duration

	mu      sync.Mutex
	carried map[string]map[string]bool // host -> networks it was last told of

	// wide is set once some host watches network-wide: from then on the
	// changes that concern only such hosts are recorded too.
	wide atomic.Bool

	stop func() // stops the poller
}

// New returns a Service over plugin. Register Notifier before the plugin is
// built (its Registry and mechanism driver list), then call Bind.
func New(log hclog.Logger) *Service {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Service{log: log, carried: map[string]map[string]bool{}}
}

// Bind gives the service the plugin it serves, reads the change feed, and
// starts reading it every PollInterval until Close.
func (s *Service) Bind(ctx context.Context, p *ml2.Plugin) error {
	s.plugin, s.store, s.downTime = p, p.Store(), p.AgentDownTime()
	s.changes = newChangelog(s.store, DefaultChangelogSize)
	if err := s.changes.sync(ctx); err != nil {
		return err
	}
	if err := s.learnWide(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.poll(ctx)
	}()
	s.stop = func() {
		cancel()
		<-done
	}
	return nil
}

// Close stops reading the change feed.
func (s *Service) Close() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
}

// poll reads the change feed every PollInterval, and prunes it to the
// last DefaultChangelogSize changes.
func (s *Service) poll(ctx context.Context) {
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.changes.sync(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("reading the host change feed", "error", err)
			continue
		}
		if err := s.learnWide(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("reading agents", "error", err)
		}
		s.changes.mu.Lock()
		upTo := s.changes.rev - 2*int64(s.changes.size)
		s.changes.mu.Unlock()
		if upTo > 0 {
			if err := s.store.Update(ctx, func(tx core.Tx) error { return tx.PruneHostChanges(ctx, upTo) }); err != nil && ctx.Err() == nil {
				s.log.Warn("pruning the host change feed", "error", err)
			}
		}
	}
}

// learnWide sets s.wide when an agent of the store reported that it
// watches network-wide (agentrpc.ConfigNetworkWide), as one served by
// another server sharing the store does. Once set, it reads nothing.
func (s *Service) learnWide(ctx context.Context) error {
	if s.wide.Load() {
		return nil
	}
	var agents []*core.Agent
	err := s.store.View(ctx, func(tx core.Tx) (err error) {
		agents, err = tx.ListAgents(ctx, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("agentserver: list agents: %w", err)
	}
	for _, a := range agents {
		if v, _ := a.Configurations[agentrpc.ConfigNetworkWide].(bool); v {
			s.wide.Store(true)
			return nil
		}
	}
	return nil
}

// publish appends c to the change feed and reads it back, waking the
// watches it concerns. A change that cannot be recorded is logged: the
// agents concerned see it with a later change, or their next full state.
func (s *Service) publish(ctx context.Context, c core.HostChange) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.store.Update(ctx, func(tx core.Tx) error { return tx.AddHostChange(ctx, &c) }); err != nil {
		s.log.Error("recording a host change", "hosts", c.Hosts, "ports", c.Ports, "networks", c.Networks, "error", err)
		return
	}
	if err := s.changes.sync(ctx); err != nil {
		s.log.Warn("reading the host change feed", "error", err)
	}
}

// Handler serves the channel's three paths.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+agentrpc.PathReport, s.report)
	mux.HandleFunc("GET "+agentrpc.PathState, s.state)
	mux.HandleFunc("POST "+agentrpc.PathDevices, s.devices)
	return mux
}

// report records a heartbeat.
func (s *Service) report(w http.ResponseWriter, r *http.Request) {
	var rep agentrpc.Report
	if !s.decode(w, r, &rep) {
		return
	}
	if rep.Host == "" || rep.AgentType == "" {
		s.fail(w, r, core.InvalidInput("an agent report needs host and agent_type"))
		return
	}
	a := &core.Agent{
		Host: rep.Host, AgentType: rep.AgentType, Binary: rep.Binary, Topic: "N/A",
		AdminStateUp: true, Configurations: rep.Configurations,
	}
	if rep.StartFlag {
		// Until its first sync, an agent's reports say it (re)started.
		a.StartedAt = time.Now().UTC()
	}
	state, err := s.plugin.ReportAgentState(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, agentrpc.ReportReply{State: state})
}

// state serves a watch.
func (s *Service) state(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	host := q.Get("host")
	if host == "" {
		s.fail(w, r, core.InvalidInput("a watch needs a host"))
		return
	}
	if !core.ValidText(host) {
		s.fail(w, r, core.InvalidText("host"))
		return
	}
	rev, resumable, err := parse(q.Get("since"))
	if err != nil {
		s.fail(w, r, core.InvalidInput("%v", err))
		return
	}
	wait := time.Duration(0)
	if v := q.Get("wait"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.fail(w, r, core.InvalidInput("wait must be a number of seconds, not %q", v))
			return
		}
		wait = min(time.Duration(n)*time.Second, MaxWait)
	}
	wide := false
	if v := q.Get("network_wide"); v != "" {
		if wide, err = strconv.ParseBool(v); err != nil {
			s.fail(w, r, core.InvalidInput("network_wide must be true or false, not %q", v))
			return
		}
	}
	if wide {
		s.wide.Store(true)
	}
	ctx := r.Context()
	if resumable && rev > s.changes.current() {
		// The agent saw a change this server has not read yet: made
		// through another server, or just now.
		if err := s.changes.sync(ctx); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if resumable && wide && !s.knowsCarried(host) {
		// A network-wide watch needs every port of each network the host
		// began to carry since rev, and this server cannot tell which
		// those are: the whole state will do.
		resumable = false
	}
	if resumable && !s.knowsCarried(host) {
		// Resumed on a server that has not served this host: which
		// networks it carries decides which changes concern it.
		if _, err := s.hostState(ctx, host, wide); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		carried := s.carries(host)
		ports, networks, cur, ok, wake := s.changes.since(host, carried, wide, rev)
		if !resumable || !ok || len(ports)+len(networks) > 0 {
			st, err := s.hostState(ctx, host, wide)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if resumable && ok {
				st = delta(st, ports, networks, carried)
			}
			st.Revision = token(cur)
			s.reply(w, st)
			return
		}
		rev = cur
		select {
		case <-wake:
		case <-timer.C:
			s.reply(w, agentrpc.State{Revision: token(cur), Networks: []*agentrpc.Network{}, Ports: []*agentrpc.Port{}})
			return
		case <-ctx.Done():
			return
		}
	}
}

// knowsCarried reports whether the service has computed host's state.
func (s *Service) knowsCarried(host string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.carried[host]
	return ok
}

// carries returns what tells whether host carries a network, as it was
// last told.
func (s *Service) carries(host string) func(string) bool {
	s.mu.Lock()
	nets := s.carried[host]
	s.mu.Unlock()
	return func(id string) bool { return nets[id] }
}

// devices sets the status of the ports whose devices were wired (ACTIVE)
// or unwired (DOWN). Ports bound to another host are left alone.
func (s *Service) devices(w http.ResponseWriter, r *http.Request) {
	var d agentrpc.Devices
	if !s.decode(w, r, &d) {
		return
	}
	if d.Host == "" {
		s.fail(w, r, core.InvalidInput("a device report needs a host"))
		return
	}
	var out agentrpc.DevicesReply
	set := func(ids []string, status string) {
		for _, id := range ids {
			if _, err := s.plugin.UpdatePortStatus(r.Context(), id, status, d.Host); err != nil {
				s.log.Warn("setting port status", "port", id, "status", status, "host", d.Host, "error", err)
				out.Failed = append(out.Failed, id)
			}
		}
	}
	set(d.Up, core.StatusActive)
	set(d.Down, core.StatusDown)
	s.reply(w, out)
}

func (s *Service) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		s.fail(w, r, core.InvalidInput("malformed request body: %v", err))
		return false
	}
	return true
}

func (s *Service) reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.log.Debug("writing answer", "error", err)
	}
}

// fail answers err with the status the API gives it and a short body.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := api.ErrorStatus(err)
	msg := err.Error()
	var ce *core.Error
	if status == http.StatusInternalServerError && !errors.As(err, &ce) {
		s.log.Error("agent request failed", "path", r.URL.Path, "error", err)
		msg = "internal error"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// Subscribe makes the service hear of changes through events (a
// Registry's): after each commit, it records in the host change feed the
// port and network changes that hosts must hear of. Subscribe it before a
// plugin publishing to events serves requests.
func (s *Service) Subscribe(events *core.Events) {
	events.Networks.AfterCommit("agent change feed", s.networkChanged)
	events.Subnets.AfterCommit("agent change feed", s.subnetChanged)
	events.Ports.AfterCommit("agent change feed", s.portChanged)
}

// A change that names a network but no host and no carriers concerns only
// the hosts that watch the network network-wide (see agentrpc): subnet
// changes, and the changes of ports bound to no host. They are recorded
// only once some host watches network-wide (s.wide): a cloud of L2-only
// agents pays nothing for them.

// subnetChanged tells the network-wide hosts of the subnet's network.
func (s *Service) subnetChanged(ctx context.Context, c *core.Change[core.Subnet]) {
	if s.wide.Load() {
		s.publish(ctx, core.HostChange{Networks: []string{c.Current().NetworkID}})
	}
}

// networkChanged tells a network's hosts that it is gone, or of its new
// MTU.
func (s *Service) networkChanged(ctx context.Context, c *core.Change[core.Network]) {
	switch c.Action {
	case core.ActionUpdate:
		if c.Old.MTU == c.New.MTU {
			return
		}
	case core.ActionDelete:
	default:
		return
	}
	s.publish(ctx, core.HostChange{Networks: []string{c.Current().ID}, Carriers: true})
}

// portChanged tells a new port's host of it; an updated port's hosts,
// before and after, of the change, and the network's other hosts when its
// L2 population entries change (the port went ACTIVE or stopped being
// ACTIVE, or an ACTIVE port changed its addresses or host); a deleted
// port's host, and the network's other hosts if it was ACTIVE; and the
// network-wide hosts of the port's network of all of these.
func (s *Service) portChanged(ctx context.Context, c *core.Change[core.Port]) {
	p := c.Current()
	hc := core.HostChange{Ports: []string{p.ID}, Networks: []string{p.NetworkID}}
	switch c.Action {
	case core.ActionCreate:
		if p.Binding.HostID != "" {
			hc.Hosts = []string{p.Binding.HostID}
		}
	case core.ActionUpdate:
		o := c.Old
		for _, h := range []string{p.Binding.HostID, o.Binding.HostID} {
			if h != "" && (len(hc.Hosts) == 0 || hc.Hosts[0] != h) {
				hc.Hosts = append(hc.Hosts, h)
			}
		}
		wasActive, isActive := o.Status == core.StatusActive, p.Status == core.StatusActive
		hc.Carriers = wasActive != isActive ||
			(isActive && (p.MACAddress != o.MACAddress || p.Binding.HostID != o.Binding.HostID || !sameIPs(p, o)))
	case core.ActionDelete:
		hc.Carriers = p.Status == core.StatusActive
		if p.Binding.HostID != "" {
			hc.Hosts = []string{p.Binding.HostID}
		}
	}
	// The network-wide hosts of the network hear of every port created or
	// deleted, and of the updates that change what they know of it.
	if len(hc.Hosts) > 0 || hc.Carriers || s.wide.Load() && (c.Action != core.ActionUpdate || networkFactsChanged(p, c.Old)) {
		s.publish(ctx, hc)
	}
}

// networkFactsChanged reports whether an update changed what the
// network-wide hosts of the port's network know of it.
func networkFactsChanged(p, o *core.Port) bool {
	return p.MACAddress != o.MACAddress || !sameIPs(p, o) || p.DeviceOwner != o.DeviceOwner ||
		p.DeviceID != o.DeviceID || p.AdminStateUp != o.AdminStateUp || p.Binding.HostID != o.Binding.HostID
}

func sameIPs(a, b *core.Port) bool {
	if len(a.FixedIPs) != len(b.FixedIPs) {
		return false
	}
	for i := range a.FixedIPs {
		if a.FixedIPs[i] != b.FixedIPs[i] {
			return false
		}
	}
	return true
}
