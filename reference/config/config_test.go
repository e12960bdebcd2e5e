package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/quota"
	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/typedrivers"
	"github.com/ml2go/ml2go/typedrivers/vlan"
)

// file is a configuration file given as text.
type file struct{ name, text string }

// decode reads files in order and decodes them.
func decode(files ...file) (*config.Config, error) {
	vs := &config.Values{}
	for _, f := range files {
		if err := vs.Read(f.name, strings.NewReader(f.text)); err != nil {
			return nil, err
		}
	}
	return config.Decode(vs)
}

// TestDefaultWithoutFiles: without files, every built-in type driver and
// vxlan tenant networks; the rest as with files that set nothing.
func TestDefaultWithoutFiles(t *testing.T) {
	c := config.Default()
	assert.Equal(t, []string{"flat", "vlan", "vxlan", "gre", "geneve", "local"}, c.ML2Options.TypeDrivers)
	assert.Equal(t, []string{"vxlan"}, c.ML2Options.TenantNetworkTypes)
	n := config.NeutronDefaults()
	n.ML2Options.TypeDrivers, n.ML2Options.TenantNetworkTypes = c.ML2Options.TypeDrivers, c.ML2Options.TenantNetworkTypes
	assert.Equal(t, n, c)
}

// TestOnlyBindPort: a file that sets only bind_port has Neutron's [ml2]
// defaults, local tenant networks, and a plugin configuration that needs
// no range.
func TestOnlyBindPort(t *testing.T) {
	c, err := decode(file{"neutron.conf", "[DEFAULT]\nbind_port = 9797\n"})
	require.NoError(t, err)
	assert.Equal(t, 9797, c.BindPort)
	assert.Equal(t, []string{"local"}, c.ML2Options.TenantNetworkTypes)
	assert.Equal(t, []string{"local"}, c.ML2().TenantNetworkTypes)
	assert.Equal(t, []string{"local", "flat", "vlan", "gre", "vxlan", "geneve"}, c.ML2Options.TypeDrivers)
	assert.Empty(t, c.ML2Options.MechanismDrivers)
	assert.Empty(t, c.ML2Options.ExtensionDrivers)
	assert.Empty(t, c.VXLAN.VNIRanges)
}

