package config

import (
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers/geneve"
	"github.com/ml2go/ml2go/typedrivers/vlan"
)

// Authentication strategies ([DEFAULT] auth_strategy).
const (
	// AuthNoauth checks no credentials: every request is an admin.
	AuthNoauth = "noauth"
	// AuthKeystone validates tokens with Keystone ([keystone_authtoken]).
	AuthKeystone = "keystone"
)

// Defaults that differ from Neutron's or that Neutron leaves to its
// deployment tools.
const (
	// DefaultBindPort is Neutron's API port.
	DefaultBindPort = 9696
	// DefaultBindHost is where the server listens when bind_host is not
	// set and auth_strategy is keystone (Neutron's default: all
	// addresses).
	DefaultBindHost = "0.0.0.0"
	// DefaultNoauthBindHost is where the server listens when bind_host is
	// not set and auth_strategy is noauth: an unauthenticated API is only
	// offered on the loopback interface unless the operator asks.
	DefaultNoauthBindHost = "127.0.0.1"
	// DefaultAuthStrategy is ml2go's zero-configuration default; Neutron's
	// is keystone.
	DefaultAuthStrategy = AuthNoauth
	// DefaultAgentDownTime is Neutron's agent_down_time.
	DefaultAgentDownTime = 75 * time.Second
	// DefaultTokenCacheTime is keystonemiddleware's token_cache_time, in
	// seconds.
	DefaultTokenCacheTime = 300
	// DefaultDatabaseFile is the SQLite file, in the caller's data
	// directory, used when [database] connection is not set.
	DefaultDatabaseFile = "ml2go.db"
)

// DefaultTypeDrivers is the [ml2] type_drivers of the server run without
// configuration files (Default): every built-in type driver.
var DefaultTypeDrivers = []string{core.TypeFlat, core.TypeVLAN, core.TypeVXLAN, core.TypeGRE, core.TypeGeneve, core.TypeLocal}

// DefaultTenantNetworkTypes is the [ml2] tenant_network_types of the
// server run without configuration files (Default).
var DefaultTenantNetworkTypes = []string{core.TypeVXLAN}

// NeutronTypeDrivers is Neutron's default [ml2] type_drivers, that of
// configuration files that do not set it.
var NeutronTypeDrivers = []string{core.TypeLocal, core.TypeFlat, core.TypeVLAN, core.TypeGRE, core.TypeVXLAN, core.TypeGeneve}

// NeutronTenantNetworkTypes is Neutron's default [ml2]
// tenant_network_types, that of configuration files that do not set it.
var NeutronTenantNetworkTypes = []string{core.TypeLocal}

