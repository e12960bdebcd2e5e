package agent_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/agent"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
)

const (
	testAgentType = "Test agent"
	host          = "host1"
)

var now = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func clock() time.Time { return now }

// Segments used across the tests.
var (
	segLocal    = core.Segment{ID: "local", NetworkType: core.TypeLocal}
	segFlat1    = core.Segment{ID: "flat1", NetworkType: core.TypeFlat, PhysicalNetwork: "physnet1"}
	segFlat2    = core.Segment{ID: "flat2", NetworkType: core.TypeFlat, PhysicalNetwork: "physnet2"}
	segVLAN1    = core.Segment{ID: "vlan1", NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet1", SegmentationID: 100}
	segVLAN2    = core.Segment{ID: "vlan2", NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet2", SegmentationID: 200}
	segVXLAN    = core.Segment{ID: "vxlan", NetworkType: core.TypeVXLAN, SegmentationID: 1001}
	segGRE      = core.Segment{ID: "gre", NetworkType: core.TypeGRE, SegmentationID: 2002}
	segUnknown  = core.Segment{ID: "bogus", NetworkType: "bogus"}
	liveConfigs = map[string]any{
		agent.ConfBridgeMappings: map[string]any{"physnet1": "br-eth1"},
		agent.ConfTunnelTypes:    []any{"vxlan"},
	}
)

// testAgent returns an agent of the test type on host, last heard of age
// ago, with the given configuration.
func testAgent(id string, age time.Duration, configs map[string]any) core.Agent {
	return core.Agent{ID: id, AgentType: testAgentType, Host: host, AdminStateUp: true,
		Configurations: configs, HeartbeatAt: now.Add(-age)}
}

func newDriver(mod func(*agent.Config)) *agent.Driver {
	cfg := agent.Config{
		AgentType:    testAgentType,
		VIFType:      core.VIFTypeOVS,
		VIFDetails:   map[string]any{"port_filter": true},
		Connectivity: core.ConnectivityL2,
		Now:          clock,
	}
	if mod != nil {
		mod(&cfg)
	}
	return agent.New(cfg)
}

func newPort(vnic string) *core.Port {
	return &core.Port{Standard: core.Standard{ID: "port-1"}, NetworkID: "net-1",
		Binding: core.PortBinding{HostID: host, VNICType: vnic, VIFType: core.VIFTypeUnbound}}
}

func TestBindPort(t *testing.T) {
	live := testAgent("live", 10*time.Second, liveConfigs)
	dead := testAgent("dead", 100*time.Second, liveConfigs)
	tests := []struct {
		name     string
		cfg      func(*agent.Config)
		vnic     string
		agents   []core.Agent
		segments []core.Segment
		want     string // bound segment id; "" for not bound
	}{
		{name: "local", agents: []core.Agent{live}, segments: []core.Segment{segLocal}, want: "local"},
		{name: "flat_mapped", agents: []core.Agent{live}, segments: []core.Segment{segFlat1}, want: "flat1"},
		{name: "vlan_mapped", agents: []core.Agent{live}, segments: []core.Segment{segVLAN1}, want: "vlan1"},
		{name: "vxlan_in_tunnel_types", agents: []core.Agent{live}, segments: []core.Segment{segVXLAN}, want: "vxlan"},
		{name: "vxlan_tunnel_types_as_strings", segments: []core.Segment{segVXLAN}, want: "vxlan",
			agents: []core.Agent{testAgent("a", 0, map[string]any{agent.ConfTunnelTypes: []string{"gre", "vxlan"}})}},
		{name: "vnic_unset_is_normal", vnic: "", agents: []core.Agent{live}, segments: []core.Segment{segLocal}, want: "local"},
		{name: "vnic_normal", vnic: core.VNICNormal, agents: []core.Agent{live}, segments: []core.Segment{segLocal}, want: "local"},

		// C.2 #50
		{name: "C50_only_dead_agent", agents: []core.Agent{dead}, segments: []core.Segment{segLocal, segVXLAN}},
		{name: "C50_flat_wrong_bridge_mappings", agents: []core.Agent{live}, segments: []core.Segment{segFlat2}},
		{name: "C50_vlan_wrong_bridge_mappings", agents: []core.Agent{live}, segments: []core.Segment{segVLAN2}},
		{name: "C50_unknown_network_type", agents: []core.Agent{live}, segments: []core.Segment{segUnknown}},

		{name: "tunnel_type_not_reported", agents: []core.Agent{live}, segments: []core.Segment{segGRE}},
		{name: "flat_no_mappings", segments: []core.Segment{segFlat1},
			agents: []core.Agent{testAgent("a", 0, nil)}},
		{name: "interface_mappings", segments: []core.Segment{segVLAN2}, want: "vlan2",
			agents: []core.Agent{testAgent("a", 0, map[string]any{agent.ConfInterfaceMappings: map[string]any{"physnet2": "eth2"}})}},
		{name: "mappings_as_string_map", segments: []core.Segment{segFlat1}, want: "flat1",
			agents: []core.Agent{testAgent("a", 0, map[string]any{agent.ConfBridgeMappings: map[string]string{"physnet1": "br"}})}},
		{name: "dead_agent_skipped_for_live_one", agents: []core.Agent{dead, live}, segments: []core.Segment{segVXLAN}, want: "vxlan"},
		{name: "no_agents", segments: []core.Segment{segLocal}},
		{name: "agent_of_other_type", segments: []core.Segment{segLocal},
			agents: []core.Agent{{AgentType: "Other agent", Host: host, HeartbeatAt: now}}},
		{name: "agent_on_other_host", segments: []core.Segment{segLocal},
			agents: []core.Agent{{AgentType: testAgentType, Host: "host2", HeartbeatAt: now}}},
		{name: "no_segments", agents: []core.Agent{live}},
		{name: "unsupported_vnic_type", vnic: core.VNICDirect, agents: []core.Agent{live}, segments: []core.Segment{segLocal}},
		{name: "supported_vnic_type", vnic: core.VNICDirect, agents: []core.Agent{live}, segments: []core.Segment{segLocal}, want: "local",
			cfg: func(c *agent.Config) { c.SupportedVNICTypes = []string{core.VNICNormal, core.VNICDirect} }},
		{name: "prohibited_vnic_type", vnic: core.VNICDirect, agents: []core.Agent{live}, segments: []core.Segment{segLocal},
			cfg: func(c *agent.Config) {
				c.SupportedVNICTypes = []string{core.VNICNormal, core.VNICDirect}
				c.ProhibitedVNICTypes = []string{core.VNICDirect}
			}},
		{name: "smartnic_needs_baremetal_smartnic", vnic: core.VNICSmartNIC, agents: []core.Agent{live}, segments: []core.Segment{segLocal},
			cfg: func(c *agent.Config) { c.SupportedVNICTypes = []string{core.VNICSmartNIC} }},
		{name: "smartnic_agent", vnic: core.VNICSmartNIC, segments: []core.Segment{segLocal}, want: "local",
			agents: []core.Agent{testAgent("a", 0, map[string]any{agent.ConfBaremetalSmartNIC: true})},
			cfg:    func(c *agent.Config) { c.SupportedVNICTypes = []string{core.VNICSmartNIC} }},

		// The first segment that fits wins, in the order given.
		{name: "first_fitting_segment_wins", agents: []core.Agent{live},
			segments: []core.Segment{segVLAN2, segUnknown, segVXLAN, segFlat1, segLocal}, want: "vxlan"},
		{name: "first_segment_fits", agents: []core.Agent{live},
			segments: []core.Segment{segFlat1, segVXLAN}, want: "flat1"},
		// The first agent that fits wins; a later agent is only tried when
		// no segment fits the earlier one.
		{name: "second_agent_reaches_segment", segments: []core.Segment{segVLAN2}, want: "vlan2",
			agents: []core.Agent{live, testAgent("b", 0, map[string]any{agent.ConfBridgeMappings: map[string]any{"physnet2": "br"}})}},

		// Agent down time.
		{name: "default_down_time_alive", agents: []core.Agent{testAgent("a", 74*time.Second, nil)},
			segments: []core.Segment{segLocal}, want: "local"},
		{name: "default_down_time_dead", agents: []core.Agent{testAgent("a", 75*time.Second, nil)},
			segments: []core.Segment{segLocal}},
		{name: "configured_down_time", agents: []core.Agent{testAgent("a", 100*time.Second, nil)},
			segments: []core.Segment{segLocal}, want: "local",
			cfg: func(c *agent.Config) { c.AgentDownTime = 5 * time.Minute }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(tt.cfg)
			require.NoError(t, d.Initialize(context.Background()))
			pc := mechtest.NewPortContext(newPort(tt.vnic), tt.segments...)
			pc.Agents = tt.agents

			require.NoError(t, d.BindPort(context.Background(), pc))

			if tt.want == "" {
				assert.Empty(t, pc.SetBindings, "port must not be bound")
				assert.Equal(t, core.VIFTypeUnbound, pc.VIFType())
				return
			}
			require.Len(t, pc.SetBindings, 1)
			assert.Equal(t, mechtest.Binding{
				SegmentID:  tt.want,
				VIFType:    core.VIFTypeOVS,
				VIFDetails: map[string]any{"port_filter": true, "connectivity": "l2"},
			}, pc.SetBindings[0])
			assert.Empty(t, pc.ContinueBindings)
		})
	}
}

func TestBindPortHooks(t *testing.T) {
	var gotAgent *core.Agent
	d := newDriver(func(c *agent.Config) {
		c.AllowedNetworkTypes = func(*core.Agent) []string { return []string{core.TypeGeneve, core.TypeVLAN} }
		c.Mappings = func(*core.Agent) map[string]string { return map[string]string{"physnet9": "x"} }
		c.VIFTypeFor = func(_ core.PortContext, a *core.Agent, seg core.Segment) string {
			gotAgent = a
			return core.VIFTypeVhostUser
		}
		c.VIFDetailsFor = func(_ core.PortContext, a *core.Agent, seg core.Segment) map[string]any {
			return map[string]any{"segment": seg.ID, "agent": a.ID}
		}
	})
	geneve := core.Segment{ID: "geneve", NetworkType: core.TypeGeneve, SegmentationID: 7}
	// vxlan is not allowed by the hook, physnet1 not mapped by it.
	pc := mechtest.NewPortContext(newPort(""), segVXLAN, segVLAN1, geneve)
	pc.Agents = []core.Agent{testAgent("a1", 0, liveConfigs)}

	require.NoError(t, d.BindPort(context.Background(), pc))
	require.Len(t, pc.SetBindings, 1)
	assert.Equal(t, mechtest.Binding{SegmentID: "geneve", VIFType: core.VIFTypeVhostUser,
		VIFDetails: map[string]any{"segment": "geneve", "agent": "a1"}}, pc.SetBindings[0])
	require.NotNil(t, gotAgent)
	assert.Equal(t, "a1", gotAgent.ID)

	assert.False(t, d.CheckSegmentForAgent(segVLAN1, gotAgent))
	assert.True(t, d.CheckSegmentForAgent(core.Segment{NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet9"}, gotAgent))
	assert.Equal(t, []string{core.TypeGeneve, core.TypeVLAN}, d.AllowedNetworkTypes(gotAgent))
	assert.Equal(t, map[string]string{"physnet9": "x"}, d.Mappings(gotAgent))
}

func TestBindPortSubnetSegments(t *testing.T) {
	subnetSegments := map[string]string{"subnet-a": "vlan1", "subnet-b": "flat1", "subnet-routed": ""}
	lookups := 0
	lookup := func(_ context.Context, id string) (string, error) {
		lookups++
		seg, ok := subnetSegments[id]
		if !ok {
			return "", core.SubnetNotFound(id)
		}
		return seg, nil
	}
	agents := []core.Agent{testAgent("a", 0, liveConfigs)}
	segments := []core.Segment{segVXLAN, segFlat1, segVLAN1}
	tests := []struct {
		name    string
		lookup  func(context.Context, string) (string, error)
		subnets []string
		want    string
		lookups int
		err     string
	}{
		{name: "no_lookup_func_all_segments", subnets: []string{"subnet-a"}, want: "vxlan"},
		{name: "no_fixed_ips_all_segments", lookup: lookup, want: "vxlan"},
		{name: "subnet_segment_only", lookup: lookup, subnets: []string{"subnet-a"}, want: "vlan1", lookups: 1},
		{name: "two_ips_same_subnet_looked_up_once", lookup: lookup, subnets: []string{"subnet-a", "subnet-a"}, want: "vlan1", lookups: 1},
		{name: "several_subnets_first_segment_in_order", lookup: lookup, subnets: []string{"subnet-a", "subnet-b"}, want: "flat1", lookups: 2},
		{name: "subnet_without_segment_allows_all", lookup: lookup, subnets: []string{"subnet-a", "subnet-routed"}, want: "vxlan", lookups: 2},
		{name: "lookup_error", lookup: lookup, subnets: []string{"nope"}, lookups: 1, err: "Subnet nope could not be found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookups = 0
			d := newDriver(func(c *agent.Config) { c.SubnetSegmentID = tt.lookup })
			port := newPort("")
			for _, s := range tt.subnets {
				port.FixedIPs = append(port.FixedIPs, core.FixedIP{SubnetID: s})
			}
			pc := mechtest.NewPortContext(port, segments...)
			pc.Agents = agents

			err := d.BindPort(context.Background(), pc)
			assert.Equal(t, tt.lookups, lookups)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				assert.Equal(t, "SubnetNotFound", core.TypeOf(err))
				assert.False(t, pc.Bound())
				return
			}
			require.NoError(t, err)
			require.True(t, pc.Bound())
			assert.Equal(t, tt.want, pc.LastBinding().SegmentID)
		})
	}
}

func TestBindPortHostAgentsError(t *testing.T) {
	d := newDriver(nil)
	pc := mechtest.NewPortContext(newPort(""), segLocal)
	pc.AgentsErr = errors.New("store down")
	err := d.BindPort(context.Background(), pc)
	require.ErrorContains(t, err, "store down")
	assert.False(t, pc.Bound())
}

func TestBindPortConcurrent(t *testing.T) {
	d := newDriver(nil)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pc := mechtest.NewPortContext(newPort(""), segVXLAN)
			pc.Agents = []core.Agent{testAgent("a", 0, liveConfigs)}
			assert.NoError(t, d.BindPort(context.Background(), pc))
			assert.True(t, pc.Bound())
			// Details handed out are copies: changing them must not leak.
			pc.LastBinding().VIFDetails["port_filter"] = false
		}()
	}
	wg.Wait()
	assert.Equal(t, map[string]any{"port_filter": true, "connectivity": "l2"}, d.VIFDetails())
}

