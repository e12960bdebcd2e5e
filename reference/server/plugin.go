package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/host"
	"github.com/ml2go/ml2go/reference/api"
)

// hostDriver is what every kind of out-of-process driver of package
// plugins/host has.
type hostDriver interface {
	Initialize(ctx context.Context) error
	Health() host.Health
	Close() error
}

// pluginKind describes one kind of out-of-process driver to plugin.
type pluginKind[D hostDriver] struct {
	// kind names it in logs: "mechanism".
	kind string
	// title starts the message of its unavailable error: "Mechanism
	// driver".
	title string
	// unavailable is the type of that error.
	unavailable string
	// consequence says, in the log, what fails while it is not running.
	consequence string
	// statusPrefix starts its name in the drivers' health.
	statusPrefix string
	// load starts a driver.
	load func(context.Context, host.Config) (D, error)
}

// plugin is an out-of-process driver as the server registers it: the
// driver of package plugins/host that supervises the driver's process once
// it has started, and a stand-in until then.
//
// A driver that fails to start (its binary is missing, it does not
// answer the handshake, its Initialize fails) does not stop the server.
// The stand-in takes its place (see pluginDriver, typePlugin and
// extensionPlugin for what it does of each kind). Meanwhile the server
// retries starting the driver with the host's backoff (doubling from
// Config.RestartBackoff up to Config.MaxRestartBackoff) and swaps the
// running driver in when one start succeeds. The driver then sees only
// the resources created or changed from that moment on.
//
// Once running, the driver restarts a crashed process itself; see package
// plugins/host.
type plugin[D hostDriver] struct {
	name string
	k    *pluginKind[D]
	cfg  host.Config
	log  hclog.Logger

	// cur is the running driver, nil until one has started and after
	// Close. It changes only with mu held; hooks read it without.
	cur atomic.Pointer[D]

	// ctx bounds the starts the retries make; cancel ends it on Close.
	ctx    context.Context
	cancel context.CancelFunc
	stop   chan struct{} // closed by Close
	wg     sync.WaitGroup

	mu          sync.Mutex
	initialized bool  // Initialize was called: a started driver must be initialized
	startErr    error // why the last start failed; nil once running
	retries     int   // starts tried after the first failed
	closed      bool  // Close was called
	retrying    bool  // the retry goroutine runs
}

// startPlugin starts the driver of cfg. If it does not start, the error is
// logged, the stand-in answers for it, and starts are retried in the
// background until Close.
func startPlugin[D hostDriver](ctx context.Context, k *pluginKind[D], cfg host.Config) *plugin[D] {
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &plugin[D]{name: cfg.Name, k: k, cfg: cfg, log: cfg.Logger.Named(cfg.Name), ctx: bctx, cancel: cancel, stop: make(chan struct{})}
	d, err := k.load(ctx, cfg)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.failed(err)
		return p
	}
	p.cur.Store(&d)
	return p
}

// running returns the running driver, if any.
func (p *plugin[D]) running() (D, bool) {
	if d := p.cur.Load(); d != nil {
		return *d, true
	}
	var zero D
	return zero, false
}

// failed records that the driver is not running because of err, and
// starts the retries unless they run; p.mu is held.
func (p *plugin[D]) failed(err error) {
	p.startErr = err
	p.log.Error(p.k.kind+" driver failed to start; "+p.k.consequence+" until it starts",
		"error", err, "retries", p.retries)
	if p.retrying || p.closed {
		return
	}
	p.retrying = true
	p.wg.Add(1)
	go p.retry()
}

// retry starts the driver with backoff until one start succeeds or Close.
func (p *plugin[D]) retry() {
	defer p.wg.Done()
	backoff := p.cfg.RestartBackoff
	for {
		select {
		case <-p.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, p.cfg.MaxRestartBackoff)
		p.mu.Lock()
		p.retries++
		p.mu.Unlock()
		err := p.start()
		p.mu.Lock()
		if err == nil || p.closed {
			p.retrying = false
			p.mu.Unlock()
			return
		}
		p.startErr = err
		p.log.Warn(p.k.kind+" driver failed to start again", "error", err, "retries", p.retries, "next_try", backoff)
		p.mu.Unlock()
	}
}

// start loads the driver, initializes it if Initialize was called, and
// makes it the running driver.
func (p *plugin[D]) start() error {
	d, err := p.k.load(p.ctx, p.cfg)
	if err != nil {
		return err
	}
	initialized := false
	for {
		p.mu.Lock()
		switch {
		case p.closed:
			p.mu.Unlock()
			_ = d.Close()
			return errors.New("closed")
		case !p.initialized || initialized:
			p.cur.Store(&d)
			p.startErr = nil
			p.mu.Unlock()
			p.log.Info(p.k.kind+" driver started", "retries", p.retries)
			return nil
		}
		p.mu.Unlock()
		// Initialize was called on the stand-in: the driver has yet to
		// be.
		if err := p.initialize(p.ctx, d); err != nil {
			_ = d.Close()
			return err
		}
		initialized = true
	}
}

