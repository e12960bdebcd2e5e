// Package host runs ml2go drivers that live in their own process (built
// with plugins/sdk, or from the published .proto files in any language) and
// makes each one a plain core driver that registers in core.Registry like a
// built-in one:
//
//	d, err := host.Load(ctx, host.Config{Name: "acme", Command: "/usr/lib/ml2go/acme-driver"})
//	if err != nil { ... }
//	defer d.Close()
//	reg.RegisterMechanismDriver("acme", d)
//
// Load runs a mechanism driver (a core.MechanismDriver), LoadTypeDriver a
// type driver (a core.TypeDriver) and LoadExtensionDriver an extension
// driver (a core.ExtensionDriver). One binary may serve several kinds; each
// Load runs its own process of it, supervised on its own.
//
// Failure semantics. Every call carries the caller's deadline, or
// Config.CallTimeout when the caller has none. A driver error comes back as
// the driver returned it: a *core.Error keeps its Kind, Type and Message (a
// vendor's InvalidInput is a 400), an error wrapping core.ErrRetry still
// does. A call that runs out of time fails with a *core.Error of type
// MechanismDriverTimeout (TypeDriverTimeout, ExtensionDriverTimeout); a
// call the driver cannot answer because it crashed, panicked, was killed or
// is restarting fails with one of type MechanismDriverUnavailable
// (TypeDriverUnavailable, ExtensionDriverUnavailable). All of these are of
// core.KindUnavailable. Nothing the driver does can panic or hang the host.
//
// Transport. go-plugin's gRPC connection starts and describes the driver.
// The driver's hook calls go on the protocol's call channel, a unix socket
// carrying the same messages one call at a time per connection, when the
// driver offers it (drivers built with plugins/sdk do), and over gRPC
// otherwise. The driver's callbacks into the host (binding, segment
// allocation, transaction reads) take the channel the other way: the host
// serves its callback service on a socket of its own as well as on
// go-plugin's broker, and a driver built with plugins/sdk calls it there.
// Config.PlainGRPC keeps both directions on gRPC.
//
// Supervision. When the driver process exits, the driver is restarted with
// exponential backoff, negotiates the API version again and, if Initialize
// had been called, is initialized again. Calls made meanwhile fail fast.
// Health reports the state (running, restarting, failed), the last error
// and the restart count; every change is logged.
package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/internal/channel"
	"github.com/ml2go/ml2go/plugins/internal/transport"
	"github.com/ml2go/ml2go/plugins/internal/wire"
)

// Neutron-style exception names of the errors the host itself returns.
const (
	// TypeUnavailable is the type of the error of a mechanism-driver call
	// the driver could not answer: it crashed, was killed, is restarting
	// or failed.
	TypeUnavailable = "MechanismDriverUnavailable"
	// TypeTimeout is the type of the error of a mechanism-driver call that
	// ran out of time.
	TypeTimeout = "MechanismDriverTimeout"
	// TypeDriverUnavailable and TypeDriverTimeout are their type-driver
	// counterparts.
	TypeDriverUnavailable = "TypeDriverUnavailable"
	TypeDriverTimeout     = "TypeDriverTimeout"
	// ExtensionDriverUnavailable and ExtensionDriverTimeout are their
	// extension-driver counterparts.
	ExtensionDriverUnavailable = "ExtensionDriverUnavailable"
	ExtensionDriverTimeout     = "ExtensionDriverTimeout"
)

// Defaults of Config.
const (
	DefaultCallTimeout       = 10 * time.Second
	DefaultStartTimeout      = 10 * time.Second
	DefaultRestartBackoff    = 250 * time.Millisecond
	DefaultMaxRestartBackoff = 30 * time.Second
	DefaultBackoffResetAfter = time.Minute
)

