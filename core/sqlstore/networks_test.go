package sqlstore_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

func TestNetworkCRUD(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		clk := newClock()
		s := e.open(t, sqlstore.WithClock(clk.Now), sqlstore.WithMaxRetries(3))
		created := clk.Stored()

		n := network("n1", "p1")
		n.Tags = []string{"b", "a", "b"}
		n.Shared, n.External, n.VLANTransparent = true, true, true
		n.Extra = map[string]any{"k": "v", "n": 1}
		createNetwork(t, s, n)
		require.Equal(t, int64(0), n.RevisionNumber)
		require.Equal(t, created, n.CreatedAt)
		require.Equal(t, created, n.UpdatedAt)

		update(t, s, func(tx core.Tx) error {
			for _, seg := range []*core.Segment{
				{ID: "g2", NetworkID: "n1", NetworkType: core.TypeVLAN, PhysicalNetwork: "phys", SegmentationID: 7, Index: 1, MTU: 1500},
				{ID: "g1", NetworkID: "n1", NetworkType: core.TypeVXLAN, SegmentationID: 1001, Index: 0, MTU: 1450, Name: "first"},
				{ID: "gd", NetworkID: "n1", NetworkType: core.TypeVLAN, PhysicalNetwork: "other", SegmentationID: 9, Index: 2, Dynamic: true},
			} {
				if err := tx.CreateSegment(ctx, seg); err != nil {
					return err
				}
			}
			return nil
		})
		createSubnet(t, s, subnet("sb", "n1", "10.0.1.0/24"))
		createSubnet(t, s, subnet("sa", "n1", "10.0.0.0/24"))

		got := getNetwork(t, s, "n1")
		want := &core.Network{
			Standard: core.Standard{
				ID: "n1", ProjectID: "p1", Name: "net-n1", CreatedAt: created, UpdatedAt: created,
				Tags: []string{"a", "b"},
			},
			AdminStateUp: true, Status: core.StatusActive, Shared: true, External: true, MTU: 1450,
			VLANTransparent: true,
			Segments: []core.Segment{
				{ID: "g1", NetworkID: "n1", NetworkType: core.TypeVXLAN, SegmentationID: 1001, Index: 0, MTU: 1450, Name: "first",
					CreatedAt: created, UpdatedAt: created},
				{ID: "g2", NetworkID: "n1", NetworkType: core.TypeVLAN, PhysicalNetwork: "phys", SegmentationID: 7, Index: 1, MTU: 1500,
					CreatedAt: created, UpdatedAt: created},
			},
			Subnets: []string{"sb", "sa"},
			Extra:   map[string]any{"k": "v", "n": float64(1)},
		}
		require.Equal(t, want, got)

		// Update: a compare-and-swap on the revision.
		clk.Advance(90 * time.Second)
		got.Name, got.Description, got.AdminStateUp, got.Shared = "renamed", "desc", false, false
		got.Tags, got.Extra, got.MTU, got.Status = []string{"c"}, nil, 1400, core.StatusDown
		update(t, s, func(tx core.Tx) error { return tx.UpdateNetwork(ctx, got) })
		require.Equal(t, int64(1), got.RevisionNumber)
		require.Equal(t, clk.Stored(), got.UpdatedAt)
		again := getNetwork(t, s, "n1")
		require.Equal(t, got, again)
		require.Equal(t, created, again.CreatedAt)

		stale := again.Clone()
		stale.RevisionNumber = 0
		err := s.View(ctx, func(tx core.Tx) error { return nil })
		require.NoError(t, err)
		err = s.Update(ctx, func(tx core.Tx) error { return tx.UpdateNetwork(ctx, stale) })
		require.ErrorIs(t, err, core.ErrRetry)
		require.Equal(t, "", core.TypeOf(err))
		require.Equal(t, int64(0), stale.RevisionNumber, "a failed update leaves the value alone")

		// Not found everywhere.
		missing := network("nope", "p1")
		err = s.Update(ctx, func(tx core.Tx) error { return tx.UpdateNetwork(ctx, missing) })
		requireType(t, err, "NetworkNotFound")
		require.ErrorIs(t, err, core.ErrNotFound)
		err = s.View(ctx, func(tx core.Tx) error { _, err := tx.GetNetwork(ctx, "nope"); return err })
		requireType(t, err, "NetworkNotFound")
		err = s.Update(ctx, func(tx core.Tx) error { return tx.DeleteNetwork(ctx, "nope") })
		requireType(t, err, "NetworkNotFound")

		// A duplicate id is a conflict that leaves the transaction usable.
		update(t, s, func(tx core.Tx) error {
			err := tx.CreateNetwork(ctx, network("n1", "p2"))
			requireType(t, err, "NeutronDbObjectDuplicateEntry")
			return tx.CreateNetwork(ctx, network("n2", "p2"))
		})
		getNetwork(t, s, "n2")
	})
}

