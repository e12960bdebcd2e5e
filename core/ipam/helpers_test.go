package ipam

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
)

func ip(s string) netip.Addr     { return netip.MustParseAddr(s) }
func ipp(s string) *netip.Addr   { a := ip(s); return &a }
func cidr(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func nullIP() *netip.Addr        { return &netip.Addr{} }
func boolp(b bool) *bool         { return &b }
func intp(i int) *int            { return &i }
func ips(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = ip(s)
	}
	return out
}

// pools parses "start-end" ranges.
func pools(ss ...string) []core.IPRange {
	out := make([]core.IPRange, len(ss))
	for i, s := range ss {
		start, end, _ := strings.Cut(s, "-")
		out[i] = core.IPRange{Start: ip(start), End: ip(end)}
	}
	return out
}

func poolsp(ss ...string) *[]core.IPRange { p := pools(ss...); return &p }

func route(dest, nexthop string) core.HostRoute {
	return core.HostRoute{Destination: cidr(dest), NextHop: ip(nexthop)}
}

// wantErr describes an expected typed error.
type wantErr struct {
	kind core.Kind
	typ  string
	msg  string // substring of the message
}

func requireErr(t *testing.T, err error, w wantErr) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, w.typ, core.TypeOf(err), "type of %q", err)
	assert.Equal(t, w.kind, core.KindOf(err), "kind of %q", err)
	assert.Contains(t, err.Error(), w.msg)
}

func badRequest(typ, msg string) *wantErr { return &wantErr{core.KindBadRequest, typ, msg} }
func conflict(typ, msg string) *wantErr   { return &wantErr{core.KindConflict, typ, msg} }
