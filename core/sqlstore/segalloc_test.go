package sqlstore_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

func vxlan(id int64) core.SegmentKey {
	return core.SegmentKey{NetworkType: core.TypeVXLAN, SegmentationID: id}
}

func TestReserveSegment(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		vlan := func(physnet string, id int64) core.SegmentKey {
			return core.SegmentKey{NetworkType: core.TypeVLAN, PhysicalNetwork: physnet, SegmentationID: id}
		}
		flat := core.SegmentKey{NetworkType: core.TypeFlat, PhysicalNetwork: "phys1"}
		update(t, s, func(tx core.Tx) error {
			for _, k := range []core.SegmentKey{vlan("phys1", 5), vlan("phys2", 5), vxlan(5), flat} {
				ok, err := tx.ReserveSegment(ctx, k)
				require.NoError(t, err)
				require.True(t, ok, "%+v", k)
				// Twice: false, no error, the transaction goes on.
				ok, err = tx.ReserveSegment(ctx, k)
				require.NoError(t, err)
				require.False(t, ok, "%+v", k)
			}
			return nil
		})
		update(t, s, func(tx core.Tx) error {
			ok, err := tx.SegmentAllocated(ctx, vlan("phys1", 5))
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = tx.SegmentAllocated(ctx, vlan("phys1", 6))
			require.NoError(t, err)
			require.False(t, ok)

			ok, err = tx.ReleaseSegment(ctx, vlan("phys1", 5))
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = tx.ReleaseSegment(ctx, vlan("phys1", 5))
			require.NoError(t, err)
			require.False(t, ok)
			ok, err = tx.SegmentAllocated(ctx, vlan("phys2", 5))
			require.NoError(t, err)
			require.True(t, ok, "other physnets are untouched")
			return nil
		})
	})
}

// allocateAll allocates until the ranges are exhausted.
func allocateAll(t *testing.T, s core.Store, ranges []core.SegmentRange) []int64 {
	t.Helper()
	var ids []int64
	for {
		var id int64
		var ok bool
		update(t, s, func(tx core.Tx) (err error) {
			id, ok, err = tx.AllocateSegment(ctx, core.TypeVXLAN, "", ranges)
			return err
		})
		if !ok {
			return ids
		}
		ids = append(ids, id)
		require.LessOrEqual(t, len(ids), 10000, "no exhaustion")
	}
}

func requireDistinctIn(t *testing.T, ids []int64, ranges []core.SegmentRange) {
	t.Helper()
	seen := map[int64]bool{}
	for _, id := range ids {
		require.False(t, seen[id], "%d allocated twice", id)
		seen[id] = true
		in := false
		for _, r := range ranges {
			in = in || r.Contains(id)
		}
		require.True(t, in, "%d outside %v", id, ranges)
	}
}

func TestAllocateSegment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		t.Run("exhaust", func(t *testing.T) {
			s := e.open(t)
			ranges := []core.SegmentRange{{Min: 1, Max: 100}}
			// Reserved ids inside the range are skipped.
			update(t, s, func(tx core.Tx) error {
				for _, id := range []int64{1, 37, 38, 100} {
					if _, err := tx.ReserveSegment(ctx, vxlan(id)); err != nil {
						return err
					}
				}
				return nil
			})
			ids := allocateAll(t, s, ranges)
			require.Len(t, ids, 96)
			requireDistinctIn(t, ids, ranges)
			require.NotContains(t, ids, int64(37))
			// Releasing one makes exactly that one available.
			update(t, s, func(tx core.Tx) error {
				_, err := tx.ReleaseSegment(ctx, vxlan(37))
				return err
			})
			require.Equal(t, []int64{37}, allocateAll(t, s, ranges))
		})
		t.Run("several ranges", func(t *testing.T) {
			s := e.open(t)
			ranges := []core.SegmentRange{{Min: 10, Max: 12}, {Min: 5, Max: 4}, {Min: 1, Max: 3}, {Min: 20, Max: 20}}
			ids := allocateAll(t, s, ranges)
			require.Len(t, ids, 7)
			requireDistinctIn(t, ids, ranges)
			update(t, s, func(tx core.Tx) error {
				_, ok, err := tx.AllocateSegment(ctx, core.TypeVXLAN, "", nil)
				require.NoError(t, err)
				require.False(t, ok, "no ranges")
				_, ok, err = tx.AllocateSegment(ctx, core.TypeVXLAN, "", []core.SegmentRange{{Min: 5, Max: 4}})
				require.NoError(t, err)
				require.False(t, ok, "empty range")
				// Another physnet has its own ids.
				id, ok, err := tx.AllocateSegment(ctx, core.TypeVXLAN, "other", []core.SegmentRange{{Min: 20, Max: 20}})
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, int64(20), id)
				return nil
			})
		})
		t.Run("full 24-bit range", func(t *testing.T) {
			s := e.open(t)
			ranges := []core.SegmentRange{{Min: 1, Max: 1<<24 - 1}}
			start := time.Now()
			var ids []int64
			update(t, s, func(tx core.Tx) error {
				for range 500 {
					id, ok, err := tx.AllocateSegment(ctx, core.TypeVXLAN, "", ranges)
					require.NoError(t, err)
					require.True(t, ok)
					ids = append(ids, id)
				}
				return nil
			})
			requireDistinctIn(t, ids, ranges)
			// Spread over the range, not packed at its start.
			var high int
			for _, id := range ids {
				if id > 1<<23 {
					high++
				}
			}
			require.Greater(t, high, 150)
			require.Less(t, time.Since(start), 20*time.Second)
		})
		t.Run("dense block", func(t *testing.T) {
			// A block of taken ids is skipped with one query per attempt,
			// wrapping around the end of the range.
			s := e.open(t)
			ranges := []core.SegmentRange{{Min: 1, Max: 2000}}
			update(t, s, func(tx core.Tx) error {
				for id := int64(1); id <= 2000; id++ {
					if id == 1000 {
						continue
					}
					if _, err := tx.ReserveSegment(ctx, vxlan(id)); err != nil {
						return err
					}
				}
				return nil
			})
			require.Equal(t, []int64{1000}, allocateAll(t, s, ranges))
		})
	})
}