func TestDefaults(t *testing.T) {
	c, err := config.Load()
	require.NoError(t, err)
	assert.Equal(t, config.NeutronDefaults(), c)

	assert.Equal(t, "127.0.0.1", c.BindHost)
	assert.False(t, c.BindHostSet)
	assert.Equal(t, 9696, c.BindPort)
	assert.Equal(t, "127.0.0.1:9696", c.Addr())
	assert.Equal(t, config.AuthNoauth, c.AuthStrategy)
	assert.Equal(t, 1500, c.GlobalPhysnetMTU)
	assert.Empty(t, c.ServicePlugins)
	assert.Equal(t, "fa:16:3e:00:00:00", c.BaseMAC)
	assert.Equal(t, "ml2", c.CorePlugin)
	assert.Equal(t, 75*time.Second, c.AgentDownTime)
	assert.Equal(t, 5, c.MaxDNSNameservers)
	assert.Equal(t, 20, c.MaxSubnetHostRoutes)
	assert.False(t, c.Debug)
	assert.Equal(t, hclog.Info, c.LogLevel())
	assert.Empty(t, c.StatePath)
	assert.Empty(t, c.Database.Connection)

	// Neutron's [ml2] defaults.
	assert.Equal(t, []string{"local", "flat", "vlan", "gre", "vxlan", "geneve"}, c.ML2Options.TypeDrivers)
	assert.Equal(t, []string{"local"}, c.ML2Options.TenantNetworkTypes)
	assert.Empty(t, c.ML2Options.MechanismDrivers)
	assert.Empty(t, c.ML2Options.ExtensionDrivers)
	assert.Empty(t, c.ML2Options.ExternalNetworkType)
	assert.Zero(t, c.ML2Options.PathMTU)
	assert.Empty(t, c.ML2Options.PhysicalNetworkMTUs)
	assert.Equal(t, 4, c.ML2Options.OverlayIPVersion)
	assert.Equal(t, []string{"*"}, c.Flat.FlatNetworks)
	assert.Empty(t, c.VLAN.NetworkVLANRanges)
	assert.Empty(t, c.VXLAN.VNIRanges)
	assert.Empty(t, c.GRE.TunnelIDRanges)
	assert.Empty(t, c.Geneve.VNIRanges)
	assert.Equal(t, 30, c.Geneve.MaxHeaderSize)
	assert.Equal(t, 300*time.Second, c.KeystoneAuthtoken.TokenCacheTime)
	assert.Empty(t, c.Ignored)

	dsn, err := c.DatabaseDSN("/var/lib/ml2go")
	require.NoError(t, err)
	assert.Equal(t, "sqlite:///var/lib/ml2go/ml2go.db", dsn)
	dsn, err = c.DatabaseDSN("")
	require.NoError(t, err)
	assert.Equal(t, "sqlite://ml2go.db", dsn)

	_, ok := c.Source("DEFAULT", "bind_port")
	assert.False(t, ok)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		check func(t *testing.T, c *config.Config)
	}{
		{"bind_host_default_keystone", "[DEFAULT]\nauth_strategy = keystone\n", func(t *testing.T, c *config.Config) {
			assert.Equal(t, "0.0.0.0", c.BindHost)
			assert.False(t, c.BindHostSet)
		}},
		{"bind_host_set_noauth", "[DEFAULT]\nbind_host = 0.0.0.0\n[ml2go]\nallow_noauth_on_public_address = true\n", func(t *testing.T, c *config.Config) {
			assert.Equal(t, "0.0.0.0", c.BindHost)
			assert.True(t, c.BindHostSet)
			assert.True(t, c.ML2go.AllowNoauthOnPublicAddress)
		}},
		{"bind_host_ipv6_and_port", "[DEFAULT]\nbind_host = ::1\nbind_port = 19696\n", func(t *testing.T, c *config.Config) {
			assert.Equal(t, "[::1]:19696", c.Addr())
		}},
		{"bind_host_name", "[DEFAULT]\nbind_host = controller-1.example.net\n", func(t *testing.T, c *config.Config) {
			assert.Equal(t, "controller-1.example.net", c.BindHost)
		}},
		{"bind_host_blank_is_unset", "[DEFAULT]\nbind_host =\n", func(t *testing.T, c *config.Config) {
			assert.Equal(t, "127.0.0.1", c.BindHost)
			assert.False(t, c.BindHostSet)
		}},
		{"blank_scalars_keep_defaults", "[DEFAULT]\nbind_port =\ndebug =\nagent_down_time =\nauth_strategy =\n[ml2]\noverlay_ip_version =\n",
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, 9696, c.BindPort)
				assert.False(t, c.Debug)
				assert.Equal(t, 75*time.Second, c.AgentDownTime)
				assert.Equal(t, config.AuthNoauth, c.AuthStrategy)
				assert.Equal(t, 4, c.ML2Options.OverlayIPVersion)
			}},
		{"lists", "[DEFAULT]\nservice_plugins = router , ,segments,\n  qos\n[ml2]\nmechanism_drivers=openvswitch,l2population\nextension_drivers =  port_security  \n",
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, []string{"router", "segments", "qos"}, c.ServicePlugins)
				assert.Equal(t, []string{"openvswitch", "l2population"}, c.ML2Options.MechanismDrivers)
				assert.Equal(t, []string{"port_security"}, c.ML2Options.ExtensionDrivers)
			}},
		{"empty_list_disables_flat", "[ml2_type_flat]\nflat_networks =\n", func(t *testing.T, c *config.Config) {
			assert.NotNil(t, c.Flat.FlatNetworks)
			assert.Empty(t, c.Flat.FlatNetworks)
		}},
		{"integers", "[DEFAULT]\nglobal_physnet_mtu = 0\nagent_down_time = 10\napi_workers = 8\nmax_dns_nameservers = 3\nmax_subnet_host_routes = +40\n[ml2]\npath_mtu = 1400\noverlay_ip_version = 6\n[ml2_type_geneve]\nmax_header_size = 38\n[keystone_authtoken]\ntoken_cache_time = -1\n",
			func(t *testing.T, c *config.Config) {
				assert.Zero(t, c.GlobalPhysnetMTU)
				assert.Equal(t, 10*time.Second, c.AgentDownTime)
				assert.Equal(t, 8, c.APIWorkers)
				assert.Equal(t, 3, c.MaxDNSNameservers)
				assert.Equal(t, 40, c.MaxSubnetHostRoutes)
				assert.Equal(t, 1400, c.ML2Options.PathMTU)
				assert.Equal(t, 6, c.ML2Options.OverlayIPVersion)
				assert.Equal(t, 38, c.Geneve.MaxHeaderSize)
				assert.Equal(t, -time.Second, c.KeystoneAuthtoken.TokenCacheTime)
			}},
		{"base_mac", "[DEFAULT]\nbase_mac = FA:16:3E:4A:00:00\n", func(t *testing.T, c *config.Config) {
			assert.Equal(t, "fa:16:3e:4a:00:00", c.BaseMAC)
		}},
		{"core_plugin_class_path", "[DEFAULT]\ncore_plugin = neutron.plugins.ml2.plugin.Ml2Plugin\n", func(t *testing.T, c *config.Config) {
			assert.Equal(t, "ml2", c.CorePlugin)
		}},
		{"debug", "[DEFAULT]\ndebug = True\n", func(t *testing.T, c *config.Config) {
			assert.True(t, c.Debug)
			assert.Equal(t, hclog.Debug, c.LogLevel())
		}},
		{"section_name_case_insensitive", "[ML2]\ntenant_network_types = vlan\n", func(t *testing.T, c *config.Config) {
			assert.Equal(t, []string{"vlan"}, c.ML2Options.TenantNetworkTypes)
		}},
		{"ranges", "[ml2_type_vlan]\nnetwork_vlan_ranges = physnet1:100:199, physnet2\n[ml2_type_vxlan]\nvni_ranges = 1:1000,5000:5999\nvxlan_group = 239.0.0.0/8\n[ml2_type_gre]\ntunnel_id_ranges = 1:4294967295\n[ml2_type_geneve]\nvni_ranges = 7:7\n",
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, vlan.Ranges{
					{PhysicalNetwork: "physnet1", Ranges: []core.SegmentRange{{Min: 100, Max: 199}}},
					{PhysicalNetwork: "physnet2", Ranges: []core.SegmentRange{{Min: 1, Max: 4094}}},
				}, c.VLAN.NetworkVLANRanges)
				assert.Equal(t, []core.SegmentRange{{Min: 1, Max: 1000}, {Min: 5000, Max: 5999}}, c.VXLAN.VNIRanges)
				assert.Equal(t, "239.0.0.0/8", c.VXLAN.VXLANGroup)
				assert.Equal(t, []core.SegmentRange{{Min: 1, Max: 4294967295}}, c.GRE.TunnelIDRanges)
				assert.Equal(t, []core.SegmentRange{{Min: 7, Max: 7}}, c.Geneve.VNIRanges)
			}},
		{"physical_network_mtus", "[ml2]\nphysical_network_mtus = physnet1:9000, physnet2 : 1500\n", func(t *testing.T, c *config.Config) {
			assert.Equal(t, map[string]int{"physnet1": 9000, "physnet2": 1500}, c.ML2Options.PhysicalNetworkMTUs)
		}},
		{"tenant_and_external_types", "[ml2]\ntype_drivers = flat,vlan\ntenant_network_types = vlan\nexternal_network_type = flat\n",
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, []string{"flat", "vlan"}, c.ML2Options.TypeDrivers)
				assert.Equal(t, []string{"vlan"}, c.ML2Options.TenantNetworkTypes)
				assert.Equal(t, "flat", c.ML2Options.ExternalNetworkType)
			}},
		{"keystone_authtoken", "[keystone_authtoken]\nwww_authenticate_uri = http://ks:5000\nauth_url = http://ks:5000/v3\nauth_type = password\nusername = neutron\npassword = \"s3cr=t; #x\"\nproject_name = service\nuser_domain_name = Default\nproject_domain_name = Default\nregion_name = RegionOne\nservice_token_roles_required = yes\nmemcached_servers = m1:11211,m2:11211\n",
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, config.KeystoneAuthtokenOptions{
					WWWAuthenticateURI: "http://ks:5000", AuthURL: "http://ks:5000/v3", AuthType: "password",
					Username: "neutron", Password: "s3cr=t; #x", ProjectName: "service",
					UserDomainName: "Default", ProjectDomainName: "Default", RegionName: "RegionOne",
					ServiceTokenRolesRequired: true, MemcachedServers: []string{"m1:11211", "m2:11211"},
					TokenCacheTime: 300 * time.Second,
				}, c.KeystoneAuthtoken)
			}},
		{"database", "[database]\nconnection = sqlite:////var/lib/ml2go/db.sqlite\n", func(t *testing.T, c *config.Config) {
			dsn, err := c.DatabaseDSN("/elsewhere")
			require.NoError(t, err)
			assert.Equal(t, "sqlite:///var/lib/ml2go/db.sqlite", dsn)
		}},
		{"blank_strings_override", "[DEFAULT]\nbase_mac =\n[database]\nconnection =\n[ml2_type_vxlan]\nvxlan_group =\n", func(t *testing.T, c *config.Config) {
			assert.Equal(t, "fa:16:3e:00:00:00", c.BaseMAC)
			assert.Empty(t, c.Database.Connection)
			assert.Empty(t, c.VXLAN.VXLANGroup)
		}},
		{"vxlan_group_ipv6", "[ml2_type_vxlan]\nvxlan_group = ff05::100\n", func(t *testing.T, c *config.Config) {
			assert.Equal(t, "ff05::100", c.VXLAN.VXLANGroup)
		}},
		{"source", "[DEFAULT]\n\nbind_port = 1\n", func(t *testing.T, c *config.Config) {
			v, ok := c.Source("DEFAULT", "bind_port")
			require.True(t, ok)
			assert.Equal(t, config.Value{File: "t.conf", Line: 3, Section: "DEFAULT", Option: "bind_port", Value: "1"}, v)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decode(file{"t.conf", tt.text})
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestDecodeBooleans(t *testing.T) {
	for _, s := range []string{"true", "True", "TRUE", "yes", "Yes", "on", "ON", "1"} {
		c, err := decode(file{"t.conf", "[DEFAULT]\ndebug = " + s + "\nallow_overlapping_ips: " + s + "\n"})
		require.NoError(t, err, s)
		assert.True(t, c.Debug, s)
		assert.True(t, c.AllowOverlappingIPs, s)
	}
	for _, s := range []string{"false", "False", "no", "NO", "off", "Off", "0"} {
		c, err := decode(file{"t.conf", "[DEFAULT]\ndebug = true\ndebug = " + s + "\n"})
		require.NoError(t, err, s)
		assert.False(t, c.Debug, s)
	}
}

func TestDecodeOverrides(t *testing.T) {
	c, err := decode(
		file{"neutron.conf", "[DEFAULT]\nbind_port = 9000\ndebug = true\nauth_strategy = keystone\n[ml2]\ntenant_network_types = vlan\n"},
		file{"ml2_conf.ini", "[DEFAULT]\nbind_port = 9001\n[ml2]\ntype_drivers = vlan,vxlan\n"},
	)
	require.NoError(t, err)
	assert.Equal(t, 9001, c.BindPort)
	assert.True(t, c.Debug)
	assert.Equal(t, config.AuthKeystone, c.AuthStrategy)
	assert.Equal(t, "0.0.0.0", c.BindHost)
	assert.Equal(t, []string{"vlan", "vxlan"}, c.ML2Options.TypeDrivers)
	assert.Equal(t, []string{"vlan"}, c.ML2Options.TenantNetworkTypes)
	v, _ := c.Source("DEFAULT", "bind_port")
	assert.Equal(t, "ml2_conf.ini", v.File)
	v, _ = c.Source("DEFAULT", "debug")
	assert.Equal(t, "neutron.conf", v.File)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		text    string // the file t.conf
		line    int    // 0: a default
		section string
		option  string
		value   string
		msg     string // the end of the message
		as      any    // a pointer to the error type Err wraps, if any
	}{
		{"port_not_integer", "[DEFAULT]\nbind_port = http\n", 2, "DEFAULT", "bind_port", "http", "not an integer", new(*strconv.NumError)},
		{"port_too_big", "[DEFAULT]\nbind_port = 65536\n", 2, "DEFAULT", "bind_port", "65536", "65536 is out of range (0 through 65535)", nil},
		{"port_negative", "[DEFAULT]\nbind_port = -1\n", 2, "DEFAULT", "bind_port", "-1", "-1 is out of range (0 through 65535)", nil},
		{"bind_host", "[DEFAULT]\nbind_host = not a host\n", 2, "DEFAULT", "bind_host", "not a host", "not an IP address or host name", nil},
		{"auth_strategy", "[DEFAULT]\nauth_strategy = basic\n", 2, "DEFAULT", "auth_strategy", "basic", "must be noauth or keystone", nil},
		{"global_physnet_mtu_negative", "[DEFAULT]\nglobal_physnet_mtu = -5\n", 2, "DEFAULT", "global_physnet_mtu", "-5", "-5 is negative", nil},
		{"bad_bool", "[DEFAULT]\n\ndebug = maybe\n", 3, "DEFAULT", "debug", "maybe", "not a boolean (true/false, yes/no, on/off, 1/0)", nil},
		{"bad_mac", "[DEFAULT]\nbase_mac = fa:16:3e:00:00\n", 2, "DEFAULT", "base_mac", "fa:16:3e:00:00", "not a MAC address of the form xx:xx:xx:xx:xx:xx", nil},
		{"mac_with_dashes", "[DEFAULT]\nbase_mac = fa-16-3e-00-00-00\n", 2, "DEFAULT", "base_mac", "fa-16-3e-00-00-00", "not a MAC address of the form xx:xx:xx:xx:xx:xx", nil},
		{"core_plugin", "[DEFAULT]\ncore_plugin = neutron.plugins.ovn.Plugin\n", 2, "DEFAULT", "core_plugin", "neutron.plugins.ovn.Plugin", "ml2go implements only the ml2 core plugin", nil},
		{"agent_down_time_zero", "[DEFAULT]\nagent_down_time = 0\n", 2, "DEFAULT", "agent_down_time", "0", "0 is less than 1", nil},
		{"max_dns_nameservers", "[DEFAULT]\nmax_dns_nameservers = five\n", 2, "DEFAULT", "max_dns_nameservers", "five", "not an integer", nil},
		{"mysql", "[database]\nconnection = mysql+pymysql://neutron:secret@db/neutron\n", 2, "database", "connection", "mysql+pymysql://neutron:xxxxx@db/neutron", "MySQL is not supported: use postgresql:// or sqlite://", nil},
		{"postgres_unparsable", "[database]\nconnection = postgresql://neutron:secret@db:port/neutron\n", 2, "database", "connection", "postgresql://xxxxx",
			`malformed PostgreSQL URL: invalid port ":port" after host`, nil},
		{"oracle", "[database]\nconnection = oracle://db/neutron\n", 2, "database", "connection", "oracle://db/neutron", `database "oracle" is not supported: use postgresql:// or sqlite://`, nil},
		{"vlan_range_reversed", "[ml2_type_vlan]\nnetwork_vlan_ranges = physnet2,\n  physnet1:200:100\n", 2, "ml2_type_vlan", "network_vlan_ranges", "physnet1:200:100",
			"end of VLAN range is less than start of VLAN range", new(*typedrivers.RangeError)},
		{"vlan_range_tag", "[ml2_type_vlan]\nnetwork_vlan_ranges = physnet1:1:5000\n", 2, "ml2_type_vlan", "network_vlan_ranges", "physnet1:1:5000",
			"5000 is not a valid VLAN tag (1 through 4094)", new(*typedrivers.RangeError)},
		{"vlan_range_shape", "[ml2_type_vlan]\nnetwork_vlan_ranges = physnet1:100\n", 2, "ml2_type_vlan", "network_vlan_ranges", "physnet1:100",
			"need exactly two values for VLAN range", new(*typedrivers.RangeError)},
		{"vlan_empty_physnet", "[ml2_type_vlan]\nnetwork_vlan_ranges = :1:2\n", 2, "ml2_type_vlan", "network_vlan_ranges", ":1:2",
			"empty physical network name", new(*typedrivers.PhysicalNetworkNameError)},
		{"vni_range_too_big", "[ml2_type_vxlan]\nvni_ranges = 1:16777216\n", 2, "ml2_type_vxlan", "vni_ranges", "1:16777216",
			"16777216 is not a valid vxlan identifier (1 through 16777215)", new(*typedrivers.RangeError)},
		{"vni_range_not_integer", "[ml2_type_vxlan]\nvni_ranges = 1:x\n", 2, "ml2_type_vxlan", "vni_ranges", "1:x",
			`"x" is not an integer`, new(*strconv.NumError)},
		{"vxlan_group", "[ml2_type_vxlan]\nvxlan_group = 10.0.0.1\n", 2, "ml2_type_vxlan", "vxlan_group", "10.0.0.1", "not a multicast address", nil},
		{"vxlan_group_garbage", "[ml2_type_vxlan]\nvxlan_group = group1\n", 2, "ml2_type_vxlan", "vxlan_group", "group1", "not an IP address or CIDR", nil},
		{"gre_range", "[ml2_type_gre]\ntunnel_id_ranges = 10:1\n", 2, "ml2_type_gre", "tunnel_id_ranges", "10:1",
			"end of tunnel range is less than start of tunnel range", new(*typedrivers.RangeError)},
		{"geneve_range", "[ml2_type_geneve]\nvni_ranges = 0:10\n", 2, "ml2_type_geneve", "vni_ranges", "0:10",
			"0 is not a valid geneve identifier (1 through 16777215)", new(*typedrivers.RangeError)},
		{"geneve_header", "[ml2_type_geneve]\nmax_header_size = 20\n", 2, "ml2_type_geneve", "max_header_size", "20", "20 is less than 30", nil},
		{"physnet_mtus", "[ml2]\nphysical_network_mtus = physnet1:9000,physnet2\n", 2, "ml2", "physical_network_mtus", "physnet2",
			"expected physnet:mtu", new(*typedrivers.MappingError)},
		{"overlay_ip_version", "[ml2]\noverlay_ip_version = 5\n", 2, "ml2", "overlay_ip_version", "5", "must be 4 or 6", nil},
		{"path_mtu", "[ml2]\npath_mtu = big\n", 2, "ml2", "path_mtu", "big", "not an integer", nil},
		{"tenant_type_not_loaded", "[ml2]\ntype_drivers = flat,vlan\ntenant_network_types = vlan, geneve\n", 3, "ml2", "tenant_network_types", "geneve",
			"no such network type in [ml2] type_drivers (flat,vlan)", nil},
		{"default_tenant_type_not_loaded", "[ml2]\ntype_drivers = vlan\n", 0, "ml2", "tenant_network_types", "local",
			"no such network type in [ml2] type_drivers (vlan)", nil},
		{"external_type_not_loaded", "[ml2]\nexternal_network_type = foo\n", 2, "ml2", "external_network_type", "foo",
			"no such network type in [ml2] type_drivers (local,flat,vlan,gre,vxlan,geneve)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(file{"t.conf", tt.text})
			var e *config.Error
			require.ErrorAs(t, err, &e)
			wantFile := "t.conf"
			if tt.line == 0 {
				wantFile = ""
			}
			assert.Equal(t, wantFile, e.File)
			assert.Equal(t, tt.line, e.Line)
			assert.Equal(t, tt.section, e.Section)
			assert.Equal(t, tt.option, e.Option)
			assert.Equal(t, tt.value, e.Value)
			assert.True(t, strings.HasSuffix(err.Error(), ": "+tt.msg), "message %q does not end with %q", err.Error(), tt.msg)
			assert.Contains(t, err.Error(), "["+tt.section+"] "+tt.option+": ")
			if tt.as != nil {
				assert.ErrorAs(t, err, tt.as)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := decode(file{"ml2_conf.ini", "[ml2_type_vlan]\nnetwork_vlan_ranges = physnet1:200:100\n"})
	assert.EqualError(t, err, `ml2_conf.ini:2: [ml2_type_vlan] network_vlan_ranges: "physnet1:200:100": end of VLAN range is less than start of VLAN range`)

	_, err = decode(file{"ml2_conf.ini", "[ml2]\ntype_drivers = vlan\n"})
	assert.EqualError(t, err, `[ml2] tenant_network_types: "local" (default): no such network type in [ml2] type_drivers (vlan)`)

	var re *typedrivers.RangeError
	_, err = decode(file{"ml2_conf.ini", "[ml2_type_vlan]\nnetwork_vlan_ranges = physnet1:200:100\n"})
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "network_vlan_ranges", re.Option)
}

func TestIgnored(t *testing.T) {
	c, err := decode(
		file{"neutron.conf", "[DEFAULT]\ntransport_url = rabbit://x\nbind_port = 9696\n[oslo_messaging_rabbit]\nrabbit_ha_queues = true\n[ml2]\nunknown_ml2_option = 1\n"},
		file{"ml2_conf.ini", "[securitygroup]\nfirewall_driver = openvswitch\n[DEFAULT]\ntransport_url = rabbit://y\n[ml2]\nbind_host = 10.0.0.1\n"},
	)
	require.NoError(t, err)
	assert.Equal(t, []config.Ignored{
		{File: "ml2_conf.ini", Line: 4, Section: "DEFAULT", Option: "transport_url"},
		{File: "neutron.conf", Line: 5, Section: "oslo_messaging_rabbit", Option: "rabbit_ha_queues"},
		{File: "neutron.conf", Line: 7, Section: "ml2", Option: "unknown_ml2_option"},
		{File: "ml2_conf.ini", Line: 2, Section: "securitygroup", Option: "firewall_driver"},
		{File: "ml2_conf.ini", Line: 6, Section: "ml2", Option: "bind_host"},
	}, c.Ignored)
	assert.Equal(t, "ml2_conf.ini:6: [ml2] bind_host", c.Ignored[4].String())
	// An option in the wrong section is not applied.
	assert.Equal(t, "127.0.0.1", c.BindHost)
}

func TestConnectionDSN(t *testing.T) {
	tests := []struct {
		connection string
		want       string
	}{
		{"sqlite://", "sqlite://:memory:"},
		{"sqlite:///:memory:", "sqlite://:memory:"},
		{"sqlite:///", "sqlite://:memory:"},
		{"sqlite:///neutron.sqlite", "sqlite://neutron.sqlite"},
		{"sqlite:///data/neutron.sqlite", "sqlite://data/neutron.sqlite"},
		{"sqlite:////var/lib/neutron/neutron.sqlite", "sqlite:///var/lib/neutron/neutron.sqlite"},
		{"sqlite+pysqlite:////tmp/x.db", "sqlite:///tmp/x.db"},
		{"SQLite:////tmp/x.db", "sqlite:///tmp/x.db"},
		{"postgresql://neutron:pw@db:5432/neutron", "postgres://neutron:pw@db:5432/neutron"},
		{"postgresql+psycopg2://neutron:pw@db/neutron?sslmode=disable", "postgres://neutron:pw@db/neutron?sslmode=disable"},
		{"postgresql+pg8000://u@/neutron?host=/run/postgresql", "postgres://u@/neutron?host=/run/postgresql"},
		{"postgres://u@h/d", "postgres://u@h/d"},
	}
	for _, tt := range tests {
		t.Run(tt.connection, func(t *testing.T) {
			got, err := config.ConnectionDSN(tt.connection)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestConnectionDSNErrors(t *testing.T) {
	tests := []struct {
		connection string
		msg        string
	}{
		{"", "not a database URL"},
		{"/var/lib/neutron.sqlite", "not a database URL"},
		{"://x", "not a database URL"},
		{"mysql://u:p@h/neutron", "MySQL is not supported"},
		{"mysql+pymysql://u:p@h/neutron?charset=utf8", "MySQL is not supported"},
		{"mariadb://u:p@h/neutron", "MySQL is not supported"},
		{"mssql://h/d", `database "mssql" is not supported`},
		{"sqlite://neutron.sqlite", "SQLite URL with a host"},
		{"sqlite:////tmp/x.db?mode=ro", "query parameters"},
		{"postgresql://u:p@h:port/d", "malformed PostgreSQL URL"},
	}
	for _, tt := range tests {
		t.Run(tt.connection, func(t *testing.T) {
			_, err := config.ConnectionDSN(tt.connection)
			assert.ErrorContains(t, err, tt.msg)
			assert.NotContains(t, err.Error(), ":p@", "password leaked")
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "neutron.conf", "[DEFAULT]\ndebug = true\n")
	bad := writeFile(t, dir, "ml2_conf.ini", "[ml2]\noverlay_ip_version = 5\n")
	missing := filepath.Join(dir, "missing.ini")

	_, err := config.Load(good, missing)
	var e *config.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, missing, e.File)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	_, err = config.Load(good, bad)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, config.Error{File: bad, Line: 2, Section: "ml2", Option: "overlay_ip_version", Value: "5", Err: e.Err}, *e)
}

func TestDatabaseDSNError(t *testing.T) {
	c := config.Default()
	c.Database.Connection = "mysql://u:secret@h/neutron"
	_, err := c.DatabaseDSN("/data")
	var e *config.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "database", e.Section)
	assert.Equal(t, "connection", e.Option)
	assert.NotContains(t, err.Error(), "secret")
	assert.True(t, errors.Unwrap(err) != nil)
}

func TestQuotas(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "neutron.conf")
	require.NoError(t, os.WriteFile(path, []byte("[quotas]\nquota_port = 1000\nquota_network = -5\ndefault_quota = 7\n"), 0o600))
	cfg, err := config.Load(path)
	require.NoError(t, err)
	l := cfg.QuotaDefaults()
	assert.Equal(t, 1000, l["port"])
	assert.Equal(t, -1, l["network"], "negative is unlimited")
	assert.Equal(t, 100, l["subnet"], "Neutron's default")
	assert.Equal(t, 7, l["subnetpool"], "default_quota for resources unlimited by default")
	assert.Equal(t, quota.Defaults(), config.Default().QuotaDefaults())

	require.NoError(t, os.WriteFile(path, []byte("[quotas]\nquota_port = many\n"), 0o600))
	_, err = config.Load(path)
	var cerr *config.Error
	require.ErrorAs(t, err, &cerr)
	assert.Equal(t, "quotas", cerr.Section)
	assert.Equal(t, "quota_port", cerr.Option)
}
