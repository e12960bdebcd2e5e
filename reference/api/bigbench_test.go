package api_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/quota"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/extensions/portsecurity"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/reference/api"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// envBenchBig enables the benchmarks that populate large databases.
const envBenchBig = "ML2GO_BENCH_BIG"

// bigEnv is an API over a store of a database that the benchmark can also
// reach directly, to populate it quickly.
type bigEnv struct {
	engine string
	store  *sqlstore.Store
	raw    *sql.DB
	h      http.Handler
}

// newBigEnv opens a fresh database of engine with a vxlan range of vnis.
func newBigEnv(b *testing.B, engine, vnis string) *bigEnv {
	b.Helper()
	if os.Getenv(envBenchBig) != "1" {
		b.Skipf("set %s=1 to run the benchmarks on large databases", envBenchBig)
	}
	ctx := context.Background()
	dsn := sqlstoretest.DSN(b, engine)
	store, err := sqlstore.Open(ctx, dsn)
	require.NoError(b, err)
	b.Cleanup(func() { _ = store.Close() })
	var raw *sql.DB
	if engine == sqlstoretest.SQLite {
		raw, err = sql.Open("sqlite", strings.TrimPrefix(dsn, "sqlite://")+"?_pragma=busy_timeout(10000)")
	} else {
		raw, err = sql.Open("postgres", dsn)
	}
	require.NoError(b, err)
	b.Cleanup(func() { _ = raw.Close() })
	ranges, err := vxlan.ParseVNIRanges([]string{vnis})
	require.NoError(b, err)
	reg := core.NewRegistry()
	require.NoError(b, reg.RegisterTypeDriver(vxlan.New(vxlan.Config{VNIRanges: ranges})))
	require.NoError(b, reg.RegisterMechanismDriver("fakeagent", fakeagent.New(fakeagent.Config{})))
	require.NoError(b, reg.RegisterExtensionDriver(portsecurity.Name, portsecurity.New(nil)))
	quotas := quota.New(store, quota.Defaults())
	plugin, err := ml2.New(ctx, ml2.Config{
		Quotas:             quotas,
		TenantNetworkTypes: []string{core.TypeVXLAN},
		MechanismDrivers:   []string{"fakeagent"},
		ExtensionDrivers:   []string{portsecurity.Name},
	}, reg, store)
	require.NoError(b, err)
	_, err = quotas.Update(ctx, adminProject, map[string]int{"port": -1, "network": -1})
	require.NoError(b, err)
	h, err := api.New(api.Config{Plugin: plugin, Quotas: quotas, Auth: testAuth})
	require.NoError(b, err)
	return &bigEnv{engine: engine, store: store, raw: raw, h: h}
}

// countingWriter is a ResponseWriter that keeps nothing of the body but
// its size.
type countingWriter struct {
	header http.Header
	status int
	n      int64
}

func (w *countingWriter) Header() http.Header         { return w.header }
func (w *countingWriter) WriteHeader(status int)      { w.status = status }
func (w *countingWriter) Write(b []byte) (int, error) { w.n += int64(len(b)); return len(b), nil }

// get runs a GET as admin through the handler and returns the body's size.
func (e *bigEnv) get(b *testing.B, path string) int64 {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("X-Test-Project", adminProject)
	req.Header.Set("X-Test-Admin", "1")
	w := &countingWriter{header: http.Header{}, status: http.StatusOK}
	e.h.ServeHTTP(w, req)
	if w.status != http.StatusOK {
		b.Fatalf("GET %s: %d", path, w.status)
	}
	return w.n
}

// seedNetwork creates a network with a /8 subnet through the store.
func (e *bigEnv) seedNetwork(b *testing.B, id string) {
	b.Helper()
	ctx := context.Background()
	require.NoError(b, e.store.Update(ctx, func(tx core.Tx) error {
		if err := tx.CreateNetwork(ctx, &core.Network{Standard: core.Standard{ID: id, ProjectID: adminProject},
			AdminStateUp: true, Status: core.StatusActive, MTU: 1450}); err != nil {
			return err
		}
		if err := tx.CreateSegment(ctx, &core.Segment{ID: id + "-seg", NetworkID: id, NetworkType: core.TypeVXLAN, SegmentationID: 1}); err != nil {
			return err
		}
		return tx.CreateSubnet(ctx, &core.Subnet{Standard: core.Standard{ID: id + "-sub", ProjectID: adminProject},
			NetworkID: id, IPVersion: 4, CIDR: netip.MustParsePrefix("10.0.0.0/8"), EnableDHCP: true})
	}))
}

