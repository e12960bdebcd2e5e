package core

import (
	"context"
	"fmt"
)

// ServicePlugin is a service beyond the core resources, as Neutron's
// service plugins are (routers and floating IPs, security groups, DHCP
// scheduling, subnet pools): one folder of its own (serviceplugins/NAME),
// owning its resources and its tables, and hearing of core changes
// through Events. A deployment picks services by Name, in order, as
// Neutron's [DEFAULT] service_plugins does; adding one touches no other
// service and no core code.
//
// What else a service offers it says through optional interfaces, checked
// by what assembles a server: Subscriber (core events, subscribed when the
// orchestrator is built, before Initialize), sqlstore.SchemaOwner (its
// tables and their migrations, applied when the store opens) and the
// reference API's Service (its collections and extension aliases).
type ServicePlugin interface {
	// Name is the service's name in service_plugins: Neutron's, where
	// Neutron has the service ("router", "segments", "qos", ...).
	Name() string
	// Initialize prepares the service once the store it keeps its state
	// in is open and migrated; an error stops start-up.
	Initialize(ctx context.Context, store Store) error
}

// RegisterServicePlugin adds s under s.Name(). A second service of the
// same name is refused.
func (r *Registry) RegisterServicePlugin(s ServicePlugin) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.services == nil {
		r.services = map[string]ServicePlugin{}
	}
	if _, dup := r.services[s.Name()]; dup {
		return fmt.Errorf("service plugin %q already registered", s.Name())
	}
	r.services[s.Name()] = s
	return nil
}

// ServicePlugins returns the named services in the given order; an
// unknown name is an error.
func (r *Registry) ServicePlugins(names []string) ([]ServicePlugin, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]ServicePlugin, 0, len(names))
	for _, n := range names {
		s, ok := r.services[n]
		if !ok {
			return nil, fmt.Errorf("service plugin %q is not registered", n)
		}
		out = append(out, s)
	}
	return out, nil
}