// initialize initializes d within the call timeout.
func (p *plugin[D]) initialize(ctx context.Context, d D) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.CallTimeout)
		defer cancel()
	}
	if err := d.Initialize(ctx); err != nil {
		return fmt.Errorf("initialize %s driver %s: %w", p.k.kind, p.name, err)
	}
	return nil
}

// Initialize initializes the running driver, or remembers to initialize
// the driver when it starts. A running driver whose Initialize fails is
// stopped and counts as having failed to start: the error is logged, not
// returned, so that it does not stop the server.
func (p *plugin[D]) Initialize(ctx context.Context) error {
	p.mu.Lock()
	p.initialized = true
	cur := p.cur.Load()
	p.mu.Unlock()
	if cur == nil {
		return nil
	}
	err := p.initialize(ctx, *cur)
	if err == nil {
		return nil
	}
	p.mu.Lock()
	if !p.cur.CompareAndSwap(cur, nil) {
		p.mu.Unlock()
		return nil // closed meanwhile
	}
	p.failed(err)
	p.mu.Unlock()
	_ = (*cur).Close()
	return nil
}

// Close stops the retries and the driver.
func (p *plugin[D]) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.stop)
	p.cancel()
	cur := p.cur.Swap(nil)
	p.mu.Unlock()
	p.wg.Wait()
	if cur != nil {
		return (*cur).Close()
	}
	return nil
}

// Status reports the driver's health for the API, under its name prefixed
// with the kind's prefix.
func (p *plugin[D]) Status() api.DriverStatus {
	p.mu.Lock()
	cur, startErr, retries := p.cur.Load(), p.startErr, p.retries
	p.mu.Unlock()
	name := p.k.statusPrefix + p.name
	if cur == nil {
		s := api.DriverStatus{Name: name, Kind: api.DriverKindPlugin, State: api.DriverFailed, Restarts: retries}
		if startErr != nil {
			s.LastError = startErr.Error()
		} else {
			s.LastError = "closed"
		}
		return s
	}
	s := hostStatus(name, (*cur).Health())
	s.Restarts += retries
	return s
}

// hostStatus is the API's view of a supervised driver's health.
func hostStatus(name string, h host.Health) api.DriverStatus {
	s := api.DriverStatus{Name: name, Kind: api.DriverKindPlugin, Restarts: h.Restarts, PID: h.PID}
	switch h.State {
	case host.StateRunning:
		s.State = api.DriverRunning
	case host.StateRestarting:
		s.State = api.DriverRestarting
	default:
		s.State = api.DriverFailed
	}
	if h.LastError != nil {
		s.LastError = h.LastError.Error()
	}
	return s
}

// unavailable is the error of the stand-in's calls that fail, as the
// host's for a driver that is not running.
func (p *plugin[D]) unavailable() error {
	p.mu.Lock()
	cause := p.startErr
	p.mu.Unlock()
	if cause == nil {
		cause = errors.New("closed")
	}
	return &core.Error{Kind: core.KindUnavailable, Type: p.k.unavailable, Err: cause,
		Message: fmt.Sprintf("%s %s is unavailable (%s): %v.", p.k.title, p.name, api.DriverFailed, cause)}
}

// mechanismKind is the kind of out-of-process mechanism drivers.
var mechanismKind = &pluginKind[*host.Driver]{
	kind:        "mechanism",
	title:       "Mechanism driver",
	unavailable: host.TypeUnavailable,
	consequence: "ports only it can bind will fail to bind",
	load:        host.Load,
}

// pluginDriver is an out-of-process mechanism driver as the server
// registers it. The stand-in's BindPort binds nothing and returns the
// start error, so that ports only it could bind end binding_failed and
// say why (see ml2.BindingFailureKey); its other hooks do nothing, so the
// other drivers keep serving.
type pluginDriver struct {
	*plugin[*host.Driver]
	// conn is the connectivity of the last driver that ran, if any.
	conn *atomic.Value
}

// Interface guards: what ml2 asks of a *host.Driver, it asks of the
// stand-in too.
var (
	_ core.MechanismDriver         = pluginDriver{}
	_ core.ConnectivityProvider    = pluginDriver{}
	_ core.VLANTransparencyChecker = pluginDriver{}
)

// loadPlugin starts the mechanism driver of cfg; see startPlugin.
func loadPlugin(ctx context.Context, cfg host.Config) pluginDriver {
	return pluginDriver{plugin: startPlugin(ctx, mechanismKind, cfg), conn: &atomic.Value{}}
}

