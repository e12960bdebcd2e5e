package agentserver_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/reference/agentrpc"
	"github.com/ml2go/ml2go/reference/agentserver"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// replica is one server process over a shared store: a plugin and its
// agent channel.
type replica struct {
	plugin *ml2.Plugin
	client *agentrpc.Client
	url    string
}

func newReplica(t *testing.T, store core.Store) *replica {
	t.Helper()
	ctx := context.Background()
	reg := core.NewRegistry()
	vnis, err := vxlan.ParseVNIRanges([]string{"100:200"})
	require.NoError(t, err)
	require.NoError(t, reg.RegisterTypeDriver(vxlan.New(vxlan.Config{VNIRanges: vnis})))
	require.NoError(t, reg.RegisterMechanismDriver("fakeagent", fakeagent.New(fakeagent.Config{})))
	svc := agentserver.New(nil)
	svc.Subscribe(reg.Events())
	p, err := ml2.New(ctx, ml2.Config{TenantNetworkTypes: []string{core.TypeVXLAN},
		MechanismDrivers: []string{"fakeagent"}}, reg, store)
	require.NoError(t, err)
	require.NoError(t, svc.Bind(ctx, p))
	t.Cleanup(svc.Close)
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	return &replica{plugin: p, client: agentrpc.NewClient(srv.URL), url: srv.URL}
}

// TestWatchResumesOnAnotherReplica: an agent that watched one server
// resumes its watch on another sharing the store (or on the same one
// restarted) and gets only what changed, including changes made through
// the first.
func TestWatchResumesOnAnotherReplica(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://"+t.TempDir()+"/ml2go.db")
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	a, b := newReplica(t, store), newReplica(t, store)

	_, err = a.client.Report(ctx, &agentrpc.Report{Host: "h1", AgentType: fakeagent.AgentType,
		Configurations: map[string]any{"tunnel_types": []any{"vxlan"}, "tunneling_ip": "192.0.2.1"}})
	require.NoError(t, err)
	net, err := a.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{ProjectID: "p"})
	require.NoError(t, err)
	_, err = a.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{ProjectID: "p", NetworkID: net.ID, IPVersion: 4,
		CIDR: netip.MustParsePrefix("10.0.0.0/24")})
	require.NoError(t, err)
	host := "h1"
	p1, err := a.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "p", NetworkID: net.ID, HostID: &host})
	require.NoError(t, err)

	full, err := a.client.Watch(ctx, "h1", "", 0)
	require.NoError(t, err)
	assert.True(t, full.Full)
	require.Len(t, full.Ports, 1)

	// A port made through replica a; the agent asks replica b.
	p2, err := a.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "p", NetworkID: net.ID, HostID: &host})
	require.NoError(t, err)
	start := time.Now()
	d, err := b.client.Watch(ctx, "h1", full.Revision, 5*time.Second)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "b learns of a's change from the feed")
	assert.False(t, d.Full, "resumed, not resynced")
	require.Len(t, d.Ports, 1)
	assert.Equal(t, p2.ID, d.Ports[0].ID)
	assert.NotEqual(t, p1.ID, d.Ports[0].ID)

	// Nothing new: the watch waits, then answers empty at the same revision.
	empty, err := b.client.Watch(ctx, "h1", d.Revision, time.Second)
	require.NoError(t, err)
	assert.False(t, empty.Full)
	assert.Empty(t, empty.Ports)
	assert.Equal(t, d.Revision, empty.Revision)

	// A third server started now (a restart) resumes too.
	c := newReplica(t, store)
	require.NoError(t, a.plugin.DeletePort(ctx, p1.ID))
	d, err = c.client.Watch(ctx, "h1", empty.Revision, 5*time.Second)
	require.NoError(t, err)
	assert.False(t, d.Full)
	assert.Equal(t, []string{p1.ID}, d.DeletedPorts)

	// A port of another host goes ACTIVE on h1's network: h1 gets the new
	// L2 population entry, from a server that has never served it.
	_, err = a.client.Report(ctx, &agentrpc.Report{Host: "h2", AgentType: fakeagent.AgentType,
		Configurations: map[string]any{"tunnel_types": []any{"vxlan"}, "tunneling_ip": "192.0.2.2"}})
	require.NoError(t, err)
	other := "h2"
	p3, err := a.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "p", NetworkID: net.ID, HostID: &other})
	require.NoError(t, err)
	_, err = a.plugin.UpdatePortStatus(ctx, p3.ID, core.StatusActive, "h2")
	require.NoError(t, err)
	fresh := newReplica(t, store)
	d, err = fresh.client.Watch(ctx, "h1", d.Revision, 5*time.Second)
	require.NoError(t, err)
	assert.False(t, d.Full)
	require.Len(t, d.Networks, 1)
	assert.Contains(t, d.Networks[0].FDB, agentrpc.FDBEntry{MAC: p3.MACAddress, IP: p3.FixedIPs[0].IPAddress,
		Endpoint: netip.MustParseAddr("192.0.2.2")})
}