// Config is the configuration of the reference server, read from
// Neutron-style INI files by Load. Fields hold Neutron's option values
// (or ml2go's defaults, where documented); options ml2go accepts but does
// not use are kept for completeness. The zero Config is not meaningful:
// start from Default or Load.
type Config struct {
	// BindHost is [DEFAULT] bind_host, the address the API listens on.
	// Unless set, it is DefaultNoauthBindHost with noauth and
	// DefaultBindHost otherwise.
	BindHost string
	// BindHostSet reports whether the files set bind_host.
	BindHostSet bool
	// BindPort is [DEFAULT] bind_port, 0–65535. Default 9696.
	BindPort int
	// AuthStrategy is [DEFAULT] auth_strategy: AuthNoauth (ml2go's
	// default) or AuthKeystone.
	AuthStrategy string
	// GlobalPhysnetMTU is [DEFAULT] global_physnet_mtu; 0 means none.
	// Default 1500.
	GlobalPhysnetMTU int
	// ServicePlugins is [DEFAULT] service_plugins, names in order.
	ServicePlugins []string
	// BaseMAC is [DEFAULT] base_mac, in lower case. Default
	// fa:16:3e:00:00:00.
	BaseMAC string
	// CorePlugin is [DEFAULT] core_plugin: "ml2", whichever of ml2's
	// names was given.
	CorePlugin string
	// AgentDownTime is [DEFAULT] agent_down_time (seconds in the file).
	// Default 75s.
	AgentDownTime time.Duration
	// APIWorkers is [DEFAULT] api_workers: accepted, not used (one
	// process serves the API).
	APIWorkers int
	// MaxDNSNameservers is [DEFAULT] max_dns_nameservers. Default 5.
	MaxDNSNameservers int
	// MaxSubnetHostRoutes is [DEFAULT] max_subnet_host_routes. Default
	// 20.
	MaxSubnetHostRoutes int
	// AllowOverlappingIPs is [DEFAULT] allow_overlapping_ips: accepted;
	// ml2go always allows overlapping IPs between networks.
	AllowOverlappingIPs bool
	// Debug is [DEFAULT] debug: log at debug level (see LogLevel).
	Debug bool
	// StatePath is [DEFAULT] state_path, "" when not set (Neutron's
	// default, /var/lib/neutron, is not assumed).
	StatePath string
	// ClientSocketTimeout is [DEFAULT] client_socket_timeout (seconds in
	// the file, at least 1), how long a keep-alive connection may wait
	// for its next request before it is closed. Default
	// DefaultIdleTimeout (Neutron's is 900 s; its 0, wait forever, is
	// refused).
	ClientSocketTimeout time.Duration
	// LogDir and LogFile are [DEFAULT] log_dir and log_file: accepted;
	// the server decides where its logs go.
	LogDir  string
	LogFile string

	// Database is [database].
	Database DatabaseOptions
	// ML2Options is [ml2]. (ML2 is the method building the plugin's
	// configuration.)
	ML2Options ML2Options
	// Flat is [ml2_type_flat].
	Flat FlatOptions
	// VLAN is [ml2_type_vlan].
	VLAN VLANOptions
	// VXLAN is [ml2_type_vxlan].
	VXLAN VXLANOptions
	// GRE is [ml2_type_gre].
	GRE GREOptions
	// Geneve is [ml2_type_geneve].
	Geneve GeneveOptions
	// KeystoneAuthtoken is [keystone_authtoken].
	KeystoneAuthtoken KeystoneAuthtokenOptions
	// ML2go is [ml2go], ml2go's own options.
	ML2go ML2goOptions
	// Plugins are the [ml2go_plugin:NAME] sections, by NAME in lower
	// case: how to run out-of-process mechanism drivers. A section is
	// here as soon as the files set any option in it. See
	// MechanismDriverPlugin, which also looks in [ml2go] plugin_dir.
	Plugins map[string]PluginOptions
	// Quotas are the [quotas] limits the files set, by resource
	// ("network", "port", ...; quota_<resource> in the file), -1 meaning
	// unlimited; default_quota is under "". Resources not set keep
	// Neutron's defaults (see QuotaDefaults).
	Quotas map[string]int

	// Ignored lists the options set in the files that ml2go does not
	// know, once each, in the order they were first set.
	Ignored []Ignored

	// sources records where each known option was set.
	sources map[key]Value
	// pluginSources records, by section, the option of each
	// [ml2go_plugin:NAME] section read last.
	pluginSources map[string]Value
}

// DatabaseOptions is the [database] section.
type DatabaseOptions struct {
	// Connection is the SQLAlchemy URL as written; "" means the caller's
	// default. See ConnectionDSN and Config.DatabaseDSN.
	Connection string
}

