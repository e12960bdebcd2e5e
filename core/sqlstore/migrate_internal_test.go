package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
)

// TestUpgradeFromInitialSchema opens a SQLite database made by the first
// migration alone: the later ones keep its segments, which then read with
// their new standard attributes and a row_json matching the Go shape.
func TestUpgradeFromInitialSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	all, err := migrations(engineSQLite)
	require.NoError(t, err)
	require.Greater(t, len(all), 1)
	require.Equal(t, int64(1), all[0].version)

	raw, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	for _, q := range []string{
		all[0].sql,
		createMigrationsTable,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, '0001_initial', 0)`,
		`INSERT INTO networks (id, project_id) VALUES ('n', 'p')`,
		`INSERT INTO segments (id, network_id, network_type, physical_network, segmentation_id, mtu, seg_index, name)
			VALUES ('g', 'n', 'vlan', 'physnet1', 7, 1500, 0, 'old')`,
	} {
		_, err := raw.Exec(q)
		require.NoError(t, err)
	}
	require.NoError(t, raw.Close())

	s, err := Open(ctx, "sqlite://"+path)
	require.NoError(t, err)
	defer s.Close()
	applied, err := s.appliedVersions(ctx, s.db)
	require.NoError(t, err)
	require.Len(t, applied, len(all))
	want := core.Segment{ID: "g", NetworkID: "n", NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 7,
		MTU: 1500, Name: "old", CreatedAt: fromUnix(0), UpdatedAt: fromUnix(0)}
	require.NoError(t, s.View(ctx, func(tx core.Tx) error {
		got, err := tx.GetSegment(ctx, "g")
		require.NoError(t, err)
		require.Equal(t, want, *got)
		n, err := tx.GetNetwork(ctx, "n")
		require.NoError(t, err)
		require.Equal(t, []core.Segment{want}, n.Segments)
		return nil
	}))
	var same bool
	require.NoError(t, s.db.QueryRow(`SELECT `+segmentRow.stored+` = json_array(`+segmentRow.cols+`) FROM segments g`).Scan(&same))
	require.True(t, same)
	// The rebuilt table keeps its constraints.
	err = s.Update(ctx, func(tx core.Tx) error {
		return tx.CreateSegment(ctx, &core.Segment{NetworkID: "n", NetworkType: "vlan", PhysicalNetwork: "physnet1"})
	})
	require.Equal(t, "NeutronDbObjectDuplicateEntry", core.TypeOf(err))
	require.NoError(t, s.Update(ctx, func(tx core.Tx) error { return tx.DeleteNetwork(ctx, "n") }))
}
