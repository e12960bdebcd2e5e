package ml2_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/quota"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

// gate is a mechanism driver whose create precommit for a port named
// "gate" waits until the test opens it, which refuses ports named "bad"
// and panics on ports named "boom".
type gate struct {
	core.MechanismDriverBase
	entered chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 8), open: make(chan struct{})} }

func (g *gate) CreatePortPrecommit(_ context.Context, pc core.PortContext) error {
	switch pc.Current().Name {
	case "gate":
		g.entered <- struct{}{}
		<-g.open
	case "bad":
		return core.InvalidInput("the gate refuses %q", "bad")
	case "boom":
		panic("boom")
	}
	return nil
}

// countingStore counts write transactions.
type countingStore struct {
	core.Store
	updates atomic.Int32
}

func (s *countingStore) Update(ctx context.Context, fn func(core.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

// createResult is the outcome of one create.
type createResult struct {
	port *core.Port
	err  error
}

// batchEnv is a plugin whose port creates the test can hold in a batch.
type batchEnv struct {
	*env
	gate    *gate
	store   *countingStore
	quotas  *quota.Quotas
	network *core.Network
}

func newBatchEnv(t *testing.T, engine string) *batchEnv {
	store := &countingStore{Store: sqlstoretest.Open(t, engine)}
	g := newGate()
	q := quota.New(store, quota.Limits{"port": 1000})
	e := newEnvOnStore(t, store, withMech("gate", g), withConfig(func(c *ml2.Config) { c.Quotas = q }))
	n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
	require.NoError(t, err)
	_, err = e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: netip.MustParsePrefix("10.0.0.0/24")})
	require.NoError(t, err)
	// The tests form batches on purpose and take their time: no create
	// leaves the queue unless a test says so.
	e.plugin.SetBatchWait(time.Hour)
	return &batchEnv{env: e, gate: g, store: store, quotas: q, network: n}
}

// hold starts as many creates as may be in progress at once, held by the
// gate, and returns the channel their results arrive on. The first waits
// in its precommit; on SQLite, whose writers take turns, the others wait
// to begin their transaction.
func (b *batchEnv) hold(t *testing.T) <-chan error {
	t.Helper()
	held := make(chan error, ml2.MaxInflight)
	for range ml2.MaxInflight {
		go func() {
			_, err := b.plugin.CreatePort(b.ctx, &ml2.PortRequest{NetworkID: b.network.ID, Name: ptr("gate")})
			held <- err
		}()
	}
	<-b.gate.entered
	require.Eventually(t, func() bool { return b.plugin.InflightCreates() == ml2.MaxInflight }, 10*time.Second, time.Millisecond)
	return held
}

// inBatch holds as many creates in their precommit as may be in progress
// at once, starts reqs meanwhile, waits until they are all queued behind
// them, then lets everything run. It returns the results of reqs, and how
// many write transactions they took.
func (b *batchEnv) inBatch(t *testing.T, reqs []*ml2.PortRequest) ([]createResult, int) {
	t.Helper()
	var once sync.Once
	release := func() { once.Do(func() { close(b.gate.open) }) }
	t.Cleanup(release) // a failed wait must not leave the gate shut
	// Each held create takes one write transaction.
	before := b.store.updates.Load() + ml2.MaxInflight
	held := b.hold(t)
	results := make([]createResult, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Go(func() {
			defer func() { // as net/http recovers a handler's panic
				if r := recover(); r != nil {
					results[i].err = core.Typed(core.KindInternal, "Panic", "%v", r)
				}
			}()
			p, err := b.plugin.CreatePort(b.ctx, req)
			results[i] = createResult{p, err}
		})
	}
	require.Eventually(t, func() bool { return b.plugin.WaitingCreates() == len(reqs) }, 10*time.Second, time.Millisecond)
	release()
	for range ml2.MaxInflight {
		require.NoError(t, <-held)
	}
	wg.Wait()
	return results, int(b.store.updates.Load() - before)
}

func portReqs(networkID string, names ...string) []*ml2.PortRequest {
	reqs := make([]*ml2.PortRequest, len(names))
	for i, name := range names {
		reqs[i] = &ml2.PortRequest{NetworkID: networkID, Name: ptr(name)}
	}
	return reqs
}

