// Package sdk is what a vendor imports to ship ml2go drivers as their own
// binary. Each driver is a plain core value, exactly as it would be
// in-process — a core.MechanismDriver, a core.TypeDriver or a
// core.ExtensionDriver — and Serve serves it to the ml2go host over
// hashicorp/go-plugin (gRPC), and on the protocol's call channel when the
// host offers one (the hook calls, and the driver's callbacks into the
// host, then skip gRPC's machinery; see the plugins README). Generated
// protocol code stays out of sight.
//
//	func main() {
//		log := sdk.Logger("acme")
//		sdk.ServeMechanismDriver("acme", acme.New(log), sdk.WithLogger(log))
//	}
//
// One binary may serve several kinds of driver at once:
//
//	sdk.Serve("acme", sdk.WithMechanismDriver(mech), sdk.WithExtensionDriver(ext), sdk.WithLogger(log))
//
// The host starts one process of the binary for each kind it loads from
// it, and uses only that kind in that process.
//
// The binary is started by the host (plugins/host), never by hand. What the
// driver writes through the logger from Logger reaches the host's log under
// the driver's name.
//
// Callbacks into the host. Inside a port hook of a mechanism driver, the
// context's binding methods (SetBinding, ContinueBinding,
// AllocateDynamicSegment, ReleaseDynamicSegment, HostAgents) call back into
// the host. Inside ReserveProviderSegment, AllocateTenantSegment and
// ReleaseSegment of a type driver, the core.SegmentAllocator acts in the
// host's transaction. Inside the Process* hooks of an extension driver, the
// core.ExtensionTx reads in the host's transaction (GetNetwork, GetSubnet,
// GetPort, GetSegment, NetworkSegments, ListNetworks, ListSubnets,
// ListPorts: all it has). All of them are valid only until the hook returns. SetBinding
// and ContinueBinding cannot return an error: if the host cannot be
// reached, the hook returns that error instead. The callbacks go on the
// call channel when the host names its end of it in the environment
// (ML2GO_PLUGIN_HOST_SOCKET) and it answers, and over go-plugin's broker
// otherwise; the connection is made when the host describes the driver.
//
// A panic in the driver is not recovered: the process exits, the calls in
// flight fail on the host with a typed error, and the host restarts the
// driver and initializes it again. Keep driver state that must survive a
// restart in your backend (a type driver's allocations are in the host's
// store already).
package sdk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/internal/channel"
	"github.com/ml2go/ml2go/plugins/internal/transport"
)

// Logger returns the logger a driver binary should use: JSON lines on
// standard error, which the host parses and re-logs under the driver's
// name. It logs at the level of the host's logger as the host announced it
// when it started the process (what the host would discard is not written
// at all), or at every level when the host announced none.
func Logger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      transport.LogLevel(),
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// Option configures Serve.
type Option func(*serveConfig)

type serveConfig struct {
	log  hclog.Logger
	mech core.MechanismDriver
	typ  core.TypeDriver
	ext  core.ExtensionDriver
}

// WithLogger sets the logger the plugin machinery logs to; it should be one
// from Logger. The default is Logger(name).
func WithLogger(l hclog.Logger) Option { return func(c *serveConfig) { c.log = l } }

// WithMechanismDriver serves d as the binary's mechanism driver.
func WithMechanismDriver(d core.MechanismDriver) Option {
	return func(c *serveConfig) { c.mech = d }
}

// WithTypeDriver serves d as the binary's type driver. The host registers
// it under d.Type(), which must not change from one run to the next.
func WithTypeDriver(d core.TypeDriver) Option { return func(c *serveConfig) { c.typ = d } }

// WithExtensionDriver serves d as the binary's extension driver. If d
// implements core.ExtensionAttributer, the host learns its attributes when
// the process starts.
func WithExtensionDriver(d core.ExtensionDriver) Option {
	return func(c *serveConfig) { c.ext = d }
}

// ServeMechanismDriver serves the mechanism driver d under name: it is
// Serve(name, WithMechanismDriver(d), opts...).
func ServeMechanismDriver(name string, d core.MechanismDriver, opts ...Option) {
	Serve(name, append([]Option{WithMechanismDriver(d)}, opts...)...)
}

// ServeTypeDriver serves the type driver d under name: it is Serve(name,
// WithTypeDriver(d), opts...).
func ServeTypeDriver(name string, d core.TypeDriver, opts ...Option) {
	Serve(name, append([]Option{WithTypeDriver(d)}, opts...)...)
}

// ServeExtensionDriver serves the extension driver d under name: it is
// Serve(name, WithExtensionDriver(d), opts...).
func ServeExtensionDriver(name string, d core.ExtensionDriver, opts ...Option) {
	Serve(name, append([]Option{WithExtensionDriver(d)}, opts...)...)
}

