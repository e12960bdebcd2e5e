package sqlstore_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

// TestFilteredPagePlan: a page of a listing filtered on an indexed column,
// or scoped to a project, is read from an index in the listing's order and
// stops after the page: no step sorts the matching rows, whose number
// would then be the page's cost. PostgreSQL plans with the statistics
// it gathers itself as rows are written; without any it takes the table
// for a few rows and a sort of them for free, so the test gathers them.
func TestFilteredPagePlan(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		s := e.open(t)
		seedPlanPorts(t, s, 5000)
		if s.Engine() == "postgres" {
			require.NoError(t, sqlstore.ExecForTest(ctx, s, "ANALYZE ports"))
		}
		for _, c := range []struct {
			name string
			opts core.ListOptions
		}{
			{"network_id", core.ListOptions{Filters: map[string][]string{"network_id": {"n1"}}, Limit: 100}},
			{"network_id after marker", core.ListOptions{Filters: map[string][]string{"network_id": {"n1"}}, Limit: 100, Marker: "port-100"}},
			{"device_id", core.ListOptions{Filters: map[string][]string{"device_id": {"vm-1"}}, Limit: 100}},
			{"binding:host_id", core.ListOptions{Filters: map[string][]string{"binding:host_id": {"h1"}}, Limit: 100}},
			{"project scope", core.ListOptions{ProjectScope: "p1", Limit: 100}},
			{"project_id", core.ListOptions{Filters: map[string][]string{"project_id": {"p1"}}, Limit: 100, Fields: []string{"id"}}},
		} {
			t.Run(c.name, func(t *testing.T) {
				plan, err := sqlstore.PortListPlan(ctx, s, &c.opts)
				require.NoError(t, err)
				assert.NotContains(t, plan, "TEMP B-TREE", plan) // SQLite's sort
				assert.NotContains(t, plan, "Sort", plan)        // PostgreSQL's
				assert.NotContains(t, plan, "Seq Scan on ports", plan)
			})
		}
	})
}

// TestPageFixedIPsPlan: the addresses of a page of ports are read from an
// index in the order of port ids, without a look-up of each in the table.
func TestPageFixedIPsPlan(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		s := e.open(t)
		seedStreamPorts(t, s, 2000)
		if s.Engine() == "postgres" {
			require.NoError(t, sqlstore.ExecForTest(ctx, s, "VACUUM ANALYZE ip_allocations"))
		}
		plan, err := sqlstore.PageFixedIPsPlan(ctx, s, "port-00100", "port-00199")
		require.NoError(t, err)
		if s.Engine() == "sqlite" {
			assert.Contains(t, plan, "USING COVERING INDEX ip_allocations_port_id", plan)
		} else {
			assert.Contains(t, plan, "Index Only Scan using ip_allocations_port_id", plan)
		}
	})
}

// TestGapSearchPlan: the gap search of segment allocation walks the
// primary key in order, whatever the planner knows of the table: on a
// fresh table of 1,000 allocations without statistics (where PostgreSQL
// took a search written as an anti-join for a nested loop reading the
// table once per allocated id), its plan neither scans the whole table,
// nor joins, nor sorts.
func TestGapSearchPlan(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		s := e.open(t)
		seed := `INSERT INTO segment_allocations (network_type, physical_network, segmentation_id)
			SELECT 'vxlan', '', g FROM generate_series(1, 1000) g`
		if s.Engine() == "sqlite" {
			seed = `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 1000)
				INSERT INTO segment_allocations (network_type, physical_network, segmentation_id)
				SELECT 'vxlan', '', i FROM g`
		}
		require.NoError(t, sqlstore.ExecForTest(ctx, s, seed))
		plan, err := sqlstore.GapSearchPlan(ctx, s, "vxlan", "", 500, 1100)
		require.NoError(t, err)
		assert.NotContains(t, plan, "Seq Scan", plan)
		assert.NotContains(t, plan, "Sort", plan)
		assert.NotContains(t, plan, "TEMP B-TREE", plan)
		assert.NotContains(t, plan, "Anti", plan)
		assert.NotContains(t, plan, "Join Filter", plan)
		// And it finds the first free id after the block, across chunks.
		update(t, s, func(tx core.Tx) error {
			id, ok, err := tx.AllocateSegment(ctx, core.TypeVXLAN, "", []core.SegmentRange{{Min: 1, Max: 1001}})
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, int64(1001), id)
			_, ok, err = tx.AllocateSegment(ctx, core.TypeVXLAN, "", []core.SegmentRange{{Min: 1, Max: 1001}})
			require.NoError(t, err)
			require.False(t, ok, "the range is full")
			return nil
		})
	})
}

// seedPlanPorts inserts n ports on networks n0 to n9, of projects p0 to
// p9, hosts h0 to h9 and devices vm-0 to vm-9, in one statement.
func seedPlanPorts(t *testing.T, s *sqlstore.Store, n int) {
	t.Helper()
	for i := range 10 {
		createNetwork(t, s, network("n"+string(rune('0'+i)), "p"))
	}
	gen := `generate_series(1, ?) AS g(i)`
	if s.Engine() == "sqlite" {
		gen = `(WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ?) SELECT i FROM r) g`
	}
	require.NoError(t, sqlstore.ExecForTest(ctx, s, `INSERT INTO ports (id, project_id, network_id, mac_address, device_id, host_id)
		SELECT 'port-' || CAST(i AS TEXT), 'p' || (i % 10), 'n' || (i % 10), 'mac-' || i,
			'vm-' || (i % 10), 'h' || (i % 10) FROM `+gen, n))
}