func TestCheckSegmentForAgent(t *testing.T) {
	d := newDriver(nil)
	a := testAgent("a", 0, liveConfigs)
	other := a
	other.AgentType = "Other agent"
	tests := []struct {
		name  string
		seg   core.Segment
		agent core.Agent
		want  bool
	}{
		{"local", segLocal, a, true},
		{"flat_mapped", segFlat1, a, true},
		{"flat_unmapped", segFlat2, a, false},
		{"vlan_mapped", segVLAN1, a, true},
		{"vlan_unmapped", segVLAN2, a, false},
		{"vxlan_reported", segVXLAN, a, true},
		{"gre_not_reported", segGRE, a, false},
		{"unknown_type", segUnknown, a, false},
		{"other_agent_type", segLocal, other, false},
		// Liveness is BindPort's business, not CheckSegmentForAgent's.
		{"dead_agent", segLocal, testAgent("d", time.Hour, nil), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, d.CheckSegmentForAgent(tt.seg, &tt.agent))
		})
	}
}

func TestNewDefaults(t *testing.T) {
	details := map[string]any{"port_filter": false}
	d := agent.New(agent.Config{AgentType: testAgentType, VIFType: core.VIFTypeBridge, VIFDetails: details})
	require.NoError(t, d.Initialize(context.Background()))
	details["port_filter"] = true // the configuration is copied

	assert.Equal(t, testAgentType, d.AgentType())
	assert.Equal(t, core.VIFTypeBridge, d.VIFType())
	assert.Equal(t, core.ConnectivityLegacy, d.Connectivity())
	assert.Equal(t, []string{core.VNICNormal}, d.SupportedVNICTypes())
	assert.Equal(t, map[string]any{"port_filter": false, "connectivity": "legacy"}, d.VIFDetails())

	// Real clock and default down time: an agent heard of just now is alive.
	pc := mechtest.NewPortContext(newPort(""), segLocal)
	pc.Agents = []core.Agent{{AgentType: testAgentType, Host: host, HeartbeatAt: time.Now()}}
	require.NoError(t, d.BindPort(context.Background(), pc))
	assert.True(t, pc.Bound())

	// Given details override the connectivity key.
	d = agent.New(agent.Config{AgentType: testAgentType, VIFType: "x", Connectivity: core.ConnectivityL2,
		VIFDetails: map[string]any{"connectivity": "custom"}})
	assert.Equal(t, map[string]any{"connectivity": "custom"}, d.VIFDetails())
}

