// Package server assembles the reference ml2go server from its
// configuration: the store, the driver registry (built-in drivers and
// out-of-process mechanism, type and extension drivers, which it starts
// and supervises), the service plugins, the ML2 plugin, quotas,
// authentication and the API handler. ml2go-server is
// a thin command around it; tests and benchmarks run it in-process.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/quota"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/extensions/portsecurity"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/mechdrivers/l2population"
	"github.com/ml2go/ml2go/mechdrivers/linuxbridge"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/mechdrivers/openvswitch"
	"github.com/ml2go/ml2go/plugins/host"
	"github.com/ml2go/ml2go/reference/agentserver"
	"github.com/ml2go/ml2go/reference/api"
	"github.com/ml2go/ml2go/reference/auth"
	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/typedrivers/tunnel"
)

// ShutdownTimeout bounds how long Serve waits for requests in flight when
// its context ends.
const ShutdownTimeout = 30 * time.Second

// readHeaderTimeout bounds reading a request's headers, when
// read_timeout is not shorter.
const readHeaderTimeout = 30 * time.Second

// MechanismDrivers are the built-in mechanism drivers, by the name
// [ml2] mechanism_drivers gives them.
var MechanismDrivers = map[string]func(log hclog.Logger, cfg *config.Config) core.MechanismDriver{
	"logger": func(log hclog.Logger, _ *config.Config) core.MechanismDriver { return logger.New(log) },
	"fakeagent": func(log hclog.Logger, cfg *config.Config) core.MechanismDriver {
		return fakeagent.New(fakeagent.Config{AgentDownTime: cfg.AgentDownTime, Logger: log})
	},
	linuxbridge.Name: func(log hclog.Logger, cfg *config.Config) core.MechanismDriver {
		return linuxbridge.New(linuxbridge.Config{AgentDownTime: cfg.AgentDownTime, Logger: log})
	},
	openvswitch.Name: func(log hclog.Logger, cfg *config.Config) core.MechanismDriver {
		return openvswitch.New(openvswitch.Config{AgentDownTime: cfg.AgentDownTime, Logger: log})
	},
	l2population.Name: func(log hclog.Logger, _ *config.Config) core.MechanismDriver {
		return l2population.New(l2population.Config{Logger: log})
	},
}

// ExtensionDrivers are the built-in extension drivers, by the name
// [ml2] extension_drivers gives them.
var ExtensionDrivers = map[string]func(log hclog.Logger) core.ExtensionDriver{
	portsecurity.Name: func(log hclog.Logger) core.ExtensionDriver { return portsecurity.New(log) },
}

// Options are what the configuration files do not say.
type Options struct {
	// DataDir holds the SQLite database when [database] connection is
	// not set. "" means the working directory.
	DataDir string
	// Logger receives the server's logs. Nil discards.
	Logger hclog.Logger
	// Registry, when set, has more drivers and service plugins to choose
	// from (a vendor's, or test doubles); the built-in ones are added to
	// it. Its mechanism drivers are reported as kind "builtin" (in
	// process), except a *host.Driver, reported with its own health.
	Registry *core.Registry
}

// Server is an assembled server.
type Server struct {
	cfg     *config.Config
	log     hclog.Logger
	store   *sqlstore.Store
	plugin  *ml2.Plugin
	handler http.Handler
	dsn     string
	drivers *drivers
	agents  *agentserver.Service
}

// drivers are the configured drivers, for their health and to close the
// out-of-process ones.
type drivers struct {
	// status reports each mechanism driver's health, in configured order.
	status []func() api.DriverStatus
	// plugins report the health of the out-of-process type and extension
	// drivers, in configured order, type drivers first.
	plugins []func() api.DriverStatus
	// closers are the out-of-process drivers the server started.
	closers []interface{ Close() error }
}

// health reports every mechanism driver's health, in configured order,
// then that of the out-of-process type and extension drivers.
func (d *drivers) health() []api.DriverStatus {
	out := make([]api.DriverStatus, 0, len(d.status)+len(d.plugins))
	for _, f := range d.status {
		out = append(out, f())
	}
	for _, f := range d.plugins {
		out = append(out, f())
	}
	return out
}

