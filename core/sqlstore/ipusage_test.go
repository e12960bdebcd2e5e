package sqlstore_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

func TestIPUsage(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		createNetwork(t, s, network("n1", "p1"))
		createNetwork(t, s, network("n2", "p2"))
		shared := network("n3", "p3")
		shared.Shared = true
		createNetwork(t, s, shared)
		v4 := subnet("s4", "n1", "10.0.0.0/24")
		v4.AllocationPools = []core.IPRange{{Start: netip.MustParseAddr("10.0.0.2"), End: netip.MustParseAddr("10.0.0.254")}}
		createSubnet(t, s, v4)
		v6 := subnet("s6", "n1", "2001:db8::/64")
		createSubnet(t, s, v6)
		createPort(t, s, port("a", "n1", "fa:16:3e:00:00:01"), fixedIP("s4", "10.0.0.2"), fixedIP("s6", "2001:db8::2"))
		createPort(t, s, port("b", "n1", "fa:16:3e:00:00:02"), fixedIP("s4", "10.0.0.3"))
		createPort(t, s, port("c", "n1", "fa:16:3e:00:00:03"), fixedIP("s4", "10.0.0.1"))

		rowS4 := core.IPUsage{NetworkID: "n1", NetworkName: "net-n1", ProjectID: "p1", SubnetID: "s4", SubnetName: "sub-s4",
			IPVersion: 4, CIDR: v4.CIDR, AllocationPools: v4.AllocationPools, Used: 3}
		rowS6 := core.IPUsage{NetworkID: "n1", NetworkName: "net-n1", ProjectID: "p1", SubnetID: "s6", SubnetName: "sub-s6",
			IPVersion: 6, CIDR: v6.CIDR, Used: 1}
		rowN2 := core.IPUsage{NetworkID: "n2", NetworkName: "net-n2", ProjectID: "p2"}
		rowN3 := core.IPUsage{NetworkID: "n3", NetworkName: "net-n3", ProjectID: "p3"}
		usage := func(opts *core.ListOptions) []core.IPUsage {
			t.Helper()
			var out []core.IPUsage
			view(t, s, func(tx core.Tx) (err error) { out, err = tx.IPUsage(ctx, opts); return err })
			return out
		}
		filter := func(k string, v ...string) *core.ListOptions {
			return &core.ListOptions{Filters: map[string][]string{k: v}}
		}
		for _, tc := range []struct {
			name string
			opts *core.ListOptions
			want []core.IPUsage
		}{
			{"all", nil, []core.IPUsage{rowS4, rowS6, rowN2, rowN3}},
			{"network_id", filter("network_id", "n1"), []core.IPUsage{rowS4, rowS6}},
			{"network_without_subnets", filter("network_id", "n2"), []core.IPUsage{rowN2}},
			{"network_name", filter("network_name", "net-n2", "net-n3"), []core.IPUsage{rowN2, rowN3}},
			{"project_id", filter("project_id", "p1"), []core.IPUsage{rowS4, rowS6}},
			{"tenant_id", filter("tenant_id", "p2"), []core.IPUsage{rowN2}},
			{"ip_version", filter("ip_version", "6"), []core.IPUsage{rowS6}},
			{"scope", &core.ListOptions{ProjectScope: "p2"}, []core.IPUsage{rowN2, rowN3}},
			{"none", filter("network_id", "nope"), []core.IPUsage{}},
		} {
			t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, usage(tc.opts)) })
		}
		err := s.View(ctx, func(tx core.Tx) error { _, err := tx.IPUsage(ctx, filter("cidr", "10.0.0.0/24")); return err })
		requireType(t, err, "HTTPBadRequest")
		err = s.View(ctx, func(tx core.Tx) error { _, err := tx.IPUsage(ctx, filter("ip_version", "four")); return err })
		requireType(t, err, "InvalidInput")
	})
}
