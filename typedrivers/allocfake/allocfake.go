// Package allocfake provides Allocator, an in-memory core.SegmentAllocator
// for tests of type drivers and of the code that calls them.
//
// It has the semantics the store's allocator promises: ReserveSegment and
// ReleaseSegment report whether they changed anything, AllocateSegment
// scans the given ranges from a random starting point and reports ok=false
// once every id in them is taken. It is safe for concurrent use. It has no
// transactions: every call takes effect at once.
package allocfake

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/ml2go/ml2go/core"
)

// Allocator is a map-backed core.SegmentAllocator. The zero value is not
// usable: call New or NewSeeded.
type Allocator struct {
	mu        sync.Mutex
	allocated map[core.SegmentKey]struct{}
	rng       *rand.Rand // nil: the global source
	err       error
}

var _ core.SegmentAllocator = (*Allocator)(nil)

// New returns an empty Allocator whose random starting points come from the
// global random source.
func New() *Allocator {
	return &Allocator{allocated: map[core.SegmentKey]struct{}{}}
}

// NewSeeded returns an empty Allocator whose random starting points are a
// deterministic function of seed, for reproducible tests.
func NewSeeded(seed uint64) *Allocator {
	a := New()
	a.rng = rand.New(rand.NewPCG(seed, seed))
	return a
}

// SetError makes every later call fail with err (nil restores normal
// operation), to exercise error paths.
func (a *Allocator) SetError(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.err = err
}

// fail returns the error a call must fail with, if any. a.mu is held.
func (a *Allocator) fail(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return a.err
}

// ReserveSegment marks key allocated; false if it already was.
func (a *Allocator) ReserveSegment(ctx context.Context, key core.SegmentKey) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fail(ctx); err != nil {
		return false, err
	}
	if _, taken := a.allocated[key]; taken {
		return false, nil
	}
	a.allocated[key] = struct{}{}
	return true, nil
}

// AllocateSegment allocates a free id of (networkType, physnet) in ranges,
// scanning them in order, with wrap-around, from a random position. ok is
// false when every id is taken (or ranges is empty).
func (a *Allocator) AllocateSegment(ctx context.Context, networkType, physnet string, ranges []core.SegmentRange) (int64, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fail(ctx); err != nil {
		return 0, false, err
	}
	var total int64
	for _, r := range ranges {
		if r.Max >= r.Min {
			total += r.Size()
		}
	}
	if total == 0 {
		return 0, false, nil
	}
	start := a.int64N(total)
	for i := range total {
		id := nth(ranges, (start+i)%total)
		key := core.SegmentKey{NetworkType: networkType, PhysicalNetwork: physnet, SegmentationID: id}
		if _, taken := a.allocated[key]; !taken {
			a.allocated[key] = struct{}{}
			return id, true, nil
		}
	}
	return 0, false, nil
}

// nth returns the n-th id (from 0) of the concatenation of ranges.
func nth(ranges []core.SegmentRange, n int64) int64 {
	for _, r := range ranges {
		if r.Max < r.Min {
			continue
		}
		if n < r.Size() {
			return r.Min + n
		}
		n -= r.Size()
	}
	panic("allocfake: index beyond ranges")
}

func (a *Allocator) int64N(n int64) int64 {
	if a.rng != nil {
		return a.rng.Int64N(n)
	}
	return rand.Int64N(n)
}

// ReleaseSegment frees key; false if it was not allocated.
func (a *Allocator) ReleaseSegment(ctx context.Context, key core.SegmentKey) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fail(ctx); err != nil {
		return false, err
	}
	if _, taken := a.allocated[key]; !taken {
		return false, nil
	}
	delete(a.allocated, key)
	return true, nil
}

// SegmentAllocated reports whether key is allocated.
func (a *Allocator) SegmentAllocated(ctx context.Context, key core.SegmentKey) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fail(ctx); err != nil {
		return false, err
	}
	_, taken := a.allocated[key]
	return taken, nil
}

// IsAllocated is SegmentAllocated without context or error, for assertions.
func (a *Allocator) IsAllocated(key core.SegmentKey) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, taken := a.allocated[key]
	return taken
}

// Allocated returns every allocated key, sorted by network type, physical
// network and segmentation id.
func (a *Allocator) Allocated() []core.SegmentKey {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]core.SegmentKey, 0, len(a.allocated))
	for k := range a.allocated {
		out = append(out, k)
	}
	slices.SortFunc(out, func(x, y core.SegmentKey) int {
		return cmp.Or(
			cmp.Compare(x.NetworkType, y.NetworkType),
			cmp.Compare(x.PhysicalNetwork, y.PhysicalNetwork),
			cmp.Compare(x.SegmentationID, y.SegmentationID),
		)
	})
	return out
}

// Len returns the number of allocated keys.
func (a *Allocator) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.allocated)
}
