package ml2

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
)

// Plugin is the ML2 core plugin.
type Plugin struct {
	cfg   Config
	store core.Store
	types *typeManager
	mechs *mechManager
	exts  []core.NamedExtensionDriver
	log   hclog.Logger
	macs  macSource
	// events are the registry's, to which every change is published.
	events *core.Events
	batch  portBatcher // port creates stored together
}

// New builds a plugin from cfg, picking drivers from reg, and initializes
// them in Neutron's order: type drivers, extension drivers, mechanism
// drivers. An unknown driver name is an error. The configured drivers
// and service plugins that are core.Subscribers are then subscribed to
// reg's Events, to which the plugin publishes every change (build one
// Plugin per Registry), and the service plugins initialized, in order.
func New(ctx context.Context, cfg Config, reg *core.Registry, store core.Store) (*Plugin, error) {
	cfg.setDefaults()
	tenant, err := reg.TypeDrivers(cfg.TenantNetworkTypes)
	if err != nil {
		return nil, fmt.Errorf("tenant_network_types: %w", err)
	}
	tm := &typeManager{reg: reg, tenantTypes: tenant, globalPhysnetMTU: cfg.GlobalPhysnetMTU, log: cfg.Logger.Named("types")}
	if cfg.ExternalNetworkType != "" {
		d, ok := reg.TypeDriver(cfg.ExternalNetworkType)
		if !ok {
			return nil, fmt.Errorf("external_network_type: no type driver for %q", cfg.ExternalNetworkType)
		}
		tm.external = d
	}
	mechs, err := reg.MechanismDrivers(cfg.MechanismDrivers)
	if err != nil {
		return nil, fmt.Errorf("mechanism_drivers: %w", err)
	}
	exts, err := reg.ExtensionDrivers(cfg.ExtensionDrivers)
	if err != nil {
		return nil, fmt.Errorf("extension_drivers: %w", err)
	}
	macs, err := newMACSource(cfg.BaseMAC)
	if err != nil {
		return nil, fmt.Errorf("base_mac: %w", err)
	}
	p := &Plugin{
		cfg:    cfg,
		store:  store,
		types:  tm,
		mechs:  &mechManager{drivers: mechs, log: cfg.Logger.Named("mech")},
		exts:   exts,
		log:    cfg.Logger,
		macs:   macs,
		events: reg.Events(),
	}
	for _, t := range reg.NetworkTypes() {
		d, _ := reg.TypeDriver(t)
		if err := d.Initialize(ctx); err != nil {
			return nil, fmt.Errorf("initialize type driver %s: %w", t, err)
		}
	}
	for _, e := range exts {
		if err := e.Driver.Initialize(ctx); err != nil {
			return nil, fmt.Errorf("initialize extension driver %s: %w", e.Name, err)
		}
	}
	for _, m := range mechs {
		if err := m.Driver.Initialize(ctx); err != nil {
			return nil, fmt.Errorf("initialize mechanism driver %s: %w", m.Name, err)
		}
	}
	for _, m := range mechs {
		if s, ok := m.Driver.(core.Subscriber); ok {
			s.Subscribe(p.events)
		}
	}
	for _, e := range exts {
		if s, ok := e.Driver.(core.Subscriber); ok {
			s.Subscribe(p.events)
		}
	}
	services, err := reg.ServicePlugins(cfg.ServicePlugins)
	if err != nil {
		return nil, fmt.Errorf("service_plugins: %w", err)
	}
	for _, s := range services {
		if sub, ok := s.(core.Subscriber); ok {
			sub.Subscribe(p.events)
		}
	}
	for _, s := range services {
		if err := s.Initialize(ctx, store); err != nil {
			return nil, fmt.Errorf("initialize service plugin %s: %w", s.Name(), err)
		}
	}
	return p, nil
}

// Store returns the plugin's store.
func (p *Plugin) Store() core.Store { return p.store }

// ExtensionAliases returns the API extension aliases of the extension
// drivers, in order.
func (p *Plugin) ExtensionAliases() []string {
	var out []string
	for _, e := range p.exts {
		for _, a := range e.Driver.ExtensionAliases() {
			if a != "" {
				out = append(out, a)
			}
		}
	}
	return out
}

// ExtensionAttributes returns the attributes the extension drivers add to
// a resource ("networks", "subnets", "ports"), in driver order.
func (p *Plugin) ExtensionAttributes(resource string) []string {
	var out []string
	for _, e := range p.exts {
		if a, ok := e.Driver.(core.ExtensionAttributer); ok {
			out = append(out, a.ExtensionAttributes()[resource]...)
		}
	}
	return out
}

// checkQuota checks that the project may create one more resource, when
// quotas are configured.
func (p *Plugin) checkQuota(ctx context.Context, tx core.Tx, projectID, resource string) error {
	return p.checkQuotaN(ctx, tx, projectID, resource, 1)
}

// checkQuotaN checks that the project may create n more of resource, when
// quotas are configured.
func (p *Plugin) checkQuotaN(ctx context.Context, tx core.Tx, projectID, resource string, n int) error {
	if p.cfg.Quotas == nil {
		return nil
	}
	return p.cfg.Quotas.CheckInTx(ctx, tx, projectID, resource, n)
}

func (p *Plugin) projectOr(id string) string {
	if id == "" {
		return p.cfg.DefaultProjectID
	}
	return id
}

func checkRevision(want *int64, current int64) error {
	if want != nil && *want != current {
		return core.RevisionNumberConstraintFailed(*want, current)
	}
	return nil
}
