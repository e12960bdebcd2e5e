// Package vxlan is the type driver for VXLAN overlay networks, built on
// package tunnel.
//
// VNIs run from 1 to MaxVNI. The tenant pool is Config.VNIRanges
// ([ml2_type_vxlan] vni_ranges, parsed with ParseVNIRanges); provider
// networks may use any VNI. Segment MTU is the underlay MTU less the outer
// IP header and Overhead bytes.
package vxlan

import (
	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
	"github.com/ml2go/ml2go/typedrivers/tunnel"
)

// VXLAN constants.
const (
	// MaxVNI is the largest VNI (2^24−1).
	MaxVNI = 1<<24 - 1
	// Overhead is the VXLAN encapsulation overhead besides the outer IP
	// header: outer Ethernet, UDP and VXLAN headers.
	Overhead = 30
	// UDPPort is the IANA VXLAN port.
	UDPPort = 4789
)

// spec describes the tunnel type.
var spec = tunnel.Spec{NetworkType: core.TypeVXLAN, RangesOption: "vni_ranges", MaxID: MaxVNI, Overhead: Overhead}

// Config configures the VXLAN driver.
type Config struct {
	// VNIRanges is vni_ranges, the tenant pool; empty means no tenant
	// VXLAN networks.
	VNIRanges []core.SegmentRange
	// VXLANGroup is vxlan_group, the multicast group (or range, in CIDR
	// form) agents may use for broadcast traffic. The server does not use
	// it; it is only carried for agents.
	VXLANGroup string
	// MTU gives the underlay MTU: see MTUConfig.OverlayMTU.
	MTU typedrivers.MTUConfig
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is the VXLAN type driver: a tunnel.Driver for the type.
type Driver struct {
	*tunnel.Driver
	group string
}

var _ core.TypeDriver = (*Driver)(nil)

// New returns a VXLAN driver for cfg. The configuration is copied; it is
// checked by Initialize.
func New(cfg Config) *Driver {
	return &Driver{
		Driver: tunnel.New(spec, tunnel.Config{Ranges: cfg.VNIRanges, MTU: cfg.MTU, Logger: cfg.Logger}),
		group:  cfg.VXLANGroup,
	}
}

// Group returns the configured vxlan_group, "" if none.
func (d *Driver) Group() string { return d.group }

// ParseVNIRanges parses vni_ranges entries of the form "min:max" (see
// tunnel.ParseRanges).
func ParseVNIRanges(entries []string) ([]core.SegmentRange, error) {
	return tunnel.ParseRanges(spec.RangesOption, spec.NetworkType, entries, MaxVNI)
}
