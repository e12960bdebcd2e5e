package typedrivers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// Header sizes, in bytes, used in MTU computations.
const (
	// IPv4HeaderSize is the outer IP header of an overlay over IPv4.
	IPv4HeaderSize = 20
	// IPv6HeaderSize is the outer IP header of an overlay over IPv6.
	IPv6HeaderSize = 40
)

// NoGlobalPhysnetMTU, as MTUConfig.GlobalPhysnetMTU, expresses Neutron's
// global_physnet_mtu = 0: no global MTU (a zero GlobalPhysnetMTU means the
// default, 1500).
const NoGlobalPhysnetMTU = -1

// MTUConfig holds the options from which type drivers compute the MTU of
// their segments. The zero value is Neutron's defaults: a 1500-byte
// physical MTU, no path MTU, no per-physnet MTUs and an IPv4 underlay.
type MTUConfig struct {
	// GlobalPhysnetMTU is global_physnet_mtu, the MTU of the underlying
	// physical networks. 0 means the default, core.DefaultGlobalPhysnetMTU
	// (1500); a negative value (NoGlobalPhysnetMTU) means none, which is
	// what Neutron's global_physnet_mtu = 0 means.
	GlobalPhysnetMTU int
	// PathMTU is [ml2] path_mtu, the largest IP packet the overlay
	// underlay carries; 0 (or negative) means unset. Flat and VLAN
	// segments ignore it.
	PathMTU int
	// PhysicalNetworkMTUs is [ml2] physical_network_mtus: the MTU of
	// individual physical networks, for flat and VLAN segments. See
	// ParsePhysnetMTUs.
	PhysicalNetworkMTUs map[string]int
	// OverlayIPVersion is [ml2] overlay_ip_version, the IP version of
	// tunnel endpoints: 4 or 6; 0 means 4. It selects the outer IP header
	// size subtracted from overlay MTUs.
	OverlayIPVersion int
}

// Validate reports an OverlayIPVersion other than 0, 4 and 6, or an entry
// of PhysicalNetworkMTUs with an empty name or a non-positive MTU.
func (c MTUConfig) Validate() error {
	switch c.OverlayIPVersion {
	case 0, 4, 6:
	default:
		return fmt.Errorf("overlay_ip_version %d: must be 4 or 6", c.OverlayIPVersion)
	}
	for physnet, mtu := range c.PhysicalNetworkMTUs {
		if physnet == "" {
			return fmt.Errorf("physical_network_mtus: empty physical network name")
		}
		if mtu <= 0 {
			return fmt.Errorf("physical_network_mtus: MTU %d of physical network %q must be positive", mtu, physnet)
		}
	}
	return nil
}

// Global returns the effective global physical network MTU, 0 for none.
func (c MTUConfig) Global() int {
	switch {
	case c.GlobalPhysnetMTU == 0:
		return core.DefaultGlobalPhysnetMTU
	case c.GlobalPhysnetMTU < 0:
		return 0
	}
	return c.GlobalPhysnetMTU
}

// IPHeaderSize is the size of the overlay's outer IP header: 20 bytes for
// an IPv4 underlay, 40 for IPv6.
func (c MTUConfig) IPHeaderSize() int {
	if c.OverlayIPVersion == 6 {
		return IPv6HeaderSize
	}
	return IPv4HeaderSize
}

// PhysnetMTU is the MTU of a flat or VLAN segment on physnet: the smaller
// of the global physical network MTU and physnet's own MTU, whichever are
// set, or 0 (no opinion) when neither is. PathMTU plays no part.
func (c MTUConfig) PhysnetMTU(physnet string) int {
	mtu := c.Global()
	if m, ok := c.PhysicalNetworkMTUs[physnet]; ok && m > 0 && (mtu == 0 || m < mtu) {
		mtu = m
	}
	return mtu
}

// OverlayMTU is the MTU of an overlay segment whose encapsulation adds
// overhead bytes besides the outer IP header: the smaller of the global
// physical network MTU and PathMTU, whichever are set, less the outer IP
// header and overhead. It is 0 (no opinion) when neither is set, or when
// nothing would be left.
func (c MTUConfig) OverlayMTU(overhead int) int {
	base := c.Global()
	if c.PathMTU > 0 && (base == 0 || c.PathMTU < base) {
		base = c.PathMTU
	}
	if base == 0 {
		return 0
	}
	return max(base-c.IPHeaderSize()-overhead, 0)
}

// ParsePhysnetMTUs parses [ml2] physical_network_mtus: entries of the form
// "physnet:mtu". Entries and their two parts are trimmed of spaces; blank
// entries are skipped. An entry without exactly one colon, with an empty
// name or MTU, with a name given twice, or with an MTU that is not a
// positive integer is a *MappingError. Several physnets may share an MTU.
//
// Neutron logs such errors and carries on with no per-physnet MTUs; callers
// wanting that leniency can do the same with the error.
func ParsePhysnetMTUs(entries []string) (map[string]int, error) {
	const option = "physical_network_mtus"
	out := make(map[string]int, len(entries))
	for _, entry := range entries {
		e := strings.TrimSpace(entry)
		if e == "" {
			continue
		}
		bad := func(reason string, err error) error {
			return &MappingError{Option: option, Entry: entry, Reason: reason, Err: err}
		}
		parts := strings.Split(e, ":")
		if len(parts) != 2 {
			return nil, bad("expected physnet:mtu", nil)
		}
		physnet, value := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
		if physnet == "" {
			return nil, bad("missing physical network name", nil)
		}
		if value == "" {
			return nil, bad("missing MTU", nil)
		}
		if _, dup := out[physnet]; dup {
			return nil, bad(fmt.Sprintf("physical network %q is not unique", physnet), nil)
		}
		mtu, err := strconv.Atoi(value)
		if err != nil {
			return nil, bad(fmt.Sprintf("MTU %q is not an integer", value), err)
		}
		if mtu <= 0 {
			return nil, bad(fmt.Sprintf("MTU %d is not positive", mtu), nil)
		}
		out[physnet] = mtu
	}
	return out, nil
}