func TestInitialize(t *testing.T) {
	tests := []struct {
		name string
		cfg  agent.Config
		err  string
	}{
		{name: "ok", cfg: agent.Config{AgentType: "A", VIFType: "ovs"}},
		{name: "vif_type_hook", cfg: agent.Config{AgentType: "A",
			VIFTypeFor: func(core.PortContext, *core.Agent, core.Segment) string { return "ovs" }}},
		{name: "no_agent_type", cfg: agent.Config{VIFType: "ovs"}, err: "no agent type"},
		{name: "no_vif_type", cfg: agent.Config{AgentType: "A"}, err: "no VIF type"},
		{name: "prohibit_unsupported", err: `prohibited VNIC type "direct" is not supported`,
			cfg: agent.Config{AgentType: "A", VIFType: "ovs", ProhibitedVNICTypes: []string{core.VNICDirect}}},
		{name: "prohibit_all", err: "every supported VNIC type is prohibited",
			cfg: agent.Config{AgentType: "A", VIFType: "ovs", ProhibitedVNICTypes: []string{core.VNICNormal}}},
		{name: "prohibit_some", cfg: agent.Config{AgentType: "A", VIFType: "ovs",
			SupportedVNICTypes:  []string{core.VNICNormal, core.VNICDirect, core.VNICSmartNIC},
			ProhibitedVNICTypes: []string{core.VNICDirect}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := agent.New(tt.cfg).Initialize(context.Background())
			if tt.err == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tt.err)
			}
		})
	}
	d := agent.New(agent.Config{AgentType: "A", VIFType: "ovs",
		SupportedVNICTypes:  []string{core.VNICNormal, core.VNICDirect, core.VNICSmartNIC},
		ProhibitedVNICTypes: []string{core.VNICDirect}})
	assert.Equal(t, []string{core.VNICNormal, core.VNICSmartNIC}, d.SupportedVNICTypes())
}