// Config says how to run one out-of-process driver.
type Config struct {
	// Name is the driver's name in logs and errors, usually the name it
	// is registered under.
	Name string
	// Command and Args run the driver binary.
	Command string
	Args    []string
	// Env is added to the host's environment for the driver process.
	Env []string
	// Logger receives the host's logs about the driver and the driver's own
	// logs, under Name. Default: discard.
	Logger hclog.Logger
	// CallTimeout bounds a call whose context has no deadline. Default
	// DefaultCallTimeout.
	CallTimeout time.Duration
	// StartTimeout bounds starting the process and the handshake. Default
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// RestartBackoff is the delay before the first restart; it doubles
	// after each failed or short-lived run, up to MaxRestartBackoff, and
	// is reset after a run that lasted BackoffResetAfter. Defaults
	// DefaultRestartBackoff, DefaultMaxRestartBackoff and
	// DefaultBackoffResetAfter.
	RestartBackoff    time.Duration
	MaxRestartBackoff time.Duration
	BackoffResetAfter time.Duration
	// MaxRestarts, when positive, is the number of consecutive failed
	// restarts after which the driver is given up on (StateFailed).
	MaxRestarts int
	// PlainGRPC makes every call go over go-plugin's gRPC connection,
	// even to a driver that offers the call channel (see the plugins
	// README), and serves the driver's callbacks on go-plugin's broker
	// only: the way a driver written without plugins/sdk is called.
	PlainGRPC bool
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.Name == "" {
		c.Name = c.Command
	}
	defaultDuration(&c.CallTimeout, DefaultCallTimeout)
	defaultDuration(&c.StartTimeout, DefaultStartTimeout)
	defaultDuration(&c.RestartBackoff, DefaultRestartBackoff)
	defaultDuration(&c.MaxRestartBackoff, DefaultMaxRestartBackoff)
	defaultDuration(&c.BackoffResetAfter, DefaultBackoffResetAfter)
}

func defaultDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// State is the supervision state of a driver.
type State int

// The states of a driver.
const (
	// StateRunning: the process is up and answers calls.
	StateRunning State = iota
	// StateRestarting: the process exited; the supervisor is starting a
	// new one. Calls fail with the kind's Unavailable error.
	StateRestarting
	// StateFailed: the driver was given up on (MaxRestarts reached, an
	// API version mismatch, or Close). Calls fail with the kind's
	// Unavailable error.
	StateFailed
)

