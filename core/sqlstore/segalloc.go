package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/ml2go/ml2go/core"
)

// maxAllocationRaces bounds how many times AllocateSegment finds a free id
// and loses it to a concurrent transaction before it gives up with a
// retriable error.
const maxAllocationRaces = 64

// ReserveSegment marks key allocated; false if it already was. It never
// fails on a conflict, so it does not abort a PostgreSQL transaction.
func (t *tx) ReserveSegment(ctx context.Context, key core.SegmentKey) (bool, error) {
	n, err := t.execCount(ctx, `INSERT INTO segment_allocations (network_type, physical_network, segmentation_id)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, key.NetworkType, key.PhysicalNetwork, key.SegmentationID)
	if err != nil {
		return false, wrap("reserve segment", err)
	}
	return n == 1, nil
}

// ReleaseSegment frees key; false if it was not allocated.
func (t *tx) ReleaseSegment(ctx context.Context, key core.SegmentKey) (bool, error) {
	n, err := t.execCount(ctx, `DELETE FROM segment_allocations
		WHERE network_type = ? AND physical_network = ? AND segmentation_id = ?`,
		key.NetworkType, key.PhysicalNetwork, key.SegmentationID)
	if err != nil {
		return false, wrap("release segment", err)
	}
	return n > 0, nil
}

// SegmentAllocated reports whether key is allocated.
func (t *tx) SegmentAllocated(ctx context.Context, key core.SegmentKey) (bool, error) {
	ok, err := t.exists(ctx, `SELECT 1 FROM segment_allocations
		WHERE network_type = ? AND physical_network = ? AND segmentation_id = ?`,
		key.NetworkType, key.PhysicalNetwork, key.SegmentationID)
	return ok, wrap("look up segment", err)
}

// randomProbes is how many uniformly drawn ids AllocateSegment tries
// before it searches for a gap: with a fraction d of the ranges taken, all
// of them are taken with probability d^randomProbes, so that a gap search
// is rare unless the ranges are nearly full.
const randomProbes = 4

// AllocateSegment allocates a free id of (networkType, physnet) in ranges.
// It tries up to randomProbes ids drawn uniformly from the union of the
// ranges; if they are all taken it searches for a gap, from where the
// last gap search of this Store for (networkType, physnet) ended when that
// is in the ranges, else from the last drawn id: the first free id at or
// after it in its range, then from the start of that range, then in each
// other range in turn. Its cost never depends on the size of the ranges;
// a gap search costs the length of the run of taken ids it starts in, and
// starting where the last one ended keeps that short when ids are taken
// in a block. ok is false when every id is taken. Losing a found id to a
// concurrent transaction makes it search again, up to maxAllocationRaces
// times, then fail with an error wrapping core.ErrRetry.
func (t *tx) AllocateSegment(ctx context.Context, networkType, physnet string, ranges []core.SegmentRange) (int64, bool, error) {
	var valid []core.SegmentRange
	var total int64
	for _, r := range ranges {
		if r.Max >= r.Min {
			valid = append(valid, r)
			total += r.Size()
		}
	}
	if total <= 0 {
		return 0, false, nil
	}
	key := core.SegmentKey{NetworkType: networkType, PhysicalNetwork: physnet}
	var ri int
	for range randomProbes {
		// Draw an id, weighting ranges by size.
		var id int64
		ri, id = 0, rand.Int64N(total)
		for id >= valid[ri].Size() {
			id -= valid[ri].Size()
			ri++
		}
		key.SegmentationID = id + valid[ri].Min
		ok, err := t.ReserveSegment(ctx, key)
		if err != nil || ok {
			return key.SegmentationID, ok, err
		}
	}
	hint := segmentHintKey{networkType, physnet}
	if h, ok := t.s.gapHints.get(hint); ok {
		for i, r := range valid {
			if h >= r.Min && h <= r.Max {
				ri, key.SegmentationID = i, h
				break
			}
		}
	}
	for range maxAllocationRaces {
		free, found, err := t.nextFree(ctx, networkType, physnet, valid, ri, key.SegmentationID)
		if err != nil || !found {
			return 0, false, err
		}
		key.SegmentationID = free
		ok, err := t.ReserveSegment(ctx, key)
		if err != nil {
			return 0, false, err
		}
		if ok {
			t.s.gapHints.set(hint, free+1)
			return free, true, nil
		}
	}
	return 0, false, fmt.Errorf("sqlstore: allocate %s segment on %q: lost %d races: %w",
		networkType, physnet, maxAllocationRaces, core.ErrRetry)
}

// nextFree returns the first free id at or after from in ranges[ri], else
// from the start of ranges[ri] up to from, else the first free id of each
// following range, wrapping around.
func (t *tx) nextFree(ctx context.Context, networkType, physnet string, ranges []core.SegmentRange, ri int, from int64) (int64, bool, error) {
	r := ranges[ri]
	spans := make([]core.SegmentRange, 0, len(ranges)+1)
	spans = append(spans, core.SegmentRange{Min: from, Max: r.Max})
	if from > r.Min {
		spans = append(spans, core.SegmentRange{Min: r.Min, Max: from - 1})
	}
	for i := 1; i < len(ranges); i++ {
		spans = append(spans, ranges[(ri+i)%len(ranges)])
	}
	for _, s := range spans {
		id, ok, err := t.firstFree(ctx, networkType, physnet, s)
		if err != nil || ok {
			return id, ok, err
		}
	}
	return 0, false, nil
}

// Chunks of the gap search: the first is small, as the run of taken ids
// at the start of a search is usually short; each next one is larger, up
// to the last.
const (
	gapChunkFirst = 16
	gapChunkMax   = 4096
)

// gapQuery reads, in order, up to a chunk of the allocated ids of
// [lo, hi]. It is a range scan of the primary key that stops after the
// chunk: the plan the engine picks for it does not depend on the
// statistics it has of the table, which a search for a gap written as an
// anti-join does. Parameters: type, physnet, lo, hi, chunk.
const gapQuery = `SELECT segmentation_id FROM segment_allocations
	WHERE network_type = ? AND physical_network = ? AND segmentation_id >= ? AND segmentation_id <= ?
	ORDER BY segmentation_id LIMIT ?`

// firstFree returns the smallest id of span that is not allocated. It
// reads the allocated ids from span.Min in order, a growing chunk at a
// time, and stops at the first one missing: its cost is the length of the
// run of taken ids at span.Min.
func (t *tx) firstFree(ctx context.Context, networkType, physnet string, span core.SegmentRange) (int64, bool, error) {
	want, chunk := span.Min, gapChunkFirst
	for want <= span.Max {
		rows, err := t.query(ctx, gapQuery, networkType, physnet, want, span.Max, chunk)
		if err != nil {
			return 0, false, wrap("find free segment", err)
		}
		n, gap := 0, false
		for rows.Next() {
			var id sqlInt
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, false, wrap("find free segment", err)
			}
			n++
			if int64(id) != want {
				gap = true
				break
			}
			want++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, false, wrap("find free segment", err)
		}
		if gap || n < chunk {
			return want, want <= span.Max, nil
		}
		chunk = min(4*chunk, gapChunkMax)
	}
	return 0, false, nil
}

// segmentHintKey names the ids of one segment type and physical network.
type segmentHintKey struct{ networkType, physnet string }

// segmentHints holds, for each segment type and physical network, the id
// after the one the Store's last gap search found. It is only a hint of
// where free ids may be: other Stores allocate and release without
// telling it, and a search that starts there still checks every id.
type segmentHints struct {
	mu   sync.Mutex
	next map[segmentHintKey]int64
}

func (h *segmentHints) get(k segmentHintKey) (int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, ok := h.next[k]
	return id, ok
}

func (h *segmentHints) set(k segmentHintKey, id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.next == nil {
		h.next = map[segmentHintKey]int64{}
	}
	h.next[k] = id
}
