// Package host runs mechanism drivers that live in their own process (built
// with plugins/sdk, or from the published .proto in any language) and makes
// each one a plain core.MechanismDriver that registers in core.Registry like
// a built-in driver:
//
//	d, err := host.Load(ctx, host.Config{Name: "acme", Command: "/usr/lib/ml2go/acme-driver"})
//	if err != nil { ... }
//	defer d.Close()
//	reg.RegisterMechanismDriver("acme", d)
//
// Failure semantics. Every call carries the caller's deadline, or
// Config.CallTimeout when the caller has none. A driver error comes back as
// the driver returned it: a *core.Error keeps its Kind, Type and Message (a
// vendor's InvalidInput is a 400), an error wrapping core.ErrRetry still
// does. A call that runs out of time fails with a *core.Error of type
// MechanismDriverTimeout; a call the driver cannot answer because it
// crashed, panicked, was killed or is restarting fails with one of type
// MechanismDriverUnavailable. Both are of core.KindUnavailable. Nothing the
// driver does can panic or hang the host.
//
// Supervision. When the driver process exits, the Driver restarts it with
// exponential backoff, negotiates the API version again and, if Initialize
// had been called, calls it again. Calls made meanwhile fail fast. Health
// reports the state (running, restarting, failed), the last error and the
// restart count; every change is logged.
package host

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/internal/transport"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	pb "github.com/ml2go/ml2go/plugins/proto/mechdriver/v1"
)

// Neutron-style exception names of the errors the host itself returns.
const (
	// TypeUnavailable is the type of the error of a call the driver could
	// not answer: it crashed, was killed, is restarting or failed.
	TypeUnavailable = "MechanismDriverUnavailable"
	// TypeTimeout is the type of the error of a call that ran out of time.
	TypeTimeout = "MechanismDriverTimeout"
)

// Defaults of Config.
const (
	DefaultCallTimeout       = 10 * time.Second
	DefaultStartTimeout      = 10 * time.Second
	DefaultRestartBackoff    = 250 * time.Millisecond
	DefaultMaxRestartBackoff = 30 * time.Second
	DefaultBackoffResetAfter = time.Minute
)

// Config says how to run one out-of-process mechanism driver.
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
	// new one. Calls fail with MechanismDriverUnavailable.
	StateRestarting
	// StateFailed: the driver was given up on (MaxRestarts reached, an
	// API version mismatch, or Close). Calls fail with
	// MechanismDriverUnavailable.
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
	// APIVersion is the negotiated mechanism-driver API version.
	APIVersion uint32
	// Since is when State was entered.
	Since time.Time
}

// Driver is an out-of-process mechanism driver seen as a
// core.MechanismDriver. It is safe for concurrent use.
type Driver struct {
	cfg  Config
	log  hclog.Logger
	cbs  *callbackServer
	next atomic.Uint64 // port-hook call ids

	mu           sync.Mutex
	gen          *generation // nil unless running
	health       Health
	initialized  bool
	connectivity core.Connectivity
	closed       bool
	stop         chan struct{}
	wg           sync.WaitGroup
}

// Interface guards.
var (
	_ core.MechanismDriver         = (*Driver)(nil)
	_ core.ConnectivityProvider    = (*Driver)(nil)
	_ core.VLANTransparencyChecker = (*Driver)(nil)
)

// generation is one run of the driver process.
type generation struct {
	client       *plugin.Client
	rpc          pb.MechanismDriverClient
	done         context.Context // canceled when the process exits
	pid          int
	apiVersion   uint32
	connectivity core.Connectivity
	started      time.Time
}

// Load starts the driver process, checks the handshake and negotiates the
// API version, and supervises the process until Close. It does not call
// Initialize: the orchestrator does, as for any driver. An error means the
// driver could not be started; nothing is left running.
func Load(ctx context.Context, cfg Config) (*Driver, error) {
	cfg.setDefaults()
	if cfg.Command == "" {
		return nil, errors.New("host: Config.Command is empty")
	}
	d := &Driver{cfg: cfg, log: cfg.Logger.Named(cfg.Name), cbs: newCallbackServer(), stop: make(chan struct{})}
	g, err := d.start(ctx)
	if err != nil {
		return nil, err
	}
	d.health = Health{State: StateRunning, PID: g.pid, APIVersion: g.apiVersion, Since: time.Now()}
	d.gen, d.connectivity = g, g.connectivity
	d.log.Info("mechanism driver started", "pid", g.pid, "api_version", g.apiVersion)
	d.wg.Add(1)
	go d.supervise(g)
	return d, nil
}

