package fakeagent_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/agent"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
)

func port(host, vnic string) *core.Port {
	return &core.Port{Standard: core.Standard{ID: "port-1"}, NetworkID: "net-1",
		Binding: core.PortBinding{HostID: host, VNICType: vnic, VIFType: core.VIFTypeUnbound}}
}

func TestDefaults(t *testing.T) {
	d := fakeagent.New(fakeagent.Config{})
	require.NoError(t, d.Initialize(context.Background()))
	assert.Equal(t, "Fake agent", d.AgentType())
	assert.Equal(t, core.VIFTypeOVS, d.VIFType())
	assert.Equal(t, core.ConnectivityL2, d.Connectivity())
	assert.Equal(t, []string{core.VNICNormal}, d.SupportedVNICTypes())
	assert.Equal(t, map[string]any{"port_filter": false, "connectivity": "l2"}, d.VIFDetails())
}

func TestNewAgent(t *testing.T) {
	before := time.Now()
	a := fakeagent.NewAgent("host1", map[string]string{"physnet1": "br-eth1"}, core.TypeVXLAN, core.TypeGRE)
	assert.Equal(t, fakeagent.AgentType, a.AgentType)
	assert.Equal(t, "host1", a.Host)
	assert.True(t, a.AdminStateUp)
	assert.Equal(t, map[string]any{
		"bridge_mappings": map[string]any{"physnet1": "br-eth1"},
		"tunnel_types":    []any{"vxlan", "gre"},
	}, a.Configurations)
	assert.True(t, a.Alive(before, agent.DefaultAgentDownTime))

	bare := fakeagent.NewAgent("host2", nil)
	assert.Equal(t, map[string]any{"bridge_mappings": map[string]any{}, "tunnel_types": []any{}}, bare.Configurations)
}

func TestBindPort(t *testing.T) {
	now := time.Now()
	vxlan := core.Segment{ID: "vxlan", NetworkType: core.TypeVXLAN, SegmentationID: 7}
	gre := core.Segment{ID: "gre", NetworkType: core.TypeGRE, SegmentationID: 8}
	flat1 := core.Segment{ID: "flat1", NetworkType: core.TypeFlat, PhysicalNetwork: "physnet1"}
	vlan2 := core.Segment{ID: "vlan2", NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet2", SegmentationID: 10}
	local := core.Segment{ID: "local", NetworkType: core.TypeLocal}
	live := *fakeagent.NewAgent("host1", map[string]string{"physnet1": "br-eth1"}, core.TypeVXLAN)
	dead := live
	dead.HeartbeatAt = now.Add(-2 * time.Minute)

	tests := []struct {
		name     string
		cfg      fakeagent.Config
		host     string
		vnic     string
		agents   []core.Agent
		segments []core.Segment
		want     string
		vifType  string
	}{
		{name: "vxlan", agents: []core.Agent{live}, segments: []core.Segment{vxlan}, want: "vxlan"},
		{name: "flat", agents: []core.Agent{live}, segments: []core.Segment{flat1}, want: "flat1"},
		{name: "local", agents: []core.Agent{live}, segments: []core.Segment{local}, want: "local"},
		{name: "first_fit", agents: []core.Agent{live}, segments: []core.Segment{gre, vlan2, flat1, vxlan}, want: "flat1"},
		{name: "C50_dead_agent", agents: []core.Agent{dead}, segments: []core.Segment{vxlan}},
		{name: "C50_unmapped_vlan", agents: []core.Agent{live}, segments: []core.Segment{vlan2}},
		{name: "C50_unreported_tunnel_type", agents: []core.Agent{live}, segments: []core.Segment{gre}},
		{name: "other_host", host: "host2", agents: []core.Agent{live}, segments: []core.Segment{vxlan}},
		{name: "no_host", host: "-", agents: []core.Agent{live}, segments: []core.Segment{vxlan}},
		{name: "vnic_direct", vnic: core.VNICDirect, agents: []core.Agent{live}, segments: []core.Segment{vxlan}},
		{name: "vnic_direct_configured", vnic: core.VNICDirect, cfg: fakeagent.Config{VNICTypes: []string{core.VNICDirect}},
			agents: []core.Agent{live}, segments: []core.Segment{vxlan}, want: "vxlan"},
		{name: "vif_type_configured", cfg: fakeagent.Config{VIFType: core.VIFTypeBridge},
			agents: []core.Agent{live}, segments: []core.Segment{vxlan}, want: "vxlan", vifType: core.VIFTypeBridge},
		{name: "down_time_configured", cfg: fakeagent.Config{AgentDownTime: time.Hour},
			agents: []core.Agent{dead}, segments: []core.Segment{vxlan}, want: "vxlan"},
		{name: "clock_configured", cfg: fakeagent.Config{Now: func() time.Time { return now.Add(time.Hour) }},
			agents: []core.Agent{live}, segments: []core.Segment{vxlan}},
		{name: "agent_type_configured", cfg: fakeagent.Config{AgentType: "Other agent"},
			agents: []core.Agent{live}, segments: []core.Segment{vxlan}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := tt.host
			switch host {
			case "":
				host = "host1"
			case "-":
				host = ""
			}
			d := fakeagent.New(tt.cfg)
			require.NoError(t, d.Initialize(context.Background()))
			pc := mechtest.NewPortContext(port(host, tt.vnic), tt.segments...)
			pc.Agents = tt.agents
			require.NoError(t, d.BindPort(context.Background(), pc))
			if tt.want == "" {
				assert.False(t, pc.Bound())
				return
			}
			vifType := tt.vifType
			if vifType == "" {
				vifType = core.VIFTypeOVS
			}
			require.Len(t, pc.SetBindings, 1)
			assert.Equal(t, mechtest.Binding{SegmentID: tt.want, VIFType: vifType,
				VIFDetails: map[string]any{"port_filter": false, "connectivity": "l2"}}, pc.SetBindings[0])
		})
	}
}
