package linuxbridge

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
)

// fdbEntry is one forwarding entry of a VXLAN device: frames for MAC go to
// the tunnel endpoint Dst. The flood MAC (all zeros) may have several
// entries, one per endpoint; any other MAC has one.
type fdbEntry struct {
	MAC string
	Dst netip.Addr
}

// fdbOpKind is what an fdbOp does to the kernel's table.
type fdbOpKind int

const (
	// fdbReplace is `bridge fdb replace`: sets the single endpoint of a
	// unicast MAC, replacing the one it had.
	fdbReplace fdbOpKind = iota + 1
	// fdbAppend is `bridge fdb append`: adds one more endpoint to the
	// flood MAC.
	fdbAppend
	// fdbDelete is `bridge fdb del ... dst`: removes one endpoint of a MAC.
	fdbDelete
)

// String names the operation as the bridge command does.
func (k fdbOpKind) String() string {
	switch k {
	case fdbReplace:
		return "replace"
	case fdbAppend:
		return "append"
	case fdbDelete:
		return "del"
	}
	return "unknown"
}

// fdbOp is one change to a VXLAN device's forwarding table.
type fdbOp struct {
	Kind fdbOpKind
	fdbEntry
}

// diffFDB returns the operations that turn the actual forwarding table of
// a VXLAN device into the desired one, touching only what differs, in a
// deterministic order (by MAC; for the flood MAC appends come before
// deletes so flooding never stops). A unicast MAC that desired lists with
// several endpoints keeps the lowest, so repeated runs agree.
func diffFDB(desired, actual []fdbEntry) []fdbOp {
	want := map[string][]netip.Addr{}
	for _, e := range desired {
		if !slices.Contains(want[e.MAC], e.Dst) {
			want[e.MAC] = append(want[e.MAC], e.Dst)
		}
	}
	have := map[string][]netip.Addr{}
	for _, e := range actual {
		if !slices.Contains(have[e.MAC], e.Dst) {
			have[e.MAC] = append(have[e.MAC], e.Dst)
		}
	}
	macs := make([]string, 0, len(want)+len(have))
	for mac := range want {
		macs = append(macs, mac)
	}
	for mac := range have {
		if _, ok := want[mac]; !ok {
			macs = append(macs, mac)
		}
	}
	slices.Sort(macs)

	var ops []fdbOp
	for _, mac := range macs {
		w, h := want[mac], have[mac]
		slices.SortFunc(w, netip.Addr.Compare)
		slices.SortFunc(h, netip.Addr.Compare)
		switch {
		case len(w) == 0:
			for _, dst := range h {
				ops = append(ops, fdbOp{fdbDelete, fdbEntry{mac, dst}})
			}
		case mac == dataplane.FloodMAC:
			for _, dst := range w {
				if !slices.Contains(h, dst) {
					ops = append(ops, fdbOp{fdbAppend, fdbEntry{mac, dst}})
				}
			}
			for _, dst := range h {
				if !slices.Contains(w, dst) {
					ops = append(ops, fdbOp{fdbDelete, fdbEntry{mac, dst}})
				}
			}
		default:
			dst := w[0]
			switch {
			case slices.Contains(h, dst):
				// Already there: drop any other endpoint.
				for _, d := range h {
					if d != dst {
						ops = append(ops, fdbOp{fdbDelete, fdbEntry{mac, d}})
					}
				}
			case len(h) > 1:
				// Replace would only swap the first endpoint: clear them all.
				for _, d := range h {
					ops = append(ops, fdbOp{fdbDelete, fdbEntry{mac, d}})
				}
				ops = append(ops, fdbOp{fdbReplace, fdbEntry{mac, dst}})
			default:
				ops = append(ops, fdbOp{fdbReplace, fdbEntry{mac, dst}})
			}
		}
	}
	return ops
}

// neighOpKind is what a neighOp does to a VXLAN device's neighbour table.
type neighOpKind int

const (
	// neighReplace is `ip neigh replace IP lladdr MAC nud permanent`.
	neighReplace neighOpKind = iota + 1
	// neighDelete is `ip neigh del IP`.
	neighDelete
)

// neighOp is one change to the neighbour (ARP/ND) entries that a VXLAN
// device with proxy on answers from.
type neighOp struct {
	Kind neighOpKind
	IP   netip.Addr
	MAC  string
}

// diffNeigh returns the operations that turn the actual permanent
// neighbour entries (IP → MAC) into the desired ones, ordered by IP.
func diffNeigh(desired, actual map[netip.Addr]string) []neighOp {
	var ops []neighOp
	for ip, mac := range desired {
		if actual[ip] != mac {
			ops = append(ops, neighOp{neighReplace, ip, mac})
		}
	}
	for ip, mac := range actual {
		if _, ok := desired[ip]; !ok {
			ops = append(ops, neighOp{neighDelete, ip, mac})
		}
	}
	slices.SortFunc(ops, func(a, b neighOp) int {
		return cmp.Or(a.IP.Compare(b.IP), cmp.Compare(a.Kind, b.Kind))
	})
	return ops
}
