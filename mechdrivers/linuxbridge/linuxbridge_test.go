package linuxbridge_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/mechdrivers/linuxbridge"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
	"github.com/ml2go/ml2go/typedrivers/flat"
	"github.com/ml2go/ml2go/typedrivers/gre"
	"github.com/ml2go/ml2go/typedrivers/local"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// env is an ML2 plugin on a fresh store whose only mechanism driver is the
// Linux bridge driver.
type env struct {
	t      *testing.T
	ctx    context.Context
	plugin *ml2.Plugin
	store  core.Store
}

func newEnv(t *testing.T, engine string, d core.MechanismDriver) *env {
	t.Helper()
	ctx := context.Background()
	ranges, err := vlan.ParseNetworkVLANRanges([]string{"physnet1:100:199", "physnet2:100:199", "physnet3:100:199"})
	require.NoError(t, err)
	reg := core.NewRegistry()
	for _, td := range []core.TypeDriver{
		flat.New(flat.Config{}),
		vlan.New(vlan.Config{NetworkVLANRanges: ranges}),
		vxlan.New(vxlan.Config{}),
		gre.New(gre.Config{}),
		local.New(local.Config{}),
	} {
		require.NoError(t, reg.RegisterTypeDriver(td))
	}
	require.NoError(t, reg.RegisterMechanismDriver(linuxbridge.Name, d))
	store := sqlstoretest.Open(t, engine)
	plugin, err := ml2.New(ctx, ml2.Config{MechanismDrivers: []string{linuxbridge.Name}}, reg, store)
	require.NoError(t, err)
	return &env{t: t, ctx: ctx, plugin: plugin, store: store}
}

// agent stores a as it would be after its last report.
func (e *env) agent(a core.Agent) {
	e.t.Helper()
	require.NoError(e.t, e.store.Update(e.ctx, func(tx core.Tx) error {
		_, err := tx.UpsertAgent(e.ctx, &a)
		return err
	}))
}

func (e *env) network(segs ...ml2.ProviderSegment) *core.Network {
	e.t.Helper()
	n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Segments: segs})
	require.NoError(e.t, err)
	return n
}

func (e *env) port(netID, host, vnic string) *core.Port {
	e.t.Helper()
	req := &ml2.PortRequest{NetworkID: netID, HostID: &host}
	if vnic != "" {
		req.VNICType = &vnic
	}
	p, err := e.plugin.CreatePort(e.ctx, req)
	require.NoError(e.t, err)
	return p
}

// lbAgent is a Linux bridge agent on host as the agent reports itself: the
// configuration in the JSON form a store returns.
func lbAgent(host string, heartbeat time.Time, conf map[string]any) core.Agent {
	return core.Agent{AgentType: linuxbridge.AgentType, Binary: "neutron-linuxbridge-agent", Topic: "N/A",
		Host: host, AdminStateUp: true, Configurations: conf, StartedAt: heartbeat, HeartbeatAt: heartbeat}
}

func TestDefaults(t *testing.T) {
	d := linuxbridge.New(linuxbridge.Config{})
	require.NoError(t, d.Initialize(context.Background()))
	assert.Equal(t, "Linux bridge agent", d.AgentType())
	assert.Equal(t, core.VIFTypeBridge, d.VIFType())
	assert.Equal(t, core.ConnectivityL2, d.Connectivity())
	assert.Equal(t, []string{core.VNICNormal}, d.SupportedVNICTypes())
	assert.Equal(t, map[string]any{"port_filter": true, "connectivity": "l2"}, d.VIFDetails())
	assert.True(t, d.CheckVLANTransparency(context.Background(), &mechtest.FakeNetworkContext{}))
}

// TestMappings checks that interface and bridge mappings both reach
// physical networks, and that tunnel types come from tunnel_types.
func TestMappings(t *testing.T) {
	d := linuxbridge.New(linuxbridge.Config{})
	a := lbAgent("h", time.Now(), map[string]any{
		"interface_mappings": map[string]any{"physnet1": "eth1"},
		"bridge_mappings":    map[string]any{"physnet2": "br-eth2"},
		"tunnel_types":       []any{"vxlan"},
	})
	assert.Equal(t, map[string]string{"physnet1": "eth1", "physnet2": "br-eth2"}, d.Mappings(&a))
	assert.ElementsMatch(t, []string{"vxlan", "local", "flat", "vlan"}, d.AllowedNetworkTypes(&a))
}

