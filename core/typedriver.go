package core

import "context"

// SegmentRange is an inclusive range of segmentation ids.
type SegmentRange struct {
	Min int64
	Max int64
}

// Contains reports whether id lies in r.
func (r SegmentRange) Contains(id int64) bool { return r.Min <= id && id <= r.Max }

// Size is the number of ids in r.
func (r SegmentRange) Size() int64 { return r.Max - r.Min + 1 }

// SegmentKey names one allocatable segment resource: a VLAN on a physnet, a
// tunnel id, or a whole physnet for flat networks (SegmentationID 0).
type SegmentKey struct {
	NetworkType     string
	PhysicalNetwork string
	SegmentationID  int64
}

// SegmentAllocator is the persistence primitive type drivers allocate
// through. It works inside the caller's transaction and is safe across
// processes sharing one database: only allocated ids are stored (no row per
// id of a range), uniqueness is enforced by the database, and its cost does
// not depend on the size of the ranges.
type SegmentAllocator interface {
	// ReserveSegment marks key allocated. It returns false, without error,
	// if key is already allocated.
	ReserveSegment(ctx context.Context, key SegmentKey) (bool, error)
	// AllocateSegment allocates a free id of (networkType, physnet) inside
	// ranges, starting from a random point so that concurrent allocators
	// rarely collide. ok is false when every id in ranges is taken.
	AllocateSegment(ctx context.Context, networkType, physnet string, ranges []SegmentRange) (id int64, ok bool, err error)
	// ReleaseSegment frees key. It returns false if key was not allocated.
	ReleaseSegment(ctx context.Context, key SegmentKey) (bool, error)
	// SegmentAllocated reports whether key is allocated.
	SegmentAllocated(ctx context.Context, key SegmentKey) (bool, error)
}

// TypeDriver manages one network type: it validates provider segments,
// reserves and releases them, allocates tenant segments from its pool and
// knows the MTU of its segments.
type TypeDriver interface {
	// Type returns the network_type handled, e.g. "vxlan".
	Type() string
	// Initialize is called once, after every driver is registered and the
	// store is open.
	Initialize(ctx context.Context) error
	// IsPartialSegment reports whether the driver must choose missing
	// values of seg (a VLAN or tunnel segment without segmentation id).
	IsPartialSegment(seg Segment) bool
	// ValidateProviderSegment returns an InvalidInput error if seg is not
	// an acceptable provider segment of this type.
	ValidateProviderSegment(seg Segment) error
	// ReserveProviderSegment reserves an admin-specified, possibly partial,
	// segment and returns it complete, with its MTU.
	ReserveProviderSegment(ctx context.Context, alloc SegmentAllocator, seg Segment) (Segment, error)
	// AllocateTenantSegment picks a segment from the tenant pool. It
	// returns nil, without error, when the type has no tenant pool or the
	// pool is exhausted.
	AllocateTenantSegment(ctx context.Context, alloc SegmentAllocator) (*Segment, error)
	// ReleaseSegment gives seg's resource back.
	ReleaseSegment(ctx context.Context, alloc SegmentAllocator, seg Segment) error
	// MTU returns the MTU of a segment of this type on physnet, 0 for no
	// opinion.
	MTU(physnet string) int
}
