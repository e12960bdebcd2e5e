package sqlstore_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

func TestHostChanges(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		var got []core.HostChange
		var oldest int64
		view(t, s, func(tx core.Tx) (err error) {
			got, oldest, err = tx.HostChanges(ctx, 0)
			return err
		})
		assert.Empty(t, got)
		assert.Zero(t, oldest)

		a := &core.HostChange{Hosts: []string{"h1"}, Ports: []string{"p1"}, Networks: []string{"n1"}}
		b := &core.HostChange{Networks: []string{"n1"}, Carriers: true}
		update(t, s, func(tx core.Tx) error { return tx.AddHostChange(ctx, a) })
		update(t, s, func(tx core.Tx) error { return tx.AddHostChange(ctx, b) })
		require.Greater(t, b.Seq, a.Seq)

		view(t, s, func(tx core.Tx) (err error) {
			got, oldest, err = tx.HostChanges(ctx, 0)
			return err
		})
		assert.Equal(t, []core.HostChange{*a, *b}, got)
		assert.Equal(t, a.Seq, oldest)
		view(t, s, func(tx core.Tx) (err error) {
			got, _, err = tx.HostChanges(ctx, a.Seq)
			return err
		})
		assert.Equal(t, []core.HostChange{*b}, got)

		// Pruned numbers are never handed out again.
		update(t, s, func(tx core.Tx) error { return tx.PruneHostChanges(ctx, b.Seq) })
		view(t, s, func(tx core.Tx) (err error) {
			got, oldest, err = tx.HostChanges(ctx, 0)
			return err
		})
		assert.Empty(t, got)
		c := &core.HostChange{Hosts: []string{"h2"}}
		update(t, s, func(tx core.Tx) error { return tx.AddHostChange(ctx, c) })
		assert.Greater(t, c.Seq, b.Seq)
	})
}

// TestHostChangesConcurrentAppends: numbers are unique and every append
// is read back, whatever the interleaving.
func TestHostChangesConcurrentAppends(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				assert.NoError(t, s.Update(ctx, func(tx core.Tx) error {
					return tx.AddHostChange(ctx, &core.HostChange{Hosts: []string{"h"}})
				}))
			}()
		}
		wg.Wait()
		var got []core.HostChange
		view(t, s, func(tx core.Tx) (err error) {
			got, _, err = tx.HostChanges(ctx, 0)
			return err
		})
		require.Len(t, got, 16)
		for i := 1; i < len(got); i++ {
			assert.Greater(t, got[i].Seq, got[i-1].Seq)
		}
	})
}
