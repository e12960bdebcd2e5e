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

// pluginDriver is an out-of-process mechanism driver as the server
// registers it: the *host.Driver that supervises the driver's process once
// it has started, and a stand-in until then.
//
// A driver that fails to start (its binary is missing, it does not
// answer the handshake, its Initialize fails) does not stop the server.
// The stand-in takes its place: its BindPort binds nothing and returns
// the start error, so that ports only it could bind end binding_failed and
// the binding log says why; its other hooks do nothing, so the other
// drivers keep serving. Meanwhile the server retries starting the driver
// with the host's backoff (doubling from Config.RestartBackoff up to
// Config.MaxRestartBackoff) and swaps the running driver in when one
// start succeeds. The driver then sees only the resources created or
// changed from that moment on.
//
// Once running, the *host.Driver restarts a crashed process itself; see
// package plugins/host.
type pluginDriver struct {
	name string
	cfg  host.Config
	log  hclog.Logger

	// cur is the running driver, nil until one has started and after
	// Close. It changes only with mu held; hooks read it without.
	cur atomic.Pointer[host.Driver]

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

// Interface guards: what ml2 asks of a *host.Driver, it asks of the
// stand-in too.
var (
	_ core.MechanismDriver         = (*pluginDriver)(nil)
	_ core.ConnectivityProvider    = (*pluginDriver)(nil)
	_ core.VLANTransparencyChecker = (*pluginDriver)(nil)
)

// loadPlugin starts the driver of cfg. If it does not start, the error is
// logged, the stand-in answers for it, and starts are retried in the
// background until Close.
func loadPlugin(ctx context.Context, cfg host.Config) *pluginDriver {
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &pluginDriver{name: cfg.Name, cfg: cfg, log: cfg.Logger.Named(cfg.Name), ctx: bctx, cancel: cancel, stop: make(chan struct{})}
	d, err := host.Load(ctx, cfg)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.failed(err)
		return p
	}
	p.cur.Store(d)
	return p
}

// failed records that the driver is not running because of err, and
// starts the retries unless they run; p.mu is held.
func (p *pluginDriver) failed(err error) {
	p.startErr = err
	p.log.Error("mechanism driver failed to start; ports only it can bind will fail to bind until it starts",
		"error", err, "retries", p.retries)
	if p.retrying || p.closed {
		return
	}
	p.retrying = true
	p.wg.Add(1)
	go p.retry()
}

// retry starts the driver with backoff until one start succeeds or Close.
func (p *pluginDriver) retry() {
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
		p.log.Warn("mechanism driver failed to start again", "error", err, "retries", p.retries, "next_try", backoff)
		p.mu.Unlock()
	}
}

// start loads the driver, initializes it if Initialize was called, and
// makes it the running driver.
func (p *pluginDriver) start() error {
	d, err := host.Load(p.ctx, p.cfg)
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
			p.cur.Store(d)
			p.startErr = nil
			p.mu.Unlock()
			p.log.Info("mechanism driver started", "retries", p.retries)
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
func (p *pluginDriver) initialize(ctx context.Context, d *host.Driver) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.CallTimeout)
		defer cancel()
	}
	if err := d.Initialize(ctx); err != nil {
		return fmt.Errorf("initialize mechanism driver %s: %w", p.name, err)
	}
	return nil
}

// Initialize initializes the running driver, or remembers to initialize
// the driver when it starts. A running driver whose Initialize fails is
// stopped and counts as having failed to start: the error is logged, not
// returned, so that it does not stop the server.
func (p *pluginDriver) Initialize(ctx context.Context) error {
	p.mu.Lock()
	p.initialized = true
	d := p.cur.Load()
	p.mu.Unlock()
	if d == nil {
		return nil
	}
	err := p.initialize(ctx, d)
	if err == nil {
		return nil
	}
	p.mu.Lock()
	if !p.cur.CompareAndSwap(d, nil) {
		p.mu.Unlock()
		return nil // closed meanwhile
	}
	p.failed(err)
	p.mu.Unlock()
	_ = d.Close()
	return nil
}

// Close stops the retries and the driver.
func (p *pluginDriver) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.stop)
	p.cancel()
	d := p.cur.Swap(nil)
	p.mu.Unlock()
	p.wg.Wait()
	if d != nil {
		return d.Close()
	}
	return nil
}