// Name returns the driver's configured name.
func (d *Driver) Name() string { return d.cfg.Name }

// Health returns the driver's supervision status.
func (d *Driver) Health() Health {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.health
}

// Close stops supervising the driver and kills its process. Calls made
// afterwards fail with MechanismDriverUnavailable.
func (d *Driver) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	close(d.stop)
	g := d.gen
	d.gen = nil
	d.setState(StateFailed, errors.New("closed"))
	d.mu.Unlock()
	if g != nil {
		g.client.Kill()
	}
	d.wg.Wait()
	return nil
}

// start runs a new process and negotiates with it.
func (d *Driver) start(ctx context.Context) (*generation, error) {
	cmd := exec.Command(d.cfg.Command, d.cfg.Args...)
	cmd.Env = cmd.Environ()
	if v := transport.LogLevelEnvVar(d.log); v != "" {
		cmd.Env = append(cmd.Env, v)
	}
	cmd.Env = append(cmd.Env, d.cfg.Env...)
	hp := &hostPlugin{cbs: d.cbs}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  base.HandshakeConfig,
		Plugins:          plugin.PluginSet{base.MechanismDriverPluginName: hp},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           d.log,
		StartTimeout:     d.cfg.StartTimeout,
		GRPCDialOptions:  transport.DialOptions(),
	})
	g, err := d.connect(ctx, client)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("start mechanism driver %s: %w", d.cfg.Name, err)
	}
	return g, nil
}

func (d *Driver) connect(ctx context.Context, client *plugin.Client) (*generation, error) {
	cp, err := client.Client()
	if err != nil {
		return nil, err
	}
	raw, err := cp.Dispense(base.MechanismDriverPluginName)
	if err != nil {
		return nil, err
	}
	conn := raw.(*connection)
	ctx, cancel := context.WithTimeout(ctx, d.cfg.StartTimeout)
	defer cancel()
	desc, err := conn.rpc.Describe(ctx, &pb.DescribeRequest{
		HostApiVersions:  base.SupportedMechanismDriverAPIVersions,
		CallbackBrokerId: conn.callbackID,
	})
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	v, err := base.NegotiateAPIVersion(d.cfg.Name, base.SupportedMechanismDriverAPIVersions, desc.ApiVersions)
	if err != nil {
		return nil, err
	}
	g := &generation{
		client: client, rpc: conn.rpc, done: conn.done, apiVersion: v,
		connectivity: core.Connectivity(desc.Connectivity), started: time.Now(),
	}
	if g.connectivity == "" {
		g.connectivity = core.ConnectivityLegacy
	}
	if rc := client.ReattachConfig(); rc != nil {
		g.pid = rc.Pid
	}
	return g, nil
}

// setState records a state change and logs it; d.mu is held.
func (d *Driver) setState(s State, cause error) {
	if cause != nil {
		d.health.LastError = cause
	}
	if d.health.State == s {
		return
	}
	d.health.State, d.health.Since = s, time.Now()
	args := []any{"state", s.String(), "restarts", d.health.Restarts}
	if cause != nil {
		args = append(args, "error", cause)
	}
	if s == StateRunning || d.closed {
		d.log.Info("mechanism driver health changed", args...)
	} else {
		d.log.Error("mechanism driver health changed", args...)
	}
}

// supervise waits for g's process to exit, then restarts the driver with
// backoff until one run starts or it gives up.
func (d *Driver) supervise(g *generation) {
	defer d.wg.Done()
	backoff := d.cfg.RestartBackoff
	failures := 0
	for {
		select {
		case <-d.stop:
			return
		case <-g.done.Done():
		}
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return
		}
		d.gen = nil
		d.health.PID = 0
		d.setState(StateRestarting, fmt.Errorf("driver process %d exited", g.pid))
		d.mu.Unlock()
		g.client.Kill() // reap and release its resources
		if time.Since(g.started) >= d.cfg.BackoffResetAfter {
			backoff = d.cfg.RestartBackoff
		}
		for {
			select {
			case <-d.stop:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, d.cfg.MaxRestartBackoff)
			next, err := d.restart()
			if err == nil {
				g, failures = next, 0
				break
			}
			failures++
			var ve *base.APIVersionError
			d.mu.Lock()
			if errors.As(err, &ve) || (d.cfg.MaxRestarts > 0 && failures >= d.cfg.MaxRestarts) {
				d.setState(StateFailed, err)
				d.mu.Unlock()
				return
			}
			d.setState(StateRestarting, err)
			d.mu.Unlock()
		}
	}
}