func TestConcurrentCreatesShareATransaction(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		b := newBatchEnv(t, engine)
		names := []string{"p0", "p1", "p2", "p3", "p4", "p5"}
		results, txs := b.inBatch(t, portReqs(b.network.ID, names...))
		assert.Equal(t, 1, txs, "one transaction for the six creates")
		ips, macs := map[netip.Addr]bool{}, map[string]bool{}
		for i, r := range results {
			require.NoError(t, r.err)
			assert.Equal(t, names[i], r.port.Name)
			require.Len(t, r.port.FixedIPs, 1)
			ips[r.port.FixedIPs[0].IPAddress], macs[r.port.MACAddress] = true, true
			got, err := b.plugin.GetPort(b.ctx, r.port.ID)
			require.NoError(t, err)
			assert.Equal(t, r.port.FixedIPs, got.FixedIPs)
			assert.Equal(t, r.port.MACAddress, got.MACAddress)
		}
		assert.Len(t, ips, 6, "distinct addresses")
		assert.Len(t, macs, 6, "distinct MACs")
		assert.Len(t, b.first.CallsTo("CreatePortPrecommit"), 6+ml2.MaxInflight)
		assert.Len(t, b.first.CallsTo("CreatePortPostcommit"), 6+ml2.MaxInflight)
	})
}

// TestBatchedCreatesKeepTheirOwnErrors: a create that fails inside a batch
// fails alone with its own error, and the others are stored.
func TestBatchedCreatesKeepTheirOwnErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		for _, tc := range []struct {
			name string
			bad  func(b *batchEnv) *ml2.PortRequest
			typ  string
			txs  int // write transactions of the batched creates
		}{
			// A precommit refuses one port: the batch is rolled back and
			// every create runs alone.
			{"precommit", func(b *batchEnv) *ml2.PortRequest {
				return &ml2.PortRequest{NetworkID: b.network.ID, Name: ptr("bad")}
			}, "InvalidInput", 1 + 4},
			// A driver panics on one port: the same, and the panic
			// reaches that create's caller only.
			{"panic", func(b *batchEnv) *ml2.PortRequest {
				return &ml2.PortRequest{NetworkID: b.network.ID, Name: ptr("boom")}
			}, "Panic", 1 + 4},
			// An unknown network is left out of the batch.
			{"unknown_network", func(*batchEnv) *ml2.PortRequest {
				return &ml2.PortRequest{NetworkID: "no-such-network", Name: ptr("lost")}
			}, "NetworkNotFound", 2},
			// So is a project over its quota.
			{"quota", func(b *batchEnv) *ml2.PortRequest {
				return &ml2.PortRequest{NetworkID: b.network.ID, Name: ptr("greedy"), ProjectID: "poor"}
			}, "OverQuota", 2},
			// The same, where the batch reads a second project's quota
			// with a second network, in one statement on PostgreSQL.
			{"quota_read_with_a_network", func(b *batchEnv) *ml2.PortRequest {
				n, err := b.plugin.CreateNetwork(b.ctx, &ml2.NetworkRequest{})
				require.NoError(t, err)
				return &ml2.PortRequest{NetworkID: n.ID, Name: ptr("greedy"), ProjectID: "poor"}
			}, "OverQuota", 2},
			{"unknown_network_read_with_a_quota", func(*batchEnv) *ml2.PortRequest {
				return &ml2.PortRequest{NetworkID: "no-such-network", Name: ptr("lost"), ProjectID: "other"}
			}, "NetworkNotFound", 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := newBatchEnv(t, engine)
				_, err := b.quotas.Update(b.ctx, "poor", quota.Limits{"port": 0})
				require.NoError(t, err)
				reqs := append(portReqs(b.network.ID, "p0", "p1", "p2"), tc.bad(b))
				results, txs := b.inBatch(t, reqs)
				assert.Equal(t, tc.txs, txs)
				for _, r := range results[:3] {
					require.NoError(t, r.err)
				}
				require.Error(t, results[3].err)
				assert.Equal(t, tc.typ, core.TypeOf(results[3].err), "%v", results[3].err)
				ports, err := b.plugin.ListPorts(b.ctx, nil)
				require.NoError(t, err)
				assert.Len(t, ports, ml2.MaxInflight+3, "the gate's ports and the three good ones")
				_, err = b.plugin.CreatePort(b.ctx, &ml2.PortRequest{NetworkID: b.network.ID})
				assert.NoError(t, err, "later creates go on")
			})
		}
	})
}