// TestRangesChangeBetweenOpens: allocations outlive their ranges, and
// opening costs nothing whatever the ranges.
func TestRangesChangeBetweenOpens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		dsn := e.dsn(t)
		s := openDSN(t, dsn)
		old := []core.SegmentRange{{Min: 1, Max: 10}}
		ids := allocateAll(t, s, old)
		require.Len(t, ids, 10)
		update(t, s, func(tx core.Tx) error {
			_, err := tx.ReserveSegment(ctx, vxlan(500))
			return err
		})
		require.NoError(t, s.Close())

		s = openDSN(t, dsn)
		moved := []core.SegmentRange{{Min: 5, Max: 14}}
		got := allocateAll(t, s, moved)
		require.ElementsMatch(t, []int64{11, 12, 13, 14}, got)
		view(t, s, func(tx core.Tx) error {
			for _, id := range []int64{1, 4, 500} {
				ok, err := tx.SegmentAllocated(ctx, vxlan(id))
				require.NoError(t, err)
				require.True(t, ok, "%d still allocated", id)
			}
			ok, err := tx.SegmentAllocated(ctx, vxlan(15))
			require.NoError(t, err)
			require.False(t, ok)
			return nil
		})
	})
}

// TestConcurrentAllocation: 32 goroutines allocating from 1:100 get
// exactly 100 distinct ids; the others find the range exhausted.
func TestConcurrentAllocation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		t.Run("one store", func(t *testing.T) {
			s := e.open(t)
			concurrentAllocation(t, []core.Store{s})
		})
		if e.name == "sqlite" {
			return // a private in-memory database cannot be shared
		}
		t.Run("two stores", func(t *testing.T) {
			dsn := e.dsn(t)
			concurrentAllocation(t, []core.Store{openDSN(t, dsn), openDSN(t, dsn)})
		})
	})
}

func concurrentAllocation(t *testing.T, stores []core.Store) {
	const goroutines, attempts = 32, 5
	ranges := []core.SegmentRange{{Min: 1, Max: 100}}
	var mu sync.Mutex
	var ids []int64
	exhausted := 0
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			s := stores[g%len(stores)]
			for range attempts {
				var id int64
				var ok bool
				err := s.Update(ctx, func(tx core.Tx) (err error) {
					id, ok, err = tx.AllocateSegment(ctx, core.TypeVXLAN, "", ranges)
					return err
				})
				mu.Lock()
				if !(ok || err != nil) {
					exhausted++
				}
				if ok && err == nil {
					ids = append(ids, id)
				}
				mu.Unlock()
				if !assertNoError(t, err) {
					return
				}
			}
		})
	}
	wg.Wait()
	require.Len(t, ids, 100)
	requireDistinctIn(t, ids, ranges)
	require.Equal(t, goroutines*attempts-100, exhausted)
}

func assertNoError(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Errorf("allocate: %v", err)
		return false
	}
	return true
}
