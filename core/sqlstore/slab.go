package sqlstore

// slab hands out pointers into chunks of Ts, so that a listing of
// thousands of items makes a few allocations rather than one per item.
type slab[T any] struct{ free []T }

// slabChunk is how many items a slab allocates at once.
const slabChunk = 128

// next returns a pointer to a zero T.
func (s *slab[T]) next() *T {
	if len(s.free) == 0 {
		s.free = make([]T, slabChunk)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// grouped collects the details of the items of a listing (fixed IPs,
// binding levels, ...) in any order, then hands each item its own in one
// backing array, in the order they came.
type grouped[T any] struct {
	pos    map[string]int // item id -> position in the listing
	owners []int
	values []T
}

func newGrouped[T any](pos map[string]int) *grouped[T] { return &grouped[T]{pos: pos} }

// add records v for the item with the given id; unknown ids are ignored.
func (g *grouped[T]) add(id string, v T) {
	if i, ok := g.pos[id]; ok {
		g.owners = append(g.owners, i)
		g.values = append(g.values, v)
	}
}

// spread calls set with each item's values. The slices share one array
// but have no spare capacity, so appending to one never touches another.
func (g *grouped[T]) spread(n int, set func(i int, values []T)) {
	if len(g.values) == 0 {
		return
	}
	start := make([]int, n+1)
	for _, o := range g.owners {
		start[o+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	next := append([]int(nil), start[:n]...)
	out := make([]T, len(g.values))
	for k, o := range g.owners {
		out[next[o]] = g.values[k]
		next[o]++
	}
	for i := range n {
		if lo, hi := start[i], start[i+1]; hi > lo {
			set(i, out[lo:hi:hi])
		}
	}
}