// seedPorts inserts n bound ports, each with an address, on a network made
// by seedNetwork, numbered offset, offset+stride, ... so that the ids of
// several networks' ports interleave.
func (e *bigEnv) seedPorts(b *testing.B, netID string, n, stride, offset int) {
	b.Helper()
	ks := make([]int, n)
	for i := range ks {
		ks[i] = i*stride + offset
	}
	e.seedNumbered(b, netID, ks)
}

// seedNumbered inserts a bound port, with an address, numbered k for each
// k of ks, on a network made by seedNetwork: a thousand per transaction
// and statement where the store can.
func (e *bigEnv) seedNumbered(b *testing.B, netID string, ks []int) {
	b.Helper()
	n := len(ks)
	ctx := context.Background()
	for start := 0; start < n; start += 1000 {
		require.NoError(b, e.store.Update(ctx, func(tx core.Tx) error {
			var ports []*core.Port
			var ips []*core.IPAllocation
			for i := start; i < min(start+1000, n); i++ {
				k := ks[i]
				ports = append(ports, &core.Port{
					Standard: core.Standard{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", k, k), ProjectID: adminProject,
						Name: fmt.Sprintf("vm-%d", k)},
					NetworkID: netID, AdminStateUp: true, Status: core.StatusActive,
					MACAddress: fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff),
					DeviceID:   fmt.Sprintf("vm-%d", k), DeviceOwner: "compute:nova",
					Binding: core.PortBinding{HostID: fmt.Sprintf("compute-%d", k%50), VNICType: core.VNICNormal,
						VIFType:    core.VIFTypeOVS,
						VIFDetails: map[string]any{"port_filter": true, "ovs_hybrid_plug": false, "connectivity": "l2"}},
					Extra: map[string]any{"port_security_enabled": true},
				})
				ips = append(ips, &core.IPAllocation{SubnetID: netID + "-sub", NetworkID: netID,
					IP: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})})
			}
			_, err := tx.(core.PortsCreator).CreatePortsWithIP(ctx, ports, ips)
			return err
		}))
	}
}

// heapPeak samples the live heap until stopped and returns the highest
// value seen.
type heapPeak struct {
	stop chan struct{}
	done sync.WaitGroup
	peak atomic.Uint64
}

func startHeapPeak() *heapPeak {
	p := &heapPeak{stop: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > p.peak.Load() {
			p.peak.Store(v)
		}
	}
	read()
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return p
}

func (p *heapPeak) end() uint64 {
	close(p.stop)
	p.done.Wait()
	return p.peak.Load()
}

// liveHeap returns the live heap after a collection.
func liveHeap() uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// BenchmarkBigListPorts lists 100,000 ports through the handler, on
// networks of 4,000, 40,000 and 56,000 ports: every port (reporting the
// peak heap above what was live before, relative to the body's size),
// every port's id, and a page of 100 of one network.
func BenchmarkBigListPorts(b *testing.B) {
	for _, engine := range sqlstoretest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			e := newBigEnv(b, engine, "1:1000")
			nets := []struct {
				id    string
				ports int
			}{{"net-4k", 4000}, {"net-40k", 40000}, {"net-56k", 56000}}
			for i, n := range nets {
				e.seedNetwork(b, n.id)
				// Interleave the ids of the networks: 4k ports spread
				// among the others.
				switch i {
				case 0:
					e.seedPorts(b, n.id, n.ports, 25, 0)
				case 1:
					e.seedPorts(b, n.id, n.ports, 25, 1)
					// The remaining 56k take the other slots.
				default:
					e.seedPortsRest(b, n.id, n.ports)
				}
			}
			if engine == sqlstoretest.Postgres {
				_, err := e.raw.Exec("ANALYZE")
				require.NoError(b, err)
			}
			b.Run("all", func(b *testing.B) { e.benchList(b, "/v2.0/ports", 100000) })
			b.Run("fields_id", func(b *testing.B) { e.benchList(b, "/v2.0/ports?fields=id", 100000) })
			b.Run("page", func(b *testing.B) { e.benchList(b, "/v2.0/ports?limit=100", 100) })
			for _, n := range nets[:2] {
				b.Run("network_page_"+n.id, func(b *testing.B) {
					e.benchList(b, "/v2.0/ports?network_id="+n.id+"&limit=100", 100)
				})
			}
		})
	}
}