// restart starts a new process and, if the driver had been initialized,
// initializes it; on success the new generation takes calls.
func (d *Driver) restart() (*generation, error) {
	d.mu.Lock()
	d.health.Restarts++
	initialized := d.initialized
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.StartTimeout+d.cfg.CallTimeout)
	defer cancel()
	g, err := d.start(ctx)
	if err != nil {
		return nil, err
	}
	if initialized {
		if _, err := g.rpc.Initialize(ctx, &pb.InitializeRequest{ApiVersion: g.apiVersion}); err != nil {
			g.client.Kill()
			return nil, fmt.Errorf("initialize mechanism driver %s after restart: %w", d.cfg.Name, d.callError(ctx, err))
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		g.client.Kill()
		return nil, errors.New("closed")
	}
	d.gen, d.connectivity = g, g.connectivity
	d.health.PID, d.health.APIVersion = g.pid, g.apiVersion
	d.setState(StateRunning, nil)
	return g, nil
}

// current returns the running generation, or a MechanismDriverUnavailable
// error.
func (d *Driver) current() (*generation, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gen == nil {
		cause := d.health.LastError
		return nil, &core.Error{Kind: core.KindUnavailable, Type: TypeUnavailable, Err: cause,
			Message: fmt.Sprintf("Mechanism driver %s is unavailable (%s): %v.", d.cfg.Name, d.health.State, cause)}
	}
	return d.gen, nil
}

// invoke runs one RPC on the running generation with the caller's deadline
// or the default one, and translates its error.
func (d *Driver) invoke(ctx context.Context, method string, rpc func(context.Context, pb.MechanismDriverClient) error) error {
	g, err := d.current()
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.cfg.CallTimeout)
		defer cancel()
	}
	if err := rpc(ctx, g.rpc); err != nil {
		err = d.callError(ctx, err)
		if core.TypeOf(err) == TypeUnavailable || core.TypeOf(err) == TypeTimeout {
			d.log.Error("mechanism driver call failed", "method", method, "error", err)
		}
		return err
	}
	return nil
}

// callError translates an RPC error: the driver's own error as it returned
// it, otherwise a timeout or unavailable *core.Error.
func (d *Driver) callError(ctx context.Context, err error) error {
	if derr, ok := wire.FromStatus(err); ok {
		return derr
	}
	code := status.Code(err)
	if code == codes.DeadlineExceeded || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &core.Error{Kind: core.KindUnavailable, Type: TypeTimeout, Err: err,
			Message: fmt.Sprintf("Mechanism driver %s did not answer in time.", d.cfg.Name)}
	}
	return &core.Error{Kind: core.KindUnavailable, Type: TypeUnavailable, Err: err,
		Message: fmt.Sprintf("Mechanism driver %s is unavailable: %s.", d.cfg.Name, status.Convert(err).Message())}
}

// hostPlugin is the go-plugin plugin of the host side.
type hostPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	cbs *callbackServer
}

// connection is what hostPlugin dispenses: the driver's client, and the
// broker id of the callback service served for it.
type connection struct {
	rpc        pb.MechanismDriverClient
	callbackID uint32
	done       context.Context
}

// GRPCServer is not supported on the host side.
func (p *hostPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("host: the host side serves no driver")
}

// GRPCClient starts the callback service on the broker and returns the
// connection. ctx is canceled when the process exits.
func (p *hostPlugin) GRPCClient(ctx context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	id := broker.NextId()
	go broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(opts...)
		pb.RegisterHostCallbacksServer(s, p.cbs)
		return s
	})
	return &connection{rpc: pb.NewMechanismDriverClient(conn), callbackID: id, done: ctx}, nil
}
