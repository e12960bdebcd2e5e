package ovs

import (
	"testing"

	goovs "github.com/digitalocean/go-openvswitch/ovs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDumpLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want flowEntry
	}{
		{
			name: "no-stats, table 0",
			line: " cookie=0x6d6c32676f, priority=65535,dl_vlan=4095 actions=drop",
			want: flowEntry{table: 0, priority: 65535, match: "dl_vlan=4095", actions: "drop", cookie: FlowCookie},
		},
		{
			name: "with stats and a table",
			line: " cookie=0x6d6c32676f, duration=3.1s, table=22, n_packets=4, n_bytes=300, idle_age=1, priority=1,dl_vlan=3 actions=strip_vlan,load:0x64->NXM_NX_TUN_ID[],output:7,output:8",
			want: flowEntry{table: 22, priority: 1, match: "dl_vlan=3", actions: "strip_vlan,load:0x64->NXM_NX_TUN_ID[],output:7,output:8", cookie: FlowCookie},
		},
		{
			name: "match fields sorted",
			line: " cookie=0x6d6c32676f, table=20, priority=2,dl_vlan=3,dl_dst=fa:16:3e:00:00:01 actions=strip_vlan,load:0x64->NXM_NX_TUN_ID[],output:7",
			want: flowEntry{table: 20, priority: 2, match: "dl_dst=fa:16:3e:00:00:01,dl_vlan=3", actions: "strip_vlan,load:0x64->NXM_NX_TUN_ID[],output:7", cookie: FlowCookie},
		},
		{
			name: "untagged and in_port",
			line: " cookie=0x6d6c32676f, priority=3,in_port=5,vlan_tci=0x0000/0x1fff actions=mod_vlan_vid:4,resubmit(,59)",
			want: flowEntry{priority: 3, match: "in_port=5,vlan_tci=0x0000/0x1fff", actions: "mod_vlan_vid:4,resubmit(,59)", cookie: FlowCookie},
		},
		{
			name: "foreign default flow, cookie 0",
			line: " priority=0 actions=NORMAL",
			want: flowEntry{priority: 0, actions: "normal"},
		},
		{
			name: "default priority is omitted by OVS",
			line: " cookie=0x1, in_port=1 actions=drop",
			want: flowEntry{priority: 32768, match: "in_port=1", actions: "drop", cookie: 1},
		},
		{
			name: "flow go-openvswitch cannot parse keeps OVS's text",
			line: " cookie=0x2, table=3, priority=7,ip,nw_dst=10.0.0.1 actions=ct(commit,zone=5),output:2",
			want: flowEntry{table: 3, priority: 7, match: "ip,nw_dst=10.0.0.1", actions: "ct(commit,zone=5),output:2", cookie: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseDumpLine(tt.line)
			require.True(t, ok)
			assert.Equal(t, tt.want, got)
		})
	}
	_, ok := parseDumpLine("NXST_FLOW reply (xid=0x4):")
	assert.False(t, ok)
}