// ML2Options is the [ml2] section.
type ML2Options struct {
	// TypeDrivers names the type drivers to load, in order. Default:
	// NeutronTypeDrivers (DefaultTypeDrivers without files).
	TypeDrivers []string
	// TenantNetworkTypes are tried in order for tenant networks; each must
	// be in TypeDrivers. Default: NeutronTenantNetworkTypes
	// (DefaultTenantNetworkTypes without files).
	TenantNetworkTypes []string
	// MechanismDrivers and ExtensionDrivers name registered drivers, in
	// call order.
	MechanismDrivers []string
	ExtensionDrivers []string
	// ExternalNetworkType, when set, is the type of external networks
	// created without provider attributes; it must be in TypeDrivers.
	ExternalNetworkType string
	// PathMTU is path_mtu, the underlay MTU of overlays; 0 means none.
	PathMTU int
	// PhysicalNetworkMTUs is physical_network_mtus, physnet → MTU.
	PhysicalNetworkMTUs map[string]int
	// OverlayIPVersion is overlay_ip_version: 4 (default) or 6.
	OverlayIPVersion int
}

// FlatOptions is the [ml2_type_flat] section.
type FlatOptions struct {
	// FlatNetworks is flat_networks. Default: "*", any physical network;
	// an empty list disables flat networks.
	FlatNetworks []string
}

// VLANOptions is the [ml2_type_vlan] section.
type VLANOptions struct {
	// NetworkVLANRanges is network_vlan_ranges, parsed.
	NetworkVLANRanges vlan.Ranges
}

// VXLANOptions is the [ml2_type_vxlan] section.
type VXLANOptions struct {
	// VNIRanges is vni_ranges, the tenant pool. Default: none, so no
	// tenant VXLAN networks until it is set.
	VNIRanges []core.SegmentRange
	// VXLANGroup is vxlan_group, for agents.
	VXLANGroup string
}

// GREOptions is the [ml2_type_gre] section.
type GREOptions struct {
	// TunnelIDRanges is tunnel_id_ranges, the tenant pool.
	TunnelIDRanges []core.SegmentRange
}

// GeneveOptions is the [ml2_type_geneve] section.
type GeneveOptions struct {
	// VNIRanges is vni_ranges, the tenant pool.
	VNIRanges []core.SegmentRange
	// MaxHeaderSize is max_header_size, at least 30. Default 30.
	MaxHeaderSize int
}

// KeystoneAuthtokenOptions is the part of [keystone_authtoken] that ml2go
// uses with auth_strategy = keystone. The options are not checked for
// completeness here.
type KeystoneAuthtokenOptions struct {
	// WWWAuthenticateURI is www_authenticate_uri, the Keystone endpoint
	// advertised to clients in WWW-Authenticate.
	WWWAuthenticateURI string
	// AuthURL, AuthType, Username, Password, ProjectName,
	// UserDomainName, ProjectDomainName and RegionName are the service
	// user's credentials (auth_url, auth_type, ...), used to validate
	// tokens.
	AuthURL           string
	AuthType          string
	Username          string
	Password          string
	ProjectName       string
	UserDomainName    string
	ProjectDomainName string
	RegionName        string
	// ServiceTokenRolesRequired is service_token_roles_required.
	ServiceTokenRolesRequired bool
	// MemcachedServers is memcached_servers: accepted, not used (tokens
	// are cached in memory).
	MemcachedServers []string
	// TokenCacheTime is token_cache_time, how long a validated token is
	// cached. Default 300s; negative disables the cache.
	TokenCacheTime time.Duration
}

// Ignored is an option set in a file that ml2go does not know: an option of
// a section it does not read, or an unknown option of one it does.
type Ignored struct {
	// File and Line are where the option was last set.
	File string
	Line int
	// Section and Option name it.
	Section string
	Option  string
}

// String formats i as "file:line: [section] option".
func (i Ignored) String() string {
	return i.File + ":" + strconv.Itoa(i.Line) + ": [" + i.Section + "] " + i.Option
}

// Default returns the configuration of a server run without configuration
// files: NeutronDefaults with every built-in type driver
// (DefaultTypeDrivers) and vxlan tenant networks
// (DefaultTenantNetworkTypes). It sets no VNI range: the caller gives one
// (ml2go-server gives 1:1000).
func Default() *Config {
	c := NeutronDefaults()
	c.ML2Options.TypeDrivers = slices.Clone(DefaultTypeDrivers)
	c.ML2Options.TenantNetworkTypes = slices.Clone(DefaultTenantNetworkTypes)
	return c
}

