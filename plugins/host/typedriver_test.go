package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/host"
	"github.com/ml2go/ml2go/typedrivers/allocfake"
	"github.com/ml2go/ml2go/typedrivers/local"
	"github.com/ml2go/ml2go/typedrivers/vlan"
)

// testConfig is the host configuration of the test plugin, with short
// timeouts and backoff.
func testConfig(mod ...func(*host.Config)) host.Config {
	cfg := host.Config{
		Name:           "testplugin",
		Command:        testPlugin,
		CallTimeout:    5 * time.Second,
		RestartBackoff: 50 * time.Millisecond,
		Logger:         hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: os.Stderr}),
	}
	for _, m := range mod {
		m(&cfg)
	}
	return cfg
}

// loadType starts the test plugin's type driver: vxlan, VNIs 100-102.
func loadType(t testing.TB, mod ...func(*host.Config)) *host.TypeDriver {
	t.Helper()
	d, err := host.LoadTypeDriver(context.Background(), testConfig(mod...))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// newTypeEnv is an ML2 plugin on an in-memory SQLite store with the local
// and vlan type drivers in process, the out-of-process type driver td
// (vxlan) as the tenant network type, and the logger mechanism driver.
func newTypeEnv(t testing.TB, td core.TypeDriver) *env {
	t.Helper()
	ctx := context.Background()
	reg := core.NewRegistry()
	ranges, err := vlan.ParseNetworkVLANRanges([]string{"physnet1:100:200"})
	require.NoError(t, err)
	require.NoError(t, reg.RegisterTypeDriver(local.New(local.Config{})))
	require.NoError(t, reg.RegisterTypeDriver(vlan.New(vlan.Config{NetworkVLANRanges: ranges})))
	require.NoError(t, reg.RegisterTypeDriver(td))
	require.NoError(t, reg.RegisterMechanismDriver("logger", logger.New(nil)))
	p, err := ml2.New(ctx, ml2.Config{MechanismDrivers: []string{"logger"}, TenantNetworkTypes: []string{td.Type()}},
		reg, sqlstoretest.Open(t, sqlstoretest.SQLite))
	require.NoError(t, err)
	return &env{t: t, ctx: ctx, plugin: p}
}

func vni(id int64) core.SegmentKey {
	return core.SegmentKey{NetworkType: core.TypeVXLAN, SegmentationID: id}
}

func TestLoadTypeDriver(t *testing.T) {
	d := loadType(t)
	h := d.Health()
	assert.Equal(t, host.StateRunning, h.State)
	assert.Equal(t, base.TypeDriverAPIVersion, h.APIVersion)
	assert.NotZero(t, h.PID)
	assert.Equal(t, core.TypeVXLAN, d.Type())
	assert.Equal(t, "testplugin", d.Name())
	assert.Equal(t, 1450, d.MTU(""), "vxlan over a 1500-byte IPv4 underlay")
	assert.True(t, d.IsPartialSegment(core.Segment{NetworkType: core.TypeVXLAN}))
	assert.False(t, d.IsPartialSegment(core.Segment{NetworkType: core.TypeVXLAN, SegmentationID: 7}))
}

func TestLoadTypeDriverRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		want string
	}{
		{"api_version", "ML2GO_TESTPLUGIN_API_VERSIONS=7,8", `type driver "testplugin" speaks type-driver API versions [7 8], this host supports [1]`},
		{"not_served", "ML2GO_TESTPLUGIN_KINDS=mechanism", "the binary serves no type driver"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := host.LoadTypeDriver(context.Background(), testConfig(func(c *host.Config) { c.Env = []string{tc.env} }))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := host.LoadTypeDriver(context.Background(), testConfig(func(c *host.Config) {
		c.Env = []string{"ML2GO_TESTPLUGIN_API_VERSIONS=7,8"}
	}))
	var ve *base.APIVersionError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, base.KindType, ve.Kind)
}

// TestTypeDriverNetworkRoundTrip: the out-of-process vxlan driver
// validates provider segments, reserves them, allocates tenant segments
// from its pool until it is exhausted and releases them, through network
// creates and deletes; the allocations it makes through the host's
// allocator are the store's, in the orchestrator's transaction. It does,
// whichever way it calls the allocator back.
func TestTypeDriverNetworkRoundTrip(t *testing.T) {
	for _, tr := range callbackTransports {
		t.Run(tr.name, func(t *testing.T) { testTypeDriverNetworkRoundTrip(t, tr) })
	}
}

