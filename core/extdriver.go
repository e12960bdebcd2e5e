package core

import "context"

// ExtensionDriver adds attributes to networks, subnets and ports. Process*
// run inside the transaction tx with the request's attributes and write the
// resulting values into result.Extra, which the store persists; they may
// read other resources through tx (a port's network, say), and write
// nothing else. Extend* run
// whenever a resource is read. Embed ExtensionDriverBase to implement
// only what you need.
type ExtensionDriver interface {
	Initialize(ctx context.Context) error
	// ExtensionAliases lists the API extension aliases the driver provides.
	ExtensionAliases() []string

	ProcessCreateNetwork(ctx context.Context, tx ExtensionTx, req map[string]any, result *Network) error
	ProcessUpdateNetwork(ctx context.Context, tx ExtensionTx, req map[string]any, result *Network) error
	ExtendNetwork(ctx context.Context, result *Network) error

	ProcessCreateSubnet(ctx context.Context, tx ExtensionTx, req map[string]any, result *Subnet) error
	ProcessUpdateSubnet(ctx context.Context, tx ExtensionTx, req map[string]any, result *Subnet) error
	ExtendSubnet(ctx context.Context, result *Subnet) error

	ProcessCreatePort(ctx context.Context, tx ExtensionTx, req map[string]any, result *Port) error
	ProcessUpdatePort(ctx context.Context, tx ExtensionTx, req map[string]any, result *Port) error
	ExtendPort(ctx context.Context, result *Port) error
}

// ExtensionDriverBase implements every ExtensionDriver method as a no-op, for
// embedding.
type ExtensionDriverBase struct{}

var _ ExtensionDriver = ExtensionDriverBase{}

// Initialize does nothing.
func (ExtensionDriverBase) Initialize(context.Context) error { return nil }

// ExtensionAliases returns nothing.
func (ExtensionDriverBase) ExtensionAliases() []string { return nil }

// ProcessCreateNetwork does nothing.
func (ExtensionDriverBase) ProcessCreateNetwork(context.Context, ExtensionTx, map[string]any, *Network) error {
	return nil
}

// ProcessUpdateNetwork does nothing.
func (ExtensionDriverBase) ProcessUpdateNetwork(context.Context, ExtensionTx, map[string]any, *Network) error {
	return nil
}

// ExtendNetwork does nothing.
func (ExtensionDriverBase) ExtendNetwork(context.Context, *Network) error { return nil }

// ProcessCreateSubnet does nothing.
func (ExtensionDriverBase) ProcessCreateSubnet(context.Context, ExtensionTx, map[string]any, *Subnet) error {
	return nil
}

// ProcessUpdateSubnet does nothing.
func (ExtensionDriverBase) ProcessUpdateSubnet(context.Context, ExtensionTx, map[string]any, *Subnet) error {
	return nil
}

// ExtendSubnet does nothing.
func (ExtensionDriverBase) ExtendSubnet(context.Context, *Subnet) error { return nil }

// ProcessCreatePort does nothing.
func (ExtensionDriverBase) ProcessCreatePort(context.Context, ExtensionTx, map[string]any, *Port) error {
	return nil
}

// ProcessUpdatePort does nothing.
func (ExtensionDriverBase) ProcessUpdatePort(context.Context, ExtensionTx, map[string]any, *Port) error {
	return nil
}

// ExtendPort does nothing.
func (ExtensionDriverBase) ExtendPort(context.Context, *Port) error { return nil }

// ExtensionAttributer is implemented by extension drivers that add
// attributes to resources: the API layer accepts them in requests (handing
// them to the driver's Process* hooks) and shows them, from the resource's
// Extra map, in responses.
type ExtensionAttributer interface {
	// ExtensionAttributes returns the attribute names the driver adds,
	// by resource: "networks", "subnets" or "ports".
	ExtensionAttributes() map[string][]string
}