// TestStalledBatchIsLeft: creates queued behind a transaction that does
// not finish (a precommit that hangs) leave the queue after the batch wait
// and are stored on their own, while the stalled one goes on waiting.
func TestStalledBatchIsLeft(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		if engine != "postgres" {
			t.Skip("SQLite has one writer: a transaction held open holds every other write")
		}
		b := newBatchEnv(t, engine)
		b.plugin.SetBatchWait(20 * time.Millisecond)
		// The others go to another network: on this one they might pick
		// an address the held transaction has claimed, and wait for it on
		// the database's unique index.
		other, err := b.plugin.CreateNetwork(b.ctx, &ml2.NetworkRequest{})
		require.NoError(t, err)
		_, err = b.plugin.CreateSubnet(b.ctx, &ml2.SubnetRequest{NetworkID: other.ID, IPVersion: 4, CIDR: netip.MustParsePrefix("10.1.0.0/24")})
		require.NoError(t, err)
		held := b.hold(t)
		for _, name := range []string{"a", "b", "c"} {
			p, err := b.plugin.CreatePort(b.ctx, &ml2.PortRequest{NetworkID: other.ID, Name: ptr(name)})
			require.NoError(t, err)
			assert.Len(t, p.FixedIPs, 1)
		}
		assert.Zero(t, b.plugin.WaitingCreates(), "no create is left queued")
		select {
		case err := <-held:
			t.Fatalf("the held create finished while its precommit hangs: %v", err)
		default:
		}
		close(b.gate.open)
		for range ml2.MaxInflight {
			require.NoError(t, <-held)
		}
		ports, err := b.plugin.ListPorts(b.ctx, nil)
		require.NoError(t, err)
		assert.Len(t, ports, ml2.MaxInflight+3)
	})
}

// TestPortCreateQuotaComesFirst: a create checks its project's quota
// before its network, as Neutron checks quotas before its plugin runs, and
// the quota counts the ports created so far.
func TestPortCreateQuotaComesFirst(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		b := newBatchEnv(t, engine)
		close(b.gate.open)
		_, err := b.quotas.Update(b.ctx, "poor", quota.Limits{"port": 0})
		require.NoError(t, err)
		_, err = b.quotas.Update(b.ctx, "one", quota.Limits{"port": 1})
		require.NoError(t, err)
		for _, tc := range []struct {
			name, project, network, typ string
		}{
			{"over_quota", "poor", b.network.ID, "OverQuota"},
			{"over_quota_unknown_network", "poor", "no-such-network", "OverQuota"},
			{"unknown_network", "rich", "no-such-network", "NetworkNotFound"},
			{"first_of_one", "one", b.network.ID, ""},
			{"second_of_one", "one", b.network.ID, "OverQuota"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := b.store.updates.Load()
				_, err := b.plugin.CreatePort(b.ctx, &ml2.PortRequest{NetworkID: tc.network, ProjectID: tc.project})
				assert.Equal(t, int32(1), b.store.updates.Load()-before, "one transaction")
				if tc.typ == "" {
					require.NoError(t, err)
					return
				}
				require.Error(t, err)
				assert.Equal(t, tc.typ, core.TypeOf(err), "%v", err)
			})
		}
		ports, err := b.plugin.ListPorts(b.ctx, nil)
		require.NoError(t, err)
		assert.Len(t, ports, 1, "only the first of one was stored")
	})
}

// TestManyConcurrentCreates runs creates from many goroutines: batches
// form on their own, and every port gets its own address and MAC.
func TestManyConcurrentCreates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		b := newBatchEnv(t, engine)
		close(b.gate.open)
		const workers, each = 16, 8
		var mu sync.Mutex
		ips, macs := map[netip.Addr]bool{}, map[string]bool{}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					p, err := b.plugin.CreatePort(b.ctx, &ml2.PortRequest{NetworkID: b.network.ID, Name: ptr(fmt.Sprintf("w%d-%d", w, i))})
					if !assert.NoError(t, err) {
						return
					}
					mu.Lock()
					assert.False(t, ips[p.FixedIPs[0].IPAddress], "address %s twice", p.FixedIPs[0].IPAddress)
					ips[p.FixedIPs[0].IPAddress], macs[p.MACAddress] = true, true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		assert.Len(t, ips, workers*each)
		assert.Len(t, macs, workers*each)
		ports, err := b.plugin.ListPorts(b.ctx, nil)
		require.NoError(t, err)
		assert.Len(t, ports, workers*each)
		assert.Less(t, int(b.store.updates.Load()), 2+workers*each, "some creates shared a transaction")
	})
}
