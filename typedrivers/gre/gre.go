// Package gre is the type driver for GRE overlay networks, built on
// package tunnel.
//
// GRE keys run from 1 to MaxKey. The tenant pool is Config.TunnelIDRanges
// ([ml2_type_gre] tunnel_id_ranges, parsed with ParseTunnelIDRanges);
// provider networks may use any key. Segment MTU is the underlay MTU less
// the outer IP header and Overhead bytes.
package gre

import (
	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
	"github.com/ml2go/ml2go/typedrivers/tunnel"
)

// GRE constants.
const (
	// MaxKey is the largest GRE key (2^32−1).
	MaxKey = 1<<32 - 1
	// Overhead is the GRE encapsulation overhead besides the outer IP
	// header.
	Overhead = 22
)

// spec describes the tunnel type.
var spec = tunnel.Spec{NetworkType: core.TypeGRE, RangesOption: "tunnel_id_ranges", MaxID: MaxKey, Overhead: Overhead}

// Config configures the GRE driver.
type Config struct {
	// TunnelIDRanges is tunnel_id_ranges, the tenant pool; empty means no
	// tenant GRE networks.
	TunnelIDRanges []core.SegmentRange
	// MTU gives the underlay MTU: see MTUConfig.OverlayMTU.
	MTU typedrivers.MTUConfig
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is the GRE type driver: a tunnel.Driver for the type.
type Driver struct {
	*tunnel.Driver
}

var _ core.TypeDriver = (*Driver)(nil)

// New returns a GRE driver for cfg. The configuration is copied; it is
// checked by Initialize.
func New(cfg Config) *Driver {
	return &Driver{tunnel.New(spec, tunnel.Config{Ranges: cfg.TunnelIDRanges, MTU: cfg.MTU, Logger: cfg.Logger})}
}

// ParseTunnelIDRanges parses tunnel_id_ranges entries of the form
// "min:max" (see tunnel.ParseRanges).
func ParseTunnelIDRanges(entries []string) ([]core.SegmentRange, error) {
	return tunnel.ParseRanges(spec.RangesOption, spec.NetworkType, entries, MaxKey)
}
