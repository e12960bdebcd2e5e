// Package flat is the type driver for flat networks: untagged networks
// that use a whole physical network, at most one per physical network.
//
// Flat networks are provider networks only: an administrator names the
// physical network, and the driver never allocates tenant networks. The
// physical networks allowed are configured with Config.FlatNetworks
// ([ml2_type_flat] flat_networks).
package flat

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
)

// AnyPhysnet in Config.FlatNetworks allows flat networks on any physical
// network.
const AnyPhysnet = "*"

// Config configures the flat driver.
type Config struct {
	// FlatNetworks lists the physical networks flat networks may use
	// (flat_networks). AnyPhysnet anywhere in the list allows any name.
	// A nil slice means Neutron's default, []string{AnyPhysnet}; an empty
	// non-nil slice (such as []string{}) disables flat networks. Names are
	// trimmed of spaces and blank names are dropped.
	FlatNetworks []string
	// MTU gives the MTU of flat segments: see MTUConfig.PhysnetMTU.
	MTU typedrivers.MTUConfig
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is the flat type driver. Build it with New.
type Driver struct {
	any      bool                // any physnet allowed
	physnets map[string]struct{} // allowed physnets, when !any
	mtu      typedrivers.MTUConfig
	log      hclog.Logger
}

var _ core.TypeDriver = (*Driver)(nil)

// New returns a flat driver for cfg. The configuration is copied; it is
// checked by Initialize.
func New(cfg Config) *Driver {
	d := &Driver{physnets: map[string]struct{}{}, mtu: cfg.MTU}
	d.mtu.PhysicalNetworkMTUs = maps.Clone(cfg.MTU.PhysicalNetworkMTUs)
	networks := cfg.FlatNetworks
	if networks == nil {
		networks = []string{AnyPhysnet}
	}
	for _, n := range networks {
		switch n = strings.TrimSpace(n); n {
		case "":
		case AnyPhysnet:
			d.any = true
		default:
			d.physnets[n] = struct{}{}
		}
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	d.log = log.Named(core.TypeFlat)
	return d
}

// Type returns core.TypeFlat.
func (d *Driver) Type() string { return core.TypeFlat }

// Initialize checks the MTU configuration and logs the allowed physical
// networks.
func (d *Driver) Initialize(context.Context) error {
	if err := d.mtu.Validate(); err != nil {
		return fmt.Errorf("flat type driver: %w", err)
	}
	switch {
	case d.any:
		d.log.Info("flat networks allowed on any physical network")
	case len(d.physnets) == 0:
		d.log.Info("flat networks are disabled")
	default:
		d.log.Info("flat networks allowed", "physical_networks", slices.Sorted(maps.Keys(d.physnets)))
	}
	return nil
}

// IsPartialSegment returns false: a flat segment is always complete.
func (d *Driver) IsPartialSegment(core.Segment) bool { return false }

// ValidateProviderSegment requires a physical network that flat networks
// may use, and refuses a segmentation id.
func (d *Driver) ValidateProviderSegment(seg core.Segment) error {
	if seg.PhysicalNetwork == "" {
		return core.InvalidInput("physical_network required for flat provider network")
	}
	if !d.any && len(d.physnets) == 0 {
		return core.InvalidInput("Flat provider networks are disabled")
	}
	if !d.allowed(seg.PhysicalNetwork) {
		return core.InvalidInput("physical_network '%s' unknown for flat provider network", seg.PhysicalNetwork)
	}
	if seg.SegmentationID != 0 {
		return core.InvalidInput("segmentation_id prohibited for flat provider network")
	}
	return nil
}

func (d *Driver) allowed(physnet string) bool {
	if d.any {
		return true
	}
	_, ok := d.physnets[physnet]
	return ok
}

// ReserveProviderSegment takes seg's physical network for one flat
// network, FlatNetworkInUse if another has it, and returns seg with its
// MTU.
func (d *Driver) ReserveProviderSegment(ctx context.Context, alloc core.SegmentAllocator, seg core.Segment) (core.Segment, error) {
	if seg.PhysicalNetwork == "" {
		return core.Segment{}, core.InvalidInput("physical_network required for flat provider network")
	}
	ok, err := alloc.ReserveSegment(ctx, d.key(seg.PhysicalNetwork))
	if err != nil {
		return core.Segment{}, fmt.Errorf("reserving flat physical network %s: %w", seg.PhysicalNetwork, err)
	}
	if !ok {
		return core.Segment{}, core.FlatNetworkInUse(seg.PhysicalNetwork)
	}
	d.log.Debug("reserved flat network", "physical_network", seg.PhysicalNetwork)
	seg.NetworkType = core.TypeFlat
	seg.MTU = d.MTU(seg.PhysicalNetwork)
	return seg, nil
}

// AllocateTenantSegment returns nil: flat networks are never tenant
// networks.
func (d *Driver) AllocateTenantSegment(context.Context, core.SegmentAllocator) (*core.Segment, error) {
	return nil, nil
}

// ReleaseSegment frees seg's physical network. A physical network that was
// not reserved is only logged.
func (d *Driver) ReleaseSegment(ctx context.Context, alloc core.SegmentAllocator, seg core.Segment) error {
	ok, err := alloc.ReleaseSegment(ctx, d.key(seg.PhysicalNetwork))
	if err != nil {
		return fmt.Errorf("releasing flat physical network %s: %w", seg.PhysicalNetwork, err)
	}
	if !ok {
		d.log.Warn("no flat network found on physical network", "physical_network", seg.PhysicalNetwork)
		return nil
	}
	d.log.Debug("released flat network", "physical_network", seg.PhysicalNetwork)
	return nil
}

// MTU returns the MTU of flat segments on physnet (MTUConfig.PhysnetMTU).
func (d *Driver) MTU(physnet string) int { return d.mtu.PhysnetMTU(physnet) }

func (d *Driver) key(physnet string) core.SegmentKey {
	return core.SegmentKey{NetworkType: core.TypeFlat, PhysicalNetwork: physnet}
}
