// Package vlan is the type driver for 802.1Q VLAN networks.
//
// The physical networks VLAN networks may use, and the VLAN ranges that
// form each one's tenant pool, are configured as Ranges, usually parsed
// from network_vlan_ranges with ParseNetworkVLANRanges. Provider networks
// may use any VLAN of a configured physical network, inside its ranges or
// not; tenant networks get a VLAN from the pools, physical network by
// physical network in configuration order.
//
// Allocations live in the store (see package typedrivers): changing the
// ranges between restarts keeps every allocated VLAN, and VLANs outside the
// new ranges are never handed out to tenants again once released.
package vlan

import (
	"context"
	"fmt"
	"maps"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
)

// Config configures the VLAN driver.
type Config struct {
	// NetworkVLANRanges is network_vlan_ranges: the physical networks VLAN
	// networks may use, in the order tenant pools are tried. Empty means
	// no VLAN networks at all.
	NetworkVLANRanges Ranges
	// MTU gives the MTU of VLAN segments: see MTUConfig.PhysnetMTU.
	MTU typedrivers.MTUConfig
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is the VLAN type driver. Build it with New.
type Driver struct {
	ranges Ranges
	mtu    typedrivers.MTUConfig
	log    hclog.Logger
}

var _ core.TypeDriver = (*Driver)(nil)

// New returns a VLAN driver for cfg. The configuration is copied; it is
// checked by Initialize.
func New(cfg Config) *Driver {
	d := &Driver{ranges: cfg.NetworkVLANRanges.Clone(), mtu: cfg.MTU}
	d.mtu.PhysicalNetworkMTUs = maps.Clone(cfg.MTU.PhysicalNetworkMTUs)
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	d.log = log.Named(core.TypeVLAN)
	return d
}

// Type returns core.TypeVLAN.
func (d *Driver) Type() string { return core.TypeVLAN }

// Initialize checks the ranges and the MTU configuration.
func (d *Driver) Initialize(context.Context) error {
	if err := d.ranges.Validate(); err != nil {
		return fmt.Errorf("vlan type driver: %w", err)
	}
	if err := d.mtu.Validate(); err != nil {
		return fmt.Errorf("vlan type driver: %w", err)
	}
	d.log.Info("network VLAN ranges", "network_vlan_ranges", d.ranges.String())
	return nil
}

// Ranges returns a copy of the configured ranges.
func (d *Driver) Ranges() Ranges { return d.ranges.Clone() }

// IsPartialSegment reports whether seg has no VLAN id yet, leaving the
// driver to choose one (and a physical network, if it has none either).
func (d *Driver) IsPartialSegment(seg core.Segment) bool { return seg.SegmentationID == 0 }

// ValidateProviderSegment accepts a segment whose physical network, if
// given, is configured, and whose VLAN id, if given, is a valid tag and
// comes with a physical network.
func (d *Driver) ValidateProviderSegment(seg core.Segment) error {
	if seg.PhysicalNetwork == "" {
		if seg.SegmentationID != 0 {
			return core.InvalidInput("segmentation_id requires physical_network for VLAN provider network")
		}
		return nil
	}
	if _, ok := d.ranges.Lookup(seg.PhysicalNetwork); !ok {
		return core.InvalidInput("physical_network '%s' unknown for VLAN provider network", seg.PhysicalNetwork)
	}
	if seg.SegmentationID != 0 && !ValidTag(seg.SegmentationID) {
		return outOfRange()
	}
	return nil
}

func outOfRange() error {
	return core.InvalidInput("segmentation_id out of range (%d through %d)", MinVLANTag, MaxVLANTag)
}

// ReserveProviderSegment reserves seg's VLAN on its physical network
// (VlanIdInUse if taken). A segment without a VLAN id gets a free one from
// the pool of its physical network or, without one, of the first physical
// network with a free VLAN, in configuration order (NoNetworkAvailable if
// none). The result is seg completed, with its MTU.
func (d *Driver) ReserveProviderSegment(ctx context.Context, alloc core.SegmentAllocator, seg core.Segment) (core.Segment, error) {
	seg.NetworkType = core.TypeVLAN
	if !d.IsPartialSegment(seg) {
		if seg.PhysicalNetwork == "" {
			return core.Segment{}, core.InvalidInput("segmentation_id requires physical_network for VLAN provider network")
		}
		if !ValidTag(seg.SegmentationID) {
			return core.Segment{}, outOfRange()
		}
		ok, err := alloc.ReserveSegment(ctx, key(seg.PhysicalNetwork, seg.SegmentationID))
		if err != nil {
			return core.Segment{}, fmt.Errorf("reserving VLAN %d on physical network %s: %w", seg.SegmentationID, seg.PhysicalNetwork, err)
		}
		if !ok {
			return core.Segment{}, core.VlanIdInUse(seg.SegmentationID, seg.PhysicalNetwork)
		}
		d.log.Debug("reserved VLAN", "physical_network", seg.PhysicalNetwork, "vlan_id", seg.SegmentationID)
		seg.MTU = d.MTU(seg.PhysicalNetwork)
		return seg, nil
	}

	candidates := d.ranges
	if seg.PhysicalNetwork != "" {
		ranges, _ := d.ranges.Lookup(seg.PhysicalNetwork)
		candidates = Ranges{{PhysicalNetwork: seg.PhysicalNetwork, Ranges: ranges}}
	}
	physnet, id, ok, err := d.allocate(ctx, alloc, candidates)
	if err != nil {
		return core.Segment{}, err
	}
	if !ok {
		return core.Segment{}, core.NoNetworkAvailable()
	}
	seg.PhysicalNetwork, seg.SegmentationID, seg.MTU = physnet, id, d.MTU(physnet)
	return seg, nil
}

// AllocateTenantSegment allocates a free VLAN from the pools, physical
// network by physical network in configuration order. It returns nil when
// every pool is exhausted.
func (d *Driver) AllocateTenantSegment(ctx context.Context, alloc core.SegmentAllocator) (*core.Segment, error) {
	physnet, id, ok, err := d.allocate(ctx, alloc, d.ranges)
	if err != nil || !ok {
		return nil, err
	}
	return &core.Segment{
		NetworkType:     core.TypeVLAN,
		PhysicalNetwork: physnet,
		SegmentationID:  id,
		MTU:             d.MTU(physnet),
	}, nil
}

// allocate takes the first free VLAN of candidates' pools, in order; ok is
// false if there is none.
func (d *Driver) allocate(ctx context.Context, alloc core.SegmentAllocator, candidates Ranges) (physnet string, id int64, ok bool, err error) {
	for _, p := range candidates {
		if len(p.Ranges) == 0 {
			continue
		}
		id, ok, err = alloc.AllocateSegment(ctx, core.TypeVLAN, p.PhysicalNetwork, p.Ranges)
		if err != nil {
			return "", 0, false, fmt.Errorf("allocating a VLAN on physical network %s: %w", p.PhysicalNetwork, err)
		}
		if ok {
			d.log.Debug("allocated VLAN", "physical_network", p.PhysicalNetwork, "vlan_id", id)
			return p.PhysicalNetwork, id, true, nil
		}
	}
	return "", 0, false, nil
}

// ReleaseSegment frees seg's VLAN: back to the pool when inside the
// physical network's ranges, for good otherwise. A VLAN that was not
// allocated is only logged.
func (d *Driver) ReleaseSegment(ctx context.Context, alloc core.SegmentAllocator, seg core.Segment) error {
	ok, err := alloc.ReleaseSegment(ctx, key(seg.PhysicalNetwork, seg.SegmentationID))
	if err != nil {
		return fmt.Errorf("releasing VLAN %d on physical network %s: %w", seg.SegmentationID, seg.PhysicalNetwork, err)
	}
	if !ok {
		d.log.Warn("no VLAN allocation found to release",
			"physical_network", seg.PhysicalNetwork, "vlan_id", seg.SegmentationID)
		return nil
	}
	d.log.Debug("released VLAN", "physical_network", seg.PhysicalNetwork, "vlan_id", seg.SegmentationID,
		"to_pool", d.ranges.Contains(seg.PhysicalNetwork, seg.SegmentationID))
	return nil
}

// MTU returns the MTU of VLAN segments on physnet (MTUConfig.PhysnetMTU).
func (d *Driver) MTU(physnet string) int { return d.mtu.PhysnetMTU(physnet) }

func key(physnet string, id int64) core.SegmentKey {
	return core.SegmentKey{NetworkType: core.TypeVLAN, PhysicalNetwork: physnet, SegmentationID: id}
}
