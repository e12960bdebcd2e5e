package sqlstore

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"

	"github.com/ml2go/ml2go/core"
)

func TestJSONRow(t *testing.T) {
	var r jsonRow
	r.reset(`["a", "say \"hi\"\n\u00e9\ud83d\ude00", null, 42, -7, true, 0, "{\"k\": [1, \"]\"]}", "null", "{}",` +
		` "", "\\u0000"]`)
	require.Equal(t, "a", r.str())
	require.Equal(t, "say \"hi\"\né😀", r.str())
	require.Equal(t, "", r.str())
	require.Equal(t, int64(42), r.int())
	require.Equal(t, int64(-7), r.int())
	require.True(t, r.bool())
	require.False(t, r.bool())
	maps := mapCache{}
	require.Equal(t, map[string]any{"k": []any{float64(1), "]"}}, r.jsonMap(maps))
	require.Nil(t, r.jsonMap(maps))
	require.Equal(t, map[string]any{}, r.jsonMap(maps))
	require.Equal(t, "", r.str())
	require.Equal(t, `\u0000`, r.str())
	require.NoError(t, r.done())

	for _, bad := range []string{`{}`, `["a"`, `[1]`, `["a", "b"]`, `["unterminated]`} {
		r.reset(bad)
		r.str()
		require.Error(t, r.done(), bad)
	}
	r.reset(`["x"]`)
	r.int()
	require.Error(t, r.done())
}

func TestMapCacheCopies(t *testing.T) {
	maps := mapCache{}
	lit := `"{\"a\":{\"b\":1}}"`
	m1, err := maps.decode(lit)
	require.NoError(t, err)
	m1["a"].(map[string]any)["b"] = 2
	m2, err := maps.decode(lit)
	require.NoError(t, err)
	require.Equal(t, float64(1), m2["a"].(map[string]any)["b"], "callers get their own copies")
}

func TestGrouped(t *testing.T) {
	g := newGrouped[int](map[string]int{"a": 0, "b": 1, "c": 2})
	for i, id := range []string{"b", "a", "x", "b", "a", "b"} {
		g.add(id, i)
	}
	got := make([][]int, 3)
	g.spread(3, func(i int, v []int) { got[i] = v })
	require.Equal(t, [][]int{{1, 4}, {0, 3, 5}, nil}, got)
	got[0] = append(got[0], 99)
	require.Equal(t, []int{0, 3, 5}, got[1], "appending to one group leaves the next alone")

	var s slab[core.Port]
	seen := map[*core.Port]bool{}
	for range 3 * slabChunk {
		p := s.next()
		require.False(t, seen[p])
		seen[p] = true
	}
}

func TestParseDSN(t *testing.T) {
	tgt, err := parseDSN("sqlite://:memory:", time.Second)
	require.NoError(t, err)
	require.True(t, tgt.memory)
	require.Equal(t, engineSQLite, tgt.engine)
	require.Contains(t, tgt.source, "_txlock=immediate")
	require.NotContains(t, tgt.source, "journal_mode")

	tgt, err = parseDSN("sqlite:///var/lib/ml2go.db", 2*time.Second)
	require.NoError(t, err)
	require.False(t, tgt.memory)
	require.True(t, strings.HasPrefix(tgt.source, "/var/lib/ml2go.db?"))
	for _, want := range []string{"synchronous%28normal%29", "foreign_keys%281%29", "busy_timeout%282000%29"} {
		require.Contains(t, tgt.source, want)
	}

	tgt, err = parseDSN("postgresql://u:secret@h/db?sslmode=disable", time.Second)
	require.NoError(t, err)
	require.Equal(t, enginePostgres, tgt.engine)
	require.Equal(t, "postgresql://u:secret@h/db?binary_parameters=yes&sslmode=disable", tgt.source)
	require.NotContains(t, tgt.redacted, "secret")

	// An operator's own binary_parameters setting is kept.
	tgt, err = parseDSN("postgres://h/db?binary_parameters=no", time.Second)
	require.NoError(t, err)
	require.Equal(t, "postgres://h/db?binary_parameters=no", tgt.source)
}

