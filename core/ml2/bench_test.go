package ml2_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

// The benchmarks run on every engine sqlstoretest offers. Figures are
// reported per operation; ports/s = 1e9 / ns/op.

// BenchmarkCreatePort creates ports, one goroutine, on a network with a /16
// subnet that already has 1,000 ports.
func BenchmarkCreatePort(b *testing.B) {
	for _, engine := range sqlstoretest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			e := newEnv(b, engine)
			n := e.network(nil)
			e.subnet(n.ID, "10.0.0.0/16")
			for range 1000 {
				e.port(n.ID)
			}
			req := &ml2.PortRequest{NetworkID: n.ID}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.plugin.CreatePort(e.ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCreatePortsBulk creates bulks of 100 ports, one transaction
// each, on a network with a /16 subnet; ns/op is per bulk.
func BenchmarkCreatePortsBulk(b *testing.B) {
	for _, engine := range sqlstoretest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			e := newEnv(b, engine)
			n := e.network(nil)
			e.subnet(n.ID, "10.0.0.0/16")
			reqs := make([]*ml2.PortRequest, 100)
			for i := range reqs {
				reqs[i] = &ml2.PortRequest{NetworkID: n.ID}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.plugin.CreatePorts(e.ctx, reqs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListPorts lists 1,000 and 10,000 ports.
func BenchmarkListPorts(b *testing.B) {
	for _, engine := range sqlstoretest.Engines(b) {
		e := newEnv(b, engine)
		n := e.network(nil)
		e.subnet(n.ID, "10.0.0.0/16")
		created := 0
		for _, size := range []int{1000, 10000} {
			for ; created < size; created++ {
				e.port(n.ID, func(r *ml2.PortRequest) { r.HostID = ptr(fmt.Sprintf("host-%d", created%50)) })
			}
			b.Run(fmt.Sprintf("%s/%d", engine, size), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					ports, err := e.plugin.ListPorts(e.ctx, &core.ListOptions{})
					if err != nil || len(ports) != size {
						b.Fatal(err, len(ports))
					}
				}
			})
		}
	}
}

// BenchmarkTenantNetwork creates and deletes a vxlan tenant network with a
// 1,000-VNI range and with the full 24-bit range: the cost must not depend
// on the range.
func BenchmarkTenantNetwork(b *testing.B) {
	for _, engine := range sqlstoretest.Engines(b) {
		for _, r := range []struct{ name, vnis string }{{"vni_1000", "1:1000"}, {"vni_full", "1:16777215"}} {
			b.Run(engine+"/"+r.name, func(b *testing.B) {
				e := newEnv(b, engine, withTenantTypes("vxlan"), withVNIRanges(r.vnis))
				// Half the small range stays allocated, as in a used cloud.
				for range 500 {
					e.network(nil)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
					if err != nil {
						b.Fatal(err)
					}
					if err := e.plugin.DeleteNetwork(e.ctx, n.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkNewPlugin opens a plugin on a store with the full VNI range
// configured: start-up work does not depend on the range.
func BenchmarkNewPlugin(b *testing.B) {
	for _, engine := range sqlstoretest.Engines(b) {
		for _, r := range []struct{ name, vnis string }{{"vni_1000", "1:1000"}, {"vni_full", "1:16777215"}} {
			b.Run(engine+"/"+r.name, func(b *testing.B) {
				store := sqlstoretest.Open(b, engine)
				for b.Loop() {
					e := newEnvOnStore(b, store, withTenantTypes("vxlan"), withVNIRanges(r.vnis))
					require.NotNil(b, e.plugin)
				}
			})
		}
	}
}
