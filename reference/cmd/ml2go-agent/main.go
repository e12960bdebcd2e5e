// Command ml2go-agent is the ml2go host agent. It reads Neutron's agent
// configuration files (linuxbridge_agent.ini or openvswitch_agent.ini, and
// neutron.conf for [DEFAULT] host), reports to ml2go-server's agent
// channel, watches the host's desired state, and programs the host with
// its reconcilers (package agent), of which the L2 one is the Linux bridge
// or Open vSwitch dataplane:
//
//	ml2go-agent --config-file /etc/neutron/neutron.conf \
//	            --config-file /etc/neutron/plugins/ml2/linuxbridge_agent.ini
//
// [ml2go_agent] server_url (default http://127.0.0.1:9696) says where the
// server is; dataplane (linuxbridge or openvswitch) which dataplane to run,
// openvswitch by default when an [ovs] section is present. SIGINT or
// SIGTERM stops the agent and leaves the host wired.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/reference/agent"
	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/linuxbridge"
	"github.com/ml2go/ml2go/reference/agent/ovs"
	"github.com/ml2go/ml2go/reference/agentrpc"
	"github.com/ml2go/ml2go/reference/config"
)

// files is a repeatable flag.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ml2go-agent:", err)
		os.Exit(1)
	}
}

func run() error {
	var confs files
	flag.Var(&confs, "config-file", "Neutron-style agent configuration file (repeatable; later files override earlier ones)")
	debug := flag.Bool("debug", false, "log at debug level")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flag.Args())
	}
	cfg, err := config.LoadAgent(confs...)
	if err != nil {
		return err
	}
	level := hclog.Info
	if *debug {
		level = hclog.Debug
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "ml2go-agent", Level: level})
	for _, ig := range cfg.Ignored {
		log.Info("ignoring option ml2go-agent does not use", "option", ig.String())
	}
	dp, err := newDataplane(cfg, log)
	if err != nil {
		return err
	}
	defer dp.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var opts []agentrpc.ClientOption
	if cfg.AuthToken != "" {
		opts = append(opts, agentrpc.WithToken(cfg.AuthToken))
	}
	a := agent.New(agent.Config{
		Host: cfg.Host, AgentType: cfg.AgentType(), Binary: "ml2go-agent",
		Configurations: cfg.Configurations(), ReportInterval: cfg.ReportInterval,
		PollingInterval: cfg.PollingInterval, Logger: log,
	}, agentrpc.NewClient(cfg.ServerURL, opts...), dp)
	log.Info("agent running", "host", cfg.Host, "dataplane", cfg.Dataplane, "server", cfg.ServerURL,
		"tunnel_types", cfg.TunnelTypes, "local_ip", cfg.LocalIP)
	if err := a.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// newDataplane builds the configured dataplane.
func newDataplane(cfg *config.AgentConfig, log hclog.Logger) (dataplane.Dataplane, error) {
	switch cfg.Dataplane {
	case config.DataplaneLinuxBridge:
		return linuxbridge.New(linuxbridge.Config{
			PhysicalInterfaceMappings: cfg.PhysicalInterfaceMappings,
			LocalIP:                   cfg.LocalIP,
			VXLANPort:                 cfg.VXLANPort,
			EnableVXLAN:               len(cfg.TunnelTypes) > 0,
			ARPResponder:              cfg.ARPResponder,
		}, linuxbridge.WithLogger(log))
	case config.DataplaneOpenVSwitch:
		return ovs.New(ovs.Config{
			IntegrationBridge: cfg.IntegrationBridge,
			TunnelBridge:      cfg.TunnelBridge,
			BridgeMappings:    cfg.BridgeMappings,
			LocalIP:           cfg.LocalIP,
			TunnelTypes:       cfg.TunnelTypes,
			DatapathType:      cfg.DatapathType,
			VXLANPort:         cfg.VXLANPort,
		}, log)
	}
	return nil, fmt.Errorf("dataplane %q is not built in", cfg.Dataplane)
}
