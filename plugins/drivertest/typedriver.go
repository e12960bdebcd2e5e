package drivertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/typedrivers/allocfake"
)

// TypeOption configures RunTypeDriver.
type TypeOption func(*typeConfig)

type typeConfig struct {
	valid, invalid []core.Segment
	pool           int // -1: not declared
}

// ValidSegments are provider segments the driver accepts (their
// NetworkType may be left empty: the kit sets the driver's). Each must be
// reservable on a fresh store. The default is one partial segment: the
// network type alone, which suits tunnel drivers and local; a VLAN or flat
// driver needs a physical network.
func ValidSegments(segs ...core.Segment) TypeOption {
	return func(c *typeConfig) { c.valid = append(c.valid, segs...) }
}

// InvalidSegments are provider segments the driver must refuse with a
// core.KindBadRequest error (core.InvalidInput) from
// ValidateProviderSegment. The default is none.
func InvalidSegments(segs ...core.Segment) TypeOption {
	return func(c *typeConfig) { c.invalid = append(c.invalid, segs...) }
}

// TenantPool declares that the driver's tenant pool has exactly size
// segments (0: it has no tenant pool). The kit then allocates them all,
// checks that the next allocation finds none (no segment, no error), and
// that a released segment can be allocated again. Configure the driver
// under test with a small pool. Without TenantPool, the kit allocates one
// tenant segment, or accepts that there is none.
func TenantPool(size int) TypeOption { return func(c *typeConfig) { c.pool = size } }

// RunTypeDriver runs the conformance checks of core.TypeDriver against the
// drivers factory returns: factory is called once per top-level subtest,
// with that subtest's t (register cleanups on it). The driver is the only
// type driver of an ML2 orchestrator on an in-memory SQLite store, and its
// network type the tenant network type; the orchestrator calls its
// Initialize. Subtests:
//
//   - provider/<i>: each ValidSegments segment passes
//     ValidateProviderSegment, and a network created with it gets one
//     complete segment of the driver's type, with the driver's MTU;
//     reserving that same complete segment again (if it has a physical
//     network or a segmentation id) fails with a conflict and changes
//     nothing; deleting the network releases it, so that it can be
//     reserved again.
//   - invalid_provider/<i>: each InvalidSegments segment is refused by
//     ValidateProviderSegment with a bad-request error, and so is a network
//     created with it, which changes nothing.
//   - tenant_pool: see TenantPool.
//   - allocator_errors: when the segment allocator fails with an error
//     wrapping core.ErrRetry (a busy database), ReserveProviderSegment,
//     AllocateTenantSegment and ReleaseSegment return an error that still
//     wraps it (wrap errors with %w), so that the store retries the
//     transaction.
//   - release_unallocated: releasing a complete segment that is not
//     allocated succeeds (the driver may log it).
func RunTypeDriver(t *testing.T, factory func(t *testing.T) core.TypeDriver, opts ...TypeOption) {
	t.Helper()
	cfg := &typeConfig{pool: -1}
	for _, o := range opts {
		o(cfg)
	}
	k := &typeKit{cfg: cfg, factory: factory}
	t.Run("provider", k.provider)
	if len(cfg.invalid) > 0 {
		t.Run("invalid_provider", k.invalidProvider)
	}
	t.Run("tenant_pool", k.tenantPool)
	t.Run("allocator_errors", k.allocatorErrors)
	t.Run("release_unallocated", k.releaseUnallocated)
}

// typeKit holds what the type-driver scenarios share.
type typeKit struct {
	cfg     *typeConfig
	factory func(t *testing.T) core.TypeDriver
}

// typeEnv is one orchestrator on a fresh store with a fresh driver.
type typeEnv struct {
	t   *testing.T
	d   core.TypeDriver
	nt  string
	p   *ml2.Plugin
	rec *typeRecorder
}

