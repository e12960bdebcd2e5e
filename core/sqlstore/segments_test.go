package sqlstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

func TestSegments(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		createNetwork(t, s, network("n1", "p1"))
		createNetwork(t, s, network("n2", "p1"))
		static := core.Segment{ID: "g1", NetworkID: "n1", NetworkType: core.TypeVLAN, PhysicalNetwork: "phys",
			SegmentationID: 10, MTU: 1500, Name: "seg", Description: "d"}
		dynamic := core.Segment{ID: "g2", NetworkID: "n1", NetworkType: core.TypeVLAN, PhysicalNetwork: "phys2",
			SegmentationID: 11, Index: 1, Dynamic: true}
		update(t, s, func(tx core.Tx) error {
			require.NoError(t, tx.CreateSegment(ctx, &dynamic))
			require.NoError(t, tx.CreateSegment(ctx, &static))

			// The same (network, type, physnet) again is a duplicate,
			// and the transaction goes on.
			dup := static
			dup.ID = "g3"
			requireType(t, tx.CreateSegment(ctx, &dup), "NeutronDbObjectDuplicateEntry")
			dup.ID = "g1"
			dup.NetworkID = "n2"
			requireType(t, tx.CreateSegment(ctx, &dup), "NeutronDbObjectDuplicateEntry")
			dup.NetworkID = "nope"
			dup.ID = "g4"
			requireType(t, tx.CreateSegment(ctx, &dup), "NetworkNotFound")
			// Another network may use the same type and physnet.
			other := static
			other.ID, other.NetworkID = "g5", "n2"
			require.NoError(t, tx.CreateSegment(ctx, &other))
			// An empty id is generated.
			gen := core.Segment{NetworkID: "n2", NetworkType: core.TypeVXLAN, SegmentationID: 77}
			require.NoError(t, tx.CreateSegment(ctx, &gen))
			require.NotEmpty(t, gen.ID)
			return nil
		})
		view(t, s, func(tx core.Tx) error {
			got, err := tx.GetSegment(ctx, "g1")
			require.NoError(t, err)
			require.Equal(t, static, *got)
			all, err := tx.NetworkSegments(ctx, "n1", true)
			require.NoError(t, err)
			require.Equal(t, []core.Segment{static, dynamic}, all)
			statics, err := tx.NetworkSegments(ctx, "n1", false)
			require.NoError(t, err)
			require.Equal(t, []core.Segment{static}, statics)
			none, err := tx.NetworkSegments(ctx, "nope", true)
			require.NoError(t, err)
			require.Empty(t, none)
			_, err = tx.GetSegment(ctx, "nope")
			requireType(t, err, "SegmentNotFound")
			return nil
		})

		update(t, s, func(tx core.Tx) error {
			require.NoError(t, tx.SetSegmentationID(ctx, "g1", 20))
			requireType(t, tx.SetSegmentationID(ctx, "nope", 20), "SegmentNotFound")
			return nil
		})
		view(t, s, func(tx core.Tx) error {
			got, err := tx.GetSegment(ctx, "g1")
			require.NoError(t, err)
			require.Equal(t, int64(20), got.SegmentationID)
			return nil
		})

		// A segment a subnet uses cannot go.
		sub := subnet("s1", "n1", "10.0.0.0/24")
		sub.SegmentID = "g1"
		createSubnet(t, s, sub)
		err := s.Update(ctx, func(tx core.Tx) error { return tx.DeleteSegment(ctx, "g1") })
		requireType(t, err, "SegmentInUse")
		require.Equal(t, core.KindConflict, core.KindOf(err))

		update(t, s, func(tx core.Tx) error {
			require.NoError(t, tx.DeleteSegment(ctx, "g2"))
			requireType(t, tx.DeleteSegment(ctx, "g2"), "SegmentNotFound")
			return nil
		})
	})
}