// Status reports the driver's health for the API.
func (p *pluginDriver) Status() api.DriverStatus {
	p.mu.Lock()
	d, startErr, retries := p.cur.Load(), p.startErr, p.retries
	p.mu.Unlock()
	if d == nil {
		s := api.DriverStatus{Name: p.name, Kind: api.DriverKindPlugin, State: api.DriverFailed, Restarts: retries}
		if startErr != nil {
			s.LastError = startErr.Error()
		} else {
			s.LastError = "closed"
		}
		return s
	}
	s := hostStatus(p.name, d.Health())
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

// unavailable is the error of the stand-in's BindPort, as the host's
// for a driver that is not running.
func (p *pluginDriver) unavailable() error {
	p.mu.Lock()
	cause := p.startErr
	p.mu.Unlock()
	if cause == nil {
		cause = errors.New("closed")
	}
	return &core.Error{Kind: core.KindUnavailable, Type: host.TypeUnavailable, Err: cause,
		Message: fmt.Sprintf("Mechanism driver %s is unavailable (%s): %v.", p.name, api.DriverFailed, cause)}
}

// Connectivity is the running driver's; the stand-in's is legacy.
func (p *pluginDriver) Connectivity() core.Connectivity {
	if d := p.cur.Load(); d != nil {
		return d.Connectivity()
	}
	return core.ConnectivityLegacy
}

// CheckVLANTransparency asks the running driver; the stand-in supports
// nothing.
func (p *pluginDriver) CheckVLANTransparency(ctx context.Context, nc core.NetworkContext) bool {
	if d := p.cur.Load(); d != nil {
		return d.CheckVLANTransparency(ctx, nc)
	}
	return false
}

// BindPort asks the running driver; the stand-in binds nothing and
// returns why.
func (p *pluginDriver) BindPort(ctx context.Context, pc core.PortContext) error {
	if d := p.cur.Load(); d != nil {
		return d.BindPort(ctx, pc)
	}
	return p.unavailable()
}

// network runs a network hook on the running driver, if any.
func (p *pluginDriver) network(ctx context.Context, nc core.NetworkContext, hook func(*host.Driver, context.Context, core.NetworkContext) error) error {
	if d := p.cur.Load(); d != nil {
		return hook(d, ctx, nc)
	}
	return nil
}

// subnet runs a subnet hook on the running driver, if any.
func (p *pluginDriver) subnet(ctx context.Context, sc core.SubnetContext, hook func(*host.Driver, context.Context, core.SubnetContext) error) error {
	if d := p.cur.Load(); d != nil {
		return hook(d, ctx, sc)
	}
	return nil
}

// port runs a port hook on the running driver, if any.
func (p *pluginDriver) port(ctx context.Context, pc core.PortContext, hook func(*host.Driver, context.Context, core.PortContext) error) error {
	if d := p.cur.Load(); d != nil {
		return hook(d, ctx, pc)
	}
	return nil
}

// CreateNetworkPrecommit calls the running driver's hook, if any.
func (p *pluginDriver) CreateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).CreateNetworkPrecommit)
}

// CreateNetworkPostcommit calls the running driver's hook, if any.
func (p *pluginDriver) CreateNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).CreateNetworkPostcommit)
}

// UpdateNetworkPrecommit calls the running driver's hook, if any.
func (p *pluginDriver) UpdateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).UpdateNetworkPrecommit)
}

// UpdateNetworkPostcommit calls the running driver's hook, if any.
func (p *pluginDriver) UpdateNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).UpdateNetworkPostcommit)
}

// DeleteNetworkPrecommit calls the running driver's hook, if any.
func (p *pluginDriver) DeleteNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).DeleteNetworkPrecommit)
}

// DeleteNetworkPostcommit calls the running driver's hook, if any.
func (p *pluginDriver) DeleteNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	return p.network(ctx, nc, (*host.Driver).DeleteNetworkPostcommit)
}

// CreateSubnetPrecommit calls the running driver's hook, if any.
func (p *pluginDriver) CreateSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).CreateSubnetPrecommit)
}

// CreateSubnetPostcommit calls the running driver's hook, if any.
func (p *pluginDriver) CreateSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).CreateSubnetPostcommit)
}

// UpdateSubnetPrecommit calls the running driver's hook, if any.
func (p *pluginDriver) UpdateSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).UpdateSubnetPrecommit)
}

// UpdateSubnetPostcommit calls the running driver's hook, if any.
func (p *pluginDriver) UpdateSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).UpdateSubnetPostcommit)
}

// DeleteSubnetPrecommit calls the running driver's hook, if any.
func (p *pluginDriver) DeleteSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).DeleteSubnetPrecommit)
}

// DeleteSubnetPostcommit calls the running driver's hook, if any.
func (p *pluginDriver) DeleteSubnetPostcommit(ctx context.Context, sc core.SubnetContext) error {
	return p.subnet(ctx, sc, (*host.Driver).DeleteSubnetPostcommit)
}

// CreatePortPrecommit calls the running driver's hook, if any.
func (p *pluginDriver) CreatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).CreatePortPrecommit)
}

// CreatePortPostcommit calls the running driver's hook, if any.
func (p *pluginDriver) CreatePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).CreatePortPostcommit)
}

// UpdatePortPrecommit calls the running driver's hook, if any.
func (p *pluginDriver) UpdatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).UpdatePortPrecommit)
}

// UpdatePortPostcommit calls the running driver's hook, if any.
func (p *pluginDriver) UpdatePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).UpdatePortPostcommit)
}

// DeletePortPrecommit calls the running driver's hook, if any.
func (p *pluginDriver) DeletePortPrecommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).DeletePortPrecommit)
}

// DeletePortPostcommit calls the running driver's hook, if any.
func (p *pluginDriver) DeletePortPostcommit(ctx context.Context, pc core.PortContext) error {
	return p.port(ctx, pc, (*host.Driver).DeletePortPostcommit)
}
