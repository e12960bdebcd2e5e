package agentserver_test

import (
	"context"
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
	return &replica{plugin: p, client: agentrpc.NewClient(srv.URL)}
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
