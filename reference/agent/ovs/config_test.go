package ovs

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewValidatesConfig(t *testing.T) {
	v4 := netip.MustParseAddr("192.0.2.1")
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "defaults", cfg: Config{}},
		{name: "tunnels", cfg: Config{TunnelTypes: []string{"vxlan", "gre", "geneve"}, LocalIP: v4}},
		{name: "mappings", cfg: Config{BridgeMappings: map[string]string{"physnet1": "br-eth1", "physnet2": "br-eth2"}}},
		{name: "unknown tunnel type", cfg: Config{TunnelTypes: []string{"stt"}, LocalIP: v4}, wantErr: `unsupported tunnel type "stt"`},
		{name: "tunnels without local_ip", cfg: Config{TunnelTypes: []string{"vxlan"}}, wantErr: "local_ip is required"},
		{name: "long bridge name", cfg: Config{IntegrationBridge: "br-integration-1"}, wantErr: "longer than 15"},
		{name: "bridge used twice", cfg: Config{BridgeMappings: map[string]string{"a": "br-x", "b": "br-x"}}, wantErr: `"br-x" is also`},
		{name: "mapping to br-int", cfg: Config{BridgeMappings: map[string]string{"a": "br-int"}}, wantErr: "is also the integration bridge"},
		{name: "same patch names", cfg: Config{IntPeerPatchPort: "p", TunPeerPatchPort: "p"}, wantErr: "is also the int_peer_patch_port"},
		{name: "bad datapath", cfg: Config{DatapathType: "dpdk"}, wantErr: "neither system nor netdev"},
		{name: "bad port", cfg: Config{VXLANPort: 70000}, wantErr: "out of range"},
		{name: "odd character", cfg: Config{TunnelBridge: "br tun"}, wantErr: "character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.cfg, nil)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.NoError(t, d.Close())
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	d, err := New(Config{}, nil)
	require.NoError(t, err)
	c := d.Config()
	assert.Equal(t, "br-int", c.IntegrationBridge)
	assert.Equal(t, "br-tun", c.TunnelBridge)
	assert.Equal(t, "patch-tun", c.IntPeerPatchPort)
	assert.Equal(t, "patch-int", c.TunPeerPatchPort)
	assert.Equal(t, "system", c.DatapathType)
	assert.Equal(t, 4789, c.VXLANPort)
	assert.False(t, c.tunnelling())
}

func TestNames(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"int patch", IntPatchName("br-eth1"), "int-br-eth1"},
		{"phy patch", PhysPatchName("br-eth1"), "phy-br-eth1"},
		// Expected values computed with neutron_lib's get_interface_name.
		{"int patch shortened", IntPatchName("br-provider-physnet1"), "int-br-pref5def"},
		{"phy patch shortened", PhysPatchName("br-provider-physnet1"), "phy-br-pref5def"},
		{"vxlan v4", TunnelPortName("vxlan", netip.MustParseAddr("192.0.2.2")), "vxlan-c0000202"},
		{"gre v4", TunnelPortName("gre", netip.MustParseAddr("10.0.0.2")), "gre-0a000002"},
		{"v4-mapped", TunnelPortName("vxlan", netip.MustParseAddr("::ffff:192.0.2.2")), "vxlan-c0000202"},
		// Expected values computed with Neutron's get_tunnel_name.
		{"vxlan v6", TunnelPortName("vxlan", netip.MustParseAddr("2001:db8::2")), "vxlan-pehtjzksi"},
		{"geneve v6", TunnelPortName("geneve", netip.MustParseAddr("fd00::1")), "geneve-wiqx3aks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
			assert.LessOrEqual(t, len(tt.got), 15)
		})
	}
}
