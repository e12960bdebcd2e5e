package vlan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
)

// VLAN tag bounds.
const (
	MinVLANTag = 1
	MaxVLANTag = 4094
)

// fullRange is every valid VLAN tag, the range of a physical network listed
// without one.
var fullRange = core.SegmentRange{Min: MinVLANTag, Max: MaxVLANTag}

// rangesOption names the configuration option in errors.
const rangesOption = "network_vlan_ranges"

// PhysnetRanges is one physical network and its VLAN ranges.
type PhysnetRanges struct {
	// PhysicalNetwork names the physical network.
	PhysicalNetwork string
	// Ranges form the physical network's tenant pool, in order. A
	// physical network with no ranges accepts provider networks but has no
	// pool (ParseNetworkVLANRanges never produces one).
	Ranges []core.SegmentRange
}

// Ranges is network_vlan_ranges: the physical networks VLAN networks may
// use, in configuration order, with their VLAN ranges. A physical network
// appears at most once.
type Ranges []PhysnetRanges

// Physnets returns the physical networks in order.
func (r Ranges) Physnets() []string {
	out := make([]string, len(r))
	for i, p := range r {
		out[i] = p.PhysicalNetwork
	}
	return out
}

// Lookup returns the ranges of physnet and whether it is configured.
func (r Ranges) Lookup(physnet string) ([]core.SegmentRange, bool) {
	for _, p := range r {
		if p.PhysicalNetwork == physnet {
			return p.Ranges, true
		}
	}
	return nil, false
}

// Contains reports whether id lies in one of physnet's ranges.
func (r Ranges) Contains(physnet string, id int64) bool {
	ranges, _ := r.Lookup(physnet)
	return slices.ContainsFunc(ranges, func(sr core.SegmentRange) bool { return sr.Contains(id) })
}

// Clone returns a deep copy of r.
func (r Ranges) Clone() Ranges {
	if r == nil {
		return nil
	}
	out := make(Ranges, len(r))
	for i, p := range r {
		out[i] = PhysnetRanges{PhysicalNetwork: p.PhysicalNetwork, Ranges: slices.Clone(p.Ranges)}
	}
	return out
}

// Validate reports an empty or repeated physical network name (a
// *typedrivers.PhysicalNetworkNameError or an error naming the physical
// network) and any range outside 1–4094 or ending before it starts (a
// *typedrivers.RangeError).
func (r Ranges) Validate() error {
	seen := make(map[string]bool, len(r))
	for _, p := range r {
		if p.PhysicalNetwork == "" {
			return &typedrivers.PhysicalNetworkNameError{Option: rangesOption, Entry: ""}
		}
		if seen[p.PhysicalNetwork] {
			return fmt.Errorf("%s: physical network %q listed twice", rangesOption, p.PhysicalNetwork)
		}
		seen[p.PhysicalNetwork] = true
		for _, sr := range p.Ranges {
			entry := fmt.Sprintf("%s:%d:%d", p.PhysicalNetwork, sr.Min, sr.Max)
			if err := checkRange(entry, sr); err != nil {
				return err
			}
		}
	}
	return nil
}

// String formats r the way it is configured, e.g.
// "physnet1:100:199,physnet1:300:399,physnet2:1:4094".
func (r Ranges) String() string {
	var parts []string
	for _, p := range r {
		if len(p.Ranges) == 0 {
			parts = append(parts, p.PhysicalNetwork)
		}
		for _, sr := range p.Ranges {
			parts = append(parts, fmt.Sprintf("%s:%d:%d", p.PhysicalNetwork, sr.Min, sr.Max))
		}
	}
	return strings.Join(parts, ",")
}

// ParseNetworkVLANRanges parses network_vlan_ranges entries, each either
// "physnet:min:max" or a bare "physnet".
//
// Entries are trimmed of spaces; blank entries are skipped. The result
// lists physical networks in order of first appearance, each with its
// ranges in order. A bare physical network gets exactly the full range 1–4094,
// replacing ranges listed before it; ranges listed after it for the same
// physical network are ignored.
//
// An entry with a colon but not exactly two, or a bound that is not an
// integer in 1–4094, or a max below its min, is a *typedrivers.RangeError;
// an empty physical network name is a *typedrivers.PhysicalNetworkNameError.
func ParseNetworkVLANRanges(entries []string) (Ranges, error) {
	var out Ranges
	index := map[string]int{} // physnet → position in out
	set := func(physnet string, ranges []core.SegmentRange, bare bool) {
		i, ok := index[physnet]
		if !ok {
			index[physnet] = len(out)
			out = append(out, PhysnetRanges{PhysicalNetwork: physnet, Ranges: ranges})
			return
		}
		p := &out[i]
		switch {
		case bare:
			p.Ranges = ranges
		case len(p.Ranges) == 1 && p.Ranges[0] == fullRange:
			// Already the full range from a bare entry: ignored.
		default:
			p.Ranges = append(p.Ranges, ranges...)
		}
	}
	for _, entry := range entries {
		e := strings.TrimSpace(entry)
		if e == "" {
			continue
		}
		if !strings.Contains(e, ":") {
			set(e, []core.SegmentRange{fullRange}, true)
			continue
		}
		parts := strings.Split(e, ":")
		if len(parts) != 3 {
			return nil, &typedrivers.RangeError{Option: rangesOption, Entry: entry,
				Reason: "need exactly two values for VLAN range"}
		}
		physnet := parts[0]
		if physnet == "" {
			return nil, &typedrivers.PhysicalNetworkNameError{Option: rangesOption, Entry: entry}
		}
		var bounds [2]int64
		for i, s := range parts[1:] {
			s = strings.TrimSpace(s)
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, &typedrivers.RangeError{Option: rangesOption, Entry: entry,
					Reason: fmt.Sprintf("%q is not a valid VLAN tag", s), Err: err}
			}
			bounds[i] = v
		}
		sr := core.SegmentRange{Min: bounds[0], Max: bounds[1]}
		if err := checkRange(entry, sr); err != nil {
			return nil, err
		}
		set(physnet, []core.SegmentRange{sr}, false)
	}
	return out, nil
}

// checkRange reports a bound outside 1–4094 or max < min.
func checkRange(entry string, sr core.SegmentRange) error {
	for _, v := range []int64{sr.Min, sr.Max} {
		if !ValidTag(v) {
			return &typedrivers.RangeError{Option: rangesOption, Entry: entry,
				Reason: fmt.Sprintf("%d is not a valid VLAN tag (%d through %d)", v, MinVLANTag, MaxVLANTag)}
		}
	}
	if sr.Max < sr.Min {
		return &typedrivers.RangeError{Option: rangesOption, Entry: entry,
			Reason: "end of VLAN range is less than start of VLAN range"}
	}
	return nil
}

// ValidTag reports whether id is a valid VLAN tag (1–4094).
func ValidTag(id int64) bool { return MinVLANTag <= id && id <= MaxVLANTag }
