package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"

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

// AllocateSegment allocates a free id of (networkType, physnet) in ranges.
// It tries an id drawn uniformly from the union of the ranges; if that is
// taken it asks the database for the first free id at or after it in its
// range, then from the start of that range, then in each other range in
// turn. Its cost depends on how many ids are allocated next to the drawn
// one, never on the size of the ranges. ok is false when every id is
// taken. Losing a found id to a concurrent transaction makes it search
// again, up to maxAllocationRaces times, then fail with an error wrapping
// core.ErrRetry.
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
	// Draw the starting point, weighting ranges by size.
	ri, id := 0, rand.Int64N(total)
	for id >= valid[ri].Size() {
		id -= valid[ri].Size()
		ri++
	}
	id += valid[ri].Min
	key := core.SegmentKey{NetworkType: networkType, PhysicalNetwork: physnet, SegmentationID: id}
	for range maxAllocationRaces {
		ok, err := t.ReserveSegment(ctx, key)
		if err != nil || ok {
			return key.SegmentationID, ok, err
		}
		free, found, err := t.nextFree(ctx, networkType, physnet, valid, ri, key.SegmentationID)
		if err != nil || !found {
			return 0, false, err
		}
		key.SegmentationID = free
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

// firstFreeQuery finds the smallest free id of [lo, hi] in one statement:
// lo itself if free, else the smallest id+1 <= hi of an allocated id >= lo
// whose successor is free. The second part walks the primary key in order
// and stops at the first gap. Parameters: type, physnet, lo (candidate),
// type, physnet, lo, type, physnet, lo, hi, type, physnet.
const firstFreeQuery = `SELECT c FROM (
	SELECT CAST(? AS BIGINT) AS c WHERE NOT EXISTS (
		SELECT 1 FROM segment_allocations
		WHERE network_type = ? AND physical_network = ? AND segmentation_id = ?)
	UNION ALL
	SELECT c FROM (
		SELECT a.segmentation_id + 1 AS c FROM segment_allocations a
		WHERE a.network_type = ? AND a.physical_network = ? AND a.segmentation_id >= ? AND a.segmentation_id < ?
		AND NOT EXISTS (
			SELECT 1 FROM segment_allocations b
			WHERE b.network_type = ? AND b.physical_network = ? AND b.segmentation_id = a.segmentation_id + 1)
		ORDER BY a.segmentation_id
		LIMIT 1) gap
) candidates ORDER BY c LIMIT 1`

// firstFree returns the smallest id of span that is not allocated.
func (t *tx) firstFree(ctx context.Context, networkType, physnet string, span core.SegmentRange) (int64, bool, error) {
	var id sqlInt
	err := t.queryRow(ctx, firstFreeQuery,
		span.Min, networkType, physnet, span.Min,
		networkType, physnet, span.Min, span.Max,
		networkType, physnet).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, wrap("find free segment", err)
	}
	return int64(id), true, nil
}
