package openvswitch_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/mechdrivers/openvswitch"
	"github.com/ml2go/ml2go/typedrivers/flat"
	"github.com/ml2go/ml2go/typedrivers/geneve"
	"github.com/ml2go/ml2go/typedrivers/gre"
	"github.com/ml2go/ml2go/typedrivers/local"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// goldenConf is the configuration an Open vSwitch agent reports to
// Neutron 21, which binds its ports with goldenDetails (as recorded in
// reference/server/testdata/neutron-golden/15-port-bind-host.json).
const goldenConf = `{"arp_responder_enabled": false, "baremetal_smartnic": false,
 "bridge_mappings": {"physnet1": "br-physnet1", "public": "br-ex", "extnet": "br-ext", "extnet2": "br-ext2"},
 "datapath_type": "system", "devices": 0, "enable_distributed_routing": false, "extensions": [],
 "in_distributed_mode": false, "integration_bridge": "br-int", "l2_population": false, "log_agent_heartbeats": false,
 "ovs_capabilities": {"datapath_types": ["netdev", "system"], "iface_types": ["erspan", "geneve", "gre", "internal",
   "ip6erspan", "ip6gre", "lisp", "patch", "stt", "system", "tap", "vxlan"]},
 "ovs_hybrid_plug": true, "resource_provider_bandwidths": {}, "resource_provider_hypervisors": {},
 "resource_provider_inventory_defaults": {}, "tunnel_types": ["vxlan", "gre", "geneve"], "tunneling_ip": "127.0.0.1"}`

var goldenDetails = map[string]any{"connectivity": "l2", "port_filter": true, "ovs_hybrid_plug": true,
	"datapath_type": "system", "bridge_name": "br-int"}

func golden(t *testing.T) map[string]any {
	t.Helper()
	var conf map[string]any
	require.NoError(t, json.Unmarshal([]byte(goldenConf), &conf))
	return conf
}

// with returns a copy of conf with the given keys replaced (nil deletes).
func with(conf map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(conf))
	for k, v := range conf {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// env is an ML2 plugin on a fresh store whose only mechanism driver is the
// Open vSwitch driver.
type env struct {
	t      *testing.T
	ctx    context.Context
	plugin *ml2.Plugin
	store  core.Store
}

func newEnv(t *testing.T, engine string, d core.MechanismDriver) *env {
	t.Helper()
	ctx := context.Background()
	ranges, err := vlan.ParseNetworkVLANRanges([]string{"physnet1:100:199", "physnet2:100:199"})
	require.NoError(t, err)
	reg := core.NewRegistry()
	for _, td := range []core.TypeDriver{
		flat.New(flat.Config{}),
		vlan.New(vlan.Config{NetworkVLANRanges: ranges}),
		vxlan.New(vxlan.Config{}),
		gre.New(gre.Config{}),
		geneve.New(geneve.Config{}),
		local.New(local.Config{}),
	} {
		require.NoError(t, reg.RegisterTypeDriver(td))
	}
	require.NoError(t, reg.RegisterMechanismDriver(openvswitch.Name, d))
	store := sqlstoretest.Open(t, engine)
	plugin, err := ml2.New(ctx, ml2.Config{MechanismDrivers: []string{openvswitch.Name}}, reg, store)
	require.NoError(t, err)
	return &env{t: t, ctx: ctx, plugin: plugin, store: store}
}

func (e *env) agent(a core.Agent) {
	e.t.Helper()
	require.NoError(e.t, e.store.Update(e.ctx, func(tx core.Tx) error {
		_, err := tx.UpsertAgent(e.ctx, &a)
		return err
	}))
}

func ovsAgent(host string, heartbeat time.Time, conf map[string]any) core.Agent {
	return core.Agent{AgentType: openvswitch.AgentType, Binary: "neutron-openvswitch-agent", Topic: "N/A",
		Host: host, AdminStateUp: true, Configurations: conf, StartedAt: heartbeat, HeartbeatAt: heartbeat}
}

func TestDefaults(t *testing.T) {
	d := openvswitch.New(openvswitch.Config{})
	require.NoError(t, d.Initialize(context.Background()))
	assert.Equal(t, "Open vSwitch agent", d.AgentType())
	assert.Equal(t, core.VIFTypeOVS, d.VIFType())
	assert.Equal(t, core.ConnectivityL2, d.Connectivity())
	assert.Equal(t, []string{"normal", "direct", "smart-nic", "vdpa"}, d.SupportedVNICTypes())
	assert.Equal(t, map[string]any{"port_filter": true, "ovs_hybrid_plug": false, "connectivity": "l2"}, d.VIFDetails())
	_, vlanTransparent := any(d).(core.VLANTransparencyChecker)
	assert.False(t, vlanTransparent, "Neutron's OVS driver does not support VLAN-transparent networks")

	d = openvswitch.New(openvswitch.Config{ProhibitedVNICTypes: []string{core.VNICDirect, core.VNICVDPA}})
	require.NoError(t, d.Initialize(context.Background()))
	assert.Equal(t, []string{"normal", "smart-nic"}, d.SupportedVNICTypes())

	for _, bad := range [][]string{{core.VNICMacvtap}, openvswitch.DefaultVNICTypes} {
		d = openvswitch.New(openvswitch.Config{ProhibitedVNICTypes: bad})
		assert.Error(t, d.Initialize(context.Background()), "prohibiting %v", bad)
	}
}

func TestSupportedVIFType(t *testing.T) {
	caps := func(ifaces ...any) map[string]any { return map[string]any{"iface_types": ifaces} }
	tests := []struct {
		name string
		conf map[string]any
		want string
	}{
		{name: "empty", conf: map[string]any{}, want: "ovs"},
		{name: "system_with_vhostuser", conf: map[string]any{"datapath_type": "system",
			"ovs_capabilities": caps("dpdkvhostuser")}, want: "ovs"},
		{name: "netdev_without_vhostuser", conf: map[string]any{"datapath_type": "netdev",
			"ovs_capabilities": caps("vxlan", "internal")}, want: "ovs"},
		{name: "netdev_dpdkvhostuser", conf: map[string]any{"datapath_type": "netdev",
			"ovs_capabilities": caps("dpdkvhostuser")}, want: "vhostuser"},
		{name: "netdev_dpdkvhostuserclient", conf: map[string]any{"datapath_type": "netdev",
			"ovs_capabilities": caps("internal", "dpdkvhostuserclient")}, want: "vhostuser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ovsAgent("h", time.Now(), tt.conf)
			assert.Equal(t, tt.want, openvswitch.SupportedVIFType(&a))
		})
	}
}