// TestBindPort binds ports through the orchestrator, on a store, and checks
// the committed binding.
func TestBindPort(t *testing.T) {
	now := time.Now().UTC()
	conf := map[string]any{
		"interface_mappings": map[string]any{"physnet1": "eth1"},
		"bridge_mappings":    map[string]any{"physnet2": "br-eth2"},
		"tunnel_types":       []any{"vxlan"},
		"tunneling_ip":       "192.0.2.1",
		"l2_population":      true,
	}
	noTunnels := map[string]any{"interface_mappings": map[string]any{"physnet1": "eth1"}}
	live := lbAgent("compute-1", now, conf)
	dead := lbAgent("compute-1", now.Add(-2*time.Minute), conf)
	ovs := live
	ovs.AgentType = "Open vSwitch agent"
	elsewhere := lbAgent("compute-2", now, conf)

	vlan1 := ml2.ProviderSegment{NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet1", SegmentationID: 101}
	vlan2 := ml2.ProviderSegment{NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet2", SegmentationID: 102}
	vlan3 := ml2.ProviderSegment{NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet3", SegmentationID: 103}
	flat1 := ml2.ProviderSegment{NetworkType: core.TypeFlat, PhysicalNetwork: "physnet1"}
	flat3 := ml2.ProviderSegment{NetworkType: core.TypeFlat, PhysicalNetwork: "physnet3"}
	vx := ml2.ProviderSegment{NetworkType: core.TypeVXLAN, SegmentationID: 1001}
	gr := ml2.ProviderSegment{NetworkType: core.TypeGRE, SegmentationID: 2001}
	loc := ml2.ProviderSegment{NetworkType: core.TypeLocal}

	tests := []struct {
		name     string
		cfg      linuxbridge.Config
		agents   []core.Agent
		segments []ml2.ProviderSegment
		vnic     string
		// bound is the index of the segment bound; -1 for binding_failed.
		bound int
	}{
		{name: "vlan_interface_mapping", agents: []core.Agent{live}, segments: []ml2.ProviderSegment{vlan1}},
		{name: "vlan_bridge_mapping", agents: []core.Agent{live}, segments: []ml2.ProviderSegment{vlan2}},
		{name: "flat_interface_mapping", agents: []core.Agent{live}, segments: []ml2.ProviderSegment{flat1}},
		{name: "vxlan_tunnel_type", agents: []core.Agent{live}, segments: []ml2.ProviderSegment{vx}},
		{name: "local_always", agents: []core.Agent{lbAgent("compute-1", now, map[string]any{})},
			segments: []ml2.ProviderSegment{loc}},
		{name: "first_reachable_segment", agents: []core.Agent{live},
			segments: []ml2.ProviderSegment{vlan3, gr, vx, vlan1}, bound: 2},
		{name: "vlan_physnet_unmapped", agents: []core.Agent{live}, segments: []ml2.ProviderSegment{vlan3}, bound: -1},
		{name: "flat_physnet_unmapped", agents: []core.Agent{live}, segments: []ml2.ProviderSegment{flat3}, bound: -1},
		{name: "vxlan_not_enabled", agents: []core.Agent{lbAgent("compute-1", now, noTunnels)},
			segments: []ml2.ProviderSegment{vx}, bound: -1},
		{name: "gre_not_a_tunnel_type", agents: []core.Agent{live}, segments: []ml2.ProviderSegment{gr}, bound: -1},
		{name: "dead_agent", agents: []core.Agent{dead}, segments: []ml2.ProviderSegment{vx}, bound: -1},
		{name: "dead_agent_within_configured_down_time", cfg: linuxbridge.Config{AgentDownTime: time.Hour},
			agents: []core.Agent{dead}, segments: []ml2.ProviderSegment{vx}},
		{name: "clock_configured", cfg: linuxbridge.Config{Now: func() time.Time { return now.Add(time.Hour) }},
			agents: []core.Agent{live}, segments: []ml2.ProviderSegment{vx}, bound: -1},
		{name: "other_agent_type", agents: []core.Agent{ovs}, segments: []ml2.ProviderSegment{vx}, bound: -1},
		{name: "agent_on_other_host", agents: []core.Agent{elsewhere}, segments: []ml2.ProviderSegment{vx}, bound: -1},
		{name: "no_agent", segments: []ml2.ProviderSegment{loc}, bound: -1},
		{name: "vnic_direct", vnic: core.VNICDirect, agents: []core.Agent{live},
			segments: []ml2.ProviderSegment{vx}, bound: -1},
	}
	for _, engine := range sqlstoretest.Engines(t) {
		for _, tt := range tests {
			t.Run(engine+"/"+tt.name, func(t *testing.T) {
				e := newEnv(t, engine, linuxbridge.New(tt.cfg))
				for _, a := range tt.agents {
					e.agent(a)
				}
				n := e.network(tt.segments...)
				p := e.port(n.ID, "compute-1", tt.vnic)
				assert.Equal(t, core.StatusDown, p.Status)
				if tt.bound < 0 {
					assert.Equal(t, core.VIFTypeBindingFailed, p.Binding.VIFType)
					assert.Empty(t, p.Binding.Levels)
					return
				}
				assert.Equal(t, core.VIFTypeBridge, p.Binding.VIFType)
				assert.Equal(t, map[string]any{"port_filter": true, "connectivity": "l2"}, p.Binding.VIFDetails)
				require.Len(t, p.Binding.Levels, 1)
				assert.Equal(t, core.BindingLevel{Level: 0, Driver: linuxbridge.Name, SegmentID: n.Segments[tt.bound].ID},
					p.Binding.Levels[0])

				got, err := e.plugin.GetPort(e.ctx, p.ID)
				require.NoError(t, err)
				assert.Equal(t, p.Binding, got.Binding, "the binding is committed")
			})
		}
	}
}
