// Package sdk is what a vendor imports to ship ml2go drivers as their own
// binary. Each driver is a plain core value, exactly as it would be
// in-process — a core.MechanismDriver, a core.TypeDriver or a
// core.ExtensionDriver — and Serve serves it to the ml2go host over
// hashicorp/go-plugin (gRPC), and on the protocol's call channel when the
// host offers one (the hook calls then skip gRPC's machinery; see the
// plugins README). Generated protocol code stays out of sight.
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
// core.Tx reads in the host's transaction; only its reading methods
// (GetNetwork, GetSubnet, GetPort, GetSegment, NetworkSegments,
// ListNetworks, ListSubnets, ListPorts) are available, the others fail with
// an error. All of them are valid only until the hook returns. SetBinding
// and ContinueBinding cannot return an error: if the host cannot be
// reached, the hook returns that error instead.
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
		plugins[base.MechanismDriverPluginName] = &mechPlugin{name: name, driver: cfg.mech, log: cfg.log, calls: calls}
	}
	if cfg.typ != nil {
		plugins[base.TypeDriverPluginName] = &typePlugin{name: name, driver: cfg.typ, calls: calls}
	}
	if cfg.ext != nil {
		plugins[base.ExtensionDriverPluginName] = &extPlugin{name: name, driver: cfg.ext, calls: calls}
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
// (see plugins/internal/channel). Without it, everything goes over gRPC.
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

// noClient is the client half of the driver side's go-plugin plugins,
// which is never used.
type noClient struct{ plugin.NetRPCUnsupportedPlugin }

// GRPCClient is not supported on the driver side.
func (noClient) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("sdk: the driver side has no client")
}

// hostConn is the connection to a service the host serves on go-plugin's
// broker for one driver kind, dialled when the host describes it.
type hostConn[C any] struct {
	broker    *plugin.GRPCBroker
	newClient func(grpc.ClientConnInterface) C

	mu   sync.Mutex
	id   uint32
	conn *grpc.ClientConn
	cl   C
	ok   bool // cl is set
}

func newHostConn[C any](broker *plugin.GRPCBroker, newClient func(grpc.ClientConnInterface) C) *hostConn[C] {
	return &hostConn[C]{broker: broker, newClient: newClient}
}

// setID records the broker id the host announced; a new id drops the
// connection to the old one.
func (c *hostConn[C]) setID(id uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.id != id && c.conn != nil {
		_ = c.conn.Close()
		var zero C
		c.conn, c.cl, c.ok = nil, zero, false
	}
	c.id = id
}

// connect records the host's broker id and dials it at once: go-plugin's
// broker waits only a few seconds for the dial that matches the host's
// accept.
func (c *hostConn[C]) connect(id uint32) error {
	c.setID(id)
	if id == 0 {
		return nil
	}
	_, err := c.client()
	return err
}

// client returns the client of the host's service, dialling it if need
// be.
func (c *hostConn[C]) client() (C, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok {
		return c.cl, nil
	}
	var zero C
	if c.id == 0 || c.broker == nil {
		return zero, errors.New("host callbacks unavailable: the host did not announce them")
	}
	conn, err := c.broker.Dial(c.id)
	if err != nil {
		return zero, fmt.Errorf("dial host callbacks: %w", err)
	}
	c.conn, c.cl, c.ok = conn, c.newClient(conn), true
	return c.cl, nil
}
