// Package server assembles the reference ml2go server from its
// configuration: the store, the driver registry, the ML2 plugin, quotas,
// authentication and the API handler. ml2go-server is a thin command
// around it; tests and benchmarks run it in-process.
package server

import (
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
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/reference/api"
	"github.com/ml2go/ml2go/reference/auth"
	"github.com/ml2go/ml2go/reference/config"
)

// ShutdownTimeout bounds how long Serve waits for requests in flight when
// its context ends.
const ShutdownTimeout = 30 * time.Second

// MechanismDrivers are the built-in mechanism drivers, by the name
// [ml2] mechanism_drivers gives them.
var MechanismDrivers = map[string]func(log hclog.Logger, cfg *config.Config) core.MechanismDriver{
	"logger": func(log hclog.Logger, _ *config.Config) core.MechanismDriver { return logger.New(log) },
	"fakeagent": func(log hclog.Logger, cfg *config.Config) core.MechanismDriver {
		return fakeagent.New(fakeagent.Config{AgentDownTime: cfg.AgentDownTime, Logger: log})
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
	// Registry, when set, has more drivers to choose from (a vendor's,
	// or test doubles); the built-in ones are added to it.
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
}

// New opens the store and builds the plugin and the API.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	for _, ig := range cfg.Ignored {
		log.Info("ignoring option ml2go does not use", "option", ig.String())
	}
	reg := opts.Registry
	if reg == nil {
		reg = core.NewRegistry()
	}
	if err := register(reg, cfg, log); err != nil {
		return nil, err
	}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("server: data directory: %w", err)
		}
	}
	dsn, err := cfg.DatabaseDSN(opts.DataDir)
	if err != nil {
		return nil, err
	}
	store, err := sqlstore.Open(ctx, dsn, sqlstore.WithLogger(log.Named("store")))
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, store: store, dsn: dsn}
	quotas := quota.New(store, cfg.QuotaDefaults())
	mc := cfg.ML2()
	mc.Logger = log.Named("ml2")
	mc.DefaultProjectID = auth.NoauthProjectID
	mc.Quotas = quotas
	if s.plugin, err = ml2.New(ctx, mc, reg, store); err != nil {
		_ = store.Close()
		return nil, err
	}
	authenticate, err := s.authentication()
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	s.handler, err = api.New(api.Config{
		Plugin: s.plugin,
		Quotas: quotas,
		Auth:   authenticate,
		Logger: log.Named("api"),
	})
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	return s, nil
}

// register adds the configured type drivers and the built-in mechanism
// and extension drivers the configuration names and reg lacks.
func register(reg *core.Registry, cfg *config.Config, log hclog.Logger) error {
	types, err := cfg.TypeDrivers(log.Named("types"))
	if err != nil {
		return err
	}
	for _, d := range types {
		if err := reg.RegisterTypeDriver(d); err != nil {
			return err
		}
	}
	for _, name := range cfg.ML2Options.MechanismDrivers {
		if _, ok := reg.MechanismDriver(name); ok {
			continue
		}
		build, ok := MechanismDrivers[name]
		if !ok {
			return fmt.Errorf("[ml2] mechanism_drivers: unknown mechanism driver %q (built in: %s)", name, names(MechanismDrivers))
		}
		if err := reg.RegisterMechanismDriver(name, build(log.Named(name), cfg)); err != nil {
			return err
		}
	}
	for _, name := range cfg.ML2Options.ExtensionDrivers {
		if _, ok := reg.ExtensionDriver(name); ok {
			continue
		}
		build, ok := ExtensionDrivers[name]
		if !ok {
			return fmt.Errorf("[ml2] extension_drivers: unknown extension driver %q (built in: %s)", name, names(ExtensionDrivers))
		}
		if err := reg.RegisterExtensionDriver(name, build(log.Named(name))); err != nil {
			return err
		}
	}
	return nil
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
	return []any{
		"database", dsn,
		"auth_strategy", s.cfg.AuthStrategy,
		"type_drivers", strings.Join(s.cfg.ML2Options.TypeDrivers, ","),
		"tenant_network_types", strings.Join(s.cfg.ML2Options.TenantNetworkTypes, ","),
		"mechanism_drivers", strings.Join(s.cfg.ML2Options.MechanismDrivers, ","),
		"extension_drivers", strings.Join(s.cfg.ML2Options.ExtensionDrivers, ","),
	}
}

// Serve serves the API on ln until ctx ends, then stops accepting and
// waits (up to ShutdownTimeout) for the requests in flight.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          s.log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
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
	err := srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// Close closes the store.
func (s *Server) Close() error { return s.store.Close() }

// DefaultDataDir is where the zero-configuration server keeps its SQLite
// database: ml2go-data in the working directory.
func DefaultDataDir() string { return filepath.Join(".", "ml2go-data") }