// String names the state.
func (s State) String() string {
	switch s {
	case StateRunning:
		return "running"
	case StateRestarting:
		return "restarting"
	case StateFailed:
		return "failed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Health is a driver's supervision status.
type Health struct {
	State State
	// LastError is the last reason the driver stopped or failed to start;
	// nil if it never did.
	LastError error
	// Restarts counts restart attempts since Load.
	Restarts int
	// PID is the process id of the running driver, 0 when none runs.
	PID int
	// APIVersion is the negotiated API version of the driver's kind.
	APIVersion uint32
	// CallChannel tells whether the running process takes its calls on
	// the call channel (a driver built with plugins/sdk) rather than over
	// gRPC.
	CallChannel bool
	// CallbackChannel tells whether the running process makes its
	// callbacks into the host on the call channel rather than over
	// go-plugin's broker: whether it has connected to the host's end of
	// the channel, as a driver built with plugins/sdk does when it is
	// described.
	CallbackChannel bool
	// Since is when State was entered.
	Since time.Time
}

// kindSpec describes one driver kind to the supervisor. C is the kind's
// connection to one process: its gRPC client and what Describe said.
type kindSpec[C any] struct {
	kind base.Kind
	// title starts messages: "Mechanism driver".
	title string
	// pluginName is the name dispensed from the driver's plugin set.
	pluginName string
	// versions are the API versions the host supports.
	versions []uint32
	// unavailable and timeout are the types of the host's own errors.
	unavailable, timeout string
	// callbacks registers the kind's callback service on r. It registers
	// the same value every time: the host serves it to each of the
	// driver's processes, on go-plugin's broker and on the call channel.
	callbacks func(r grpc.ServiceRegistrar)
	// describe runs Describe, calling the driver through cc and
	// announcing the broker id of the callback service; it returns the
	// connection and the API versions the driver speaks.
	describe func(ctx context.Context, cc grpc.ClientConnInterface, brokerID uint32) (C, []uint32, error)
	// accept, if set, checks a new process's connection against the
	// previous one's (nil for the first): a refusal gives up on the
	// driver.
	accept func(next C, prev *C) error
	// initialize calls the driver's Initialize.
	initialize func(ctx context.Context, conn C, apiVersion uint32) error
}

// process supervises the processes of one out-of-process driver of one
// kind. It is safe for concurrent use.
type process[C any] struct {
	cfg  Config
	spec *kindSpec[C]
	log  hclog.Logger

	// callDir holds the sockets of the processes' call channels, both
	// ends: "<n>.sock", where process n serves hook calls, and
	// "<n>-host.sock", where the host serves its callbacks.
	callDir string
	starts  int // processes started, which names their sockets

	mu          sync.Mutex
	gen         *generation[C] // nil unless running
	last        C              // the connection of the last process that started
	health      Health
	initialized bool
	closed      bool
	stop        chan struct{}
	wg          sync.WaitGroup
}

// generation is one run of the driver process.
type generation[C any] struct {
	client     *plugin.Client
	calls      *channel.Client // nil when calls go over gRPC
	callPath   string          // where the process may serve the channel
	hostCalls  *channel.Server // serves the process's callbacks; nil without the channel
	conn       C
	done       context.Context // canceled when the process exits
	pid        int
	apiVersion uint32
	started    time.Time
}

// kill kills the process and releases both ends of its call channel.
func (g *generation[C]) kill() {
	g.client.Kill()
	if g.calls != nil {
		_ = g.calls.Close()
	}
	if g.callPath != "" {
		_ = os.Remove(g.callPath)
	}
	if g.hostCalls != nil {
		_ = g.hostCalls.Close() // and removes its socket
	}
}

// refusal is an error that gives up on the driver at once.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// load starts the first process, checks the handshake and negotiates the
// API version, and supervises the process until close. An error means the
// driver could not be started; nothing is left running.
func load[C any](ctx context.Context, cfg Config, spec *kindSpec[C]) (*process[C], error) {
	cfg.setDefaults()
	if cfg.Command == "" {
		return nil, errors.New("host: Config.Command is empty")
	}
	p := &process[C]{cfg: cfg, spec: spec, log: cfg.Logger.Named(cfg.Name), stop: make(chan struct{})}
	if !cfg.PlainGRPC {
		dir, err := os.MkdirTemp("", "ml2go-driver-")
		if err != nil {
			return nil, fmt.Errorf("host: directory for the call channel: %w", err)
		}
		p.callDir = dir
	}
	g, err := p.start(ctx, nil)
	if err != nil {
		p.removeCallDir()
		return nil, err
	}
	p.health = Health{State: StateRunning, PID: g.pid, APIVersion: g.apiVersion, CallChannel: g.calls != nil, Since: time.Now()}
	p.gen, p.last = g, g.conn
	p.log.Info(string(spec.kind)+" driver started", "pid", g.pid, "api_version", g.apiVersion, "call_channel", g.calls != nil)
	p.wg.Add(1)
	go p.supervise(g)
	return p, nil
}

// Health returns the driver's supervision status.
func (p *process[C]) Health() Health {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.health
	h.CallbackChannel = p.gen != nil && p.gen.hostCalls != nil && p.gen.hostCalls.Connected()
	return h
}

// lastConn returns the connection of the last process that started.
func (p *process[C]) lastConn() C {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

// close stops supervising the driver and kills its process.
func (p *process[C]) close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.stop)
	g := p.gen
	p.gen = nil
	p.setState(StateFailed, errors.New("closed"))
	p.mu.Unlock()
	if g != nil {
		g.kill()
	}
	p.wg.Wait()
	p.removeCallDir()
	return nil
}

// removeCallDir removes the directory of the call channels' sockets.
func (p *process[C]) removeCallDir() {
	if p.callDir != "" {
		_ = os.RemoveAll(p.callDir)
	}
}

// start runs a new process and negotiates with it; prev is the connection
// of the previous process, nil for the first.
func (p *process[C]) start(ctx context.Context, prev *C) (*generation[C], error) {
	cmd := exec.Command(p.cfg.Command, p.cfg.Args...)
	cmd.Env = cmd.Environ()
	if v := transport.LogLevelEnvVar(p.log); v != "" {
		cmd.Env = append(cmd.Env, v)
	}
	var (
		callPath  string
		hostCalls *channel.Server
	)
	if p.callDir != "" {
		p.starts++
		callPath = filepath.Join(p.callDir, fmt.Sprintf("%d.sock", p.starts))
		cmd.Env = append(cmd.Env, channel.EnvSocket+"="+callPath)
		hostPath := filepath.Join(p.callDir, fmt.Sprintf("%d-host.sock", p.starts))
		if hostCalls = p.listenCallbacks(hostPath); hostCalls != nil {
			cmd.Env = append(cmd.Env, channel.EnvHostSocket+"="+hostPath)
		}
	}
	cmd.Env = append(cmd.Env, p.cfg.Env...)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  base.HandshakeConfig,
		Plugins:          plugin.PluginSet{p.spec.pluginName: &hostPlugin{register: p.spec.callbacks, calls: hostCalls}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           p.log,
		StartTimeout:     p.cfg.StartTimeout,
		GRPCDialOptions:  transport.DialOptions(),
	})
	g := &generation[C]{client: client, callPath: callPath, hostCalls: hostCalls}
	if err := p.connect(ctx, g, prev); err != nil {
		g.kill()
		return nil, fmt.Errorf("start %s driver %s: %w", p.spec.kind, p.cfg.Name, err)
	}
	return g, nil
}

