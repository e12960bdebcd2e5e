package sqlstore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
)

// cacheOf returns the statement cache of the store's (only idle)
// connection.
func cacheOf(t *testing.T, s *Store) *cachingConn {
	t.Helper()
	conn, err := s.db.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	var c *cachingConn
	require.NoError(t, conn.Raw(func(dc any) error {
		c = dc.(*cachingConn)
		return nil
	}))
	return c
}

func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	// The cache is the same for both engines; the other tests run
	// everything through it on PostgreSQL.
	for _, dsn := range []string{"sqlite://:memory:", "sqlite://" + t.TempDir() + "/cache.db"} {
		t.Run(dsn, func(t *testing.T) {
			s, err := Open(ctx, dsn, WithMaxOpenConns(1))
			require.NoError(t, err)
			defer s.Close()
			get := func(id string) error {
				return s.View(ctx, func(tx core.Tx) error {
					_, err := tx.GetNetwork(ctx, id)
					return err
				})
			}

			// A statement is prepared once and then reused.
			require.ErrorIs(t, get("a"), core.ErrNotFound)
			c := cacheOf(t, s)
			before := c.lru.Len()
			require.ErrorIs(t, get("b"), core.ErrNotFound)
			require.Equal(t, before, c.lru.Len())

			// Past its size the least recently used statement goes, and
			// statements still run.
			c.size = 2
			for _, q := range []string{"SELECT 1 WHERE 1 = ?", "SELECT 2 WHERE 1 = ?", "SELECT 3 WHERE 1 = ?"} {
				var n int
				require.NoError(t, s.db.QueryRowContext(ctx, rebind(s.engine, q), 1).Scan(&n))
			}
			require.Equal(t, 2, c.lru.Len())
			require.Len(t, c.stmts, 2)
			require.ErrorIs(t, get("c"), core.ErrNotFound)
		})
	}
}

func TestEachJSONRow(t *testing.T) {
	for _, tt := range []struct {
		name, list string
		want       [][]string
		err        bool
	}{
		{"empty", `[]`, nil, false},
		{"spaces", ` [ ] `, nil, false},
		{"rows", `[["a", "b"], ["c", "]\"["]]`, [][]string{{"a", "b"}, {"c", `]"[`}}, false},
		{"postgres_spacing", `[ ["a","b"] , ["c","d"] ]`, [][]string{{"a", "b"}, {"c", "d"}}, false},
		{"not_a_list", `{"a": 1}`, nil, true},
		{"scalar_row", `[1]`, nil, true},
		{"unterminated", `[["a"`, nil, true},
		{"short_row", `[["a"]]`, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]string
			err := eachJSONRow(tt.list, func(r rowReader) {
				got = append(got, []string{r.str(), r.str()})
			})
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