// close stops the out-of-process drivers.
func (d *drivers) close() error {
	var errs []error
	for _, p := range d.closers {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}

// New opens the store and builds the plugin and the API.
//
// Mechanism drivers named in [ml2] mechanism_drivers that are neither
// built in nor in Options.Registry run out of process, as
// config.Config.MechanismDriverPlugin finds them; New starts them. One
// that fails to start does not stop New: it is logged and reported failed
// by GET /v2.0/ml2go-drivers, ports only it could bind end
// binding_failed, and the server keeps trying to start it. A name that is
// no driver at all is an error.
//
// The same holds for the type drivers of [ml2] type_drivers (a name is a
// network type; one with a [ml2go_plugin:NAME] section runs out of
// process even if ml2go has a built-in driver of that type) and the
// extension drivers of [ml2] extension_drivers, as
// config.Config.TypeDriverPlugin and ExtensionDriverPlugin find them. They
// are reported after the mechanism drivers, as type_driver:NAME and
// extension_driver:NAME. While an out-of-process type driver is not
// running, networks of its type can neither be created nor deleted; while
// an extension driver is not running, creates and updates fail and reads
// show what is stored.
//
// The service plugins of [DEFAULT] service_plugins are those of
// Options.Registry or built in (ServicePlugins); "segments" is accepted
// and does nothing, core serving segments anyway. Their tables are
// migrated when the store opens, their collections and extensions
// served, and those that add attributes to core resources run as
// extension drivers named after them (see api.ExtensionProvider). A name
// that is no service stops New (config.ErrUnknownServicePlugin).
func New(ctx context.Context, cfg *config.Config, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	for _, ig := range cfg.Ignored {
		log.Info("ignoring option ml2go does not use", "option", ig.String())
	}
	if len(cfg.ML2Options.MechanismDrivers) == 0 {
		log.Warn("no mechanism driver configured: ports given a binding:host_id will end binding_failed",
			"option", "[ml2] mechanism_drivers", "built_in", names(MechanismDrivers))
	}
	reg := opts.Registry
	if reg == nil {
		reg = core.NewRegistry()
	}
	drivers, err := register(ctx, reg, cfg, log)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, drivers: drivers}
	if err := s.build(ctx, reg, opts); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// build opens the store and builds the plugin and the API; what it opened
// is left for Close.
func (s *Server) build(ctx context.Context, reg *core.Registry, opts Options) error {
	cfg := s.cfg
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
			return fmt.Errorf("server: data directory: %w", err)
		}
	}
	services, err := servicePlugins(reg, cfg, s.log)
	if err != nil {
		return err
	}
	if s.dsn, err = cfg.DatabaseDSN(opts.DataDir); err != nil {
		return err
	}
	storeOpts := append([]sqlstore.Option{sqlstore.WithLogger(s.log.Named("store"))}, services.storeOptions()...)
	if s.store, err = sqlstore.Open(ctx, s.dsn, storeOpts...); err != nil {
		return err
	}
	quotas := quota.New(s.store, cfg.QuotaDefaults())
	mc := cfg.ML2()
	mc.Logger = s.log.Named("ml2")
	mc.DefaultProjectID = auth.NoauthProjectID
	mc.Quotas = quotas
	services.configure(&mc)
	// The agent channel learns of changes through the registry's events,
	// after the mechanism drivers' postcommits.
	agents := agentserver.New(s.log.Named("agents"))
	agents.Subscribe(reg.Events())
	if s.plugin, err = ml2.New(ctx, mc, reg, s.store); err != nil {
		return err
	}
	if err := agents.Bind(ctx, s.plugin); err != nil {
		return err
	}
	s.agents = agents
	authenticate, err := s.authentication()
	if err != nil {
		return err
	}
	apiHandler, err := api.New(api.Config{
		Plugin:       s.plugin,
		Quotas:       quotas,
		Auth:         authenticate,
		Logger:       s.log.Named("api"),
		DriverHealth: s.drivers.health,
		Services:     services.api(),
	})
	if err != nil {
		return err
	}
	s.handler = withAccessLog(withAgentChannel(apiHandler, agents.Handler(), authenticate), s.log.Named("http"))
	return nil
}

// register adds the type, mechanism and extension drivers the
// configuration names and reg lacks: built-in ones, and out-of-process
// ones, which it starts.
func register(ctx context.Context, reg *core.Registry, cfg *config.Config, log hclog.Logger) (*drivers, error) {
	ds := &drivers{}
	for _, f := range []func(context.Context, *core.Registry, *config.Config, hclog.Logger, *drivers) error{
		registerTypeDrivers, registerMechanismDrivers, registerExtensionDrivers,
	} {
		if err := f(ctx, reg, cfg, log, ds); err != nil {
			_ = ds.close()
			return nil, err
		}
	}
	return ds, nil
}

