package server

import (
	"context"
	"fmt"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/host"
)

// Prefixes of the names under which out-of-process type and extension
// drivers report their health, after the mechanism drivers: one binary
// may serve several kinds under one name.
const (
	typeStatusPrefix      = "type_driver:"
	extensionStatusPrefix = "extension_driver:"
)

// typeKind is the kind of out-of-process type drivers called networkType:
// a binary that handles another network type fails to start.
func typeKind(networkType string) *pluginKind[*host.TypeDriver] {
	return &pluginKind[*host.TypeDriver]{
		kind:         "type",
		title:        "Type driver",
		unavailable:  host.TypeDriverUnavailable,
		consequence:  "networks of type " + networkType + " can neither be created nor deleted",
		statusPrefix: typeStatusPrefix,
		load: func(ctx context.Context, cfg host.Config) (*host.TypeDriver, error) {
			d, err := host.LoadTypeDriver(ctx, cfg)
			if err != nil {
				return nil, err
			}
			if d.Type() != networkType {
				_ = d.Close()
				return nil, fmt.Errorf("type driver %s handles network type %q, not %q as [ml2] type_drivers says",
					cfg.Name, d.Type(), networkType)
			}
			return d, nil
		},
	}
}

// typePlugin is an out-of-process type driver as the server registers it,
// under its name in [ml2] type_drivers, which is its network type. The
// stand-in has no opinion on MTUs and takes segments as complete; its
// other calls fail with TypeDriverUnavailable, so that networks of its
// type can neither be created nor deleted (their segments cannot be
// released) until it starts.
type typePlugin struct {
	*plugin[*host.TypeDriver]
}

var _ core.TypeDriver = typePlugin{}

// loadTypePlugin starts the type driver of cfg, whose name is its network
// type; see startPlugin.
func loadTypePlugin(ctx context.Context, cfg host.Config) typePlugin {
	return typePlugin{startPlugin(ctx, typeKind(cfg.Name), cfg)}
}

// Type returns the driver's name, its network type.
func (p typePlugin) Type() string { return p.name }

// IsPartialSegment asks the running driver; the stand-in says no.
func (p typePlugin) IsPartialSegment(seg core.Segment) bool {
	if d, ok := p.running(); ok {
		return d.IsPartialSegment(seg)
	}
	return false
}

// ValidateProviderSegment asks the running driver.
func (p typePlugin) ValidateProviderSegment(seg core.Segment) error {
	if d, ok := p.running(); ok {
		return d.ValidateProviderSegment(seg)
	}
	return p.unavailable()
}

// ReserveProviderSegment asks the running driver.
func (p typePlugin) ReserveProviderSegment(ctx context.Context, alloc core.SegmentAllocator, seg core.Segment) (core.Segment, error) {
	if d, ok := p.running(); ok {
		return d.ReserveProviderSegment(ctx, alloc, seg)
	}
	return core.Segment{}, p.unavailable()
}

// AllocateTenantSegment asks the running driver.
func (p typePlugin) AllocateTenantSegment(ctx context.Context, alloc core.SegmentAllocator) (*core.Segment, error) {
	if d, ok := p.running(); ok {
		return d.AllocateTenantSegment(ctx, alloc)
	}
	return nil, p.unavailable()
}

// ReleaseSegment asks the running driver.
func (p typePlugin) ReleaseSegment(ctx context.Context, alloc core.SegmentAllocator, seg core.Segment) error {
	if d, ok := p.running(); ok {
		return d.ReleaseSegment(ctx, alloc, seg)
	}
	return p.unavailable()
}

// MTU asks the running driver; the stand-in has no opinion.
func (p typePlugin) MTU(physnet string) int {
	if d, ok := p.running(); ok {
		return d.MTU(physnet)
	}
	return 0
}

// extensionKind is the kind of out-of-process extension drivers.
var extensionKind = &pluginKind[*host.ExtensionDriver]{
	kind:         "extension",
	title:        "Extension driver",
	unavailable:  host.ExtensionDriverUnavailable,
	consequence:  "creates and updates of the resources it extends fail",
	statusPrefix: extensionStatusPrefix,
	load:         host.LoadExtensionDriver,
}

// extensionPlugin is an out-of-process extension driver as the server
// registers it. The stand-in provides no alias and no attribute; its
// Process* hooks fail with ExtensionDriverUnavailable, so that nothing is
// created or changed without the driver's checks, and its Extend* hooks do
// nothing, so that reads keep working and show what is stored.
type extensionPlugin struct {
	*plugin[*host.ExtensionDriver]
}