func TestMappingsAreBridgeMappings(t *testing.T) {
	a := ovsAgent("h", time.Now(), map[string]any{
		"bridge_mappings":    map[string]any{"physnet1": "br-eth1"},
		"interface_mappings": map[string]any{"physnet2": "eth2"},
	})
	assert.Equal(t, map[string]string{"physnet1": "br-eth1"}, openvswitch.Mappings(&a))
}

// TestBindPort binds ports through the orchestrator, on a store, and checks
// the committed binding.
func TestBindPort(t *testing.T) {
	now := time.Now().UTC()
	conf := golden(t)
	minimal := map[string]any{"bridge_mappings": map[string]any{"physnet1": "br-eth1"}, "tunnel_types": []any{"vxlan"}}
	dpdk := with(conf, "datapath_type", "netdev", "ovs_capabilities",
		map[string]any{"iface_types": []any{"dpdkvhostuserclient", "vxlan"}})
	dpdkDir := with(dpdk, "ovs_capabilities", map[string]any{"iface_types": []any{"dpdkvhostuser"}},
		"vhostuser_socket_dir", "/run/vhu", "integration_bridge", "br-dpdk")

	vlan1 := ml2.ProviderSegment{NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet1", SegmentationID: 101}
	vlan2 := ml2.ProviderSegment{NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet2", SegmentationID: 102}
	flat1 := ml2.ProviderSegment{NetworkType: core.TypeFlat, PhysicalNetwork: "physnet1"}
	public := ml2.ProviderSegment{NetworkType: core.TypeFlat, PhysicalNetwork: "public"}
	vx := ml2.ProviderSegment{NetworkType: core.TypeVXLAN, SegmentationID: 1001}
	gr := ml2.ProviderSegment{NetworkType: core.TypeGRE, SegmentationID: 2001}
	gn := ml2.ProviderSegment{NetworkType: core.TypeGeneve, SegmentationID: 3001}
	loc := ml2.ProviderSegment{NetworkType: core.TypeLocal}

	vhostServer := map[string]any{"port_filter": false, "ovs_hybrid_plug": false, "connectivity": "l2",
		"vhostuser_mode": "server", "vhostuser_ovs_plug": true, "datapath_type": "netdev", "bridge_name": "br-int"}
	vhostClient := map[string]any{"port_filter": false, "ovs_hybrid_plug": false, "connectivity": "l2",
		"vhostuser_mode": "client", "vhostuser_ovs_plug": true, "datapath_type": "netdev", "bridge_name": "br-dpdk"}
	switchdev := map[string]any{"capabilities": []any{"switchdev"}}

	tests := []struct {
		name     string
		cfg      openvswitch.Config
		conf     map[string]any
		dead     bool
		segments []ml2.ProviderSegment
		vnic     string
		profile  map[string]any
		// bound is the index of the segment bound; -1 for binding_failed.
		bound   int
		vifType string
		details map[string]any
		// socketDir, when set, adds the expected vhostuser_socket.
		socketDir string
	}{
		{name: "golden_vlan", conf: conf, segments: []ml2.ProviderSegment{vlan1}, vifType: "ovs", details: goldenDetails},
		{name: "golden_flat", conf: conf, segments: []ml2.ProviderSegment{public}, vifType: "ovs", details: goldenDetails},
		{name: "golden_vxlan", conf: conf, segments: []ml2.ProviderSegment{vx}, vifType: "ovs", details: goldenDetails},
		{name: "golden_gre", conf: conf, segments: []ml2.ProviderSegment{gr}, vifType: "ovs", details: goldenDetails},
		{name: "golden_geneve", conf: conf, segments: []ml2.ProviderSegment{gn}, vifType: "ovs", details: goldenDetails},
		{name: "golden_local", conf: conf, segments: []ml2.ProviderSegment{loc}, vifType: "ovs", details: goldenDetails},
		{name: "first_reachable_segment", conf: minimal, segments: []ml2.ProviderSegment{vlan2, gr, flat1, vx},
			bound: 2, vifType: "ovs", details: map[string]any{"port_filter": true, "connectivity": "l2",
				"ovs_hybrid_plug": false, "datapath_type": "system"}},
		{name: "vlan_physnet_unmapped", conf: conf, segments: []ml2.ProviderSegment{vlan2}, bound: -1},
		{name: "interface_mappings_ignored", conf: with(minimal, "interface_mappings", map[string]any{"physnet2": "eth2"}),
			segments: []ml2.ProviderSegment{vlan2}, bound: -1},
		{name: "tunnel_type_not_enabled", conf: minimal, segments: []ml2.ProviderSegment{gr}, bound: -1},
		{name: "no_tunnel_types", conf: with(conf, "tunnel_types", nil), segments: []ml2.ProviderSegment{vx}, bound: -1},
		{name: "dead_agent", conf: conf, dead: true, segments: []ml2.ProviderSegment{vx}, bound: -1},
		{name: "dead_agent_within_configured_down_time", cfg: openvswitch.Config{AgentDownTime: time.Hour},
			conf: conf, dead: true, segments: []ml2.ProviderSegment{vx}, vifType: "ovs", details: goldenDetails},
		{name: "clock_configured", cfg: openvswitch.Config{Now: func() time.Time { return now.Add(time.Hour) }},
			conf: conf, segments: []ml2.ProviderSegment{vx}, bound: -1},
		{name: "minimal_agent_defaults", conf: minimal, segments: []ml2.ProviderSegment{vx}, vifType: "ovs",
			details: map[string]any{"port_filter": true, "connectivity": "l2", "ovs_hybrid_plug": false, "datapath_type": "system"}},
		{name: "hybrid_plug_configured", cfg: openvswitch.Config{OVSHybridPlug: true}, conf: minimal,
			segments: []ml2.ProviderSegment{vx}, vifType: "ovs",
			details: map[string]any{"port_filter": true, "connectivity": "l2", "ovs_hybrid_plug": true, "datapath_type": "system"}},
		{name: "agent_hybrid_plug_wins", cfg: openvswitch.Config{OVSHybridPlug: true},
			conf: with(conf, "ovs_hybrid_plug", false), segments: []ml2.ProviderSegment{vx}, vifType: "ovs",
			details: with(goldenDetails, "ovs_hybrid_plug", false)},
		{name: "netdev_without_vhostuser", conf: with(conf, "datapath_type", "netdev"), segments: []ml2.ProviderSegment{vx},
			vifType: "ovs", details: with(goldenDetails, "datapath_type", "netdev")},
		{name: "vhostuser_server_mode", conf: dpdk, segments: []ml2.ProviderSegment{vx}, vifType: "vhostuser",
			details: vhostServer, socketDir: "/var/run/openvswitch"},
		{name: "vhostuser_client_mode_socket_dir", conf: dpdkDir, segments: []ml2.ProviderSegment{vx}, vifType: "vhostuser",
			details: vhostClient, socketDir: "/run/vhu"},
		{name: "direct_without_switchdev", vnic: core.VNICDirect, conf: conf, segments: []ml2.ProviderSegment{vx}, bound: -1},
		{name: "direct_switchdev", vnic: core.VNICDirect, profile: switchdev, conf: conf,
			segments: []ml2.ProviderSegment{vx}, vifType: "ovs", details: goldenDetails},
		{name: "direct_switchdev_is_ovs_on_dpdk", vnic: core.VNICDirect, profile: switchdev, conf: dpdk,
			segments: []ml2.ProviderSegment{vx}, vifType: "ovs", details: with(goldenDetails, "datapath_type", "netdev")},
		{name: "smartnic_agent", vnic: core.VNICSmartNIC, conf: with(conf, "baremetal_smartnic", true),
			segments: []ml2.ProviderSegment{vx}, vifType: "ovs", details: goldenDetails},
		{name: "smartnic_other_agent", vnic: core.VNICSmartNIC, conf: conf, segments: []ml2.ProviderSegment{vx}, bound: -1},
		{name: "vdpa", vnic: core.VNICVDPA, conf: conf, segments: []ml2.ProviderSegment{vx}, vifType: "ovs", details: goldenDetails},
		{name: "macvtap_unsupported", vnic: core.VNICMacvtap, conf: conf, segments: []ml2.ProviderSegment{vx}, bound: -1},
		{name: "normal_prohibited", cfg: openvswitch.Config{ProhibitedVNICTypes: []string{core.VNICNormal}},
			conf: conf, segments: []ml2.ProviderSegment{vx}, bound: -1},
	}
	for _, engine := range sqlstoretest.Engines(t) {
		for _, tt := range tests {
			t.Run(engine+"/"+tt.name, func(t *testing.T) {
				e := newEnv(t, engine, openvswitch.New(tt.cfg))
				heartbeat := now
				if tt.dead {
					heartbeat = now.Add(-2 * time.Minute)
				}
				e.agent(ovsAgent("compute-1", heartbeat, tt.conf))
				e.agent(ovsAgent("compute-2", now, conf))

				n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Segments: tt.segments})
				require.NoError(t, err)
				host := "compute-1"
				req := &ml2.PortRequest{NetworkID: n.ID, HostID: &host}
				if tt.vnic != "" {
					req.VNICType = &tt.vnic
				}
				if tt.profile != nil {
					req.Profile = &tt.profile
				}
				p, err := e.plugin.CreatePort(e.ctx, req)
				require.NoError(t, err)

				if tt.bound < 0 {
					assert.Equal(t, core.VIFTypeBindingFailed, p.Binding.VIFType)
					assert.Empty(t, p.Binding.Levels)
					return
				}
				want := tt.details
				if tt.socketDir != "" {
					want = with(want, "vhostuser_socket", tt.socketDir+"/"+("vhu" + p.ID)[:14])
				}
				assert.Equal(t, tt.vifType, p.Binding.VIFType)
				assert.Equal(t, want, p.Binding.VIFDetails)
				require.Len(t, p.Binding.Levels, 1)
				assert.Equal(t, core.BindingLevel{Level: 0, Driver: openvswitch.Name, SegmentID: n.Segments[tt.bound].ID},
					p.Binding.Levels[0])

				got, err := e.plugin.GetPort(e.ctx, p.ID)
				require.NoError(t, err)
				assert.Equal(t, p.Binding, got.Binding, "the binding is committed")
			})
		}
	}
}

// TestRevivedAgentRebinds: a port that failed to bind while its host's
// agent was dead is bound when the agent reports again.
func TestRevivedAgentRebinds(t *testing.T) {
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, openvswitch.New(openvswitch.Config{}))
			conf := golden(t)
			e.agent(ovsAgent("compute-1", time.Now().Add(-time.Hour), conf))
			n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Segments: []ml2.ProviderSegment{
				{NetworkType: core.TypeVXLAN, SegmentationID: 1001}}})
			require.NoError(t, err)
			host := "compute-1"
			p, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID, HostID: &host})
			require.NoError(t, err)
			require.Equal(t, core.VIFTypeBindingFailed, p.Binding.VIFType)

			state, err := e.plugin.ReportAgentState(e.ctx, &core.Agent{AgentType: openvswitch.AgentType,
				Host: "compute-1", AdminStateUp: true, Configurations: conf})
			require.NoError(t, err)
			require.Equal(t, ml2.AgentRevived, state)
			got, err := e.plugin.GetPort(e.ctx, p.ID)
			require.NoError(t, err)
			assert.Equal(t, core.VIFTypeOVS, got.Binding.VIFType)
			assert.Equal(t, goldenDetails, got.Binding.VIFDetails)
		})
	}
}