func testTypeDriverNetworkRoundTrip(t *testing.T, tr transport) {
	td := loadType(t, tr.mod)
	e := newTypeEnv(t, td)
	ctx := e.ctx
	provider := func(id int64, physnet string) *ml2.NetworkRequest {
		return &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: core.TypeVXLAN, PhysicalNetwork: physnet, SegmentationID: id}}
	}

	// A provider network with a VNI outside the pool.
	p500, err := e.plugin.CreateNetwork(ctx, provider(500, ""))
	require.NoError(t, err)
	require.Len(t, p500.Segments, 1)
	assert.Equal(t, core.Segment{ID: p500.Segments[0].ID, NetworkID: p500.ID, NetworkType: core.TypeVXLAN, SegmentationID: 500, MTU: 1450,
		CreatedAt: p500.Segments[0].CreatedAt, UpdatedAt: p500.Segments[0].UpdatedAt, RevisionNumber: p500.Segments[0].RevisionNumber}, p500.Segments[0])
	assert.Equal(t, 1450, p500.MTU, "the driver's MTU")
	assert.True(t, e.allocated(vni(500)))

	t.Run("refusals_roll_back", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			req      *ml2.NetworkRequest
			typ      string
			kind     core.Kind
			contains string
		}{
			{"vni_in_use", provider(500, ""), "TunnelIdInUse", core.KindConflict, "500"},
			{"physical_network", provider(0, "physnet1"), "InvalidInput", core.KindBadRequest, "provider:physical_network specified for vxlan network"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.snapshot()
				_, err := e.plugin.CreateNetwork(ctx, tc.req)
				require.Error(t, err)
				assert.Equal(t, tc.typ, core.TypeOf(err), "error: %v", err)
				assert.Equal(t, tc.kind, core.KindOf(err))
				assert.Contains(t, err.Error(), tc.contains)
				assert.Equal(t, before, e.snapshot())
			})
		}
	})

	// The pool is 100-102: a partial provider segment and two tenant
	// networks take it all.
	var pool []*core.Network
	partial, err := e.plugin.CreateNetwork(ctx, provider(0, ""))
	require.NoError(t, err)
	pool = append(pool, partial)
	for range 2 {
		n, err := e.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{})
		require.NoError(t, err)
		pool = append(pool, n)
	}
	seen := map[int64]bool{}
	for _, n := range pool {
		require.Len(t, n.Segments, 1)
		s := n.Segments[0]
		assert.Equal(t, core.TypeVXLAN, s.NetworkType)
		assert.GreaterOrEqual(t, s.SegmentationID, int64(100))
		assert.LessOrEqual(t, s.SegmentationID, int64(102))
		assert.True(t, e.allocated(vni(s.SegmentationID)))
		seen[s.SegmentationID] = true
	}
	assert.Len(t, seen, 3, "distinct VNIs")

	before := e.snapshot()
	_, err = e.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{})
	require.Error(t, err, "the pool is exhausted")
	assert.Equal(t, "NoNetworkAvailable", core.TypeOf(err), "error: %v", err)
	assert.Equal(t, before, e.snapshot())

	// Deleting releases: the VNI goes back to the pool and is handed out
	// again; the provider VNI is free again too.
	freed := pool[1].Segments[0].SegmentationID
	require.NoError(t, e.plugin.DeleteNetwork(ctx, pool[1].ID))
	assert.False(t, e.allocated(vni(freed)))
	again, err := e.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{})
	require.NoError(t, err)
	assert.Equal(t, freed, again.Segments[0].SegmentationID)

	require.NoError(t, e.plugin.DeleteNetwork(ctx, p500.ID))
	assert.False(t, e.allocated(vni(500)))
	_, err = e.plugin.CreateNetwork(ctx, provider(500, ""))
	require.NoError(t, err)
	h := td.Health()
	assert.Equal(t, 0, h.Restarts)
	assert.Equal(t, tr.channel, h.CallChannel, "calls on the channel")
	assert.Equal(t, tr.callbacks, h.CallbackChannel, "allocator callbacks on the channel")
}

// TestTypeDriverAllocatorErrors: the allocator's errors cross to the
// driver and back, whichever way the driver calls the allocator: a typed
// error keeps its type, and a transient one still wraps core.ErrRetry, so
// that the orchestrator's store runs the transaction again.
func TestTypeDriverAllocatorErrors(t *testing.T) {
	for _, tr := range callbackTransports {
		t.Run(tr.name, func(t *testing.T) { testTypeDriverAllocatorErrors(t, tr) })
	}
}

