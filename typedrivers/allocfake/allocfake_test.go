package allocfake

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
)

func k(typ, physnet string, id int64) core.SegmentKey {
	return core.SegmentKey{NetworkType: typ, PhysicalNetwork: physnet, SegmentationID: id}
}

func TestReserveRelease(t *testing.T) {
	ctx := context.Background()
	a := New()
	key := k("vlan", "p", 5)

	ok, err := a.ReserveSegment(ctx, key)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = a.ReserveSegment(ctx, key)
	require.NoError(t, err)
	assert.False(t, ok, "second reserve")

	ok, err = a.SegmentAllocated(ctx, key)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = a.SegmentAllocated(ctx, k("vlan", "q", 5))
	require.NoError(t, err)
	assert.False(t, ok, "keys differ by physnet")

	ok, err = a.ReleaseSegment(ctx, key)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = a.ReleaseSegment(ctx, key)
	require.NoError(t, err)
	assert.False(t, ok, "second release")
	assert.Zero(t, a.Len())
}

func TestAllocateSegment(t *testing.T) {
	ctx := context.Background()
	a := NewSeeded(1)
	ranges := []core.SegmentRange{{Min: 10, Max: 12}, {Min: 20, Max: 21}}
	require.NoError(t, func() error { _, err := a.ReserveSegment(ctx, k("vxlan", "", 11)); return err }())

	got := map[int64]bool{}
	for range 4 {
		id, ok, err := a.AllocateSegment(ctx, "vxlan", "", ranges)
		require.NoError(t, err)
		require.True(t, ok)
		got[id] = true
	}
	assert.Equal(t, map[int64]bool{10: true, 12: true, 20: true, 21: true}, got)
	_, ok, err := a.AllocateSegment(ctx, "vxlan", "", ranges)
	require.NoError(t, err)
	assert.False(t, ok, "exhausted")

	_, ok, err = a.AllocateSegment(ctx, "gre", "", ranges)
	require.NoError(t, err)
	assert.True(t, ok, "other type has its own ids")

	_, ok, err = a.AllocateSegment(ctx, "vxlan", "", nil)
	require.NoError(t, err)
	assert.False(t, ok, "no ranges")

	assert.Equal(t, []core.SegmentKey{
		k("gre", "", a.Allocated()[0].SegmentationID),
		k("vxlan", "", 10), k("vxlan", "", 11), k("vxlan", "", 12), k("vxlan", "", 20), k("vxlan", "", 21),
	}, a.Allocated())
}

func TestAllocateSegmentRandomStart(t *testing.T) {
	ctx := context.Background()
	first := map[int64]bool{}
	for seed := range uint64(20) {
		id, ok, err := NewSeeded(seed).AllocateSegment(ctx, "vxlan", "", []core.SegmentRange{{Min: 1, Max: 1000}})
		require.NoError(t, err)
		require.True(t, ok)
		first[id] = true
	}
	assert.Greater(t, len(first), 10, "starting points vary")
}

func TestConcurrentAllocation(t *testing.T) {
	ctx := context.Background()
	a := New()
	ranges := []core.SegmentRange{{Min: 1, Max: 200}}
	var (
		mu  sync.Mutex
		ids = map[int64]int{}
		wg  sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for {
				id, ok, err := a.AllocateSegment(ctx, "vlan", "p", ranges)
				if err != nil || !ok {
					return
				}
				mu.Lock()
				ids[id]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Len(t, ids, 200)
	for id, n := range ids {
		assert.Equal(t, 1, n, "id %d", id)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	a := New()
	boom := errors.New("boom")
	a.SetError(boom)
	_, err := a.ReserveSegment(ctx, k("vlan", "p", 1))
	assert.ErrorIs(t, err, boom)
	_, _, err = a.AllocateSegment(ctx, "vlan", "p", []core.SegmentRange{{Min: 1, Max: 1}})
	assert.ErrorIs(t, err, boom)
	_, err = a.ReleaseSegment(ctx, k("vlan", "p", 1))
	assert.ErrorIs(t, err, boom)
	_, err = a.SegmentAllocated(ctx, k("vlan", "p", 1))
	assert.ErrorIs(t, err, boom)
	a.SetError(nil)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = a.ReserveSegment(cctx, k("vlan", "p", 1))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, a.Len())
}
