package config_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/typedrivers"
	"github.com/ml2go/ml2go/typedrivers/geneve"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

var (
	neutronConf = filepath.Join("testdata", "neutron.conf")
	ml2Conf     = filepath.Join("testdata", "ml2_conf.ini")
)

// TestNeutronFiles loads an operator's neutron.conf and ml2_conf.ini.
func TestNeutronFiles(t *testing.T) {
	c, err := config.Load(neutronConf, ml2Conf)
	require.NoError(t, err)

	assert.Equal(t, "192.0.2.10:9696", c.Addr())
	assert.True(t, c.BindHostSet)
	assert.Equal(t, config.AuthKeystone, c.AuthStrategy)
	assert.Equal(t, []string{"router", "segments"}, c.ServicePlugins)
	assert.True(t, c.AllowOverlappingIPs)
	assert.Equal(t, 9000, c.GlobalPhysnetMTU)
	assert.Equal(t, "fa:16:3e:4a:00:00", c.BaseMAC)
	assert.Equal(t, 120*time.Second, c.AgentDownTime)
	assert.Equal(t, 4, c.APIWorkers)
	assert.Equal(t, "/var/lib/neutron", c.StatePath)
	assert.Equal(t, "/var/log/neutron", c.LogDir)
	assert.Equal(t, hclog.Info, c.LogLevel())
	assert.Equal(t, "neutron", c.KeystoneAuthtoken.Username)
	assert.Equal(t, "NEUTRON_PASS", c.KeystoneAuthtoken.Password)
	assert.Equal(t, "http://controller:5000", c.KeystoneAuthtoken.WWWAuthenticateURI)
	assert.Equal(t, []string{"controller:11211"}, c.KeystoneAuthtoken.MemcachedServers)
	assert.True(t, c.KeystoneAuthtoken.ServiceTokenRolesRequired)

	dsn, err := c.DatabaseDSN("/unused")
	require.NoError(t, err)
	assert.Equal(t, "postgres://neutron:NEUTRON_DBPASS@db.example.net:5432/neutron?sslmode=require", dsn)

	assert.Equal(t, []string{"flat", "vlan", "vxlan"}, c.ML2Options.TypeDrivers)
	assert.Equal(t, vlan.Ranges{
		{PhysicalNetwork: "physnet1", Ranges: []core.SegmentRange{{Min: 100, Max: 199}, {Min: 300, Max: 399}}},
		{PhysicalNetwork: "provider", Ranges: []core.SegmentRange{{Min: 1, Max: 4094}}},
	}, c.VLAN.NetworkVLANRanges)
	assert.Equal(t, []core.SegmentRange{{Min: 1, Max: 1000}}, c.GRE.TunnelIDRanges, "read even though gre is not loaded")

	var ignored []string
	for _, i := range c.Ignored {
		ignored = append(ignored, "["+i.Section+"] "+i.Option)
	}
	assert.Equal(t, []string{
		"[DEFAULT] rpc_workers",
		"[DEFAULT] dhcp_agents_per_network",
		"[DEFAULT] transport_url",
		"[DEFAULT] notify_nova_on_port_status_changes",
		"[DEFAULT] notify_nova_on_port_data_changes",
		"[agent] root_helper",
		"[nova] auth_url", "[nova] auth_type", "[nova] project_domain_name", "[nova] user_domain_name",
		"[nova] region_name", "[nova] project_name", "[nova] username", "[nova] password",
		"[oslo_concurrency] lock_path",
		"[oslo_messaging_rabbit] rabbit_ha_queues",
		"[oslo_messaging_rabbit] heartbeat_timeout_threshold",
		"[securitygroup] enable_security_group",
		"[securitygroup] firewall_driver",
		"[securitygroup] enable_ipset",
	}, ignored)
	assert.Equal(t, ml2Conf, c.Ignored[len(c.Ignored)-1].File)

	drivers, err := c.TypeDrivers(hclog.NewNullLogger())
	require.NoError(t, err)
	// global_physnet_mtu 9000, path_mtu 1550, physical_network_mtus
	// physnet1:9000 and provider:1500.
	want := []struct {
		networkType, physnet string
		mtu                  int
	}{
		{core.TypeFlat, "provider", 1500},
		{core.TypeVLAN, "physnet1", 9000},
		{core.TypeVXLAN, "", 1550 - 20 - vxlan.Overhead},
	}
	require.Len(t, drivers, len(want))
	for i, d := range drivers {
		require.NoError(t, d.Initialize(context.Background()))
		assert.Equal(t, want[i].networkType, d.Type())
		assert.Equal(t, want[i].mtu, d.MTU(want[i].physnet), d.Type())
	}
	require.NoError(t, drivers[0].ValidateProviderSegment(core.Segment{NetworkType: core.TypeFlat, PhysicalNetwork: "provider"}))
	assert.Error(t, drivers[0].ValidateProviderSegment(core.Segment{NetworkType: core.TypeFlat, PhysicalNetwork: "physnet1"}),
		"flat_networks = provider")
	assert.Equal(t, "239.1.1.1", drivers[2].(*vxlan.Driver).Group())

	assert.Equal(t, ml2.Config{
		TenantNetworkTypes: []string{"vxlan", "vlan"},
		MechanismDrivers:   []string{"openvswitch", "l2population"},
		ExtensionDrivers:   []string{"port_security"},
		GlobalPhysnetMTU:   9000,
		BaseMAC:            "fa:16:3e:4a:00:00",
		MaxDNSNameservers:  5,
		MaxHostRoutes:      20,
		AgentDownTime:      120 * time.Second,
	}, c.ML2())
}