func TestWatchRefusesBadRequests(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://:memory:")
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	r := newReplica(t, store)
	tests := []struct{ name, host, since string }{
		{"no host", "", ""},
		{"bad revision", "h1", "x-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.client.Watch(ctx, tt.host, tt.since, 0)
			var rpcErr *agentrpc.Error
			require.ErrorAs(t, err, &rpcErr)
			assert.Equal(t, 400, rpcErr.Status)
		})
	}
	_, err = r.client.Report(ctx, &agentrpc.Report{Host: "h1"})
	var rpcErr *agentrpc.Error
	require.ErrorAs(t, err, &rpcErr)
	assert.Equal(t, 400, rpcErr.Status, "a report without agent_type")
}

// TestNetworkWideWatch: a network-wide watch carries the subnets and every
// port of the host's networks, and wakes for their changes, wherever the
// ports are bound; a watch that did not ask gets none of it and is not
// woken.
func TestNetworkWideWatch(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://:memory:")
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	r := newReplica(t, store)
	for i, h := range []string{"h1", "h2"} {
		_, err = r.client.Report(ctx, &agentrpc.Report{Host: h, AgentType: fakeagent.AgentType,
			Configurations: map[string]any{"tunnel_types": []any{"vxlan"}, "tunneling_ip": fmt.Sprintf("192.0.2.%d", i+1)}})
		require.NoError(t, err)
	}
	net, err := r.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{ProjectID: "p"})
	require.NoError(t, err)
	sn, err := r.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{ProjectID: "p", NetworkID: net.ID, IPVersion: 4,
		CIDR: netip.MustParsePrefix("10.0.0.0/24"), DNSNameservers: ptr([]netip.Addr{netip.MustParseAddr("192.0.2.53")})})
	require.NoError(t, err)
	h1, h2 := "h1", "h2"
	mine, err := r.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "p", NetworkID: net.ID, HostID: &h1})
	require.NoError(t, err)
	theirs, err := r.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "p", NetworkID: net.ID, HostID: &h2,
		DeviceOwner: ptr("compute:nova"), DeviceID: ptr("vm-2")})
	require.NoError(t, err)

	watch := func(since string, wide bool, wait time.Duration) *agentrpc.State {
		t.Helper()
		st, err := r.client.WatchState(ctx, &agentrpc.WatchRequest{Host: "h1", Since: since, Wait: wait, NetworkWide: wide})
		require.NoError(t, err)
		return st
	}
	full := watch("", true, 0)
	require.True(t, full.Full)
	require.Len(t, full.Networks, 1)
	assert.Equal(t, []agentrpc.Subnet{{ID: sn.ID, IPVersion: 4, CIDR: sn.CIDR, GatewayIP: sn.GatewayIP, EnableDHCP: true,
		DNSNameservers: sn.DNSNameservers, AllocationPools: []agentrpc.IPRange{{Start: sn.AllocationPools[0].Start,
			End: sn.AllocationPools[0].End}}}}, full.Networks[0].Subnets)
	require.Len(t, full.Ports, 1, "Ports stay this host's")
	assert.ElementsMatch(t, []string{mine.ID, theirs.ID}, networkPortIDs(full))
	for _, p := range full.NetworkPorts {
		if p.ID == theirs.ID {
			assert.Equal(t, &agentrpc.NetworkPort{ID: theirs.ID, NetworkID: net.ID, MACAddress: theirs.MACAddress,
				FixedIPs:    []agentrpc.FixedIP{{SubnetID: sn.ID, IPAddress: theirs.FixedIPs[0].IPAddress}},
				DeviceOwner: "compute:nova", DeviceID: "vm-2", HostID: "h2", AdminStateUp: true}, p)
		}
	}
	narrow := watch("", false, 0)
	assert.Nil(t, narrow.NetworkPorts)
	assert.Empty(t, narrow.Networks[0].Subnets)

	tests := []struct {
		name   string
		change func(t *testing.T) string // the port that changed, if any
		check  func(t *testing.T, d *agentrpc.State, port string)
	}{
		{"an unbound port", func(t *testing.T) string {
			p, err := r.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "p", NetworkID: net.ID})
			require.NoError(t, err)
			return p.ID
		}, func(t *testing.T, d *agentrpc.State, port string) {
			assert.Equal(t, []string{port}, networkPortIDs(d))
			assert.Empty(t, d.Ports)
		}},
		{"another host's port deleted", func(t *testing.T) string {
			require.NoError(t, r.plugin.DeletePort(ctx, theirs.ID))
			return theirs.ID
		}, func(t *testing.T, d *agentrpc.State, port string) {
			assert.Equal(t, []string{port}, d.DeletedNetworkPorts)
		}},
		{"a subnet", func(t *testing.T) string {
			_, err := r.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{ProjectID: "p", NetworkID: net.ID, IPVersion: 4,
				CIDR: netip.MustParsePrefix("10.0.1.0/24")})
			require.NoError(t, err)
			return ""
		}, func(t *testing.T, d *agentrpc.State, _ string) {
			require.Len(t, d.Networks, 1)
			assert.Len(t, d.Networks[0].Subnets, 2, "the network comes with all its subnets")
		}},
	}
	rev, narrowRev := full.Revision, narrow.Revision
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := tt.change(t)
			d := watch(rev, true, 5*time.Second)
			assert.False(t, d.Full)
			assert.NotEqual(t, rev, d.Revision, "woken by the change")
			tt.check(t, d, port)
			rev = d.Revision
			n := watch(narrowRev, false, 0)
			assert.Empty(t, n.Networks, "not a change for a host that did not ask")
			assert.Empty(t, n.Ports)
			assert.Nil(t, n.NetworkPorts)
			narrowRev = n.Revision
		})
	}
}