func (k *typeKit) newEnv(t *testing.T) *typeEnv {
	t.Helper()
	ctx := context.Background()
	d := k.factory(t)
	if d == nil {
		t.Fatal("drivertest: the factory returned a nil type driver")
	}
	nt := d.Type()
	if nt == "" {
		t.Fatal("drivertest: the type driver's Type() is empty")
	}
	log := testLogger(t, "drivertest", hclog.Warn)
	rec := &typeRecorder{TypeDriver: d}
	reg := core.NewRegistry()
	if err := reg.RegisterTypeDriver(rec); err != nil {
		t.Fatal(err)
	}
	if err := reg.RegisterMechanismDriver("logger", logger.New(nil)); err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, "sqlite://:memory:", sqlstore.WithLogger(log))
	if err != nil {
		t.Fatalf("drivertest: open the store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	p, err := ml2.New(ctx, ml2.Config{MechanismDrivers: []string{"logger"}, TenantNetworkTypes: []string{nt}, Logger: log}, reg, store)
	if err != nil {
		t.Fatalf("drivertest: the orchestrator could not start with the type driver (Initialize failed?): %v", err)
	}
	if n := rec.initialized(); n != 1 {
		t.Fatalf("drivertest: Initialize was called %d times, want 1", n)
	}
	return &typeEnv{t: t, d: d, nt: nt, p: p, rec: rec}
}

// segment returns s with the driver's network type if it has none.
func (e *typeEnv) segment(s core.Segment) core.Segment {
	if s.NetworkType == "" {
		s.NetworkType = e.nt
	}
	return s
}

func (e *typeEnv) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	e.t.Cleanup(cancel)
	return ctx
}

// create creates a network with s as its provider segment.
func (e *typeEnv) create(s core.Segment) (*core.Network, error) {
	return e.p.CreateNetwork(e.ctx(), &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{
		NetworkType: s.NetworkType, PhysicalNetwork: s.PhysicalNetwork, SegmentationID: s.SegmentationID,
	}})
}

// snapshot is the store's networks and segments, with their allocations
// as far as the segments tell.
func (e *typeEnv) snapshot(t *testing.T) typeSnapshot {
	t.Helper()
	var s typeSnapshot
	var err error
	ctx := context.Background()
	s.Networks, err = e.p.ListNetworks(ctx, nil)
	require.NoError(t, err)
	s.Segments, err = e.p.ListSegments(ctx, nil)
	require.NoError(t, err)
	return s
}

type typeSnapshot struct {
	Networks []*core.Network
	Segments []*core.Segment
}

func (k *typeKit) provider(t *testing.T) {
	e := k.newEnv(t)
	valid := k.cfg.valid
	if len(valid) == 0 {
		valid = []core.Segment{{}}
	}
	for i, v := range valid {
		seg := e.segment(v)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			require.NoError(t, protect("ValidateProviderSegment", func() error { return e.d.ValidateProviderSegment(seg) }),
				"ValidateProviderSegment refused a segment declared valid: %+v", seg)
			n, err := e.create(seg)
			require.NoError(t, err, "create a network with provider segment %+v", seg)
			require.Len(t, n.Segments, 1)
			got := n.Segments[0]
			assert.Equal(t, e.nt, got.NetworkType, "the segment has the driver's type")
			assert.False(t, e.d.IsPartialSegment(got), "the reserved segment is complete: %+v", got)
			if !e.d.IsPartialSegment(seg) {
				assert.Equal(t, seg.PhysicalNetwork, got.PhysicalNetwork, "a complete segment is reserved as given")
				assert.Equal(t, seg.SegmentationID, got.SegmentationID, "a complete segment is reserved as given")
			}
			wantMTU := e.d.MTU(got.PhysicalNetwork)
			if wantMTU <= 0 {
				wantMTU = core.DefaultGlobalPhysnetMTU
			}
			assert.Equal(t, wantMTU, n.MTU, "the network's MTU is the driver's MTU for the segment")

			again := core.Segment{NetworkType: got.NetworkType, PhysicalNetwork: got.PhysicalNetwork, SegmentationID: got.SegmentationID}
			if exclusive(got) {
				before := e.snapshot(t)
				_, err = e.create(again)
				if err == nil {
					t.Errorf("the reserved segment %+v could be reserved a second time", again)
				} else {
					assert.Equal(t, core.KindConflict, core.KindOf(err), "reserving a reserved segment is a conflict; error: %v", err)
					assert.Equal(t, before, e.snapshot(t), "the refused create changed nothing")
				}
			}

			require.NoError(t, e.p.DeleteNetwork(e.ctx(), n.ID), "delete the network")
			n2, err := e.create(again)
			require.NoError(t, err, "after the network is deleted, its segment %+v is free again", again)
			require.NoError(t, e.p.DeleteNetwork(e.ctx(), n2.ID))
		})
	}
}