// listenCallbacks listens on path for the callbacks of a process about to
// start, and serves them there until the generation is killed; nil, with a
// warning, if it cannot (the process then calls back over the broker).
// The services are registered when the process's plugin is dispensed,
// before the driver is described and so before it can make a callback.
func (p *process[C]) listenCallbacks(path string) *channel.Server {
	s, err := channel.Listen(path)
	if err != nil {
		p.log.Warn("call channel for callbacks unavailable; serving them on the broker only", "error", err)
		return nil
	}
	go func() {
		if err := s.Serve(); err != nil {
			p.log.Warn("call channel for callbacks stopped", "error", err)
		}
	}()
	return s
}

// connect completes g: it dispenses the driver, dials its call channel if
// it offers one, describes it and negotiates the API version.
func (p *process[C]) connect(ctx context.Context, g *generation[C], prev *C) error {
	cp, err := g.client.Client()
	if err != nil {
		return err
	}
	raw, err := cp.Dispense(p.spec.pluginName)
	if err != nil {
		return err
	}
	d, ok := raw.(*dispensed)
	if !ok {
		return fmt.Errorf("host: the %s plugin dispensed %T", p.spec.pluginName, raw)
	}
	var cc grpc.ClientConnInterface = d.conn
	if g.callPath != "" {
		// The process listens before it completes the handshake, if it
		// listens at all.
		calls, err := channel.Dial(g.callPath)
		switch {
		case err == nil:
			g.calls, cc = calls, calls
		case !channel.Unsupported(err):
			p.log.Warn("call channel unusable; calling over gRPC", "error", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.StartTimeout)
	defer cancel()
	conn, versions, err := p.spec.describe(ctx, cc, d.brokerID)
	if status.Code(err) == codes.Unimplemented {
		return &refusal{fmt.Errorf("the binary serves no %s driver (%w)", p.spec.kind, err)}
	}
	if err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	v, err := base.Negotiate(p.spec.kind, p.cfg.Name, p.spec.versions, versions)
	if err != nil {
		return &refusal{err}
	}
	if p.spec.accept != nil {
		if err := p.spec.accept(conn, prev); err != nil {
			return &refusal{err}
		}
	}
	g.conn, g.done, g.apiVersion, g.started = conn, d.done, v, time.Now()
	if rc := g.client.ReattachConfig(); rc != nil {
		g.pid = rc.Pid
	}
	return nil
}

// setState records a state change and logs it; p.mu is held.
func (p *process[C]) setState(s State, cause error) {
	if cause != nil {
		p.health.LastError = cause
	}
	if p.health.State == s {
		return
	}
	p.health.State, p.health.Since = s, time.Now()
	args := []any{"state", s.String(), "restarts", p.health.Restarts}
	if cause != nil {
		args = append(args, "error", cause)
	}
	msg := string(p.spec.kind) + " driver health changed"
	if s == StateRunning || p.closed {
		p.log.Info(msg, args...)
	} else {
		p.log.Error(msg, args...)
	}
}

// supervise waits for g's process to exit, then restarts the driver with
// backoff until one run starts or it gives up.
func (p *process[C]) supervise(g *generation[C]) {
	defer p.wg.Done()
	backoff := p.cfg.RestartBackoff
	failures := 0
	for {
		select {
		case <-p.stop:
			return
		case <-g.done.Done():
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		p.gen = nil
		p.health.PID = 0
		p.setState(StateRestarting, fmt.Errorf("driver process %d exited", g.pid))
		p.mu.Unlock()
		g.kill() // reap and release its resources
		if time.Since(g.started) >= p.cfg.BackoffResetAfter {
			backoff = p.cfg.RestartBackoff
		}
		for {
			select {
			case <-p.stop:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, p.cfg.MaxRestartBackoff)
			next, err := p.restart()
			if err == nil {
				g, failures = next, 0
				break
			}
			failures++
			var r *refusal
			p.mu.Lock()
			if errors.As(err, &r) || (p.cfg.MaxRestarts > 0 && failures >= p.cfg.MaxRestarts) {
				p.setState(StateFailed, err)
				p.mu.Unlock()
				return
			}
			p.setState(StateRestarting, err)
			p.mu.Unlock()
		}
	}
}

// restart starts a new process and, if the driver had been initialized,
// initializes it; on success the new generation takes calls.
func (p *process[C]) restart() (*generation[C], error) {
	p.mu.Lock()
	p.health.Restarts++
	initialized := p.initialized
	prev := p.last
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.StartTimeout+p.cfg.CallTimeout)
	defer cancel()
	g, err := p.start(ctx, &prev)
	if err != nil {
		return nil, err
	}
	if initialized {
		if err := p.spec.initialize(ctx, g.conn, g.apiVersion); err != nil {
			g.kill()
			return nil, fmt.Errorf("initialize %s driver %s after restart: %w", p.spec.kind, p.cfg.Name, p.callError(ctx, err))
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		g.kill()
		return nil, errors.New("closed")
	}
	p.gen, p.last = g, g.conn
	p.health.PID, p.health.APIVersion, p.health.CallChannel = g.pid, g.apiVersion, g.calls != nil
	p.setState(StateRunning, nil)
	return g, nil
}

// current returns the running generation, or the kind's Unavailable error.
func (p *process[C]) current() (*generation[C], error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen == nil {
		cause := p.health.LastError
		return nil, &core.Error{Kind: core.KindUnavailable, Type: p.spec.unavailable, Err: cause,
			Message: fmt.Sprintf("%s %s is unavailable (%s): %v.", p.spec.title, p.cfg.Name, p.health.State, cause)}
	}
	return p.gen, nil
}

// initialize initializes the driver process, and remembers to initialize
// every process the supervisor starts later.
func (p *process[C]) initialize(ctx context.Context) error {
	var v uint32
	if g, err := p.current(); err == nil {
		v = g.apiVersion
	}
	err := p.invoke(ctx, "Initialize", func(ctx context.Context, c C) error {
		return p.spec.initialize(ctx, c, v)
	})
	if err == nil {
		p.mu.Lock()
		p.initialized = true
		p.mu.Unlock()
	}
	return err
}

// invoke runs one RPC on the running generation with the caller's deadline
// or the default one, and translates its error.
func (p *process[C]) invoke(ctx context.Context, method string, rpc func(context.Context, C) error) error {
	g, err := p.current()
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.CallTimeout)
		defer cancel()
	}
	if err := rpc(ctx, g.conn); err != nil {
		err = p.callError(ctx, err)
		if t := core.TypeOf(err); t == p.spec.unavailable || t == p.spec.timeout {
			p.log.Error(string(p.spec.kind)+" driver call failed", "method", method, "error", err)
		}
		return err
	}
	return nil
}

// callError translates an RPC error: the driver's own error as it returned
// it, otherwise a timeout or unavailable *core.Error.
func (p *process[C]) callError(ctx context.Context, err error) error {
	if derr, ok := wire.FromStatus(err); ok {
		return derr
	}
	code := status.Code(err)
	if code == codes.DeadlineExceeded || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &core.Error{Kind: core.KindUnavailable, Type: p.spec.timeout, Err: err,
			Message: fmt.Sprintf("%s %s did not answer in time.", p.spec.title, p.cfg.Name)}
	}
	return &core.Error{Kind: core.KindUnavailable, Type: p.spec.unavailable, Err: err,
		Message: fmt.Sprintf("%s %s is unavailable: %s.", p.spec.title, p.cfg.Name, status.Convert(err).Message())}
}

