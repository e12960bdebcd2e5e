package ml2_test

import (
	"math/big"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

func poolSize(pools []core.IPRange) *big.Int {
	total := new(big.Int)
	for _, r := range pools {
		size := new(big.Int).Sub(new(big.Int).SetBytes(r.End.AsSlice()), new(big.Int).SetBytes(r.Start.AsSlice()))
		total.Add(total, size.Add(size, big.NewInt(1)))
	}
	return total
}

func TestNetworkIPAvailability(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		n := e.network(&ml2.NetworkRequest{Name: ptr("g-tenant-net"), ProjectID: "fake_project_id"})
		v4 := e.subnet(n.ID, "192.168.56.0/24", func(r *ml2.SubnetRequest) { r.Name = ptr("g-tenant-subnet") })
		v6 := e.subnet(n.ID, "2001:db8::/64")
		e.port(n.ID, func(r *ml2.PortRequest) { r.DeviceOwner = ptr("compute:nova") })
		e.port(n.ID, func(r *ml2.PortRequest) { r.DeviceOwner = ptr(core.DeviceOwnerDHCP) })
		// A router interface holds the gateway, outside the pools: it is
		// used all the same.
		e.port(n.ID, func(r *ml2.PortRequest) { r.DeviceOwner = ptr(core.DeviceOwnerRouterInterface) },
			fixed(ipReq(v4.ID, "192.168.56.1")))
		empty := e.network(&ml2.NetworkRequest{Name: ptr("empty"), ProjectID: "other"})
		pooled := e.network(&ml2.NetworkRequest{Name: ptr("pooled"), ProjectID: "other"})
		e.subnet(pooled.ID, "10.1.0.0/28", func(r *ml2.SubnetRequest) {
			r.AllocationPools = &[]core.IPRange{
				{Start: netip.MustParseAddr("10.1.0.2"), End: netip.MustParseAddr("10.1.0.4")},
				{Start: netip.MustParseAddr("10.1.0.10"), End: netip.MustParseAddr("10.1.0.12")},
			}
		})

		t.Run("one_network", func(t *testing.T) {
			got, err := e.plugin.NetworkIPAvailability(e.ctx, n.ID)
			require.NoError(t, err)
			v6Total := poolSize(v6.AllocationPools)
			assert.Greater(t, v6Total.BitLen(), 63, "IPv6 pools do not fit in an int64")
			want := &ml2.NetworkIPAvailability{
				NetworkID: n.ID, NetworkName: "g-tenant-net", ProjectID: "fake_project_id",
				TotalIPs: new(big.Int).Add(big.NewInt(253), v6Total), UsedIPs: big.NewInt(5),
				Subnets: []ml2.SubnetIPAvailability{
					{SubnetID: v4.ID, SubnetName: "g-tenant-subnet", CIDR: v4.CIDR, IPVersion: 4,
						TotalIPs: big.NewInt(253), UsedIPs: big.NewInt(3)},
					{SubnetID: v6.ID, CIDR: v6.CIDR, IPVersion: 6, TotalIPs: v6Total, UsedIPs: big.NewInt(2)},
				},
			}
			assert.Equal(t, want, got)
		})
		t.Run("network_without_subnets", func(t *testing.T) {
			got, err := e.plugin.NetworkIPAvailability(e.ctx, empty.ID)
			require.NoError(t, err)
			assert.Equal(t, &ml2.NetworkIPAvailability{NetworkID: empty.ID, NetworkName: "empty", ProjectID: "other",
				TotalIPs: big.NewInt(0), UsedIPs: big.NewInt(0)}, got)
		})
		t.Run("pools_are_counted", func(t *testing.T) {
			got, err := e.plugin.NetworkIPAvailability(e.ctx, pooled.ID)
			require.NoError(t, err)
			assert.Equal(t, big.NewInt(6), got.TotalIPs)
			assert.Equal(t, big.NewInt(0), got.UsedIPs)
		})
		t.Run("not_found", func(t *testing.T) {
			_, err := e.plugin.NetworkIPAvailability(e.ctx, "bogus")
			assert.Equal(t, "NetworkNotFound", core.TypeOf(err))
		})

		ids := func(opts *core.ListOptions) []string {
			t.Helper()
			got, err := e.plugin.ListNetworkIPAvailabilities(e.ctx, opts)
			require.NoError(t, err)
			out := []string{}
			for _, a := range got {
				out = append(out, a.NetworkID)
			}
			return out
		}
		byID := func(nets ...*core.Network) []string {
			out := []string{}
			for _, n := range nets {
				out = append(out, n.ID)
			}
			return out
		}
		sortedIDs := func(nets ...*core.Network) []string {
			got, err := e.plugin.ListNetworkIPAvailabilities(e.ctx, &core.ListOptions{Filters: map[string][]string{"network_id": byID(nets...)}})
			require.NoError(t, err)
			out := []string{}
			for _, a := range got {
				out = append(out, a.NetworkID)
			}
			return out
		}
		all := sortedIDs(n, empty, pooled)
		require.Len(t, all, 3)
		for _, tc := range []struct {
			name string
			opts *core.ListOptions
			want []string
		}{
			{"all", nil, all},
			{"project_id", &core.ListOptions{Filters: map[string][]string{"project_id": {"other"}}}, sortedIDs(empty, pooled)},
			{"tenant_id", &core.ListOptions{Filters: map[string][]string{"tenant_id": {"fake_project_id"}}}, byID(n)},
			{"network_name", &core.ListOptions{Filters: map[string][]string{"network_name": {"pooled", "empty"}}}, sortedIDs(empty, pooled)},
			{"ip_version_4", &core.ListOptions{Filters: map[string][]string{"ip_version": {"4"}}}, sortedIDs(n, pooled)},
			{"by_total_desc", &core.ListOptions{Sorts: []core.SortKey{{Field: "total_ips", Desc: true}}}, byID(n, pooled, empty)},
			{"by_used_then_name", &core.ListOptions{Sorts: []core.SortKey{{Field: "used_ips", Desc: true}, {Field: "network_name"}}}, byID(n, empty, pooled)},
			{"limit", &core.ListOptions{Sorts: []core.SortKey{{Field: "network_name"}}, Limit: 2}, byID(empty, n)},
			{"marker", &core.ListOptions{Sorts: []core.SortKey{{Field: "network_name"}}, Marker: empty.ID}, byID(n, pooled)},
			{"page_reverse", &core.ListOptions{Sorts: []core.SortKey{{Field: "network_name"}}, Marker: pooled.ID, PageReverse: true, Limit: 1}, byID(n)},
			{"scope", &core.ListOptions{ProjectScope: "other"}, sortedIDs(empty, pooled)},
		} {
			t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, ids(tc.opts)) })
		}

		t.Run("ip_version_keeps_matching_subnets", func(t *testing.T) {
			got, err := e.plugin.ListNetworkIPAvailabilities(e.ctx, &core.ListOptions{Filters: map[string][]string{
				"ip_version": {"6"}}})
			require.NoError(t, err)
			require.Len(t, got, 1)
			require.Len(t, got[0].Subnets, 1)
			assert.Equal(t, v6.ID, got[0].Subnets[0].SubnetID)
			assert.Equal(t, big.NewInt(2), got[0].UsedIPs)
		})
		for _, tc := range []struct {
			name string
			opts *core.ListOptions
			typ  string
		}{
			{"unknown_filter", &core.ListOptions{Filters: map[string][]string{"cidr": {"10.0.0.0/8"}}}, "HTTPBadRequest"},
			{"bad_ip_version", &core.ListOptions{Filters: map[string][]string{"ip_version": {"four"}}}, "InvalidInput"},
			{"unknown_sort", &core.ListOptions{Sorts: []core.SortKey{{Field: "subnets"}}}, "HTTPBadRequest"},
			{"unknown_marker", &core.ListOptions{Marker: "bogus"}, "NetworkNotFound"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.plugin.ListNetworkIPAvailabilities(e.ctx, tc.opts)
				assert.Equal(t, tc.typ, core.TypeOf(err), "%v", err)
			})
		}
	})
}