func TestDeleteNetwork(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		n := network("n1", "p1")
		n.Tags = []string{"t"}
		createNetwork(t, s, n)
		update(t, s, func(tx core.Tx) error {
			return tx.CreateSegment(ctx, &core.Segment{ID: "g1", NetworkID: "n1", NetworkType: core.TypeVXLAN, SegmentationID: 5})
		})
		createSubnet(t, s, subnet("s1", "n1", "10.0.0.0/24"))
		createPort(t, s, port("pb", "n1", "fa:16:3e:00:00:02"))
		createPort(t, s, port("pa", "n1", "fa:16:3e:00:00:01"), fixedIP("s1", "10.0.0.5"))

		err := s.Update(ctx, func(tx core.Tx) error { return tx.DeleteNetwork(ctx, "n1") })
		requireType(t, err, "NetworkInUse")
		require.Contains(t, err.Error(), "pa,pb")

		update(t, s, func(tx core.Tx) error {
			if err := tx.DeletePort(ctx, "pa"); err != nil {
				return err
			}
			return tx.DeletePort(ctx, "pb")
		})
		err = s.Update(ctx, func(tx core.Tx) error { return tx.DeleteNetwork(ctx, "n1") })
		requireType(t, err, "NetworkInUse")
		require.Contains(t, err.Error(), "s1")

		update(t, s, func(tx core.Tx) error { return tx.DeleteSubnet(ctx, "s1") })
		update(t, s, func(tx core.Tx) error { return tx.DeleteNetwork(ctx, "n1") })
		view(t, s, func(tx core.Tx) error {
			_, err := tx.GetNetwork(ctx, "n1")
			requireType(t, err, "NetworkNotFound")
			_, err = tx.GetSegment(ctx, "g1")
			requireType(t, err, "SegmentNotFound")
			nets, err := tx.ListNetworks(ctx, &core.ListOptions{Filters: map[string][]string{"tags": {"t"}}})
			require.NoError(t, err)
			require.Empty(t, nets)
			return nil
		})
		// Tags do not come back with a new network of the same id.
		createNetwork(t, s, network("n1", "p1"))
		require.Empty(t, getNetwork(t, s, "n1").Tags)
	})
}

func TestRollback(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		boom := errors.New("boom")
		err := s.Update(ctx, func(tx core.Tx) error {
			require.NoError(t, tx.CreateNetwork(ctx, network("n1", "p1")))
			return boom
		})
		require.ErrorIs(t, err, boom)
		view(t, s, func(tx core.Tx) error {
			_, err := tx.GetNetwork(ctx, "n1")
			requireType(t, err, "NetworkNotFound")
			return nil
		})

		require.Panics(t, func() {
			_ = s.Update(ctx, func(tx core.Tx) error {
				require.NoError(t, tx.CreateNetwork(ctx, network("n1", "p1")))
				panic("boom")
			})
		})
		view(t, s, func(tx core.Tx) error {
			_, err := tx.GetNetwork(ctx, "n1")
			requireType(t, err, "NetworkNotFound")
			return nil
		})
		// The store is still usable after a panic.
		createNetwork(t, s, network("n1", "p1"))
	})
}

// TestGetNetworkWithinTransaction checks that repeated reads of a network
// in one transaction return independent copies and see the
// transaction's own writes.
func TestGetNetworkWithinTransaction(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		createNetwork(t, s, network("n1", "p1"))
		update(t, s, func(tx core.Tx) error {
			a, err := tx.GetNetwork(ctx, "n1")
			require.NoError(t, err)
			a.Name = "changed in memory"
			a.Tags = append(a.Tags, "x")
			b, err := tx.GetNetwork(ctx, "n1")
			require.NoError(t, err)
			require.Equal(t, "net-n1", b.Name, "a caller's changes do not leak")
			require.Empty(t, b.Tags)

			b.Name = "renamed"
			require.NoError(t, tx.UpdateNetwork(ctx, b))
			c, err := tx.GetNetwork(ctx, "n1")
			require.NoError(t, err)
			require.Equal(t, "renamed", c.Name)
			require.NoError(t, tx.CreateSubnet(ctx, subnet("s1", "n1", "10.0.0.0/24")))
			c, err = tx.GetNetwork(ctx, "n1")
			require.NoError(t, err)
			require.Equal(t, []string{"s1"}, c.Subnets)
			return nil
		})
	})
}

// TestGetNetworkSubnets checks the one-query read of a network with its
// subnets against GetNetwork and GetSubnet.
func TestGetNetworkSubnets(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		createNetwork(t, s, network("n1", "p1"))
		createNetwork(t, s, network("n2", "p1"))
		s2 := subnet("s2", "n1", "10.0.2.0/24")
		s2.Tags = []string{"t"}
		s2.HostRoutes = []core.HostRoute{{Destination: netip.MustParsePrefix("10.9.0.0/16"), NextHop: netip.MustParseAddr("10.0.2.1")}}
		createSubnet(t, s, s2)
		createSubnet(t, s, subnet("s1", "n1", "10.0.1.0/24"))
		view(t, s, func(tx core.Tx) error {
			n, subnets, err := tx.GetNetworkSubnets(ctx, "n1")
			require.NoError(t, err)
			want, err := tx.GetNetwork(ctx, "n1")
			require.NoError(t, err)
			require.Equal(t, want, n)
			require.Len(t, subnets, 2)
			for i, id := range []string{"s2", "s1"} {
				got, err := tx.GetSubnet(ctx, id)
				require.NoError(t, err)
				require.Equal(t, got, subnets[i], "creation order")
			}
			_, subnets, err = tx.GetNetworkSubnets(ctx, "n2")
			require.NoError(t, err)
			require.Empty(t, subnets)
			_, _, err = tx.GetNetworkSubnets(ctx, "nope")
			requireType(t, err, "NetworkNotFound")
			return nil
		})
	})
}