func TestRetriable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{fmt.Errorf("x: %w", core.ErrRetry), true},
		{core.NetworkNotFound("n"), false},
		{fmt.Errorf("x: %w", &pq.Error{Code: "40001"}), true},
		{&pq.Error{Code: "40P01"}, true},
		{&pq.Error{Code: "23505"}, true},
		{&pq.Error{Code: "23503"}, true},
		{&pq.Error{Code: "42P01"}, false},
		{fmt.Errorf("x: %w", context.Canceled), false},
	} {
		require.Equal(t, c.want, retriable(c.err), "%v", c.err)
	}
	// SQLite's busy and locked errors, extended codes included.
	s, err := Open(context.Background(), "sqlite://:memory:")
	require.NoError(t, err)
	defer s.Close()
	_, err = s.db.Exec(`SELECT * FROM no_such_table`)
	var se *sqlite.Error
	require.ErrorAs(t, err, &se)
	require.False(t, retriable(err))
}

func TestBackoff(t *testing.T) {
	for attempt := 1; attempt <= 30; attempt++ {
		d := backoff(attempt)
		require.Greater(t, d, time.Duration(0))
		require.LessOrEqual(t, d, backoffMax)
	}
	require.LessOrEqual(t, backoff(1), backoffBase)
}

// TestStoredRows checks that the row_json columns of the SQLite schema
// hold the columns of the Go row shapes, in order.
func TestStoredRows(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://:memory:")
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Update(ctx, func(tx core.Tx) error {
		n := &core.Network{Standard: core.Standard{ID: "n", ProjectID: "p", Name: "x", Tags: []string{"t"}}, Extra: map[string]any{"a": 1}}
		if err := tx.CreateNetwork(ctx, n); err != nil {
			return err
		}
		if err := tx.CreateSegment(ctx, &core.Segment{ID: "g", NetworkID: "n", NetworkType: "vlan", SegmentationID: 3}); err != nil {
			return err
		}
		if err := tx.CreateSubnet(ctx, &core.Subnet{Standard: core.Standard{ID: "s"}, NetworkID: "n", IPVersion: 4}); err != nil {
			return err
		}
		p := &core.Port{Standard: core.Standard{ID: "p"}, NetworkID: "n", MACAddress: "fa:16:3e:00:00:01",
			Binding: core.PortBinding{Levels: []core.BindingLevel{{Driver: "d", SegmentID: "g"}}}}
		if err := tx.CreatePort(ctx, p); err != nil {
			return err
		}
		if _, err := tx.AllocateIP(ctx, core.IPAllocation{SubnetID: "s", NetworkID: "n", PortID: "p", IP: netip.MustParseAddr("10.0.0.1")}); err != nil {
			return err
		}
		if _, err := tx.UpsertAgent(ctx, &core.Agent{AgentType: "a", Host: "h"}); err != nil {
			return err
		}
		return nil
	}))
	for _, c := range []struct {
		table string
		shape *rowShape
	}{
		{"networks n", networkRow}, {"segments g", segmentRow}, {"subnets s", subnetRow}, {"ports p", portRow},
		{"agents a", agentRow}, {"port_binding_levels l", bindingLevelRow}, {"ip_allocations a", fixedIPRow},
	} {
		computed := "json_array(" + c.shape.cols + ")"
		var same, rows int
		err := s.db.QueryRow(`SELECT count(*), coalesce(sum(`+c.shape.stored+` = `+computed+`), 0) FROM `+c.table).Scan(&rows, &same)
		require.NoError(t, err, c.table)
		require.Equal(t, 1, rows, c.table)
		require.Equal(t, 1, same, "%s: row_json does not match the Go row shape", c.table)
	}
}

func TestSQLiteSettings(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+t.TempDir()+"/x.db")
	require.NoError(t, err)
	defer s.Close()
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "synchronous": "1", "foreign_keys": "1", "busy_timeout": "5000",
	} {
		var got string
		require.NoError(t, s.db.QueryRow(`PRAGMA `+pragma).Scan(&got), pragma)
		require.Equal(t, want, got, pragma)
	}
	require.NotNil(t, s.writers)
}
