// Command ml2go-server serves the OpenStack Networking API v2.0 from the
// ml2go core library.
//
// Without arguments it listens on 127.0.0.1:9696 with no authentication,
// keeps its state in an SQLite file under ./ml2go-data, and enables the
// flat, vlan, vxlan, gre, geneve and local type drivers with vxlan tenant
// networks (VNIs 1:1000) and the port_security extension. With
// --config-file (repeatable, as Neutron's) it reads Neutron's neutron.conf
// and ml2_conf.ini instead. SIGINT or SIGTERM drains requests in flight
// and stops.
//
// Mechanism drivers that are not built in run in their own processes:
// [ml2] mechanism_drivers names them next to the built-in ones, and a
// [ml2go_plugin:NAME] section (command, args, call_timeout) or
// [ml2go] plugin_dir (holding ml2go-driver-NAME) says how to run them.
// Their health is logged and served to admins at GET /v2.0/ml2go-drivers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/extensions/portsecurity"
	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/reference/server"
)

// files is a repeatable flag.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ml2go-server:", err)
		os.Exit(1)
	}
}

func run() error {
	var confs files
	flag.Var(&confs, "config-file", "Neutron-style configuration file (repeatable; later files override earlier ones)")
	dataDir := flag.String("data-dir", server.DefaultDataDir(), "directory of the SQLite database when [database] connection is not set")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flag.Args())
	}

	cfg, err := load(confs)
	if err != nil {
		return err
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "ml2go-server", Level: cfg.LogLevel()})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, server.Options{DataDir: *dataDir, Logger: log})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return err
	}
	log.Info("serving the OpenStack Networking API v2.0", append([]any{"url", "http://" + ln.Addr().String() + "/v2.0/"}, srv.Summary()...)...)
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("stopped")
	return nil
}

// load reads the configuration files, or gives the zero-configuration
// defaults: every type driver, vxlan tenant networks with VNIs 1:1000 and
// the port_security extension driver.
func load(paths []string) (*config.Config, error) {
	if len(paths) > 0 {
		return config.Load(paths...)
	}
	cfg := config.Default()
	cfg.VXLAN.VNIRanges = []core.SegmentRange{{Min: 1, Max: 1000}}
	cfg.ML2Options.ExtensionDrivers = []string{portsecurity.Name}
	return cfg, nil
}
