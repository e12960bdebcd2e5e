package agentserver

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/reference/agentrpc"
)

// newLog returns a changelog over a new in-memory store, and a function
// appending a change to the store's feed and syncing the log.
func newLog(t *testing.T, size int) (*changelog, func(c core.HostChange)) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://:memory:")
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	l := newChangelog(store, size)
	require.NoError(t, l.sync(ctx))
	return l, func(c core.HostChange) {
		require.NoError(t, store.Update(ctx, func(tx core.Tx) error { return tx.AddHostChange(ctx, &c) }))
		require.NoError(t, l.sync(ctx))
	}
}

func TestChangelogSince(t *testing.T) {
	l, add := newLog(t, 8)
	add(core.HostChange{Hosts: []string{"h1"}, Ports: []string{"p1"}, Networks: []string{"n1"}})                 // 1
	add(core.HostChange{Hosts: []string{"h2"}, Ports: []string{"p2"}, Networks: []string{"n1"}, Carriers: true}) // 2
	add(core.HostChange{Networks: []string{"n2"}, Carriers: true})                                               // 3
	carriesN1 := func(id string) bool { return id == "n1" }
	carriesNone := func(string) bool { return false }

	tests := []struct {
		name        string
		host        string
		carries     func(string) bool
		rev         int64
		ok          bool
		ports, nets []string
	}{
		{"everything for h1", "h1", carriesN1, 0, true, []string{"p1", "p2"}, []string{"n1", "n1"}},
		{"h1 after its own change", "h1", carriesN1, 1, true, []string{"p2"}, []string{"n1"}},
		{"a host carrying nothing sees only its ports", "h3", carriesNone, 0, true, nil, nil},
		{"up to date", "h1", carriesN1, 3, true, nil, nil},
		{"from the future", "h1", carriesN1, 9, false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ports, nets, cur, ok, wake := l.since(tt.host, tt.carries, false, tt.rev)
			assert.Equal(t, int64(3), cur)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.ports, ports)
			assert.Equal(t, tt.nets, nets)
			assert.NotNil(t, wake)
		})
	}
}

func TestChangelogForgetsOldChanges(t *testing.T) {
	l, add := newLog(t, 4)
	for range 10 {
		add(core.HostChange{Hosts: []string{"h"}, Ports: []string{"p"}})
	}
	_, _, cur, ok, _ := l.since("h", func(string) bool { return false }, false, 1)
	assert.Equal(t, int64(10), cur)
	assert.False(t, ok, "change 2 is forgotten: only the whole state will do")
	_, _, _, ok, _ = l.since("h", func(string) bool { return false }, false, 9)
	assert.True(t, ok)
}

// TestChangelogReadsOtherServersChanges: a second log over the same store
// (another server, or this one restarted) knows every change kept, and
// sees new ones at its next sync.
func TestChangelogReadsOtherServersChanges(t *testing.T) {
	l, add := newLog(t, 8)
	add(core.HostChange{Hosts: []string{"h"}, Ports: []string{"p1"}})
	other := newChangelog(l.store, 8)
	require.NoError(t, other.sync(context.Background()))
	ports, _, cur, ok, wake := other.since("h", func(string) bool { return false }, false, 0)
	assert.True(t, ok)
	assert.Equal(t, []string{"p1"}, ports)

	add(core.HostChange{Hosts: []string{"h"}, Ports: []string{"p2"}})
	require.NoError(t, other.sync(context.Background()))
	<-wake
	ports, _, _, ok, _ = other.since("h", func(string) bool { return false }, false, cur)
	assert.True(t, ok)
	assert.Equal(t, []string{"p2"}, ports)
}

func TestChangelogWakesWatchers(t *testing.T) {
	l, add := newLog(t, 4)
	_, _, _, _, wake := l.since("h", func(string) bool { return false }, false, 0)
	select {
	case <-wake:
		t.Fatal("woken before any change")
	default:
	}
	add(core.HostChange{Hosts: []string{"h"}})
	<-wake
}

func TestRevisionTokens(t *testing.T) {
	tests := []struct {
		token     string
		rev       int64
		resumable bool
		bad       bool
	}{
		{"", 0, false, false},
		{token(7), 7, true, false},
		{"abc-7", 0, false, true},
		{"-1", 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			rev, ok, err := parse(tt.token)
			if tt.bad {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.rev, rev)
			assert.Equal(t, tt.resumable, ok)
		})
	}
}

func TestDelta(t *testing.T) {
	st := &agentrpc.State{
		Full:     true,
		Networks: []*agentrpc.Network{{ID: "n1"}, {ID: "n2"}},
		Ports:    []*agentrpc.Port{{ID: "p1", NetworkID: "n1"}, {ID: "p2", NetworkID: "n2"}},
	}
	d := delta(st, []string{"p2", "gone"}, []string{"n1", "n1", "dropped"}, func(string) bool { return true })
	assert.False(t, d.Full)
	assert.Equal(t, []*agentrpc.Port{{ID: "p2", NetworkID: "n2"}}, d.Ports)
	assert.Equal(t, []*agentrpc.Network{{ID: "n1"}, {ID: "n2"}}, d.Networks, "n1 changed; n2 is the network of a changed port")
	assert.Equal(t, []string{"gone"}, d.DeletedPorts)
	assert.Equal(t, []string{"dropped"}, d.DeletedNetworks)
}

// TestChangelogSinceNetworkWide: a host watching network-wide hears of
// every change of the networks it carries, including those that name no
// host and no carriers; other hosts do not.
func TestChangelogSinceNetworkWide(t *testing.T) {
	l, add := newLog(t, 8)
	add(core.HostChange{Hosts: []string{"h2"}, Ports: []string{"p2"}, Networks: []string{"n1"}}) // 1: another host's port
	add(core.HostChange{Ports: []string{"p3"}, Networks: []string{"n1"}})                        // 2: an unbound port
	add(core.HostChange{Networks: []string{"n1"}})                                               // 3: a subnet
	add(core.HostChange{Ports: []string{"p4"}, Networks: []string{"n2"}})                        // 4: elsewhere
	carriesN1 := func(id string) bool { return id == "n1" }
	tests := []struct {
		name        string
		wide        bool
		ports, nets []string
	}{
		{"network-wide", true, []string{"p2", "p3"}, []string{"n1", "n1", "n1"}},
		{"not network-wide", false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ports, nets, cur, ok, _ := l.since("h1", carriesN1, tt.wide, 0)
			require.True(t, ok)
			assert.Equal(t, int64(4), cur)
			assert.Equal(t, tt.ports, ports)
			assert.Equal(t, tt.nets, nets)
		})
	}
}
