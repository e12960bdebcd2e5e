package sqlstore_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

func TestSubnetCRUD(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		clk := newClock()
		s := e.open(t, sqlstore.WithClock(clk.Now), sqlstore.WithMaxRetries(3))
		createNetwork(t, s, network("n1", "p1"))

		full := &core.Subnet{
			Standard:  core.Standard{ID: "s6", ProjectID: "p1", Name: "v6", Description: "d", Tags: []string{"z", "y"}},
			NetworkID: "n1", IPVersion: 6, CIDR: netip.MustParsePrefix("2001:db8::/64"),
			GatewayIP:       netip.MustParseAddr("2001:db8::1"),
			AllocationPools: []core.IPRange{{Start: netip.MustParseAddr("2001:db8::2"), End: netip.MustParseAddr("2001:db8::ffff")}},
			DNSNameservers:  []netip.Addr{netip.MustParseAddr("2001:4860:4860::8888"), netip.MustParseAddr("8.8.8.8")},
			HostRoutes: []core.HostRoute{{
				Destination: netip.MustParsePrefix("2001:db8:1::/64"), NextHop: netip.MustParseAddr("2001:db8::fe"),
			}},
			EnableDHCP: true, IPv6RAMode: core.IPv6ModeSLAAC, IPv6AddressMode: core.IPv6ModeSLAAC,
			SegmentID: "seg", SubnetPoolID: "pool", ServiceTypes: []string{"compute:nova"},
			Extra: map[string]any{"dns_publish_fixed_ip": true},
		}
		bare := &core.Subnet{
			Standard:  core.Standard{ID: "s4", ProjectID: "p1"},
			NetworkID: "n1", IPVersion: 4, CIDR: netip.MustParsePrefix("10.0.0.0/24"),
		}
		createSubnet(t, s, full)
		createSubnet(t, s, bare)
		require.Equal(t, int64(0), full.RevisionNumber)
		require.Equal(t, clk.Stored(), full.CreatedAt)

		want := *full
		want.Tags = []string{"y", "z"}
		require.Equal(t, &want, getSubnet(t, s, "s6"))
		// No gateway, no lists: zero values come back.
		require.Equal(t, bare, getSubnet(t, s, "s4"))

		clk.Advance(time.Minute)
		got := getSubnet(t, s, "s6")
		got.Name, got.GatewayIP, got.AllocationPools, got.DNSNameservers = "renamed", netip.Addr{}, nil, nil
		got.HostRoutes, got.EnableDHCP, got.SegmentID, got.Tags = nil, false, "", nil
		update(t, s, func(tx core.Tx) error { return tx.UpdateSubnet(ctx, got) })
		require.Equal(t, int64(1), got.RevisionNumber)
		require.Equal(t, clk.Stored(), got.UpdatedAt)
		require.Equal(t, got, getSubnet(t, s, "s6"))

		got.RevisionNumber = 0
		err := s.Update(ctx, func(tx core.Tx) error { return tx.UpdateSubnet(ctx, got) })
		require.ErrorIs(t, err, core.ErrRetry)

		update(t, s, func(tx core.Tx) error {
			missing := subnet("nope", "n1", "10.9.0.0/24")
			requireType(t, tx.UpdateSubnet(ctx, missing), "SubnetNotFound")
			_, err := tx.GetSubnet(ctx, "nope")
			requireType(t, err, "SubnetNotFound")
			requireType(t, tx.DeleteSubnet(ctx, "nope"), "SubnetNotFound")
			requireType(t, tx.CreateSubnet(ctx, subnet("s9", "no-net", "10.9.0.0/24")), "NetworkNotFound")
			requireType(t, tx.CreateSubnet(ctx, subnet("s4", "n1", "10.9.0.0/24")), "NeutronDbObjectDuplicateEntry")
			return nil
		})

		// A subnet with allocations is in use; without, it goes.
		createPort(t, s, port("p1", "n1", "fa:16:3e:00:00:01"), fixedIP("s4", "10.0.0.3"))
		err = s.Update(ctx, func(tx core.Tx) error { return tx.DeleteSubnet(ctx, "s4") })
		requireType(t, err, "SubnetInUse")
		update(t, s, func(tx core.Tx) error {
			require.NoError(t, tx.ReleaseIP(ctx, "s4", netip.MustParseAddr("10.0.0.3")))
			return tx.DeleteSubnet(ctx, "s4")
		})
		require.Equal(t, []string{"s6"}, getNetwork(t, s, "n1").Subnets)
	})
}
