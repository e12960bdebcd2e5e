// Package tunnel is the implementation the overlay type drivers (vxlan,
// gre, geneve) share. A Spec describes one tunnel type; New builds a
// core.TypeDriver for it.
//
// Tunnel segments have no physical network. Provider networks may use any
// id, inside the configured ranges or not (not even checked against the
// type's maximum, as in Neutron); tenant networks get a free id from the
// ranges. Allocations live in the store (see package typedrivers): ranges
// come from configuration only, there is no start-up synchronisation, ids
// stay allocated across range changes, and ids outside the current ranges
// are never handed out to tenants again once released.
package tunnel

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
)

// Spec describes a tunnel network type.
type Spec struct {
	// NetworkType is the network_type handled, e.g. core.TypeVXLAN.
	NetworkType string
	// RangesOption names the ranges' configuration option in errors and
	// logs, e.g. "vni_ranges".
	RangesOption string
	// MaxID is the largest valid tunnel id; the smallest is 1.
	MaxID int64
	// Overhead is the encapsulation overhead, in bytes, besides the outer
	// IP header, subtracted from the underlay MTU.
	Overhead int
}

// Config configures a tunnel driver.
type Config struct {
	// Ranges are the tenant pool; empty means no tenant networks of this
	// type. Ranges may overlap.
	Ranges []core.SegmentRange
	// MTU gives the underlay MTU: see MTUConfig.OverlayMTU.
	MTU typedrivers.MTUConfig
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is a tunnel type driver. Build it with New.
type Driver struct {
	spec   Spec
	ranges []core.SegmentRange
	mtu    typedrivers.MTUConfig
	log    hclog.Logger
}

var _ core.TypeDriver = (*Driver)(nil)

// New returns a driver for the tunnel type spec configured by cfg. The
// configuration is copied; it is checked by Initialize.
func New(spec Spec, cfg Config) *Driver {
	d := &Driver{spec: spec, ranges: slices.Clone(cfg.Ranges), mtu: cfg.MTU}
	d.mtu.PhysicalNetworkMTUs = maps.Clone(cfg.MTU.PhysicalNetworkMTUs)
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	d.log = log.Named(spec.NetworkType)
	return d
}

// Type returns the spec's network type.
func (d *Driver) Type() string { return d.spec.NetworkType }

// Initialize checks that every range lies within 1 and the type's maximum
// id and does not end before it starts (a *typedrivers.RangeError), the
// MTU configuration, and that the underlay MTU leaves room for the
// encapsulation.
func (d *Driver) Initialize(context.Context) error {
	if d.spec.NetworkType == "" || d.spec.MaxID < 1 {
		return fmt.Errorf("tunnel type driver: incomplete spec %+v", d.spec)
	}
	for _, r := range d.ranges {
		if err := checkRange(d.spec.RangesOption, fmt.Sprintf("%d:%d", r.Min, r.Max), r, d.spec.NetworkType, d.spec.MaxID); err != nil {
			return fmt.Errorf("%s type driver: %w", d.spec.NetworkType, err)
		}
	}
	if err := d.mtu.Validate(); err != nil {
		return fmt.Errorf("%s type driver: %w", d.spec.NetworkType, err)
	}
	if d.spec.Overhead < 0 {
		return fmt.Errorf("%s type driver: negative encapsulation overhead %d", d.spec.NetworkType, d.spec.Overhead)
	}
	if (d.mtu.Global() > 0 || d.mtu.PathMTU > 0) && d.MTU("") == 0 {
		return fmt.Errorf("%s type driver: underlay MTU too small for %d bytes of IP header and %d of encapsulation",
			d.spec.NetworkType, d.mtu.IPHeaderSize(), d.spec.Overhead)
	}
	d.log.Info("tunnel ranges", d.spec.RangesOption, FormatRanges(d.ranges), "mtu", d.MTU(""))
	return nil
}

// Spec returns the driver's tunnel type description.
func (d *Driver) Spec() Spec { return d.spec }

// Ranges returns a copy of the configured tenant pool.
func (d *Driver) Ranges() []core.SegmentRange { return slices.Clone(d.ranges) }

// IsPartialSegment reports whether seg has no tunnel id yet.
func (d *Driver) IsPartialSegment(seg core.Segment) bool { return seg.SegmentationID == 0 }

// ValidateProviderSegment refuses a physical network. Any tunnel id is
// accepted: ids are not checked against the ranges or the type's maximum.
func (d *Driver) ValidateProviderSegment(seg core.Segment) error {
	if seg.PhysicalNetwork != "" {
		return core.InvalidInput("provider:physical_network specified for %s network", d.spec.NetworkType)
	}
	return nil
}

// ReserveProviderSegment reserves seg's tunnel id (TunnelIdInUse if taken)
// or, when it has none, allocates a free one from the pool
// (NoNetworkAvailable if none). The result is seg completed, without
// physical network, with its MTU.
func (d *Driver) ReserveProviderSegment(ctx context.Context, alloc core.SegmentAllocator, seg core.Segment) (core.Segment, error) {
	seg.NetworkType, seg.PhysicalNetwork = d.spec.NetworkType, ""
	if d.IsPartialSegment(seg) {
		id, ok, err := d.allocate(ctx, alloc)
		if err != nil {
			return core.Segment{}, err
		}
		if !ok {
			return core.Segment{}, core.NoNetworkAvailable()
		}
		seg.SegmentationID = id
	} else {
		ok, err := alloc.ReserveSegment(ctx, d.key(seg.SegmentationID))
		if err != nil {
			return core.Segment{}, fmt.Errorf("reserving %s id %d: %w", d.spec.NetworkType, seg.SegmentationID, err)
		}
		if !ok {
			return core.Segment{}, core.TunnelIdInUse(seg.SegmentationID)
		}
		d.log.Debug("reserved tunnel id", "id", seg.SegmentationID)
	}
	seg.MTU = d.MTU("")
	return seg, nil
}

// AllocateTenantSegment allocates a free id from the pool; nil when the
// pool is empty or exhausted.
func (d *Driver) AllocateTenantSegment(ctx context.Context, alloc core.SegmentAllocator) (*core.Segment, error) {
	id, ok, err := d.allocate(ctx, alloc)
	if err != nil || !ok {
		return nil, err
	}
	return &core.Segment{NetworkType: d.spec.NetworkType, SegmentationID: id, MTU: d.MTU("")}, nil
}

func (d *Driver) allocate(ctx context.Context, alloc core.SegmentAllocator) (int64, bool, error) {
	if len(d.ranges) == 0 {
		return 0, false, nil
	}
	id, ok, err := alloc.AllocateSegment(ctx, d.spec.NetworkType, "", d.ranges)
	if err != nil {
		return 0, false, fmt.Errorf("allocating a %s id: %w", d.spec.NetworkType, err)
	}
	if ok {
		d.log.Debug("allocated tunnel id", "id", id)
	}
	return id, ok, nil
}

// ReleaseSegment frees seg's tunnel id: back to the pool when inside the
// ranges, for good otherwise. An id that was not allocated is only logged.
func (d *Driver) ReleaseSegment(ctx context.Context, alloc core.SegmentAllocator, seg core.Segment) error {
	ok, err := alloc.ReleaseSegment(ctx, d.key(seg.SegmentationID))
	if err != nil {
		return fmt.Errorf("releasing %s id %d: %w", d.spec.NetworkType, seg.SegmentationID, err)
	}
	if !ok {
		d.log.Warn("no tunnel allocation found to release", "id", seg.SegmentationID)
		return nil
	}
	d.log.Debug("released tunnel id", "id", seg.SegmentationID, "to_pool", d.inRanges(seg.SegmentationID))
	return nil
}

func (d *Driver) inRanges(id int64) bool {
	return slices.ContainsFunc(d.ranges, func(r core.SegmentRange) bool { return r.Contains(id) })
}

// MTU returns the MTU of the type's segments, whatever physnet:
// MTUConfig.OverlayMTU with the spec's overhead.
func (d *Driver) MTU(string) int { return d.mtu.OverlayMTU(d.spec.Overhead) }

func (d *Driver) key(id int64) core.SegmentKey {
	return core.SegmentKey{NetworkType: d.spec.NetworkType, SegmentationID: id}
}

// ParseRanges parses tunnel range entries of the form "min:max" for a
// tunnel type whose ids run from 1 to maxID. Entries and bounds are
// trimmed of spaces; blank entries are skipped. An entry that is not two
// integers separated by one colon, a bound outside 1–maxID, or a max below
// its min is a *typedrivers.RangeError naming option and the entry.
func ParseRanges(option, networkType string, entries []string, maxID int64) ([]core.SegmentRange, error) {
	var out []core.SegmentRange
	for _, entry := range entries {
		e := strings.TrimSpace(entry)
		if e == "" {
			continue
		}
		parts := strings.Split(e, ":")
		if len(parts) != 2 {
			return nil, &typedrivers.RangeError{Option: option, Entry: entry, Reason: "expected min:max"}
		}
		var bounds [2]int64
		for i, s := range parts {
			s = strings.TrimSpace(s)
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, &typedrivers.RangeError{Option: option, Entry: entry,
					Reason: fmt.Sprintf("%q is not an integer", s), Err: err}
			}
			bounds[i] = v
		}
		r := core.SegmentRange{Min: bounds[0], Max: bounds[1]}
		if err := checkRange(option, entry, r, networkType, maxID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func checkRange(option, entry string, r core.SegmentRange, networkType string, maxID int64) error {
	for _, v := range []int64{r.Min, r.Max} {
		if v < 1 || v > maxID {
			return &typedrivers.RangeError{Option: option, Entry: entry,
				Reason: fmt.Sprintf("%d is not a valid %s identifier (1 through %d)", v, networkType, maxID)}
		}
	}
	if r.Max < r.Min {
		return &typedrivers.RangeError{Option: option, Entry: entry,
			Reason: "end of tunnel range is less than start of tunnel range"}
	}
	return nil
}

// FormatRanges formats ranges the way they are configured, e.g.
// "100:199,1000:1999".
func FormatRanges(ranges []core.SegmentRange) string {
	parts := make([]string, len(ranges))
	for i, r := range ranges {
		parts[i] = fmt.Sprintf("%d:%d", r.Min, r.Max)
	}
	return strings.Join(parts, ",")
}
