// Package local is the type driver for local networks: networks confined
// to a single host, with no physical network, no segmentation id and no
// MTU opinion. Any number of local networks may exist.
package local

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
)

// Config configures the local driver.
type Config struct {
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is the local type driver. Build it with New.
type Driver struct {
	log hclog.Logger
}

var _ core.TypeDriver = (*Driver)(nil)

// New returns a local driver.
func New(cfg Config) *Driver {
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Driver{log: log.Named(core.TypeLocal)}
}

// Type returns core.TypeLocal.
func (d *Driver) Type() string { return core.TypeLocal }

// Initialize does nothing.
func (d *Driver) Initialize(context.Context) error {
	d.log.Info("local networks enabled")
	return nil
}

// IsPartialSegment returns false: a local segment is always complete.
func (d *Driver) IsPartialSegment(core.Segment) bool { return false }

// ValidateProviderSegment refuses a physical network or segmentation id.
func (d *Driver) ValidateProviderSegment(seg core.Segment) error {
	if seg.PhysicalNetwork != "" {
		return core.InvalidInput("physical_network prohibited for local provider network")
	}
	if seg.SegmentationID != 0 {
		return core.InvalidInput("segmentation_id prohibited for local provider network")
	}
	return nil
}

// ReserveProviderSegment reserves nothing and returns seg.
func (d *Driver) ReserveProviderSegment(_ context.Context, _ core.SegmentAllocator, seg core.Segment) (core.Segment, error) {
	seg.NetworkType = core.TypeLocal
	return seg, nil
}

// AllocateTenantSegment returns a local segment; there is no pool to
// exhaust.
func (d *Driver) AllocateTenantSegment(context.Context, core.SegmentAllocator) (*core.Segment, error) {
	return &core.Segment{NetworkType: core.TypeLocal}, nil
}

// ReleaseSegment does nothing.
func (d *Driver) ReleaseSegment(context.Context, core.SegmentAllocator, core.Segment) error {
	return nil
}

// MTU returns 0: local networks have no MTU opinion.
func (d *Driver) MTU(string) int { return 0 }
