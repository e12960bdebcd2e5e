package portsecurity

import (
	"context"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
)

// Name is the name the driver is registered under and that the
// extension_drivers option lists.
const Name = "port_security"

// Attribute is the request and response attribute of networks and ports,
// and the key of its value in their Extra map.
const Attribute = "port_security_enabled"

// Alias is the API extension alias the driver contributes.
const Alias = "port-security"

// Default is the value of a network created without the attribute, and of
// a resource stored before the driver was enabled.
const Default = true

// Driver is the port_security extension driver. Build it with New.
type Driver struct {
	core.ExtensionDriverBase // subnets have no port security; Initialize is a no-op
	log                      hclog.Logger
}

var (
	_ core.ExtensionDriver     = (*Driver)(nil)
	_ core.ExtensionAttributer = (*Driver)(nil)
)

// New returns a driver logging to log (nil discards).
func New(log hclog.Logger) *Driver {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Driver{log: log.Named(Name)}
}

// ExtensionAliases returns ["port-security"].
func (d *Driver) ExtensionAliases() []string { return []string{Alias} }

// ExtensionAttributes returns port_security_enabled for networks and
// ports.
func (d *Driver) ExtensionAttributes() map[string][]string {
	return map[string][]string{"networks": {Attribute}, "ports": {Attribute}}
}

// ProcessCreateNetwork stores the request's value, true when it has none.
func (d *Driver) ProcessCreateNetwork(_ context.Context, _ core.ExtensionTx, req map[string]any, n *core.Network) error {
	v, given, err := requested(req)
	if err != nil {
		return err
	}
	if !given {
		v = Default
	}
	set(&n.Extra, v)
	return nil
}

// ProcessUpdateNetwork stores the request's value, or keeps the current
// one (true for a network stored before the driver was enabled).
func (d *Driver) ProcessUpdateNetwork(_ context.Context, _ core.ExtensionTx, req map[string]any, n *core.Network) error {
	return d.update(req, &n.Extra)
}

// ExtendNetwork shows true for a network stored before the driver was
// enabled.
func (d *Driver) ExtendNetwork(_ context.Context, n *core.Network) error {
	d.extend(&n.Extra, "network", n.ID)
	return nil
}

// ProcessCreatePort decides the port's value: false for a network:* device
// owner, else the request's value, else its network's, which it reads
// through tx ([Default] for a network stored before the driver was
// enabled). An error reading the network fails the port creation.
func (d *Driver) ProcessCreatePort(ctx context.Context, tx core.ExtensionTx, req map[string]any, p *core.Port) error {
	v, given, err := requested(req)
	if err != nil {
		return err
	}
	switch {
	case Trusted(p.DeviceOwner):
		if given && v {
			d.log.Debug("port security forced off for a trusted port", "port", p.ID, "device_owner", p.DeviceOwner)
		}
		v = false
	case given:
	default:
		n, err := tx.GetNetwork(ctx, p.NetworkID)
		if err != nil {
			return err
		}
		v = Enabled(n.Extra)
	}
	set(&p.Extra, v)
	return nil
}

// ProcessUpdatePort stores the request's value, or keeps the current one
// (true for a port stored before the driver was enabled).
func (d *Driver) ProcessUpdatePort(_ context.Context, _ core.ExtensionTx, req map[string]any, p *core.Port) error {
	return d.update(req, &p.Extra)
}

// ExtendPort shows true for a port stored before the driver was enabled.
func (d *Driver) ExtendPort(_ context.Context, p *core.Port) error {
	d.extend(&p.Extra, "port", p.ID)
	return nil
}

// Enabled reports a resource's port_security_enabled value from its Extra
// map. A resource without the value (or with one that is not a bool) counts
// as enabled, as in Neutron, where port security applies unless the
// extension says otherwise.
func Enabled(extra map[string]any) bool {
	v, ok := extra[Attribute].(bool)
	return !ok || v
}

// Trusted reports whether a device owner is one of Neutron's trusted
// network:* owners, whose ports have port security forced off on creation.
func Trusted(deviceOwner string) bool {
	return strings.HasPrefix(deviceOwner, core.DeviceOwnerNetworkPrefix)
}

func (d *Driver) update(req map[string]any, extra *map[string]any) error {
	v, given, err := requested(req)
	if err != nil {
		return err
	}
	if !given {
		v = Enabled(*extra)
	}
	set(extra, v)
	return nil
}

func (d *Driver) extend(extra *map[string]any, kind, id string) {
	v, stored := (*extra)[Attribute]
	if _, ok := v.(bool); ok {
		return
	}
	if stored {
		d.log.Warn("stored "+Attribute+" is not a boolean; showing the default", kind, id, "value", v)
	}
	set(extra, Default)
}

// requested returns the request's value and whether it has one.
func requested(req map[string]any) (v, given bool, err error) {
	raw, given := req[Attribute]
	if !given {
		return false, false, nil
	}
	v, ok := raw.(bool)
	if !ok {
		return false, true, invalid(raw)
	}
	return v, true, nil
}

func invalid(raw any) error {
	shown := raw
	if raw == nil {
		shown = "None" // what Neutron shows for JSON null
	}
	return core.InvalidInput("'%v' cannot be converted to boolean for %s", shown, Attribute)
}

func set(extra *map[string]any, v bool) {
	if *extra == nil {
		*extra = map[string]any{}
	}
	(*extra)[Attribute] = v
}
