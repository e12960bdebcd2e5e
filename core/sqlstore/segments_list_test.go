package sqlstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

func TestListSegments(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		clk := newClock()
		s := e.open(t, sqlstore.WithClock(clk.Now))
		created := clk.Stored()
		createNetwork(t, s, network("n1", "p1"))
		createNetwork(t, s, network("n2", "p1"))
		segs := []*core.Segment{
			{ID: "a", NetworkID: "n1", NetworkType: core.TypeVLAN, PhysicalNetwork: "phys1", SegmentationID: 10, Name: "x"},
			{ID: "b", NetworkID: "n1", NetworkType: core.TypeVXLAN, SegmentationID: 5000, Index: 1, Description: "d"},
			{ID: "c", NetworkID: "n1", NetworkType: core.TypeVLAN, PhysicalNetwork: "phys2", SegmentationID: 11, Index: 2, Dynamic: true},
			{ID: "d", NetworkID: "n2", NetworkType: core.TypeFlat, PhysicalNetwork: "phys1", Name: "x"},
		}
		update(t, s, func(tx core.Tx) error {
			for _, g := range segs {
				if err := tx.CreateSegment(ctx, g); err != nil {
					return err
				}
			}
			return nil
		})
		for _, g := range segs {
			require.Equal(t, created, g.CreatedAt)
			require.Equal(t, created, g.UpdatedAt)
			require.Equal(t, int64(0), g.RevisionNumber)
		}
		ids := func(opts *core.ListOptions) []string {
			t.Helper()
			var out []string
			view(t, s, func(tx core.Tx) error {
				got, err := tx.ListSegments(ctx, opts)
				if err != nil {
					return err
				}
				out = []string{}
				for _, g := range got {
					out = append(out, g.ID)
				}
				return nil
			})
			return out
		}
		f := func(kv ...string) *core.ListOptions {
			m := map[string][]string{}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i]] = append(m[kv[i]], kv[i+1])
			}
			return &core.ListOptions{Filters: m}
		}
		for _, tc := range []struct {
			name string
			opts *core.ListOptions
			want []string
		}{
			{"all_including_dynamic", nil, []string{"a", "b", "c", "d"}},
			{"network_id", f("network_id", "n1"), []string{"a", "b", "c"}},
			{"network_type", f("network_type", "vlan"), []string{"a", "c"}},
			{"physical_network", f("physical_network", "phys1"), []string{"a", "d"}},
			{"segmentation_id", f("segmentation_id", "5000", "segmentation_id", "11"), []string{"b", "c"}},
			{"name", f("name", "x"), []string{"a", "d"}},
			{"description", f("description", "d"), []string{"b"}},
			{"id", f("id", "d"), []string{"d"}},
			{"anded", f("name", "x", "network_id", "n2"), []string{"d"}},
			{"revision_number", f("revision_number", "0"), []string{"a", "b", "c", "d"}},
			{"sorted_desc", &core.ListOptions{Sorts: []core.SortKey{{Field: "segmentation_id", Desc: true}}}, []string{"b", "c", "a", "d"}},
			{"paged", &core.ListOptions{Limit: 2, Marker: "a"}, []string{"b", "c"}},
			{"paged_reverse", &core.ListOptions{Limit: 2, Marker: "c", PageReverse: true}, []string{"a", "b"}},
		} {
			t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, ids(tc.opts)) })
		}
		for _, tc := range []struct {
			name string
			opts *core.ListOptions
			typ  string
		}{
			{"unknown_filter", f("is_dynamic", "true"), "HTTPBadRequest"},
			{"bad_integer", f("segmentation_id", "x"), "InvalidInput"},
			{"unknown_sort", &core.ListOptions{Sorts: []core.SortKey{{Field: "mtu"}}}, "HTTPBadRequest"},
			{"unknown_marker", &core.ListOptions{Marker: "nope"}, "SegmentNotFound"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := s.View(ctx, func(tx core.Tx) error { _, err := tx.ListSegments(ctx, tc.opts); return err })
				requireType(t, err, tc.typ)
			})
		}

		// UpdateSegment writes name and description only, with a
		// compare-and-swap on the revision.
		clk.Advance(time.Minute)
		var got *core.Segment
		view(t, s, func(tx core.Tx) (err error) { got, err = tx.GetSegment(ctx, "a"); return err })
		require.Equal(t, *segs[0], *got)
		got.Name, got.Description, got.SegmentationID = "renamed", "desc", 99
		update(t, s, func(tx core.Tx) error { return tx.UpdateSegment(ctx, got) })
		require.Equal(t, int64(1), got.RevisionNumber)
		require.Equal(t, clk.Stored(), got.UpdatedAt)
		var again *core.Segment
		view(t, s, func(tx core.Tx) (err error) { again, err = tx.GetSegment(ctx, "a"); return err })
		require.Equal(t, "renamed", again.Name)
		require.Equal(t, "desc", again.Description)
		require.Equal(t, int64(10), again.SegmentationID, "only name and description are written")
		require.Equal(t, created, again.CreatedAt)
		require.Equal(t, int64(1), again.RevisionNumber)

		stale := *again
		stale.RevisionNumber = 0
		err := s.Update(ctx, func(tx core.Tx) error { return tx.UpdateSegment(ctx, &stale) })
		require.ErrorIs(t, err, core.ErrRetry)
		err = s.Update(ctx, func(tx core.Tx) error { return tx.UpdateSegment(ctx, &core.Segment{ID: "nope"}) })
		requireType(t, err, "SegmentNotFound")

		// The network's segments carry the standard attributes too.
		n := getNetwork(t, s, "n1")
		require.Equal(t, []core.Segment{*again, *segs[1]}, n.Segments)
	})
}
