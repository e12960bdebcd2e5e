package ipam

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
	"net/netip"

	"github.com/ml2go/ml2go/core"
)

// u128 is an address as a 128-bit integer (IPv4 in its IPv4-mapped IPv6
// form), so ranges of any size can be measured and offset without
// enumerating them.
type u128 struct{ hi, lo uint64 }

func u128Of(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// addr converts back to an address of the given family.
func (u u128) addr(is4 bool) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], u.hi)
	binary.BigEndian.PutUint64(b[8:], u.lo)
	a := netip.AddrFrom16(b)
	if is4 {
		a = a.Unmap()
	}
	return a
}

func (u u128) add(v u128) u128 {
	lo, carry := bits.Add64(u.lo, v.lo, 0)
	hi, _ := bits.Add64(u.hi, v.hi, carry)
	return u128{hi, lo}
}

func (u u128) sub(v u128) u128 {
	lo, borrow := bits.Sub64(u.lo, v.lo, 0)
	hi, _ := bits.Sub64(u.hi, v.hi, borrow)
	return u128{hi, lo}
}

func (u u128) or(v u128) u128 { return u128{u.hi | v.hi, u.lo | v.lo} }

// lowOnes has the n low bits set.
func lowOnes(n int) u128 {
	switch {
	case n >= 128:
		return u128{math.MaxUint64, math.MaxUint64}
	case n >= 64:
		return u128{1<<(n-64) - 1, math.MaxUint64}
	default:
		return u128{0, 1<<n - 1}
	}
}

// randUpTo returns a uniformly random value in [0, n].
func randUpTo(n u128) u128 {
	if n.hi == 0 {
		if n.lo == math.MaxUint64 {
			return u128{0, rand.Uint64()}
		}
		return u128{0, rand.Uint64N(n.lo + 1)}
	}
	// Draw the high word in [0, n.hi] and the low word freely, and
	// reject draws above n: every accepted value is equally likely and
	// at least half the draws are accepted.
	for {
		var hi uint64
		if n.hi == math.MaxUint64 {
			hi = rand.Uint64()
		} else {
			hi = rand.Uint64N(n.hi + 1)
		}
		lo := rand.Uint64()
		if hi < n.hi || lo <= n.lo {
			return u128{hi, lo}
		}
	}
}

// randomIn returns a uniformly random address of r (Start <= End).
func randomIn(r core.IPRange) netip.Addr {
	start := u128Of(r.Start)
	off := randUpTo(u128Of(r.End).sub(start))
	return start.add(off).addr(r.Start.Is4())
}

// lastAddr is the highest address of p (the IPv4 broadcast address).
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	return u128Of(a).or(lowOnes(a.BitLen() - p.Bits())).addr(a.Is4())
}

// rangesOverlap reports whether two ranges of one family share an address.
func rangesOverlap(a, b core.IPRange) bool {
	return a.Start.Compare(b.End) <= 0 && b.Start.Compare(a.End) <= 0
}