// registerTypeDrivers registers the drivers of [ml2] type_drivers, built-in
// or out of process.
func registerTypeDrivers(ctx context.Context, reg *core.Registry, cfg *config.Config, log hclog.Logger, ds *drivers) error {
	seen := map[string]bool{}
	for _, name := range cfg.ML2Options.TypeDrivers {
		if seen[name] {
			continue
		}
		seen[name] = true
		if !cfg.HasPluginSection(name) {
			// Their start-up lines say what each has, empty ranges
			// included; Summary says what is set, once.
			if d, ok := cfg.BuiltinTypeDriver(name, infoAsDebug{log.Named("types")}); ok {
				if err := reg.RegisterTypeDriver(d); err != nil {
					return err
				}
				continue
			}
		}
		po, err := cfg.TypeDriverPlugin(name)
		if errors.Is(err, config.ErrUnknownTypeDriver) {
			return fmt.Errorf("%w (built in: %s)", err, strings.Join(config.DefaultTypeDrivers, ", "))
		}
		if err != nil {
			return err
		}
		p := loadTypePlugin(ctx, pluginConfig(name, po, log))
		ds.closers = append(ds.closers, p)
		if err := reg.RegisterTypeDriver(p); err != nil {
			return err
		}
		ds.plugins = append(ds.plugins, p.Status)
	}
	return nil
}

// registerExtensionDrivers registers the drivers of [ml2]
// extension_drivers that reg lacks, built-in or out of process.
func registerExtensionDrivers(ctx context.Context, reg *core.Registry, cfg *config.Config, log hclog.Logger, ds *drivers) error {
	seen := map[string]bool{}
	for _, name := range cfg.ML2Options.ExtensionDrivers {
		if seen[name] {
			continue
		}
		seen[name] = true
		if _, ok := reg.ExtensionDriver(name); ok {
			continue
		}
		if build, ok := ExtensionDrivers[name]; ok {
			if cfg.HasPluginSection(name) {
				return cfg.PluginError(name, fmt.Errorf("%s is a built-in extension driver: give the out-of-process driver another name", name))
			}
			if err := reg.RegisterExtensionDriver(name, build(log.Named(name))); err != nil {
				return err
			}
			continue
		}
		po, err := cfg.ExtensionDriverPlugin(name)
		if errors.Is(err, config.ErrUnknownExtensionDriver) {
			return fmt.Errorf("%w (built in: %s)", err, names(ExtensionDrivers))
		}
		if err != nil {
			return err
		}
		p := loadExtensionPlugin(ctx, pluginConfig(name, po, log))
		ds.closers = append(ds.closers, p)
		if err := reg.RegisterExtensionDriver(name, p); err != nil {
			return err
		}
		ds.plugins = append(ds.plugins, p.Status)
	}
	return nil
}

// registerMechanismDrivers registers the drivers of [ml2]
// mechanism_drivers that reg lacks, built-in or out of process, and
// records each one's health in ds.
func registerMechanismDrivers(ctx context.Context, reg *core.Registry, cfg *config.Config, log hclog.Logger, ds *drivers) error {
	seen := map[string]bool{}
	for _, name := range cfg.ML2Options.MechanismDrivers {
		if seen[name] {
			continue
		}
		seen[name] = true
		_, inRegistry := reg.MechanismDriver(name)
		build, builtin := MechanismDrivers[name]
		if inRegistry || builtin {
			if _, ok := cfg.Plugins[strings.ToLower(name)]; ok {
				where := "a built-in mechanism driver"
				if inRegistry {
					where = "a mechanism driver registered in process"
				}
				return cfg.PluginError(name, fmt.Errorf("%s is %s: give the out-of-process driver another name", name, where))
			}
		}
		switch {
		case inRegistry:
			d, _ := reg.MechanismDriver(name)
			ds.status = append(ds.status, inProcessStatus(name, d))
		case builtin:
			if err := reg.RegisterMechanismDriver(name, build(log.Named(name), cfg)); err != nil {
				return err
			}
			ds.status = append(ds.status, inProcessStatus(name, nil))
		default:
			po, err := cfg.MechanismDriverPlugin(name)
			if errors.Is(err, config.ErrUnknownMechanismDriver) {
				return fmt.Errorf("%w (built in: %s)", err, names(MechanismDrivers))
			}
			if err != nil {
				return err
			}
			p := loadPlugin(ctx, pluginConfig(name, po, log))
			ds.closers = append(ds.closers, p)
			if err := reg.RegisterMechanismDriver(name, p); err != nil {
				return err
			}
			ds.status = append(ds.status, p.Status)
		}
	}
	return nil
}