func TestAgentConfigurationHelpers(t *testing.T) {
	a := &core.Agent{Configurations: map[string]any{
		"list_any":     []any{"vxlan", 4, "gre"},
		"list_strings": []string{"geneve"},
		"not_a_list":   "vxlan",
		"map_any":      map[string]any{"physnet1": "br-eth1", "physnet2": 7},
		"map_strings":  map[string]string{"physnet3": "eth3"},
		"yes":          true,
		"string_true":  "true",
	}}
	assert.Equal(t, []string{"vxlan", "gre"}, agent.AgentStrings(a, "list_any"))
	assert.Equal(t, []string{"geneve"}, agent.AgentStrings(a, "list_strings"))
	assert.Nil(t, agent.AgentStrings(a, "not_a_list"))
	assert.Nil(t, agent.AgentStrings(a, "missing"))

	assert.Equal(t, map[string]string{"physnet1": "br-eth1", "physnet2": "7"}, agent.AgentStringMap(a, "map_any"))
	assert.Equal(t, map[string]string{"physnet3": "eth3"}, agent.AgentStringMap(a, "map_strings"))
	assert.Equal(t, map[string]string{}, agent.AgentStringMap(a, "missing"))
	assert.Equal(t, map[string]string{}, agent.AgentStringMap(&core.Agent{}, "missing"))

	assert.True(t, agent.AgentBool(a, "yes"))
	assert.False(t, agent.AgentBool(a, "string_true"))
	assert.False(t, agent.AgentBool(a, "missing"))

	lb := &core.Agent{Configurations: map[string]any{
		agent.ConfTunnelTypes:       []any{"vxlan"},
		agent.ConfInterfaceMappings: map[string]any{"physnet1": "eth1", "shared": "eth9"},
		agent.ConfBridgeMappings:    map[string]any{"physnet2": "br-ex", "shared": "br-shared"},
	}}
	assert.Equal(t, []string{"vxlan", "local", "flat", "vlan"}, agent.DefaultAllowedNetworkTypes(lb))
	assert.Equal(t, []string{"local", "flat", "vlan"}, agent.DefaultAllowedNetworkTypes(&core.Agent{}))
	assert.Equal(t, map[string]string{"physnet1": "eth1", "physnet2": "br-ex", "shared": "br-shared"},
		agent.DefaultMappings(lb))
}

func TestBindPortWarnsOnDeadAgent(t *testing.T) {
	var buf syncBuffer
	d := newDriver(func(c *agent.Config) {
		c.Logger = hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Warn})
	})
	pc := mechtest.NewPortContext(newPort(""), segLocal)
	pc.Agents = []core.Agent{testAgent("dead-1", time.Hour, nil)}
	require.NoError(t, d.BindPort(context.Background(), pc))
	assert.False(t, pc.Bound())
	assert.Contains(t, buf.String(), "[WARN]  refusing to bind port to dead agent")
	assert.Contains(t, buf.String(), "agent=dead-1")
	assert.Contains(t, buf.String(), "port=port-1")
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
