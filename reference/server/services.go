package server

import (
	"maps"
	"slices"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/reference/api"
	"github.com/ml2go/ml2go/reference/config"
)

// ServicePlugins are the built-in service plugins, by the name
// [DEFAULT] service_plugins gives them (Neutron's, where Neutron has the
// service). What a service offers beyond core.ServicePlugin is found by
// its methods: sqlstore.SchemaOwner (its tables, migrated when the store
// opens), core.Subscriber (core's events), api.Service (collections and
// extensions), api.ExtensionProvider (attributes of networks, subnets
// and ports). A service of serviceplugins/ imports nothing of reference/:
// its entry here gives it its api.Service side.
var ServicePlugins = map[string]func(log hclog.Logger, cfg *config.Config) core.ServicePlugin{}

// coreServices are names Neutron's service_plugins needs for what ml2go's
// core serves anyway: they are accepted and do nothing.
var coreServices = map[string]bool{
	// Neutron's segments plugin serves /v2.0/segments and the segment
	// extension; ml2go's orchestrator and API always do.
	"segments": true,
}

// services are the service plugins of [DEFAULT] service_plugins, in
// order.
type services []core.ServicePlugin

// servicePlugins returns the services of [DEFAULT] service_plugins:
// those of reg, then the built-in ones, which it registers in reg. The
// extension drivers of those that add attributes to core resources are
// registered in reg under the service's name. A name that is neither is
// a *config.Error wrapping config.ErrUnknownServicePlugin.
func servicePlugins(reg *core.Registry, cfg *config.Config, log hclog.Logger) (services, error) {
	var out services
	seen := map[string]bool{}
	for _, name := range cfg.ServicePlugins {
		if seen[name] || coreServices[name] {
			continue
		}
		seen[name] = true
		if s, err := reg.ServicePlugins([]string{name}); err == nil {
			out = append(out, s[0])
			continue
		}
		build, ok := ServicePlugins[name]
		if !ok {
			known := append(slices.Collect(maps.Keys(coreServices)), slices.Collect(maps.Keys(ServicePlugins))...)
			slices.Sort(known)
			return nil, cfg.UnknownServicePlugin(name, known)
		}
		s := build(log.Named(name), cfg)
		if err := reg.RegisterServicePlugin(s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	for _, s := range out {
		p, ok := s.(api.ExtensionProvider)
		if !ok {
			continue
		}
		if _, had := reg.ExtensionDriver(s.Name()); had {
			continue
		}
		if err := reg.RegisterExtensionDriver(s.Name(), p.ExtensionDriver()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// configure names the services in mc, their extension drivers after the
// configured ones.
func (ss services) configure(mc *ml2.Config) {
	for _, s := range ss {
		mc.ServicePlugins = append(mc.ServicePlugins, s.Name())
		if _, ok := s.(api.ExtensionProvider); ok && !slices.Contains(mc.ExtensionDrivers, s.Name()) {
			mc.ExtensionDrivers = append(mc.ExtensionDrivers, s.Name())
		}
	}
}

// storeOptions give the store the schemas of the services that keep
// tables of their own, in service order.
func (ss services) storeOptions() []sqlstore.Option {
	var schemas []sqlstore.Schema
	for _, s := range ss {
		if o, ok := s.(sqlstore.SchemaOwner); ok {
			schemas = append(schemas, o.Schema())
		}
	}
	if len(schemas) == 0 {
		return nil
	}
	return []sqlstore.Option{sqlstore.WithSchemas(schemas...)}
}

// api returns the API sides of the services that have one.
func (ss services) api() []api.Service {
	var out []api.Service
	for _, s := range ss {
		if a, ok := s.(api.Service); ok {
			out = append(out, a)
		}
	}
	return out
}
