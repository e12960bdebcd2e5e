package linuxbridge

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
)

func TestDiffFDB(t *testing.T) {
	const (
		flood = dataplane.FloodMAC
		macA  = "fa:16:3e:00:00:0a"
		macB  = "fa:16:3e:00:00:0b"
	)
	ep1 := netip.MustParseAddr("192.0.2.1")
	ep2 := netip.MustParseAddr("192.0.2.2")
	ep3 := netip.MustParseAddr("192.0.2.3")
	e := func(mac string, dst netip.Addr) fdbEntry { return fdbEntry{mac, dst} }
	op := func(k fdbOpKind, mac string, dst netip.Addr) fdbOp { return fdbOp{k, fdbEntry{mac, dst}} }

	tests := []struct {
		name            string
		desired, actual []fdbEntry
		want            []fdbOp
	}{
		{name: "both empty"},
		{
			name:    "converged",
			desired: []fdbEntry{e(flood, ep1), e(flood, ep2), e(macA, ep1)},
			actual:  []fdbEntry{e(macA, ep1), e(flood, ep2), e(flood, ep1)},
		},
		{
			name:    "cold: flood appended, unicast replaced",
			desired: []fdbEntry{e(macA, ep1), e(flood, ep1), e(flood, ep2), e(macB, ep2)},
			want: []fdbOp{
				op(fdbAppend, flood, ep1), op(fdbAppend, flood, ep2),
				op(fdbReplace, macA, ep1), op(fdbReplace, macB, ep2),
			},
		},
		{
			name:   "everything stale is deleted",
			actual: []fdbEntry{e(flood, ep1), e(macA, ep1)},
			want:   []fdbOp{op(fdbDelete, flood, ep1), op(fdbDelete, macA, ep1)},
		},
		{
			name:    "flood endpoint swapped: append before delete",
			desired: []fdbEntry{e(flood, ep1), e(flood, ep3)},
			actual:  []fdbEntry{e(flood, ep1), e(flood, ep2)},
			want:    []fdbOp{op(fdbAppend, flood, ep3), op(fdbDelete, flood, ep2)},
		},
		{
			name:    "unicast moved: one replace",
			desired: []fdbEntry{e(macA, ep2)},
			actual:  []fdbEntry{e(macA, ep1)},
			want:    []fdbOp{op(fdbReplace, macA, ep2)},
		},
		{
			name:    "unicast with extra endpoints: extras deleted",
			desired: []fdbEntry{e(macA, ep2)},
			actual:  []fdbEntry{e(macA, ep1), e(macA, ep2), e(macA, ep3)},
			want:    []fdbOp{op(fdbDelete, macA, ep1), op(fdbDelete, macA, ep3)},
		},
		{
			name:    "unicast with several wrong endpoints: cleared then replaced",
			desired: []fdbEntry{e(macA, ep3)},
			actual:  []fdbEntry{e(macA, ep2), e(macA, ep1)},
			want:    []fdbOp{op(fdbDelete, macA, ep1), op(fdbDelete, macA, ep2), op(fdbReplace, macA, ep3)},
		},
		{
			name:    "unicast desired twice: lowest endpoint wins",
			desired: []fdbEntry{e(macA, ep3), e(macA, ep2)},
			want:    []fdbOp{op(fdbReplace, macA, ep2)},
		},
		{
			name:    "duplicates in desired (one entry per fixed IP) collapse",
			desired: []fdbEntry{e(macA, ep1), e(macA, ep1), e(flood, ep1), e(flood, ep1)},
			want:    []fdbOp{op(fdbAppend, flood, ep1), op(fdbReplace, macA, ep1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, diffFDB(tt.desired, tt.actual))
		})
	}
}

func TestDiffNeigh(t *testing.T) {
	ip1 := netip.MustParseAddr("198.51.100.1")
	ip2 := netip.MustParseAddr("198.51.100.2")
	ip6 := netip.MustParseAddr("2001:db8::1")
	const macA, macB = "fa:16:3e:00:00:0a", "fa:16:3e:00:00:0b"

	tests := []struct {
		name            string
		desired, actual map[netip.Addr]string
		want            []neighOp
	}{
		{name: "empty"},
		{
			name:    "converged",
			desired: map[netip.Addr]string{ip1: macA, ip6: macB},
			actual:  map[netip.Addr]string{ip1: macA, ip6: macB},
		},
		{
			name:    "added, changed and stale",
			desired: map[netip.Addr]string{ip1: macB, ip6: macA},
			actual:  map[netip.Addr]string{ip1: macA, ip2: macB},
			want: []neighOp{
				{neighReplace, ip1, macB},
				{neighDelete, ip2, macB},
				{neighReplace, ip6, macA},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, diffNeigh(tt.desired, tt.actual))
		})
	}
}
