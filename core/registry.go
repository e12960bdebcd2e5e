package core

import (
	"fmt"
	"sort"
	"sync"
)

// Registry holds drivers by name. Built-in and out-of-process drivers are
// registered the same way; configuration then picks them by name, in order.
// The zero Registry is not usable: call NewRegistry.
type Registry struct {
	mu    sync.RWMutex
	types map[string]TypeDriver
	mechs map[string]MechanismDriver
	exts  map[string]ExtensionDriver
	// services are the service plugins, by name.
	services map[string]ServicePlugin
	// events are the core resources' events (see Events).
	events Events
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		types: map[string]TypeDriver{},
		mechs: map[string]MechanismDriver{},
		exts:  map[string]ExtensionDriver{},
	}
}

// Events returns the registry's resource events: what service plugins
// subscribe to, and what a plugin built from the registry publishes.
func (r *Registry) Events() *Events { return &r.events }

// NamedMechanismDriver is a mechanism driver with the name it was registered
// under.
type NamedMechanismDriver struct {
	Name   string
	Driver MechanismDriver
}

// NamedExtensionDriver is an extension driver with its registered name.
type NamedExtensionDriver struct {
	Name   string
	Driver ExtensionDriver
}

// RegisterTypeDriver adds d under d.Type(). A second driver for the same
// type is refused.
func (r *Registry) RegisterTypeDriver(d TypeDriver) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := d.Type()
	if _, dup := r.types[t]; dup {
		return fmt.Errorf("type driver for network type %q already registered", t)
	}
	r.types[t] = d
	return nil
}

// RegisterMechanismDriver adds d under name.
func (r *Registry) RegisterMechanismDriver(name string, d MechanismDriver) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.mechs[name]; dup {
		return fmt.Errorf("mechanism driver %q already registered", name)
	}
	r.mechs[name] = d
	return nil
}

// RegisterExtensionDriver adds d under name.
func (r *Registry) RegisterExtensionDriver(name string, d ExtensionDriver) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.exts[name]; dup {
		return fmt.Errorf("extension driver %q already registered", name)
	}
	r.exts[name] = d
	return nil
}

// TypeDriver returns the driver for a network type.
func (r *Registry) TypeDriver(networkType string) (TypeDriver, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.types[networkType]
	return d, ok
}

// NetworkTypes returns the registered network types, sorted.
func (r *Registry) NetworkTypes() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.types))
	for t := range r.types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// TypeDrivers returns the drivers for the given types, in order; an unknown
// type is an error.
func (r *Registry) TypeDrivers(types []string) ([]TypeDriver, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]TypeDriver, 0, len(types))
	for _, t := range types {
		d, ok := r.types[t]
		if !ok {
			return nil, fmt.Errorf("no type driver for network type %q", t)
		}
		out = append(out, d)
	}
	return out, nil
}

// MechanismDrivers returns the named drivers in the given order; an unknown
// name is an error.
func (r *Registry) MechanismDrivers(names []string) ([]NamedMechanismDriver, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]NamedMechanismDriver, 0, len(names))
	for _, n := range names {
		d, ok := r.mechs[n]
		if !ok {
			return nil, fmt.Errorf("mechanism driver %q is not registered", n)
		}
		out = append(out, NamedMechanismDriver{Name: n, Driver: d})
	}
	return out, nil
}

// ExtensionDrivers returns the named drivers in the given order; an unknown
// name is an error.
func (r *Registry) ExtensionDrivers(names []string) ([]NamedExtensionDriver, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]NamedExtensionDriver, 0, len(names))
	for _, n := range names {
		d, ok := r.exts[n]
		if !ok {
			return nil, fmt.Errorf("extension driver %q is not registered", n)
		}
		out = append(out, NamedExtensionDriver{Name: n, Driver: d})
	}
	return out, nil
}

// MechanismDriver returns the mechanism driver registered under name.
func (r *Registry) MechanismDriver(name string) (MechanismDriver, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.mechs[name]
	return d, ok
}

// ExtensionDriver returns the extension driver registered under name.
func (r *Registry) ExtensionDriver(name string) (ExtensionDriver, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.exts[name]
	return d, ok
}