func testTypeDriverAllocatorErrors(t *testing.T, tr transport) {
	td := loadType(t, tr.mod)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		err   error
		check func(t *testing.T, err error)
	}{
		{"retry", fmt.Errorf("database is locked: %w", core.ErrRetry), func(t *testing.T, err error) {
			assert.ErrorIs(t, err, core.ErrRetry)
			assert.Contains(t, err.Error(), "database is locked")
		}},
		{"typed", core.Typed(core.KindConflict, "DuplicateEntry", "duplicate allocation"), func(t *testing.T, err error) {
			assert.Equal(t, "DuplicateEntry", core.TypeOf(err))
			assert.Equal(t, core.KindConflict, core.KindOf(err))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alloc := allocfake.New()
			alloc.SetError(tc.err)
			_, err := td.ReserveProviderSegment(ctx, alloc, core.Segment{NetworkType: core.TypeVXLAN, SegmentationID: 7})
			require.Error(t, err)
			tc.check(t, err)
			_, err = td.AllocateTenantSegment(ctx, alloc)
			require.Error(t, err)
			tc.check(t, err)
			err = td.ReleaseSegment(ctx, alloc, core.Segment{NetworkType: core.TypeVXLAN, SegmentationID: 7})
			require.Error(t, err)
			tc.check(t, err)
		})
	}

	// Without errors, the driver allocates through any allocator.
	alloc := allocfake.New()
	s, err := td.AllocateTenantSegment(ctx, alloc)
	require.NoError(t, err)
	require.NotNil(t, s)
	ok, err := alloc.SegmentAllocated(ctx, vni(s.SegmentationID))
	require.NoError(t, err)
	assert.True(t, ok)
	require.NoError(t, td.ReleaseSegment(ctx, alloc, *s))
	ok, err = alloc.SegmentAllocated(ctx, vni(s.SegmentationID))
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, tr.callbacks, td.Health().CallbackChannel, "allocator callbacks on the channel")
}

// TestTypeDriverRestart: a killed type-driver process is restarted and
// initialized again; calls meanwhile fail fast with TypeDriverUnavailable.
func TestTypeDriverRestart(t *testing.T) {
	initLog := filepath.Join(t.TempDir(), "init.log")
	td := loadType(t, func(c *host.Config) {
		c.Env = []string{"ML2GO_TESTPLUGIN_INIT_LOG=" + initLog}
		c.RestartBackoff = 500 * time.Millisecond
	})
	e := newTypeEnv(t, td) // initializes it
	first := td.Health().PID
	require.NoError(t, syscall.Kill(first, syscall.SIGKILL))
	require.Eventually(t, func() bool { return td.Health().State == host.StateRestarting }, 5*time.Second, 5*time.Millisecond)
	before := e.snapshot()
	_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
	require.Error(t, err)
	assert.Equal(t, host.TypeDriverUnavailable, core.TypeOf(err), "error: %v", err)
	assert.ErrorIs(t, err, core.ErrUnavailable)
	assert.Equal(t, before, e.snapshot())
	var h host.Health
	require.Eventually(t, func() bool {
		h = td.Health()
		return h.State == host.StateRunning && h.Restarts >= 1
	}, 10*time.Second, 20*time.Millisecond)
	assert.NotEqual(t, first, h.PID)
	data, err := os.ReadFile(initLog)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d\n%d\n", first, h.PID), string(data))
	assert.Equal(t, core.TypeVXLAN, td.Type())
	n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
	require.NoError(t, err)
	assert.Equal(t, core.TypeVXLAN, n.Segments[0].NetworkType)
}

// TestTypeDriverCallsFailFastWhileDown: calls to a driver that is down
// fail at once with TypeDriverUnavailable, and after Close too.
func TestTypeDriverCallsFailFastWhileDown(t *testing.T) {
	td := loadType(t, func(c *host.Config) { c.RestartBackoff = time.Hour })
	require.NoError(t, syscall.Kill(td.Health().PID, syscall.SIGKILL))
	require.Eventually(t, func() bool { return td.Health().State == host.StateRestarting }, 5*time.Second, 10*time.Millisecond)
	start := time.Now()
	_, err := td.AllocateTenantSegment(context.Background(), allocfake.New())
	assert.Less(t, time.Since(start), 100*time.Millisecond)
	assert.Equal(t, host.TypeDriverUnavailable, core.TypeOf(err))
	assert.True(t, errors.Is(err, core.ErrUnavailable))
	assert.Contains(t, err.Error(), "Type driver testplugin is unavailable (restarting)")
	err = td.ValidateProviderSegment(core.Segment{NetworkType: core.TypeVXLAN})
	assert.Equal(t, host.TypeDriverUnavailable, core.TypeOf(err))
	assert.Zero(t, td.MTU(""), "no opinion")
	assert.False(t, td.IsPartialSegment(core.Segment{NetworkType: core.TypeVXLAN}))
	require.NoError(t, td.Close())
	assert.Equal(t, host.StateFailed, td.Health().State)
	assert.Equal(t, core.TypeVXLAN, td.Type(), "the type stays")
}