// seedPortsRest seeds the n ports whose numbers are neither 0 nor 1
// modulo 25 below 25*4000, then the following ones.
func (e *bigEnv) seedPortsRest(b *testing.B, netID string, n int) {
	b.Helper()
	var ks []int
	for k := 0; len(ks) < n; k++ {
		if k < 25*40000 && (k%25 == 0 && k < 25*4000 || k%25 == 1) {
			continue
		}
		ks = append(ks, k)
	}
	e.seedNumbered(b, netID, ks)
}

// benchList GETs path, expecting a body of at least want items, and
// reports the body's size and the peak live heap above the live heap
// before each request, relative to the body.
func (e *bigEnv) benchList(b *testing.B, path string, want int) {
	var body int64
	var worst float64
	for b.Loop() {
		b.StopTimer()
		base := liveHeap()
		peak := startHeapPeak()
		b.StartTimer()
		body = e.get(b, path)
		b.StopTimer()
		top := peak.end()
		if top > base {
			worst = max(worst, float64(top-base)/float64(body))
		}
		b.StartTimer()
	}
	if body < int64(want)*2 {
		b.Fatalf("GET %s: %d bytes for %d items", path, body, want)
	}
	b.ReportMetric(float64(body)/1e6, "body-MB")
	b.ReportMetric(worst, "peak-heap/body")
}

// BenchmarkBigCreateNetwork creates networks through the handler (and
// deletes them, so that the table stays as it was) with 1,000 and
// 1,000,000 VNIs in use, numbered from 1: in the full 24-bit range, and in
// a range barely larger than what is in use, where nearly every random
// pick is taken.
func BenchmarkBigCreateNetwork(b *testing.B) {
	for _, engine := range sqlstoretest.Engines(b) {
		for _, used := range []int{1000, 1000000} {
			for _, c := range []struct {
				name string
				vnis string
			}{{"full", "1:16777215"}, {"tight", fmt.Sprintf("1:%d", used+used/100)}} {
				b.Run(fmt.Sprintf("%s/%d/%s", engine, used, c.name), func(b *testing.B) {
					e := newBigEnv(b, engine, c.vnis)
					e.seedVNIs(b, used)
					for b.Loop() {
						req := httptest.NewRequest("POST", "/v2.0/networks", strings.NewReader(`{"network":{}}`))
						req.Header.Set("X-Test-Project", adminProject)
						req.Header.Set("X-Test-Admin", "1")
						rec := httptest.NewRecorder()
						e.h.ServeHTTP(rec, req)
						if rec.Code != http.StatusCreated {
							b.Fatal(rec.Code, rec.Body.String())
						}
						id := rec.Body.String()
						i := strings.Index(id, `"id":"`)
						id = id[i+6 : i+6+36]
						req = httptest.NewRequest("DELETE", "/v2.0/networks/"+id, nil)
						req.Header.Set("X-Test-Project", adminProject)
						req.Header.Set("X-Test-Admin", "1")
						rec = httptest.NewRecorder()
						e.h.ServeHTTP(rec, req)
						if rec.Code != http.StatusNoContent {
							b.Fatal(rec.Code, rec.Body.String())
						}
					}
				})
			}
		}
	}
}

// seedVNIs allocates VNIs 1 to n in one statement, without statistics
// gathered afterwards: the planner sees the table as a fresh one.
func (e *bigEnv) seedVNIs(b *testing.B, n int) {
	b.Helper()
	q := `INSERT INTO segment_allocations (network_type, physical_network, segmentation_id)
		SELECT 'vxlan', '', g FROM generate_series(1, $1) g`
	if e.engine == sqlstoretest.SQLite {
		q = `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?)
			INSERT INTO segment_allocations (network_type, physical_network, segmentation_id)
			SELECT 'vxlan', '', i FROM g`
	}
	_, err := e.raw.Exec(q, n)
	require.NoError(b, err)
}
