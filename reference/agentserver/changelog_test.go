package agentserver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/agentrpc"
)

func TestChangelogSince(t *testing.T) {
	l := newChangelog(8)
	l.publish(change{hosts: []string{"h1"}, ports: []string{"p1"}, networks: []string{"n1"}})                 // 1
	l.publish(change{hosts: []string{"h2"}, ports: []string{"p2"}, networks: []string{"n1"}, carriers: true}) // 2
	l.publish(change{networks: []string{"n2"}, carriers: true})                                               // 3
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
			ports, nets, cur, ok, wake := l.since(tt.host, tt.carries, tt.rev)
			assert.Equal(t, int64(3), cur)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.ports, ports)
			assert.Equal(t, tt.nets, nets)
			assert.NotNil(t, wake)
		})
	}
}

func TestChangelogForgetsOldChanges(t *testing.T) {
	l := newChangelog(4)
	for range 10 {
		l.publish(change{hosts: []string{"h"}, ports: []string{"p"}})
	}
	_, _, cur, ok, _ := l.since("h", func(string) bool { return false }, 1)
	assert.Equal(t, int64(10), cur)
	assert.False(t, ok, "change 2 is forgotten: only the whole state will do")
	_, _, _, ok, _ = l.since("h", func(string) bool { return false }, 9)
	assert.True(t, ok)
}

func TestChangelogWakesWatchers(t *testing.T) {
	l := newChangelog(4)
	_, _, _, _, wake := l.since("h", func(string) bool { return false }, 0)
	select {
	case <-wake:
		t.Fatal("woken before any change")
	default:
	}
	l.publish(change{hosts: []string{"h"}})
	<-wake
}

func TestRevisionTokens(t *testing.T) {
	l := newChangelog(4)
	tests := []struct {
		token     string
		rev       int64
		resumable bool
		bad       bool
	}{
		{"", 0, false, false},
		{l.token(7), 7, true, false},
		{"otherepoch-7", 7, false, false},
		{"nodash", 0, false, true},
		{l.epoch + "-x", 0, false, true},
		{l.epoch + "--1", 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			rev, ok, err := l.parse(tt.token)
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
	d := delta(st, []string{"p2", "gone"}, []string{"n1", "n1", "dropped"})
	assert.False(t, d.Full)
	assert.Equal(t, []*agentrpc.Port{{ID: "p2", NetworkID: "n2"}}, d.Ports)
	assert.Equal(t, []*agentrpc.Network{{ID: "n1"}, {ID: "n2"}}, d.Networks, "n1 changed; n2 is the network of a changed port")
	assert.Equal(t, []string{"gone"}, d.DeletedPorts)
	assert.Equal(t, []string{"dropped"}, d.DeletedNetworks)
}