// NeutronDefaults returns the configuration that configuration files
// setting nothing give, the base Decode starts from: Neutron's defaults
// ([ml2] type_drivers NeutronTypeDrivers, tenant_network_types local, no
// mechanism or extension drivers, no segment ranges, ...) except
// auth_strategy, which is noauth (DefaultAuthStrategy) unless the files
// say keystone.
func NeutronDefaults() *Config {
	c := &Config{
		BindPort:            DefaultBindPort,
		AuthStrategy:        DefaultAuthStrategy,
		GlobalPhysnetMTU:    core.DefaultGlobalPhysnetMTU,
		ServicePlugins:      []string{},
		BaseMAC:             core.DefaultMACPrefix,
		CorePlugin:          "ml2",
		AgentDownTime:       DefaultAgentDownTime,
		ClientSocketTimeout: DefaultIdleTimeout,
		MaxDNSNameservers:   core.DefaultMaxDNSNameservers,
		MaxSubnetHostRoutes: core.DefaultMaxHostRoutes,
		ML2Options: ML2Options{
			TypeDrivers:         slices.Clone(NeutronTypeDrivers),
			TenantNetworkTypes:  slices.Clone(NeutronTenantNetworkTypes),
			MechanismDrivers:    []string{},
			ExtensionDrivers:    []string{},
			PhysicalNetworkMTUs: map[string]int{},
			OverlayIPVersion:    4,
		},
		Flat:              FlatOptions{FlatNetworks: []string{"*"}},
		Geneve:            GeneveOptions{MaxHeaderSize: geneve.MinHeaderSize},
		KeystoneAuthtoken: KeystoneAuthtokenOptions{MemcachedServers: []string{}, TokenCacheTime: DefaultTokenCacheTime * time.Second},
		ML2go:             ML2goOptions{ReadTimeout: DefaultReadTimeout, WriteTimeout: DefaultWriteTimeout, MaxConnections: DefaultMaxConnections},
		Plugins:           map[string]PluginOptions{},
		sources:           map[key]Value{},
		pluginSources:     map[string]Value{},
	}
	c.setBindHost()
	return c
}

// setBindHost applies the bind_host default for the auth strategy.
func (c *Config) setBindHost() {
	if c.BindHostSet {
		return
	}
	c.BindHost = DefaultBindHost
	if c.AuthStrategy == AuthNoauth {
		c.BindHost = DefaultNoauthBindHost
	}
}

// Load reads the configuration files in order, later files overriding
// earlier ones option by option (Neutron's repeated --config-file), and
// decodes them (see Decode): options the files do not set have Neutron's
// defaults (NeutronDefaults), so no files gives NeutronDefaults. Errors
// are *Error values.
func Load(paths ...string) (*Config, error) {
	vs, err := ReadFiles(paths...)
	if err != nil {
		return nil, err
	}
	return Decode(vs)
}

// Source returns where option of section was set, and whether a file set
// it. It knows the options ml2go reads; see Config.Ignored for the others.
func (c *Config) Source(section, option string) (Value, bool) {
	v, ok := c.sources[key{section, option}]
	return v, ok
}

// source is where option was set or, when no file set it, a Value without
// file holding def, its default as written: the subject of an error found
// after decoding.
func (c *Config) source(section, option, def string) Value {
	if v, ok := c.sources[key{section, option}]; ok {
		return v
	}
	return Value{Section: section, Option: option, Value: def}
}

// Addr returns the address the API listens on, "host:port".
func (c *Config) Addr() string {
	return net.JoinHostPort(c.BindHost, strconv.Itoa(c.BindPort))
}

// LogLevel returns the log level [DEFAULT] debug asks for: Debug or Info.
func (c *Config) LogLevel() hclog.Level {
	if c.Debug {
		return hclog.Debug
	}
	return hclog.Info
}
