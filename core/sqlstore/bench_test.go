package sqlstore_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

// forEachBenchEngine runs f on every engine of the conformance suite.
func forEachBenchEngine(b *testing.B, f func(b *testing.B, open func() *sqlstore.Store)) {
	for _, e := range engines(b) {
		b.Run(e.name, func(b *testing.B) {
			f(b, func() *sqlstore.Store { return e.open(b) })
		})
	}
}

// BenchmarkAllocateSegment allocates (and releases, to keep the table as
// it was) one id of a range with 500 ids taken: small is 1:1000, full is
// 1:16777215. The cost must not grow with the size of the range; in small,
// half the random picks are taken and need the gap query.
func BenchmarkAllocateSegment(b *testing.B) {
	for _, c := range []struct {
		name string
		r    core.SegmentRange
	}{{"small", core.SegmentRange{Min: 1, Max: 1000}}, {"full", core.SegmentRange{Min: 1, Max: 1<<24 - 1}}} {
		b.Run(c.name, func(b *testing.B) {
			forEachBenchEngine(b, func(b *testing.B, open func() *sqlstore.Store) {
				s := open()
				ctx := context.Background()
				ranges := []core.SegmentRange{c.r}
				require.NoError(b, s.Update(ctx, func(tx core.Tx) error {
					for range 500 {
						if _, _, err := tx.AllocateSegment(ctx, "vxlan", "", ranges); err != nil {
							return err
						}
					}
					return nil
				}))
				b.ResetTimer()
				for b.Loop() {
					err := s.Update(ctx, func(tx core.Tx) error {
						id, ok, err := tx.AllocateSegment(ctx, "vxlan", "", ranges)
						if err != nil || !ok {
							return fmt.Errorf("allocate: %v %v", ok, err)
						}
						_, err = tx.ReleaseSegment(ctx, core.SegmentKey{NetworkType: "vxlan", SegmentationID: id})
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkOpen opens (and closes) an up-to-date database: a SQLite file
// or a PostgreSQL schema.
func BenchmarkOpen(b *testing.B) {
	for _, e := range sqlstoretest.Engines(b) {
		b.Run(e, func(b *testing.B) {
			dsn := sqlstoretest.DSN(b, e)
			ctx := context.Background()
			s, err := sqlstore.Open(ctx, dsn)
			require.NoError(b, err)
			require.NoError(b, s.Close())
			for b.Loop() {
				s, err := sqlstore.Open(ctx, dsn)
				if err != nil {
					b.Fatal(err)
				}
				_ = s.Close()
			}
		})
	}
}

// BenchmarkCreatePort runs a port creation's writes: one port and one
// address in one transaction.
func BenchmarkCreatePort(b *testing.B) {
	forEachBenchEngine(b, func(b *testing.B, open func() *sqlstore.Store) {
		s := open()
		ctx := context.Background()
		seedNetwork(b, s, "net", "sub", netip.MustParsePrefix("10.0.0.0/8"))
		i := 0
		for b.Loop() {
			i++
			err := s.Update(ctx, func(tx core.Tx) error {
				p := benchPort(i, "net")
				if err := tx.CreatePort(ctx, p); err != nil {
					return err
				}
				_, err := tx.AllocateIP(ctx, core.IPAllocation{SubnetID: "sub", NetworkID: "net", PortID: p.ID, IP: benchIP(i)})
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListPorts10k lists 10,000 bound ports, each with an address, a
// binding level, and every tenth a tag.
func BenchmarkListPorts10k(b *testing.B) {
	forEachBenchEngine(b, func(b *testing.B, open func() *sqlstore.Store) {
		s := open()
		ctx := context.Background()
		seedNetwork(b, s, "net", "sub", netip.MustParsePrefix("10.0.0.0/8"))
		seedPorts(b, s, "net", "sub", 10000)
		b.ResetTimer()
		for b.Loop() {
			err := s.View(ctx, func(tx core.Tx) error {
				ports, err := tx.ListPorts(ctx, nil)
				if err == nil && len(ports) != 10000 {
					err = fmt.Errorf("listed %d ports", len(ports))
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func seedNetwork(tb testing.TB, s *sqlstore.Store, netID, subnetID string, cidr netip.Prefix) {
	tb.Helper()
	ctx := context.Background()
	require.NoError(tb, s.Update(ctx, func(tx core.Tx) error {
		if err := tx.CreateNetwork(ctx, &core.Network{Standard: core.Standard{ID: netID, ProjectID: "p"}, AdminStateUp: true, Status: core.StatusActive}); err != nil {
			return err
		}
		if err := tx.CreateSegment(ctx, &core.Segment{ID: netID + "-seg", NetworkID: netID, NetworkType: core.TypeVXLAN, SegmentationID: 100}); err != nil {
			return err
		}
		return tx.CreateSubnet(ctx, &core.Subnet{Standard: core.Standard{ID: subnetID, ProjectID: "p"}, NetworkID: netID, IPVersion: 4, CIDR: cidr, EnableDHCP: true})
	}))
}

func benchPort(i int, netID string) *core.Port {
	p := &core.Port{
		Standard:     core.Standard{ID: fmt.Sprintf("port-%06d", i), ProjectID: "p", Name: fmt.Sprintf("vm-%d", i)},
		NetworkID:    netID,
		AdminStateUp: true,
		MACAddress:   fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff),
		DeviceID:     fmt.Sprintf("vm-%d", i),
		DeviceOwner:  "compute:nova",
		Status:       core.StatusActive,
		Binding: core.PortBinding{
			HostID: fmt.Sprintf("compute-%d", i%50), VNICType: core.VNICNormal, Profile: map[string]any{},
			VIFType:    core.VIFTypeOVS,
			VIFDetails: map[string]any{"port_filter": true, "ovs_hybrid_plug": false, "connectivity": "l2", "bound_drivers": map[string]any{"0": "openvswitch"}},
			Levels:     []core.BindingLevel{{Level: 0, Driver: "openvswitch", SegmentID: netID + "-seg"}},
		},
	}
	if i%10 == 0 {
		p.Tags = []string{"tenth"}
	}
	return p
}

func benchIP(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

func seedPorts(tb testing.TB, s *sqlstore.Store, netID, subnetID string, n int) {
	tb.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += 1000 {
		require.NoError(tb, s.Update(ctx, func(tx core.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				p := benchPort(i+1, netID)
				if err := tx.CreatePort(ctx, p); err != nil {
					return err
				}
				if _, err := tx.AllocateIP(ctx, core.IPAllocation{SubnetID: subnetID, NetworkID: netID, PortID: p.ID, IP: benchIP(i + 1)}); err != nil {
					return err
				}
			}
			return nil
		}))
	}
}
