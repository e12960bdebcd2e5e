// Package portsecurity is the port_security extension driver: it adds the
// boolean attribute port_security_enabled to networks and ports, as
// Neutron's ML2 port_security driver does, and contributes the API
// extension alias "port-security".
//
// # Semantics
//
// Networks: port_security_enabled is true when a create request omits it;
// an update keeps the current value unless the request gives one. Ports: a
// port whose device_owner starts with "network:" (DHCP, router and
// floating-IP ports, which Neutron trusts) is created with port security
// off whatever the request says; any other port takes the request's value
// or, when the request has none, inherits its network's. Updates of a port
// keep its value unless the request gives one (an update may also turn it
// on for a network:* port, as in Neutron). The value never propagates:
// changing a network's value does not change its existing ports.
//
// A value that is not a JSON boolean (a string, a number, null) is refused
// with core.InvalidInput naming the attribute. The value is stored in the
// resource's Extra map under [Attribute]; on every read the driver fills in
// true for a resource stored before the driver was enabled, as Neutron
// does. Other packages (security groups, allowed address pairs) read it
// with [Enabled].
//
// # Inheriting the network's value
//
// ProcessCreatePort reads the port's network through the transaction the
// ML2 orchestrator hands it, so the value inherited is the one the port's
// own transaction sees, and the lookup needs no connection, Store or
// wiring of its own. The network is read only when it matters: not for a
// network:* port, nor when the request gives the value.
//
// Wiring, in outline:
//
//	store, _ := sqlstore.Open(ctx, dsn)
//	reg.RegisterExtensionDriver(portsecurity.Name, portsecurity.New(log))
//	plugin, _ := ml2.New(ctx, ml2.Config{ExtensionDrivers: []string{portsecurity.Name}, ...}, reg, store)
//
// A Driver holds no mutable state and is safe for concurrent use.
package portsecurity