// Serve serves the drivers the options give, under name, to the ml2go
// host that started this process, and returns when the host is done with
// it. It must be called from main. Without any driver it logs an error and
// exits with status 1.
//
// Unless the GOMAXPROCS environment variable is set (host.Config.Env can
// set it), it runs the process with GOMAXPROCS=1: a driver call is a short
// burst of work between two waits on the host, and with more than one P
// every hand-off between gRPC's goroutines also wakes an idle OS thread,
// which on a small machine takes CPU time from the host and adds tens of
// microseconds to every call. Drivers that do heavy parallel computation
// should set GOMAXPROCS.
func Serve(name string, opts ...Option) {
	cfg := serveConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		cfg.log = Logger(name)
	}
	if cfg.mech == nil && cfg.typ == nil && cfg.ext == nil {
		cfg.log.Error("sdk.Serve: no driver to serve")
		os.Exit(1)
	}
	calls := listenCalls(cfg.log)
	plugins := plugin.PluginSet{}
	if cfg.mech != nil {
		plugins[base.MechanismDriverPluginName] = &driverPlugin{calls: calls, register: registerMech(name, cfg.mech, cfg.log)}
	}
	if cfg.typ != nil {
		plugins[base.TypeDriverPluginName] = &driverPlugin{calls: calls, register: registerType(name, cfg.typ, cfg.log)}
	}
	if cfg.ext != nil {
		plugins[base.ExtensionDriverPluginName] = &driverPlugin{calls: calls, register: registerExt(name, cfg.ext, cfg.log)}
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	if calls != nil {
		go func() {
			if err := calls.Serve(); err != nil {
				cfg.log.Error("call channel stopped", "error", err)
			}
		}()
		defer calls.Close()
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: base.HandshakeConfig,
		Plugins:         plugins,
		GRPCServer:      newGRPCServer,
		Logger:          cfg.log,
	})
}

// listenCalls listens on the call channel's socket when the host named
// one; the host then sends the driver's calls there rather than over gRPC
// (see plugins/internal/channel). Without it, the host's calls go over
// gRPC; the driver's callbacks take the channel on their own (hostConn).
func listenCalls(log hclog.Logger) *channel.Server {
	path := os.Getenv(channel.EnvSocket)
	if path == "" {
		return nil
	}
	s, err := channel.Listen(path)
	if err != nil {
		log.Warn("call channel unavailable; serving calls over gRPC only", "error", err)
		return nil
	}
	return s
}

// newGRPCServer is the driver's gRPC server, with the protocol's transport
// settings.
func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts, transport.ServerOptions()...)...)
}

// registerFunc registers one kind's driver service on r; broker reaches
// the host's callback service for that kind.
type registerFunc func(r grpc.ServiceRegistrar, broker *plugin.GRPCBroker)

// driverPlugin is the go-plugin plugin of one kind of driver, whatever the
// kind: it registers the kind's service on go-plugin's gRPC server and,
// when calls is set, on the call channel.
type driverPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	calls    *channel.Server // nil without the call channel
	register registerFunc
}

// GRPCServer registers the driver's service.
func (p *driverPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	p.register(channel.Registrar(s, p.calls), broker)
	return nil
}

// GRPCClient is not supported on the driver side.
func (*driverPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("sdk: the driver side has no client")
}

// hostConn is the connection to the callback service the host serves for
// one driver kind: on the host's end of the call channel when the host
// named one (channel.EnvHostSocket) and it answers, over go-plugin's broker
// otherwise. It is made when the host describes the driver.
type hostConn[C any] struct {
	broker    *plugin.GRPCBroker
	newClient func(grpc.ClientConnInterface) C
	log       hclog.Logger

	mu   sync.Mutex
	path string // the host's channel socket; "" for none, or once it failed
	id   uint32 // the broker id the host announced
	conn *grpc.ClientConn
	ch   *channel.Client
	cl   C
	ok   bool // cl is set, on ch or conn
}

// newHostConn returns the connection to the host's service for a kind,
// over the broker or on the channel socket at path ("" for none).
func newHostConn[C any](broker *plugin.GRPCBroker, path string, log hclog.Logger, newClient func(grpc.ClientConnInterface) C) *hostConn[C] {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &hostConn[C]{broker: broker, path: path, log: log, newClient: newClient}
}

// hostSocket is the host's end of the call channel, if the host named one.
func hostSocket() string { return os.Getenv(channel.EnvHostSocket) }

// setID records the broker id the host announced; c.mu is held. A new id
// drops a connection to the old one over the broker. The channel does not
// depend on it: its socket is the host's for the life of the process.
func (c *hostConn[C]) setID(id uint32) {
	if c.id != id && c.conn != nil {
		_ = c.conn.Close()
		var zero C
		c.conn, c.cl, c.ok = nil, zero, false
	}
	c.id = id
}

// connect records the host's broker id and connects at once: on the
// channel if the host offers it, else over the broker, since go-plugin's
// broker waits only a few seconds for the dial that matches the host's
// accept. A host that announced no broker id and offers no channel is not
// an error here; its callbacks fail when they are made.
func (c *hostConn[C]) connect(id uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setID(id)
	if c.ok || c.dialChannel() || id == 0 {
		return nil
	}
	return c.dialBroker()
}

// client returns the client of the host's service, connecting if need be.
func (c *hostConn[C]) client() (C, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok && !c.dialChannel() {
		if err := c.dialBroker(); err != nil {
			var zero C
			return zero, err
		}
	}
	return c.cl, nil
}

// dialChannel connects to the host's end of the call channel, if it names
// one; c.mu is held. A failure is logged once and leaves the broker.
func (c *hostConn[C]) dialChannel() bool {
	if c.path == "" {
		return false
	}
	ch, err := channel.Dial(c.path)
	if err != nil {
		c.log.Warn("host's call channel unusable; calling back over the broker", "error", err)
		c.path = ""
		return false
	}
	c.ch, c.cl, c.ok = ch, c.newClient(ch), true
	return true
}

// dialBroker dials the service the host announced on the broker; c.mu is
// held.
func (c *hostConn[C]) dialBroker() error {
	if c.id == 0 || c.broker == nil {
		return errors.New("host callbacks unavailable: the host did not announce them")
	}
	conn, err := c.broker.Dial(c.id)
	if err != nil {
		return fmt.Errorf("dial host callbacks: %w", err)
	}
	c.conn, c.cl, c.ok = conn, c.newClient(conn), true
	return nil
}