// exclusive reports whether a segment names a resource that only one
// network may have: a physical network or a segmentation id. A segment
// with neither (a local one) may be reserved any number of times.
func exclusive(s core.Segment) bool { return s.PhysicalNetwork != "" || s.SegmentationID != 0 }

func (k *typeKit) invalidProvider(t *testing.T) {
	e := k.newEnv(t)
	for i, v := range k.cfg.invalid {
		seg := e.segment(v)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			verr := protect("ValidateProviderSegment", func() error { return e.d.ValidateProviderSegment(seg) })
			require.Error(t, verr, "ValidateProviderSegment accepted a segment declared invalid: %+v", seg)
			assert.Equal(t, core.KindBadRequest, core.KindOf(verr), "an invalid segment is a bad request (core.InvalidInput); error: %v", verr)
			before := e.snapshot(t)
			_, err := e.create(seg)
			require.Error(t, err, "a network with provider segment %+v was created", seg)
			assert.Equal(t, core.TypeOf(verr), core.TypeOf(err), "the API error is the driver's; error: %v", err)
			assert.Equal(t, before, e.snapshot(t), "the refused create changed nothing")
		})
	}
}

func (k *typeKit) tenantPool(t *testing.T) {
	e := k.newEnv(t)
	size := k.cfg.pool
	var nets []*core.Network
	seen := map[int64]bool{}
	n := size
	if n < 0 {
		n = 1 // undeclared: one, or none
	}
	for i := range n {
		n, err := e.p.CreateNetwork(e.ctx(), &ml2.NetworkRequest{})
		if size < 0 && core.TypeOf(err) == "NoNetworkAvailable" {
			t.Logf("the driver has no tenant segment to give")
			return
		}
		require.NoError(t, err, "allocate tenant segment %d of %d", i+1, size)
		require.Len(t, n.Segments, 1)
		s := n.Segments[0]
		assert.Equal(t, e.nt, s.NetworkType)
		assert.False(t, e.d.IsPartialSegment(s), "a tenant segment is complete: %+v", s)
		if seen[s.SegmentationID] && s.SegmentationID != 0 {
			t.Errorf("segmentation id %d was allocated twice", s.SegmentationID)
		}
		seen[s.SegmentationID] = true
		nets = append(nets, n)
	}
	if size < 0 {
		return
	}
	before := e.snapshot(t)
	m := e.rec.mark()
	_, err := e.p.CreateNetwork(e.ctx(), &ml2.NetworkRequest{})
	require.Error(t, err, "the pool of %d segments is exhausted: no tenant network can be created", size)
	assert.Equal(t, "NoNetworkAvailable", core.TypeOf(err), "error: %v", err)
	assert.NoError(t, e.rec.errorSince(m, "AllocateTenantSegment"), "an exhausted pool is no segment, not an error")
	assert.Equal(t, before, e.snapshot(t))
	if size == 0 {
		return
	}
	require.NoError(t, e.p.DeleteNetwork(e.ctx(), nets[0].ID))
	_, err = e.p.CreateNetwork(e.ctx(), &ml2.NetworkRequest{})
	require.NoError(t, err, "the segment released by deleting a tenant network can be allocated again")
}

// failingAllocator fails every call with err and counts the calls.
type failingAllocator struct {
	*allocfake.Allocator
	mu    sync.Mutex
	calls int
}

func newFailingAllocator(err error) *failingAllocator {
	a := &failingAllocator{Allocator: allocfake.New()}
	a.SetError(err)
	return a
}

func (a *failingAllocator) count() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
}

func (a *failingAllocator) used() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls > 0
}

func (a *failingAllocator) ReserveSegment(ctx context.Context, key core.SegmentKey) (bool, error) {
	a.count()
	return a.Allocator.ReserveSegment(ctx, key)
}

func (a *failingAllocator) AllocateSegment(ctx context.Context, nt, physnet string, ranges []core.SegmentRange) (int64, bool, error) {
	a.count()
	return a.Allocator.AllocateSegment(ctx, nt, physnet, ranges)
}

