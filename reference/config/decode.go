package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
	"github.com/ml2go/ml2go/typedrivers/geneve"
	"github.com/ml2go/ml2go/typedrivers/gre"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// Section names.
const (
	sectionDatabase = "database"
	sectionML2      = "ml2"
	sectionFlat     = "ml2_type_flat"
	sectionVLAN     = "ml2_type_vlan"
	sectionVXLAN    = "ml2_type_vxlan"
	sectionGRE      = "ml2_type_gre"
	sectionGeneve   = "ml2_type_geneve"
	sectionKeystone = "keystone_authtoken"
	sectionQuotas   = "quotas"
)

// decoder stores an option's value v in c; an error is a *Error or is
// made one about v.
type decoder func(c *Config, v Value) error

// option is an option ml2go reads.
type option struct {
	section, name string
	decode        decoder
}

// options are the options ml2go reads, decoded in this order.
var options = []option{
	{DefaultSection, "bind_host", decodeBindHost},
	{DefaultSection, "bind_port", integer(func(c *Config) *int { return &c.BindPort }, 0, 65535)},
	{DefaultSection, "auth_strategy", decodeAuthStrategy},
	{DefaultSection, "global_physnet_mtu", integer(func(c *Config) *int { return &c.GlobalPhysnetMTU }, 0, maxInt)},
	{DefaultSection, "service_plugins", list(func(c *Config) *[]string { return &c.ServicePlugins })},
	{DefaultSection, "base_mac", decodeBaseMAC},
	{DefaultSection, "core_plugin", decodeCorePlugin},
	{DefaultSection, "agent_down_time", seconds(func(c *Config) *time.Duration { return &c.AgentDownTime }, 1)},
	{DefaultSection, "api_workers", integer(func(c *Config) *int { return &c.APIWorkers }, 0, maxInt)},
	{DefaultSection, "max_dns_nameservers", integer(func(c *Config) *int { return &c.MaxDNSNameservers }, 1, maxInt)},
	{DefaultSection, "max_subnet_host_routes", integer(func(c *Config) *int { return &c.MaxSubnetHostRoutes }, 1, maxInt)},
	{DefaultSection, "allow_overlapping_ips", boolean(func(c *Config) *bool { return &c.AllowOverlappingIPs })},
	{DefaultSection, "debug", boolean(func(c *Config) *bool { return &c.Debug })},
	{DefaultSection, "state_path", str(func(c *Config) *string { return &c.StatePath })},
	{DefaultSection, "client_socket_timeout", seconds(func(c *Config) *time.Duration { return &c.ClientSocketTimeout }, 1)},
	{DefaultSection, "log_dir", str(func(c *Config) *string { return &c.LogDir })},
	{DefaultSection, "log_file", str(func(c *Config) *string { return &c.LogFile })},

	{sectionDatabase, "connection", decodeConnection},

	{sectionML2, "type_drivers", list(func(c *Config) *[]string { return &c.ML2Options.TypeDrivers })},
	{sectionML2, "tenant_network_types", list(func(c *Config) *[]string { return &c.ML2Options.TenantNetworkTypes })},
	{sectionML2, "mechanism_drivers", list(func(c *Config) *[]string { return &c.ML2Options.MechanismDrivers })},
	{sectionML2, "extension_drivers", list(func(c *Config) *[]string { return &c.ML2Options.ExtensionDrivers })},
	{sectionML2, "external_network_type", str(func(c *Config) *string { return &c.ML2Options.ExternalNetworkType })},
	{sectionML2, "path_mtu", integer(func(c *Config) *int { return &c.ML2Options.PathMTU }, 0, maxInt)},
	{sectionML2, "physical_network_mtus", decodePhysnetMTUs},
	{sectionML2, "overlay_ip_version", decodeOverlayIPVersion},

	{sectionFlat, "flat_networks", list(func(c *Config) *[]string { return &c.Flat.FlatNetworks })},
	{sectionVLAN, "network_vlan_ranges", decodeVLANRanges},
	{sectionVXLAN, "vni_ranges", ranges(func(c *Config) *[]core.SegmentRange { return &c.VXLAN.VNIRanges }, vxlan.ParseVNIRanges)},
	{sectionVXLAN, "vxlan_group", decodeVXLANGroup},
	{sectionGRE, "tunnel_id_ranges", ranges(func(c *Config) *[]core.SegmentRange { return &c.GRE.TunnelIDRanges }, gre.ParseTunnelIDRanges)},
	{sectionGeneve, "vni_ranges", ranges(func(c *Config) *[]core.SegmentRange { return &c.Geneve.VNIRanges }, geneve.ParseVNIRanges)},
	{sectionGeneve, "max_header_size", integer(func(c *Config) *int { return &c.Geneve.MaxHeaderSize }, geneve.MinHeaderSize, maxInt)},

	{sectionQuotas, "default_quota", quotaLimit("")},
	{sectionQuotas, "quota_network", quotaLimit("network")},
	{sectionQuotas, "quota_subnet", quotaLimit("subnet")},
	{sectionQuotas, "quota_port", quotaLimit("port")},
	{sectionQuotas, "quota_router", quotaLimit("router")},
	{sectionQuotas, "quota_floatingip", quotaLimit("floatingip")},
	{sectionQuotas, "quota_security_group", quotaLimit("security_group")},
	{sectionQuotas, "quota_security_group_rule", quotaLimit("security_group_rule")},
	{sectionQuotas, "quota_rbac_policy", quotaLimit("rbac_policy")},

	{sectionML2go, "plugin_dir", str(func(c *Config) *string { return &c.ML2go.PluginDir })},
	{sectionML2go, "allow_noauth_on_public_address", boolean(func(c *Config) *bool { return &c.ML2go.AllowNoauthOnPublicAddress })},
	{sectionML2go, "read_timeout", seconds(func(c *Config) *time.Duration { return &c.ML2go.ReadTimeout }, 1)},
	{sectionML2go, "write_timeout", seconds(func(c *Config) *time.Duration { return &c.ML2go.WriteTimeout }, 1)},
	{sectionML2go, "max_connections", integer(func(c *Config) *int { return &c.ML2go.MaxConnections }, 1, maxInt)},

	{sectionKeystone, "www_authenticate_uri", str(func(c *Config) *string { return &c.KeystoneAuthtoken.WWWAuthenticateURI })},
	{sectionKeystone, "auth_url", str(func(c *Config) *string { return &c.KeystoneAuthtoken.AuthURL })},
	{sectionKeystone, "auth_type", str(func(c *Config) *string { return &c.KeystoneAuthtoken.AuthType })},
	{sectionKeystone, "username", str(func(c *Config) *string { return &c.KeystoneAuthtoken.Username })},
	{sectionKeystone, "password", str(func(c *Config) *string { return &c.KeystoneAuthtoken.Password })},
	{sectionKeystone, "project_name", str(func(c *Config) *string { return &c.KeystoneAuthtoken.ProjectName })},
	{sectionKeystone, "user_domain_name", str(func(c *Config) *string { return &c.KeystoneAuthtoken.UserDomainName })},
	{sectionKeystone, "project_domain_name", str(func(c *Config) *string { return &c.KeystoneAuthtoken.ProjectDomainName })},
	{sectionKeystone, "region_name", str(func(c *Config) *string { return &c.KeystoneAuthtoken.RegionName })},
	{sectionKeystone, "service_token_roles_required", boolean(func(c *Config) *bool { return &c.KeystoneAuthtoken.ServiceTokenRolesRequired })},
	{sectionKeystone, "memcached_servers", list(func(c *Config) *[]string { return &c.KeystoneAuthtoken.MemcachedServers })},
	{sectionKeystone, "token_cache_time", seconds(func(c *Config) *time.Duration { return &c.KeystoneAuthtoken.TokenCacheTime }, -1)},
}