// Connectivity is the running driver's. The stand-in's is that of the
// last driver that ran or, if none has, l2: the stand-in is then offered
// every port to bind, ports without fixed IPs too, so that one that ends
// binding_failed says the driver was not running.
func (p pluginDriver) Connectivity() core.Connectivity {
	if d, ok := p.running(); ok {
		c := d.Connectivity()
		p.conn.Store(c)
		return c
	}
	if c, ok := p.conn.Load().(core.Connectivity); ok {
		return c
	}
	return core.ConnectivityL2
}

// CheckVLANTransparency asks the running driver; the stand-in supports
// nothing.
func (p pluginDriver) CheckVLANTransparency(ctx context.Context, nc core.NetworkContext) bool {
	if d, ok := p.running(); ok {
		return d.CheckVLANTransparency(ctx, nc)
	}
	return false
}

// BindPort asks the running driver; the stand-in binds nothing and
// returns why.
func (p pluginDriver) BindPort(ctx context.Context, pc core.PortContext) error {
	if d, ok := p.running(); ok {
		return d.BindPort(ctx, pc)
	}
	return p.unavailable()
}

// network runs a network hook on the running driver, if any.
func (p pluginDriver) network(ctx context.Context, nc core.NetworkContext, hook func(*host.Driver, context.Context, core.NetworkContext) error) error {
	if d, ok := p.running(); ok {
		return hook(d, ctx, nc)
	}
	return nil
}

// subnet runs a subnet hook on the running driver, if any.
func (p pluginDriver) subnet(ctx context.Context, sc core.SubnetContext, hook func(*host.Driver, context.Context, core.SubnetContext) error) error {
	if d, ok := p.running(); ok {
		return hook(d, ctx, sc)
	}
	return nil
}

// port runs a port hook on the running driver, if any.
func (p pluginDriver) port(ctx context.Context, pc core.PortContext, hook func(*host.Driver, context.Context, core.PortContext) error) error {
	if d, ok := p.running(); ok {
		return hook(d, ctx, pc)
	}
	return nil
}

// CreateNetworkPrecommit calls the running driver's hook, if any.
func (p pluginDriver) CreateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).CreateNetworkPrecommit)
}

// CreateNetworkPostcommit calls the running driver's hook, if any.
func (p pluginDriver) CreateNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).CreateNetworkPostcommit)
}

// UpdateNetworkPrecommit calls the running driver's hook, if any.
func (p pluginDriver) UpdateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).UpdateNetworkPrecommit)
}

// UpdateNetworkPostcommit calls the running driver's hook, if any.
func (p pluginDriver) UpdateNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).UpdateNetworkPostcommit)
}

// DeleteNetworkPrecommit calls the running driver's hook, if any.
func (p pluginDriver) DeleteNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).DeleteNetworkPrecommit)
}

// DeleteNetworkPostcommit calls the running driver's hook, if any.
func (p pluginDriver) DeleteNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).DeleteNetworkPostcommit)
}

// CreateSubnetPrecommit calls the running driver's hook, if any.
func (p pluginDriver) CreateSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).CreateSubnetPrecommit)
}

// CreateSubnetPostcommit calls the running driver's hook, if any.
func (p pluginDriver) CreateSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).CreateSubnetPostcommit)
}

// UpdateSubnetPrecommit calls the running driver's hook, if any.
func (p pluginDriver) UpdateSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).UpdateSubnetPrecommit)
}

// UpdateSubnetPostcommit calls the running driver's hook, if any.
func (p pluginDriver) UpdateSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).UpdateSubnetPostcommit)
}

// DeleteSubnetPrecommit calls the running driver's hook, if any.
func (p pluginDriver) DeleteSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).DeleteSubnetPrecommit)
}

// DeleteSubnetPostcommit calls the running driver's hook, if any.
func (p pluginDriver) DeleteSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).DeleteSubnetPostcommit)
}

// CreatePortPrecommit calls the running driver's hook, if any.
func (p pluginDriver) CreatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).CreatePortPrecommit)
}

// CreatePortPostcommit calls the running driver's hook, if any.
func (p pluginDriver) CreatePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).CreatePortPostcommit)
}

// UpdatePortPrecommit calls the running driver's hook, if any.
func (p pluginDriver) UpdatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).UpdatePortPrecommit)
}

// UpdatePortPostcommit calls the running driver's hook, if any.
func (p pluginDriver) UpdatePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).UpdatePortPostcommit)
}

// DeletePortPrecommit calls the running driver's hook, if any.
func (p pluginDriver) DeletePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).DeletePortPrecommit)
}

// DeletePortPostcommit calls the running driver's hook, if any.
func (p pluginDriver) DeletePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).DeletePortPostcommit)
}