func (a *failingAllocator) ReleaseSegment(ctx context.Context, key core.SegmentKey) (bool, error) {
	a.count()
	return a.Allocator.ReleaseSegment(ctx, key)
}

func (a *failingAllocator) SegmentAllocated(ctx context.Context, key core.SegmentKey) (bool, error) {
	a.count()
	return a.Allocator.SegmentAllocated(ctx, key)
}

func (k *typeKit) allocatorErrors(t *testing.T) {
	e := k.newEnv(t)
	busy := fmt.Errorf("drivertest: database is locked: %w", core.ErrRetry)
	seg := core.Segment{}
	if len(k.cfg.valid) > 0 {
		seg = k.cfg.valid[0]
	}
	seg = e.segment(seg)
	for _, tc := range []struct {
		method string
		call   func(core.SegmentAllocator) error
	}{
		{"ReserveProviderSegment", func(a core.SegmentAllocator) error {
			_, err := e.d.ReserveProviderSegment(e.ctx(), a, seg)
			return err
		}},
		{"AllocateTenantSegment", func(a core.SegmentAllocator) error {
			_, err := e.d.AllocateTenantSegment(e.ctx(), a)
			return err
		}},
		{"ReleaseSegment", func(a core.SegmentAllocator) error {
			// A complete segment: the one a working allocator reserves.
			s, err := e.d.ReserveProviderSegment(e.ctx(), allocfake.New(), seg)
			if err != nil {
				return fmt.Errorf("drivertest: reserve %+v with a working allocator first: %w", seg, err)
			}
			return e.d.ReleaseSegment(e.ctx(), a, s)
		}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			a := newFailingAllocator(busy)
			err := protect(tc.method, func() error { return tc.call(a) })
			if !a.used() {
				if err != nil && errors.Is(err, core.ErrRetry) {
					t.Errorf("%s returned the allocator's error without calling it: %v", tc.method, err)
				}
				t.Skipf("%s did not use the allocator", tc.method)
			}
			require.Error(t, err, "%s succeeded although the allocator failed", tc.method)
			assert.ErrorIs(t, err, core.ErrRetry, "%s must return the allocator's error wrapped (%%w), so that it stays retriable", tc.method)
		})
	}
}

func (k *typeKit) releaseUnallocated(t *testing.T) {
	e := k.newEnv(t)
	seg := core.Segment{}
	if len(k.cfg.valid) > 0 {
		seg = k.cfg.valid[0]
	}
	seg = e.segment(seg)
	s, err := e.d.ReserveProviderSegment(e.ctx(), allocfake.New(), seg)
	require.NoError(t, err, "reserve %+v", seg)
	err = protect("ReleaseSegment", func() error { return e.d.ReleaseSegment(e.ctx(), allocfake.New(), s) })
	assert.NoError(t, err, "releasing a segment that is not allocated succeeds")
}

// typeRecorder is the type driver as the orchestrator sees it: it
// records the errors of AllocateTenantSegment and counts Initialize.
type typeRecorder struct {
	core.TypeDriver

	mu    sync.Mutex
	inits int
	calls []call
}

func (r *typeRecorder) Initialize(ctx context.Context) error {
	r.mu.Lock()
	r.inits++
	r.mu.Unlock()
	return r.TypeDriver.Initialize(ctx)
}

func (r *typeRecorder) initialized() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inits
}

func (r *typeRecorder) AllocateTenantSegment(ctx context.Context, a core.SegmentAllocator) (*core.Segment, error) {
	var s *core.Segment
	err := protect("AllocateTenantSegment", func() error {
		var err error
		s, err = r.TypeDriver.AllocateTenantSegment(ctx, a)
		return err
	})
	r.mu.Lock()
	r.calls = append(r.calls, call{method: "AllocateTenantSegment", err: err})
	r.mu.Unlock()
	return s, err
}

func (r *typeRecorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// errorSince returns the first error of method since mark m.
func (r *typeRecorder) errorSince(m int, method string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.IndexFunc(r.calls[m:], func(c call) bool { return c.method == method && c.err != nil })
	if i < 0 {
		return nil
	}
	return r.calls[m+i].err
}
