package sqlstore_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

// engine is one database the conformance suite runs on.
type engine struct {
	name string
	// open returns a fresh, empty store.
	open func(t testing.TB, opts ...sqlstore.Option) *sqlstore.Store
	// dsn returns the DSN of a fresh database that may be opened several
	// times.
	dsn func(t testing.TB) string
}

// engines are SQLite in memory, a SQLite file (WAL, several connections)
// and, when ML2GO_TEST_POSTGRES_DSN is set, PostgreSQL in a fresh schema.
func engines(t testing.TB) []engine {
	sqliteDSN := func(t testing.TB) string { return sqlstoretest.DSN(t, sqlstoretest.SQLite) }
	out := []engine{
		{
			name: "sqlite",
			open: func(t testing.TB, opts ...sqlstore.Option) *sqlstore.Store {
				return sqlstoretest.Open(t, sqlstoretest.SQLite, opts...)
			},
			dsn: sqliteDSN,
		},
		{
			name: "sqlite-file",
			open: func(t testing.TB, opts ...sqlstore.Option) *sqlstore.Store {
				return openDSN(t, sqliteDSN(t), opts...)
			},
			dsn: sqliteDSN,
		},
	}
	for _, e := range sqlstoretest.Engines(t) {
		if e == sqlstoretest.Postgres {
			out = append(out, engine{
				name: e,
				open: func(t testing.TB, opts ...sqlstore.Option) *sqlstore.Store {
					return sqlstoretest.Open(t, sqlstoretest.Postgres, opts...)
				},
				dsn: func(t testing.TB) string { return sqlstoretest.DSN(t, sqlstoretest.Postgres) },
			})
		}
	}
	return out
}

// forEachEngine runs f as a subtest on every engine.
func forEachEngine(t *testing.T, f func(t *testing.T, e engine)) {
	t.Helper()
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) { f(t, e) })
	}
}

// storeTest runs f with a fresh store on every engine.
func storeTest(t *testing.T, f func(t *testing.T, s *sqlstore.Store)) {
	t.Helper()
	forEachEngine(t, func(t *testing.T, e engine) { f(t, e.open(t)) })
}

// clock is a settable time source for WithClock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2024, 5, 6, 7, 8, 9, 500_000_000, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Stored returns the current time as the store records it.
func (c *clock) Stored() time.Time { return c.Now().UTC().Truncate(time.Second) }

func openDSN(tb testing.TB, dsn string, opts ...sqlstore.Option) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.Open(context.Background(), dsn, opts...)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

var ctx = context.Background()

// update runs fn in a write transaction and requires success.
func update(t testing.TB, s core.Store, fn func(tx core.Tx) error) {
	t.Helper()
	require.NoError(t, s.Update(ctx, fn))
}

// view runs fn in a read transaction and requires success.
func view(t testing.TB, s core.Store, fn func(tx core.Tx) error) {
	t.Helper()
	require.NoError(t, s.View(ctx, fn))
}

// requireType asserts that err is a core error of the Neutron type typ.
func requireType(t testing.TB, err error, typ string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, typ, core.TypeOf(err), "error: %v", err)
}

func network(id, project string) *core.Network {
	return &core.Network{
		Standard:     core.Standard{ID: id, ProjectID: project, Name: "net-" + id},
		AdminStateUp: true, Status: core.StatusActive, MTU: 1450,
	}
}

func subnet(id, netID, cidr string) *core.Subnet {
	p := netip.MustParsePrefix(cidr)
	return &core.Subnet{
		Standard:  core.Standard{ID: id, ProjectID: "p1", Name: "sub-" + id},
		NetworkID: netID, IPVersion: map[bool]int{true: 4, false: 6}[p.Addr().Is4()], CIDR: p,
		GatewayIP: p.Addr().Next(), EnableDHCP: true,
	}
}

func port(id, netID, mac string) *core.Port {
	return &core.Port{
		Standard:  core.Standard{ID: id, ProjectID: "p1", Name: "port-" + id},
		NetworkID: netID, AdminStateUp: true, MACAddress: mac, Status: core.StatusDown,
		Binding: core.PortBinding{VNICType: core.VNICNormal, VIFType: core.VIFTypeUnbound},
	}
}

func createNetwork(t testing.TB, s core.Store, n *core.Network) *core.Network {
	t.Helper()
	update(t, s, func(tx core.Tx) error { return tx.CreateNetwork(ctx, n) })
	return n
}

func createSubnet(t testing.TB, s core.Store, sub *core.Subnet) *core.Subnet {
	t.Helper()
	update(t, s, func(tx core.Tx) error { return tx.CreateSubnet(ctx, sub) })
	return sub
}

func createPort(t testing.TB, s core.Store, p *core.Port, ips ...core.FixedIP) *core.Port {
	t.Helper()
	update(t, s, func(tx core.Tx) error {
		if err := tx.CreatePort(ctx, p); err != nil {
			return err
		}
		for _, ip := range ips {
			ok, err := tx.AllocateIP(ctx, core.IPAllocation{SubnetID: ip.SubnetID, NetworkID: p.NetworkID, PortID: p.ID, IP: ip.IPAddress})
			if err != nil {
				return err
			}
			require.True(t, ok, "allocate %v", ip)
		}
		return nil
	})
	p.FixedIPs = append(p.FixedIPs, ips...)
	return p
}

func getNetwork(t testing.TB, s core.Store, id string) *core.Network {
	t.Helper()
	var n *core.Network
	view(t, s, func(tx core.Tx) (err error) { n, err = tx.GetNetwork(ctx, id); return err })
	return n
}

func getPort(t testing.TB, s core.Store, id string) *core.Port {
	t.Helper()
	var p *core.Port
	view(t, s, func(tx core.Tx) (err error) { p, err = tx.GetPort(ctx, id); return err })
	return p
}

func getSubnet(t testing.TB, s core.Store, id string) *core.Subnet {
	t.Helper()
	var sub *core.Subnet
	view(t, s, func(tx core.Tx) (err error) { sub, err = tx.GetSubnet(ctx, id); return err })
	return sub
}

func fixedIP(subnetID, ip string) core.FixedIP {
	return core.FixedIP{SubnetID: subnetID, IPAddress: netip.MustParseAddr(ip)}
}
