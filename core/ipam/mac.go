package ipam

import (
	"math/rand/v2"
	"net"

	"github.com/ml2go/ml2go/core"
)

// ParseMAC validates a MAC address as the API gives it (colon, dash or
// dotted form, or 12 bare hex digits) and returns it in lower-case colon
// form. Invalid, all-zero and broadcast addresses are refused with
// Neutron's attribute error: HTTPBadRequest "Invalid input for mac_address.
// Reason: '<s>' is not a valid MAC address.".
func ParseMAC(s string) (string, error) {
	hw, err := parseHW(s)
	if err != nil || isAll(hw, 0x00) || isAll(hw, 0xff) {
		return "", attrError("mac_address", "'%s' is not a valid MAC address", s)
	}
	return hw.String(), nil
}

func isAll(hw net.HardwareAddr, b byte) bool {
	for _, x := range hw {
		if x != b {
			return false
		}
	}
	return true
}

// MACGenerator generates random MAC addresses from a base MAC, as Neutron's
// base_mac option: the first three octets are copied, the fourth too when
// it is not 00, and the remaining octets are random. A MACGenerator is
// immutable and safe for concurrent use; its randomness comes from
// math/rand/v2's concurrency-safe source.
type MACGenerator struct {
	base  [6]byte
	fixed int // octets copied from base: 3 or 4
}

// NewMACGenerator returns a generator for base; "" means
// core.DefaultMACPrefix (fa:16:3e:00:00:00). An unparsable base is
// InvalidInput.
func NewMACGenerator(base string) (*MACGenerator, error) {
	if base == "" {
		base = core.DefaultMACPrefix
	}
	hw, err := parseHW(base)
	if err != nil {
		return nil, core.InvalidInput("'%s' is not a valid base_mac", base)
	}
	g := &MACGenerator{fixed: 3}
	copy(g.base[:], hw)
	if hw[3] != 0 {
		g.fixed = 4
	}
	return g, nil
}

// Generate returns a new random MAC in lower-case colon form. Uniqueness on
// a network is the store's job (MacAddressInUse); callers retry.
func (g *MACGenerator) Generate() string {
	mac := g.base
	r := rand.Uint32()
	for i := g.fixed; i < len(mac); i++ {
		mac[i] = byte(r >> (8 * (i - g.fixed)))
	}
	return net.HardwareAddr(mac[:]).String()
}