// hostPlugin is the go-plugin plugin of the host side of one driver
// process, whatever its kind: it serves the kind's callback service on
// go-plugin's broker and, when calls is set, on the host's end of the
// process's call channel.
type hostPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	register func(grpc.ServiceRegistrar)
	calls    *channel.Server // nil without the call channel
}

// GRPCServer is not supported on the host side.
func (p *hostPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("host: the host side serves no driver")
}

// GRPCClient registers the callback service on the call channel and on a
// gRPC server it serves on the broker, and returns the connection. ctx is
// canceled when the process exits.
//
// The gRPC server is made here rather than when the broker asks for it,
// so that the service is registered on both at once, before the driver is
// described. The broker's server options carry only TLS credentials,
// which the host does not configure: the process is a child on a local
// socket.
func (p *hostPlugin) GRPCClient(ctx context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	srv := grpc.NewServer()
	p.register(channel.Registrar(srv, p.calls))
	id := broker.NextId()
	go broker.AcceptAndServe(id, func([]grpc.ServerOption) *grpc.Server { return srv })
	return &dispensed{conn: conn, done: ctx, brokerID: id}, nil
}

// dispensed is what hostPlugin dispenses: go-plugin's connection, which
// knows when its process exits, and the broker id of the callback service.
type dispensed struct {
	// conn is go-plugin's gRPC connection to the process.
	conn *grpc.ClientConn
	// done is canceled when the process exits.
	done context.Context
	// brokerID names the callback service on the broker.
	brokerID uint32
}