var (
	_ core.ExtensionDriver     = extensionPlugin{}
	_ core.ExtensionAttributer = extensionPlugin{}
)

// loadExtensionPlugin starts the extension driver of cfg; see
// startPlugin.
func loadExtensionPlugin(ctx context.Context, cfg host.Config) extensionPlugin {
	return extensionPlugin{startPlugin(ctx, extensionKind, cfg)}
}

// ExtensionAliases are the running driver's; the stand-in has none.
func (p extensionPlugin) ExtensionAliases() []string {
	if d, ok := p.running(); ok {
		return d.ExtensionAliases()
	}
	return nil
}

// ExtensionAttributes are the running driver's; the stand-in has none.
func (p extensionPlugin) ExtensionAttributes() map[string][]string {
	if d, ok := p.running(); ok {
		return d.ExtensionAttributes()
	}
	return nil
}

// process runs a Process* hook on the running driver, or fails.
func (p extensionPlugin) process(hook func(*host.ExtensionDriver) error) error {
	if d, ok := p.running(); ok {
		return hook(d)
	}
	return p.unavailable()
}

// extend runs an Extend* hook on the running driver, if any.
func (p extensionPlugin) extend(hook func(*host.ExtensionDriver) error) error {
	if d, ok := p.running(); ok {
		return hook(d)
	}
	return nil
}

// ProcessCreateNetwork calls the running driver's hook.
func (p extensionPlugin) ProcessCreateNetwork(ctx context.Context, tx core.ExtensionTx, req map[string]any, n *core.Network) error {
	return p.process(func(d *host.ExtensionDriver) error { return d.ProcessCreateNetwork(ctx, tx, req, n) })
}

// ProcessUpdateNetwork calls the running driver's hook.
func (p extensionPlugin) ProcessUpdateNetwork(ctx context.Context, tx core.ExtensionTx, req map[string]any, n *core.Network) error {
	return p.process(func(d *host.ExtensionDriver) error { return d.ProcessUpdateNetwork(ctx, tx, req, n) })
}

// ExtendNetwork calls the running driver's hook, if any.
func (p extensionPlugin) ExtendNetwork(ctx context.Context, n *core.Network) error {
	return p.extend(func(d *host.ExtensionDriver) error { return d.ExtendNetwork(ctx, n) })
}

// ProcessCreateSubnet calls the running driver's hook.
func (p extensionPlugin) ProcessCreateSubnet(ctx context.Context, tx core.ExtensionTx, req map[string]any, s *core.Subnet) error {
	return p.process(func(d *host.ExtensionDriver) error { return d.ProcessCreateSubnet(ctx, tx, req, s) })
}

// ProcessUpdateSubnet calls the running driver's hook.
func (p extensionPlugin) ProcessUpdateSubnet(ctx context.Context, tx core.ExtensionTx, req map[string]any, s *core.Subnet) error {
	return p.process(func(d *host.ExtensionDriver) error { return d.ProcessUpdateSubnet(ctx, tx, req, s) })
}

// ExtendSubnet calls the running driver's hook, if any.
func (p extensionPlugin) ExtendSubnet(ctx context.Context, s *core.Subnet) error {
	return p.extend(func(d *host.ExtensionDriver) error { return d.ExtendSubnet(ctx, s) })
}

// ProcessCreatePort calls the running driver's hook.
func (p extensionPlugin) ProcessCreatePort(ctx context.Context, tx core.ExtensionTx, req map[string]any, port *core.Port) error {
	return p.process(func(d *host.ExtensionDriver) error { return d.ProcessCreatePort(ctx, tx, req, port) })
}

// ProcessUpdatePort calls the running driver's hook.
func (p extensionPlugin) ProcessUpdatePort(ctx context.Context, tx core.ExtensionTx, req map[string]any, port *core.Port) error {
	return p.process(func(d *host.ExtensionDriver) error { return d.ProcessUpdatePort(ctx, tx, req, port) })
}

// ExtendPort calls the running driver's hook, if any.
func (p extensionPlugin) ExtendPort(ctx context.Context, port *core.Port) error {
	return p.extend(func(d *host.ExtensionDriver) error { return d.ExtendPort(ctx, port) })
}