func TestMTU(t *testing.T) {
	tests := []struct {
		name string
		text string
		want typedrivers.MTUConfig
	}{
		{"defaults", "", typedrivers.MTUConfig{GlobalPhysnetMTU: 1500, PhysicalNetworkMTUs: map[string]int{}, OverlayIPVersion: 4}},
		{"no_global", "[DEFAULT]\nglobal_physnet_mtu = 0\n[ml2]\npath_mtu = 1400\noverlay_ip_version = 6\n",
			typedrivers.MTUConfig{GlobalPhysnetMTU: typedrivers.NoGlobalPhysnetMTU, PathMTU: 1400, PhysicalNetworkMTUs: map[string]int{}, OverlayIPVersion: 6}},
		{"physnets", "[ml2]\nphysical_network_mtus = a:1000\n",
			typedrivers.MTUConfig{GlobalPhysnetMTU: 1500, PhysicalNetworkMTUs: map[string]int{"a": 1000}, OverlayIPVersion: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decode(file{"t.conf", tt.text})
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.MTU())
		})
	}
}

func TestTypeDrivers(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		types []string
		mtus  []int
	}{
		{"defaults", "", []string{"local", "flat", "vlan", "gre", "vxlan", "geneve"}, []int{0, 1500, 1500, 1458, 1450, 1450}},
		{"ipv6_overlay_geneve_header", "[ml2]\ntype_drivers = geneve,local\ntenant_network_types = geneve\noverlay_ip_version = 6\n[ml2_type_geneve]\nmax_header_size = 38\n",
			[]string{"geneve", "local"}, []int{1500 - 40 - 38, 0}},
		{"duplicates_built_once", "[ml2]\ntype_drivers = vlan,flat,vlan\ntenant_network_types = vlan\n", []string{"vlan", "flat"}, []int{1500, 1500}},
		{"no_global_mtu", "[DEFAULT]\nglobal_physnet_mtu = 0\n[ml2]\ntype_drivers = flat,gre\ntenant_network_types = gre\npath_mtu = 1400\n",
			[]string{"flat", "gre"}, []int{0, 1400 - 20 - 22}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decode(file{"t.conf", tt.text})
			require.NoError(t, err)
			drivers, err := c.TypeDrivers(nil)
			require.NoError(t, err)
			var types []string
			var mtus []int
			for _, d := range drivers {
				require.NoError(t, d.Initialize(context.Background()))
				types = append(types, d.Type())
				mtus = append(mtus, d.MTU("physnet1"))
			}
			assert.Equal(t, tt.types, types)
			assert.Equal(t, tt.mtus, mtus)
		})
	}
	c, err := decode(file{"t.conf", "[ml2]\ntype_drivers = geneve\ntenant_network_types = geneve\n[ml2_type_geneve]\nmax_header_size = 50\n"})
	require.NoError(t, err)
	drivers, err := c.TypeDrivers(nil)
	require.NoError(t, err)
	assert.Equal(t, 50, drivers[0].(*geneve.Driver).MaxHeaderSize())
}

func TestTypeDriversUnknown(t *testing.T) {
	c, err := decode(file{"ml2_conf.ini", "[ml2]\n# acme\ntype_drivers = vlan, acme\ntenant_network_types = vlan\n"})
	require.NoError(t, err, "unknown type drivers are refused when building them")
	_, err = c.TypeDrivers(nil)
	var e *config.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, config.Error{File: "ml2_conf.ini", Line: 3, Section: "ml2", Option: "type_drivers", Value: "acme", Err: e.Err}, *e)
	assert.EqualError(t, err, `ml2_conf.ini:3: [ml2] type_drivers: "acme": unknown type driver (ml2go has flat, vlan, vxlan, gre, geneve, local)`)

	// A Config built by hand names the option without a file.
	c = config.Default()
	c.ML2Options.TypeDrivers = []string{"bogus"}
	_, err = c.TypeDrivers(nil)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "type_drivers", e.Option)
	assert.Empty(t, e.File)
}

// TestPlugin runs an ML2 plugin configured by a file: the type drivers and
// ml2.Config fit together.
func TestPlugin(t *testing.T) {
	ctx := context.Background()
	path := writeFile(t, t.TempDir(), "ml2_conf.ini", `
[ml2]
type_drivers = vlan,vxlan
tenant_network_types = vlan,vxlan
mechanism_drivers = logger
path_mtu = 1400

[ml2_type_vlan]
network_vlan_ranges = physnet1:100:100

[ml2_type_vxlan]
vni_ranges = 5000:5001
`)
	c, err := config.Load(path)
	require.NoError(t, err)

	reg := core.NewRegistry()
	drivers, err := c.TypeDrivers(nil)
	require.NoError(t, err)
	for _, d := range drivers {
		require.NoError(t, reg.RegisterTypeDriver(d))
	}
	require.NoError(t, reg.RegisterMechanismDriver("logger", logger.New(nil)))
	dsn, err := config.ConnectionDSN("sqlite://")
	require.NoError(t, err)
	store, err := sqlstore.Open(ctx, dsn)
	require.NoError(t, err)
	defer store.Close()
	plugin, err := ml2.New(ctx, c.ML2(), reg, store)
	require.NoError(t, err)

	// The VLAN pool has one VLAN, then VXLAN takes over.
	var got []core.Segment
	for range 2 {
		n, err := plugin.CreateNetwork(ctx, &ml2.NetworkRequest{ProjectID: "p"})
		require.NoError(t, err)
		require.Len(t, n.Segments, 1)
		got = append(got, n.Segments[0])
	}
	assert.Equal(t, core.TypeVLAN, got[0].NetworkType)
	assert.Equal(t, int64(100), got[0].SegmentationID)
	assert.Equal(t, 1500, got[0].MTU)
	assert.Equal(t, core.TypeVXLAN, got[1].NetworkType)
	assert.Equal(t, 1400-50, got[1].MTU)
}