// TestDesiredFlowsRoundTrip checks that every kind of flow the agent
// builds renders exactly as its dump will parse back: otherwise a
// converged bridge would be rewritten on every Apply.
func TestDesiredFlowsRoundTrip(t *testing.T) {
	flows := []*goovs.Flow{
		{Table: 0, Priority: priorityMax, Matches: []goovs.Match{goovs.DataLinkVLAN(DeadVLAN)}, Actions: []goovs.Action{goovs.Drop()}},
		{Table: 0, Priority: 3, InPort: 5, Matches: []goovs.Match{untagged}, Actions: []goovs.Action{goovs.ModVLANVID(4), goovs.Resubmit(0, 59)}},
		{Table: 0, Priority: 3, InPort: 5, Matches: []goovs.Match{goovs.DataLinkVLAN(100)}, Actions: []goovs.Action{goovs.ModVLANVID(3), goovs.Resubmit(0, 59)}},
		{Table: 60, Priority: 0, Actions: []goovs.Action{goovs.Normal()}},
		{Table: 2, Priority: 0, Matches: []goovs.Match{goovs.DataLinkDestination(multicastDst)}, Actions: []goovs.Action{goovs.Resubmit(0, 22)}},
		{Table: 4, Priority: 1, Matches: []goovs.Match{goovs.TunnelID(100)}, Actions: []goovs.Action{goovs.ModVLANVID(3), goovs.Resubmit(0, 10)}},
		{Table: 22, Priority: 1, Matches: []goovs.Match{goovs.DataLinkVLAN(3)}, Actions: []goovs.Action{goovs.StripVLAN(), tunIDAction(100), goovs.Output(7), goovs.Output(8)}},
		{Table: 20, Priority: 2, Matches: []goovs.Match{goovs.DataLinkVLAN(3), goovs.DataLinkDestination("fa:16:3e:00:00:01")}, Actions: []goovs.Action{goovs.StripVLAN(), tunIDAction(100), goovs.Output(7)}},
		{Table: 0, Priority: 4, InPort: 2, Matches: []goovs.Match{goovs.DataLinkVLAN(3)}, Actions: []goovs.Action{goovs.StripVLAN(), goovs.Normal()}},
	}
	// What OVS 3.1 dumps for each of them.
	dumps := []string{
		" cookie=0x6d6c32676f, priority=65535,dl_vlan=4095 actions=drop",
		" cookie=0x6d6c32676f, priority=3,in_port=5,vlan_tci=0x0000/0x1fff actions=mod_vlan_vid:4,resubmit(,59)",
		" cookie=0x6d6c32676f, priority=3,in_port=5,dl_vlan=100 actions=mod_vlan_vid:3,resubmit(,59)",
		" cookie=0x6d6c32676f, table=60, priority=0 actions=NORMAL",
		" cookie=0x6d6c32676f, table=2, priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=resubmit(,22)",
		" cookie=0x6d6c32676f, table=4, priority=1,tun_id=0x64 actions=mod_vlan_vid:3,resubmit(,10)",
		" cookie=0x6d6c32676f, table=22, priority=1,dl_vlan=3 actions=strip_vlan,load:0x64->NXM_NX_TUN_ID[],output:7,output:8",
		" cookie=0x6d6c32676f, table=20, priority=2,dl_vlan=3,dl_dst=fa:16:3e:00:00:01 actions=strip_vlan,load:0x64->NXM_NX_TUN_ID[],output:7",
		" cookie=0x6d6c32676f, priority=4,in_port=2,dl_vlan=3 actions=strip_vlan,NORMAL",
	}
	require.Len(t, dumps, len(flows))
	for i, f := range flows {
		var fs flowSet
		fs.add(f)
		require.NoError(t, fs.err)
		dumped, ok := parseDumpLine(dumps[i])
		require.True(t, ok)
		assert.Equal(t, fs.flows[0], dumped, dumps[i])
	}
}

func TestDiffFlows(t *testing.T) {
	a := flowEntry{table: 0, priority: 1, match: "in_port=1", actions: "resubmit(,2)", cookie: FlowCookie}
	b := flowEntry{table: 22, priority: 1, match: "dl_vlan=3", actions: "drop", cookie: FlowCookie}
	bChanged := b
	bChanged.actions = "output:4"
	foreign := flowEntry{table: 0, priority: 0, actions: "normal"}
	oldCookie := a
	oldCookie.cookie = 0x1
	all := func(flowEntry) bool { return true }
	cookieOnly := func(f flowEntry) bool { return f.cookie == FlowCookie }
	tests := []struct {
		name   string
		want   []flowEntry
		actual []flowEntry
		owned  func(flowEntry) bool
		lines  []string
	}{
		{name: "converged", want: []flowEntry{a, b}, actual: []flowEntry{b, a}, owned: all},
		{name: "missing flow added", want: []flowEntry{a, b}, actual: []flowEntry{a}, owned: all,
			lines: []string{"add table=22,priority=1,cookie=0x6d6c32676f,dl_vlan=3,actions=drop"}},
		{name: "changed actions replaced", want: []flowEntry{a, bChanged}, actual: []flowEntry{a, b}, owned: all,
			lines: []string{"add table=22,priority=1,cookie=0x6d6c32676f,dl_vlan=3,actions=output:4"}},
		{name: "other cookie replaced", want: []flowEntry{a}, actual: []flowEntry{oldCookie}, owned: all,
			lines: []string{"add table=0,priority=1,cookie=0x6d6c32676f,in_port=1,actions=resubmit(,2)"}},
		{name: "stale owned flow deleted", want: []flowEntry{a}, actual: []flowEntry{a, b, foreign}, owned: all,
			lines: []string{"delete_strict table=0,priority=0", "delete_strict table=22,priority=1,dl_vlan=3"}},
		{name: "foreign flow kept when only cookies are owned", want: []flowEntry{a}, actual: []flowEntry{a, foreign}, owned: cookieOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.lines, diffFlows(tt.want, tt.actual, tt.owned))
		})
	}
}
