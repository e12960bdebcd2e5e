package ipam

import (
	"net"
	"net/netip"

	"github.com/ml2go/ml2go/core"
)

// EUI64 returns the modified EUI-64 address (RFC 4291 appendix A) of a MAC
// on an IPv6 prefix, as SLAAC and DHCPv6-stateless subnets assign it: the
// prefix's network address with the interface identifier made from the MAC
// (ff:fe inserted in the middle, the universal/local bit flipped) in its
// low 64 bits. The prefix must be IPv6 and at most 64 bits long.
func EUI64(prefix netip.Prefix, mac string) (netip.Addr, error) {
	if !prefix.IsValid() || !prefix.Addr().Is6() || prefix.Addr().Is4In6() {
		return netip.Addr{}, core.InvalidInput("Unable to generate IP address by EUI64 for IPv4 prefix")
	}
	hw, err := parseHW(mac)
	if err != nil || prefix.Bits() > 64 {
		return netip.Addr{}, core.InvalidInput("Bad prefix or mac format for generating IPv6 address by EUI-64: %s, %s",
			prefix, mac)
	}
	b := prefix.Masked().Addr().As16()
	iid := [8]byte{hw[0] ^ 0x02, hw[1], hw[2], 0xff, 0xfe, hw[3], hw[4], hw[5]}
	copy(b[8:], iid[:])
	return netip.AddrFrom16(b), nil
}

// parseHW parses a 48-bit MAC in any form net.ParseMAC accepts, or as 12
// bare hex digits.
func parseHW(s string) (net.HardwareAddr, error) {
	if len(s) == 12 {
		s = s[0:2] + ":" + s[2:4] + ":" + s[4:6] + ":" + s[6:8] + ":" + s[8:10] + ":" + s[10:12]
	}
	hw, err := net.ParseMAC(s)
	if err != nil {
		return nil, err
	}
	if len(hw) != 6 {
		return nil, &net.AddrError{Err: "not a 48-bit MAC address", Addr: s}
	}
	return hw, nil
}
