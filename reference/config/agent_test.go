package config_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/config"
)

func decodeAgent(t *testing.T, files ...string) (*config.AgentConfig, error) {
	t.Helper()
	vs := &config.Values{}
	for i, f := range files {
		require.NoError(t, vs.Read([]string{"neutron.conf", "agent.ini"}[i], strings.NewReader(f)))
	}
	return config.DecodeAgent(vs)
}

func TestAgentConfigLinuxBridge(t *testing.T) {
	c, err := decodeAgent(t, "[DEFAULT]\nhost = compute-1\ndebug = true\n", `
[linux_bridge]
physical_interface_mappings = physnet1:eth1, physnet2:eth2
[vxlan]
enable_vxlan = true
local_ip = 192.0.2.10
l2_population = true
[agent]
report_interval = 10
polling_interval = 1
[ml2go_agent]
server_url = http://controller:9696
`)
	require.NoError(t, err)
	assert.Equal(t, "compute-1", c.Host)
	assert.Equal(t, config.DataplaneLinuxBridge, c.Dataplane)
	assert.Equal(t, "Linux bridge agent", c.AgentType())
	assert.Equal(t, "http://controller:9696", c.ServerURL)
	assert.Equal(t, map[string]string{"physnet1": "eth1", "physnet2": "eth2"}, c.PhysicalInterfaceMappings)
	assert.Equal(t, []string{"vxlan"}, c.TunnelTypes)
	assert.Equal(t, netip.MustParseAddr("192.0.2.10"), c.LocalIP)
	assert.True(t, c.L2Population)
	assert.Equal(t, 10*time.Second, c.ReportInterval)
	assert.Equal(t, time.Second, c.PollingInterval)
	assert.Equal(t, 4789, c.VXLANPort)
	assert.Equal(t, map[string]any{
		"bridge_mappings":    map[string]any{},
		"interface_mappings": map[string]any{"physnet1": "eth1", "physnet2": "eth2"},
		"tunnel_types":       []any{"vxlan"},
		"tunneling_ip":       "192.0.2.10",
		"l2_population":      true,
	}, c.Configurations())
	require.Len(t, c.Ignored, 1)
	assert.Equal(t, "debug", c.Ignored[0].Option)
}

func TestAgentConfigOpenVSwitch(t *testing.T) {
	c, err := decodeAgent(t, "[DEFAULT]\nhost = compute-2\n", `
[ovs]
bridge_mappings = physnet1:br-eth1
local_ip = 192.0.2.11
datapath_type = netdev
[agent]
tunnel_types = vxlan
l2_population = true
vxlan_udp_port = 4790
`)
	require.NoError(t, err)
	assert.Equal(t, config.DataplaneOpenVSwitch, c.Dataplane)
	assert.Equal(t, "Open vSwitch agent", c.AgentType())
	assert.Equal(t, "br-int", c.IntegrationBridge)
	assert.Equal(t, "br-tun", c.TunnelBridge)
	assert.Equal(t, "netdev", c.DatapathType)
	assert.Equal(t, 4790, c.VXLANPort)
	conf := c.Configurations()
	assert.Equal(t, map[string]any{"physnet1": "br-eth1"}, conf["bridge_mappings"])
	assert.Equal(t, "192.0.2.11", conf["tunneling_ip"])
	assert.Equal(t, "netdev", conf["datapath_type"])
}

func TestAgentConfigVXLANDisabledNeedsNoLocalIP(t *testing.T) {
	c, err := decodeAgent(t, "[DEFAULT]\nhost = h\n", "[vxlan]\nenable_vxlan = false\n[linux_bridge]\nphysical_interface_mappings = physnet1:eth1\n")
	require.NoError(t, err)
	assert.Empty(t, c.TunnelTypes)
	assert.NotContains(t, c.Configurations(), "tunneling_ip")
}

func TestAgentConfigBadValues(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"mapping without colon", "[linux_bridge]\nphysical_interface_mappings = physnet1\n",
			`agent.ini:2: [linux_bridge] physical_interface_mappings`},
		{"physnet twice", "[ovs]\nbridge_mappings = p:br1,p:br2\nlocal_ip = 10.0.0.1\n", `[ovs] bridge_mappings`},
		{"bad local ip", "[vxlan]\nlocal_ip = nope\n", `agent.ini:2: [vxlan] local_ip: "nope": not an IP address`},
		{"bad port", "[agent]\nvxlan_udp_port = 70000\n[vxlan]\nlocal_ip = 10.0.0.1\n", `[agent] vxlan_udp_port`},
		{"bad dataplane", "[ml2go_agent]\ndataplane = sriov\n", `[ml2go_agent] dataplane: "sriov": must be linuxbridge or openvswitch`},
		{"tunnels without local ip", "[ovs]\nbridge_mappings =\n[agent]\ntunnel_types = vxlan\n", `[ovs] local_ip`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeAgent(t, "[DEFAULT]\nhost = h\n", tt.file)
			require.Error(t, err)
			var ce *config.Error
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
