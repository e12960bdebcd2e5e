// Package geneve is the type driver for Geneve overlay networks, built on
// package tunnel.
//
// VNIs run from 1 to MaxVNI. The tenant pool is Config.VNIRanges
// ([ml2_type_geneve] vni_ranges, parsed with ParseVNIRanges); provider
// networks may use any VNI. Segment MTU is the underlay MTU less the outer
// IP header and Config.MaxHeaderSize bytes.
package geneve

import (
	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
	"github.com/ml2go/ml2go/typedrivers/tunnel"
)

// Geneve constants.
const (
	// MaxVNI is the largest VNI (2^24−1).
	MaxVNI = 1<<24 - 1
	// MinHeaderSize is the Geneve encapsulation overhead, besides the
	// outer IP header, without options; it is the default MaxHeaderSize.
	MinHeaderSize = 30
)

// rangesOption names the ranges' configuration option.
const rangesOption = "vni_ranges"

// Config configures the Geneve driver.
type Config struct {
	// VNIRanges is vni_ranges, the tenant pool; empty means no tenant
	// Geneve networks.
	VNIRanges []core.SegmentRange
	// MaxHeaderSize is max_header_size, the encapsulation overhead
	// subtracted from the underlay MTU besides the outer IP header,
	// options included (OVN needs at least 38). 0 means MinHeaderSize
	// (30); negative is an error.
	MaxHeaderSize int
	// MTU gives the underlay MTU: see MTUConfig.OverlayMTU.
	MTU typedrivers.MTUConfig
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is the Geneve type driver: a tunnel.Driver whose overhead is the
// configured MaxHeaderSize.
type Driver struct {
	*tunnel.Driver
}

var _ core.TypeDriver = (*Driver)(nil)

// New returns a Geneve driver for cfg. The configuration is copied; it is
// checked by Initialize.
func New(cfg Config) *Driver {
	header := cfg.MaxHeaderSize
	if header == 0 {
		header = MinHeaderSize
	}
	spec := tunnel.Spec{NetworkType: core.TypeGeneve, RangesOption: rangesOption, MaxID: MaxVNI, Overhead: header}
	return &Driver{tunnel.New(spec, tunnel.Config{Ranges: cfg.VNIRanges, MTU: cfg.MTU, Logger: cfg.Logger})}
}

// MaxHeaderSize returns the encapsulation overhead in use.
func (d *Driver) MaxHeaderSize() int { return d.Spec().Overhead }

// ParseVNIRanges parses vni_ranges entries of the form "min:max" (see
// tunnel.ParseRanges).
func ParseVNIRanges(entries []string) ([]core.SegmentRange, error) {
	return tunnel.ParseRanges(rangesOption, core.TypeGeneve, entries, MaxVNI)
}