func networkPortIDs(st *agentrpc.State) []string {
	var ids []string
	for _, p := range st.NetworkPorts {
		ids = append(ids, p.ID)
	}
	return ids
}

func ptr[T any](v T) *T { return &v }

// TestWatchRefusesABadNetworkWide: network_wide is a boolean.
func TestWatchRefusesABadNetworkWide(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://:memory:")
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	r := newReplica(t, store)
	tests := []struct {
		value  string
		status int
	}{
		{"yes", 400},
		{"2", 400},
		{"true", 200},
		{"false", 200},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			resp, err := http.Get(r.url + agentrpc.PathState + "?host=h1&network_wide=" + tt.value)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode, "%s", body)
			if tt.status == 400 {
				assert.Contains(t, string(body), "network_wide must be true or false")
			}
		})
	}
}

// TestNetworkWideWatchResumedElsewhereIsWhole: a network-wide watch
// resumed on a server that has not served the host gets the whole state,
// with every port of a network the host began to carry meanwhile, those
// that did not change too.
func TestNetworkWideWatchResumedElsewhereIsWhole(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://"+t.TempDir()+"/ml2go.db")
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	a := newReplica(t, store)
	_, err = a.client.Report(ctx, &agentrpc.Report{Host: "h1", AgentType: fakeagent.AgentType,
		Configurations: map[string]any{"tunnel_types": []any{"vxlan"}, "tunneling_ip": "192.0.2.1"}})
	require.NoError(t, err)
	// A network with an unbound port, which h1 does not carry yet.
	net, err := a.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{ProjectID: "p"})
	require.NoError(t, err)
	_, err = a.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{ProjectID: "p", NetworkID: net.ID, IPVersion: 4,
		CIDR: netip.MustParsePrefix("10.0.0.0/24")})
	require.NoError(t, err)
	unbound, err := a.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "p", NetworkID: net.ID})
	require.NoError(t, err)
	first, err := a.client.WatchState(ctx, &agentrpc.WatchRequest{Host: "h1", NetworkWide: true})
	require.NoError(t, err)
	require.Empty(t, first.Networks)

	// While the agent is away, h1 gets a port on the network.
	h1 := "h1"
	mine, err := a.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "p", NetworkID: net.ID, HostID: &h1})
	require.NoError(t, err)

	b := newReplica(t, store)
	d, err := b.client.WatchState(ctx, &agentrpc.WatchRequest{Host: "h1", Since: first.Revision, NetworkWide: true})
	require.NoError(t, err)
	assert.True(t, d.Full)
	assert.ElementsMatch(t, []string{unbound.ID, mine.ID}, networkPortIDs(d))

	// A watch that is not network-wide still resumes.
	c := newReplica(t, store)
	d, err = c.client.Watch(ctx, "h1", first.Revision, 0)
	require.NoError(t, err)
	assert.False(t, d.Full)
}

// TestNetworkWideOnlyChangesWaitForANetworkWideHost: the changes that
// concern only network-wide hosts (subnets, unbound ports) cost an L2-only
// cloud no feed row; once an agent reports it watches network-wide, every
// server sharing the store records them.
func TestNetworkWideOnlyChangesWaitForANetworkWideHost(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://"+t.TempDir()+"/ml2go.db")
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	a, b := newReplica(t, store), newReplica(t, store)
	rows := func() int {
		var n int
		require.NoError(t, store.View(ctx, func(tx core.Tx) error {
			changes, _, err := tx.HostChanges(ctx, 0)
			n = len(changes)
			return err
		}))
		return n
	}
	net, err := b.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{ProjectID: "p"})
	require.NoError(t, err)
	_, err = b.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{ProjectID: "p", NetworkID: net.ID, IPVersion: 4,
		CIDR: netip.MustParsePrefix("10.0.0.0/24")})
	require.NoError(t, err)
	newPort := func() {
		_, err := b.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "p", NetworkID: net.ID})
		require.NoError(t, err)
	}
	newPort()
	assert.Zero(t, rows(), "no row for a subnet or an unbound port")

	_, err = a.client.Report(ctx, &agentrpc.Report{Host: "h1", AgentType: fakeagent.AgentType,
		Configurations: map[string]any{"tunnel_types": []any{"vxlan"}, "tunneling_ip": "192.0.2.1",
			agentrpc.ConfigNetworkWide: true}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		newPort()
		return rows() > 0
	}, agentrpc.NetworkWideSettle, 100*time.Millisecond, "b learns of the network-wide agent from the store")
}