// inProcessStatus reports the health of the in-process driver d: running,
// unless it is a *host.Driver the embedding program loaded itself.
func inProcessStatus(name string, d core.MechanismDriver) func() api.DriverStatus {
	if hd, ok := d.(*host.Driver); ok {
		return func() api.DriverStatus { return hostStatus(name, hd.Health()) }
	}
	return func() api.DriverStatus {
		return api.DriverStatus{Name: name, Kind: api.DriverKindBuiltin, State: api.DriverRunning}
	}
}

// pluginConfig is the host's configuration of the out-of-process driver
// name, with the host's defaults where the files say nothing.
func pluginConfig(name string, po config.PluginOptions, log hclog.Logger) host.Config {
	return host.Config{
		Name:              name,
		Command:           po.Command,
		Args:              po.Args,
		Logger:            log,
		CallTimeout:       cmp.Or(po.CallTimeout, host.DefaultCallTimeout),
		StartTimeout:      host.DefaultStartTimeout,
		RestartBackoff:    host.DefaultRestartBackoff,
		MaxRestartBackoff: host.DefaultMaxRestartBackoff,
		BackoffResetAfter: host.DefaultBackoffResetAfter,
	}
}

func names[V any](m map[string]V) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// authentication returns the middleware of [DEFAULT] auth_strategy.
func (s *Server) authentication() (func(http.Handler) http.Handler, error) {
	if s.cfg.AuthStrategy != config.AuthKeystone {
		return auth.Noauth(auth.NoauthProjectID), nil
	}
	k := s.cfg.KeystoneAuthtoken
	ks, err := auth.NewKeystone(auth.KeystoneConfig{
		AuthURL:            k.AuthURL,
		WWWAuthenticateURI: k.WWWAuthenticateURI,
		Username:           k.Username,
		Password:           k.Password,
		ProjectName:        k.ProjectName,
		UserDomainName:     k.UserDomainName,
		ProjectDomainName:  k.ProjectDomainName,
		CacheTTL:           k.TokenCacheTime,
		Logger:             s.log.Named("keystone"),
	})
	if err != nil {
		return nil, fmt.Errorf("[keystone_authtoken]: %w", err)
	}
	return ks.Middleware, nil
}

// Handler is the API.
func (s *Server) Handler() http.Handler { return s.handler }

// Plugin is the ML2 plugin the API serves.
func (s *Server) Plugin() *ml2.Plugin { return s.plugin }

// Summary describes what the server runs with, for its start-up message.
func (s *Server) Summary() []any {
	dsn := s.dsn
	if i := strings.Index(dsn, "@"); i > 0 && strings.HasPrefix(dsn, "postgres") {
		dsn = dsn[:strings.Index(dsn, "://")+3] + "…" + dsn[i:]
	}
	out := []any{
		"database", dsn,
		"auth_strategy", s.cfg.AuthStrategy,
		"type_drivers", strings.Join(s.cfg.ML2Options.TypeDrivers, ","),
		"tenant_network_types", strings.Join(s.cfg.ML2Options.TenantNetworkTypes, ","),
		"mechanism_drivers", strings.Join(s.cfg.ML2Options.MechanismDrivers, ","),
		"extension_drivers", strings.Join(s.cfg.ML2Options.ExtensionDrivers, ","),
	}
	return append(out, s.segmentPools()...)
}