// Decode builds a Config from vs: NeutronDefaults, overridden by every
// option ml2go reads that vs sets. Options it does not read are listed in
// Config.Ignored.
//
// String options take the value as it is, "" included, except those with
// a default of their own (bind_host, auth_strategy, base_mac, core_plugin),
// which keep it when left empty. List options are split at commas, items
// trimmed of spaces, empty items dropped; an empty value is an empty list.
// Integer, duration and boolean options left empty keep their default.
// Booleans are true/false, yes/no, on/off or 1/0 in any case; integers are
// decimal.
//
// The [ml2go_plugin:NAME] sections of out-of-process mechanism drivers
// are decoded into Config.Plugins; their args are split as a shell would
// split them (see PluginOptions).
//
// The first bad value is returned as a *Error naming its file, line,
// section and option: a malformed value, a value out of range, an
// unsupported database, a tenant or external network type missing from
// [ml2] type_drivers, a plugin section without a driver name, a bind_host
// address other than loopback with auth_strategy = noauth and without
// [ml2go] allow_noauth_on_public_address (ErrNoauthOnPublicAddress).
func Decode(vs *Values) (*Config, error) {
	c := NeutronDefaults()
	known := make(map[key]bool, len(options))
	for _, o := range options {
		k := key{o.section, o.name}
		known[k] = true
		v, ok := vs.Lookup(o.section, o.name)
		if !ok {
			continue
		}
		c.sources[k] = v
		if err := o.decode(c, v); err != nil {
			if e, ok := err.(*Error); ok {
				return nil, e
			}
			return nil, valueError(v, err)
		}
	}
	for _, v := range vs.All() {
		if known[key{v.Section, v.Option}] {
			continue
		}
		if strings.HasPrefix(v.Section, PluginSectionPrefix) {
			ok, err := decodePluginOption(c, v)
			if err != nil {
				if e, isErr := err.(*Error); isErr {
					return nil, e
				}
				return nil, valueError(v, err)
			}
			if ok {
				continue
			}
		}
		c.Ignored = append(c.Ignored, Ignored{File: v.File, Line: v.Line, Section: v.Section, Option: v.Option})
	}
	c.setBindHost()
	if err := c.checkNetworkTypes(); err != nil {
		return nil, err
	}
	if err := c.checkNoauthBindHost(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkNetworkTypes checks that tenant_network_types and
// external_network_type name loaded type drivers, as Neutron does at
// start-up.
func (c *Config) checkNetworkTypes() error {
	m := &c.ML2Options
	missing := func() error {
		return fmt.Errorf("no such network type in [ml2] type_drivers (%s)", strings.Join(m.TypeDrivers, ","))
	}
	for _, t := range m.TenantNetworkTypes {
		if !slices.Contains(m.TypeDrivers, t) {
			v := c.source(sectionML2, "tenant_network_types", strings.Join(NeutronTenantNetworkTypes, ","))
			return itemError(v, t, missing())
		}
	}
	if t := m.ExternalNetworkType; t != "" && !slices.Contains(m.TypeDrivers, t) {
		return valueError(c.source(sectionML2, "external_network_type", ""), missing())
	}
	return nil
}

// str decodes a string option.
func str(dst func(*Config) *string) decoder {
	return func(c *Config, v Value) error {
		*dst(c) = v.Value
		return nil
	}
}

// list decodes a list option.
func list(dst func(*Config) *[]string) decoder {
	return func(c *Config, v Value) error {
		*dst(c) = splitList(v.Value)
		return nil
	}
}

// integer decodes an integer option whose value must lie in [lo, hi].
func integer(dst func(*Config) *int, lo, hi int) decoder {
	return func(c *Config, v Value) error {
		if v.Value == "" {
			return nil
		}
		n, err := parseInt(v.Value, lo, hi)
		if err != nil {
			return err
		}
		*dst(c) = n
		return nil
	}
}

// quotaLimit decodes a [quotas] limit of resource ("" for default_quota,
// the limit of resources without an option of their own); a negative
// limit is unlimited (-1).
func quotaLimit(resource string) decoder {
	return func(c *Config, v Value) error {
		if v.Value == "" {
			return nil
		}
		n, err := parseInt(v.Value, -maxInt, maxInt)
		if err != nil {
			return err
		}
		if c.Quotas == nil {
			c.Quotas = map[string]int{}
		}
		c.Quotas[resource] = max(n, -1)
		return nil
	}
}

// seconds decodes an integer option counting seconds, at least lo.
func seconds(dst func(*Config) *time.Duration, lo int) decoder {
	return func(c *Config, v Value) error {
		if v.Value == "" {
			return nil
		}
		n, err := parseInt(v.Value, lo, maxInt)
		if err != nil {
			return err
		}
		*dst(c) = time.Duration(n) * time.Second
		return nil
	}
}

// boolean decodes a boolean option.
func boolean(dst func(*Config) *bool) decoder {
	return func(c *Config, v Value) error {
		if v.Value == "" {
			return nil
		}
		b, err := parseBool(v.Value)
		if err != nil {
			return err
		}
		*dst(c) = b
		return nil
	}
}

// ranges decodes a tunnel range list with a typedriver's parser.
func ranges(dst func(*Config) *[]core.SegmentRange, parse func([]string) ([]core.SegmentRange, error)) decoder {
	return func(c *Config, v Value) error {
		r, err := parse(splitList(v.Value))
		if err != nil {
			return entryError(v, err)
		}
		*dst(c) = r
		return nil
	}
}

func decodeVLANRanges(c *Config, v Value) error {
	r, err := vlan.ParseNetworkVLANRanges(splitList(v.Value))
	if err != nil {
		return entryError(v, err)
	}
	c.VLAN.NetworkVLANRanges = r
	return nil
}

func decodePhysnetMTUs(c *Config, v Value) error {
	m, err := typedrivers.ParsePhysnetMTUs(splitList(v.Value))
	if err != nil {
		return entryError(v, err)
	}
	c.ML2Options.PhysicalNetworkMTUs = m
	return nil
}

func decodeOverlayIPVersion(c *Config, v Value) error {
	switch v.Value {
	case "":
	case "4":
		c.ML2Options.OverlayIPVersion = 4
	case "6":
		c.ML2Options.OverlayIPVersion = 6
	default:
		return errors.New("must be 4 or 6")
	}
	return nil
}

// decodeBindHost accepts an IP address or a host name, as oslo.config's
// HostAddressOpt; an empty value leaves bind_host unset.
func decodeBindHost(c *Config, v Value) error {
	if v.Value == "" {
		return nil
	}
	if _, err := netip.ParseAddr(v.Value); err != nil && !validHostname(v.Value) {
		return errors.New("not an IP address or host name")
	}
	c.BindHost, c.BindHostSet = v.Value, true
	return nil
}

// validHostname reports whether s is a DNS host name: dot-separated labels
// of letters, digits and inner hyphens, up to 63 characters each.
func validHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func decodeAuthStrategy(c *Config, v Value) error {
	switch v.Value {
	case "":
	case AuthNoauth, AuthKeystone:
		c.AuthStrategy = v.Value
	default:
		return fmt.Errorf("must be %s or %s", AuthNoauth, AuthKeystone)
	}
	return nil
}

// corePlugins are the names of Neutron's ML2 plugin: its entry point alias
// and its class path.
var corePlugins = []string{"ml2", "neutron.plugins.ml2.plugin.Ml2Plugin"}

func decodeCorePlugin(c *Config, v Value) error {
	if v.Value != "" && !slices.Contains(corePlugins, v.Value) {
		return errors.New("ml2go implements only the ml2 core plugin")
	}
	c.CorePlugin = "ml2"
	return nil
}

// decodeBaseMAC accepts six colon-separated hexadecimal octets, the form
// Neutron splits base_mac into; the octets after the prefix are usually
// 00.
func decodeBaseMAC(c *Config, v Value) error {
	if v.Value == "" {
		return nil
	}
	hw, err := net.ParseMAC(v.Value)
	if err != nil || len(hw) != 6 || strings.Count(v.Value, ":") != 5 {
		return errors.New("not a MAC address of the form xx:xx:xx:xx:xx:xx")
	}
	c.BaseMAC = hw.String()
	return nil
}

// decodeVXLANGroup accepts a multicast address or a CIDR of multicast
// addresses, as the Linux bridge agent uses it.
func decodeVXLANGroup(c *Config, v Value) error {
	if v.Value == "" {
		c.VXLAN.VXLANGroup = ""
		return nil
	}
	addr, err := netip.ParseAddr(v.Value)
	if err != nil {
		p, perr := netip.ParsePrefix(v.Value)
		if perr != nil {
			return errors.New("not an IP address or CIDR")
		}
		addr = p.Addr()
	}
	if !addr.IsMulticast() {
		return errors.New("not a multicast address")
	}
	c.VXLAN.VXLANGroup = v.Value
	return nil
}

func decodeConnection(c *Config, v Value) error {
	if v.Value == "" {
		c.Database.Connection = ""
		return nil
	}
	if _, err := ConnectionDSN(v.Value); err != nil {
		return connectionError(v, err)
	}
	c.Database.Connection = v.Value
	return nil
}