// segmentPools are the segment ranges of the built-in type drivers
// loaded, as key-value pairs: only those that are set.
func (s *Server) segmentPools() []any {
	var out []any
	for _, t := range s.cfg.ML2Options.TypeDrivers {
		if s.cfg.HasPluginSection(t) {
			continue
		}
		switch t {
		case core.TypeVLAN:
			if len(s.cfg.VLAN.NetworkVLANRanges) > 0 {
				out = append(out, "network_vlan_ranges", s.cfg.VLAN.NetworkVLANRanges.String())
			}
		case core.TypeVXLAN:
			out = appendRanges(out, "vxlan_vni_ranges", s.cfg.VXLAN.VNIRanges)
		case core.TypeGRE:
			out = appendRanges(out, "gre_tunnel_id_ranges", s.cfg.GRE.TunnelIDRanges)
		case core.TypeGeneve:
			out = appendRanges(out, "geneve_vni_ranges", s.cfg.Geneve.VNIRanges)
		}
	}
	return out
}

func appendRanges(kv []any, key string, r []core.SegmentRange) []any {
	if len(r) == 0 {
		return kv
	}
	return append(kv, key, tunnel.FormatRanges(r))
}

// infoAsDebug logs at debug level what its Logger would log at info.
type infoAsDebug struct{ hclog.Logger }

func (l infoAsDebug) Info(msg string, args ...any) { l.Logger.Debug(msg, args...) }

func (l infoAsDebug) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Info {
		level = hclog.Debug
	}
	l.Logger.Log(level, msg, args...)
}

func (l infoAsDebug) Named(name string) hclog.Logger { return infoAsDebug{l.Logger.Named(name)} }

func (l infoAsDebug) ResetNamed(name string) hclog.Logger {
	return infoAsDebug{l.Logger.ResetNamed(name)}
}

func (l infoAsDebug) With(args ...any) hclog.Logger { return infoAsDebug{l.Logger.With(args...)} }

// Serve serves the API on ln until ctx ends, then stops accepting and
// waits (up to ShutdownTimeout) for the requests in flight.
//
// With auth_strategy = noauth, ln must be on a loopback address unless
// [ml2go] allow_noauth_on_public_address is set, which is then warned
// about (see config.Config.CheckListener). Connections are bounded: a
// request must be read within [ml2go] read_timeout and answered within
// write_timeout, a keep-alive connection is closed after
// client_socket_timeout without a request, and at most max_connections
// (fewer if the file descriptor limit requires) are served at once,
// the keep-alive connection idle longest closed to make room for a new
// one.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	public, err := s.cfg.CheckListener(ln.Addr())
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if public {
		s.log.Warn("serving without authentication on an address other than loopback: every caller is an admin",
			"address", ln.Addr().String(), "option", "[ml2go] allow_noauth_on_public_address")
	}
	o := s.cfg.ML2go
	// A Config made by hand may leave them zero: no bound at all.
	o.ReadTimeout = cmp.Or(o.ReadTimeout, config.DefaultReadTimeout)
	o.WriteTimeout = cmp.Or(o.WriteTimeout, config.DefaultWriteTimeout)
	o.MaxConnections = cmp.Or(o.MaxConnections, config.DefaultMaxConnections)
	limit, lowered := maxConnections(o.MaxConnections)
	if lowered {
		s.log.Warn("max_connections lowered to what the file descriptor limit allows", "max_connections", o.MaxConnections, "allowed", limit)
	}
	if o.WriteTimeout <= agentserver.MaxWait {
		s.log.Warn("write_timeout is not longer than an agent's watch: watches will be cut", "write_timeout", o.WriteTimeout, "watch", agentserver.MaxWait)
	}
	ll := newLimitListener(ln, limit, s.log.Named("listener"))
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: min(readHeaderTimeout, o.ReadTimeout),
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       cmp.Or(s.cfg.ClientSocketTimeout, config.DefaultIdleTimeout),
		ConnState:         ll.state,
		ErrorLog:          s.log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	ln = ll
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining requests in flight")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// Close stops the out-of-process drivers and closes the store.
func (s *Server) Close() error {
	if s.agents != nil {
		s.agents.Close()
	}
	err := s.drivers.close()
	if s.store != nil {
		err = errors.Join(err, s.store.Close())
	}
	return err
}

// DriverHealth reports the health of every mechanism driver of [ml2]
// mechanism_drivers, in that order, then that of the out-of-process type
// and extension drivers (named type_driver:NAME and
// extension_driver:NAME), as GET /v2.0/ml2go-drivers shows it.
func (s *Server) DriverHealth() []api.DriverStatus { return s.drivers.health() }

// DefaultDataDir is where the zero-configuration server keeps its SQLite
// database: ml2go-data in the working directory.
func DefaultDataDir() string { return filepath.Join(".", "ml2go-data") }
