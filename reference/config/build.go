package config

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/quota"
	"github.com/ml2go/ml2go/typedrivers"
	"github.com/ml2go/ml2go/typedrivers/flat"
	"github.com/ml2go/ml2go/typedrivers/geneve"
	"github.com/ml2go/ml2go/typedrivers/gre"
	"github.com/ml2go/ml2go/typedrivers/local"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// MTU returns the MTU options of the type drivers: global_physnet_mtu,
// [ml2] path_mtu, physical_network_mtus and overlay_ip_version.
func (c *Config) MTU() typedrivers.MTUConfig {
	global := c.GlobalPhysnetMTU
	if global == 0 {
		global = typedrivers.NoGlobalPhysnetMTU
	}
	return typedrivers.MTUConfig{
		GlobalPhysnetMTU:    global,
		PathMTU:             c.ML2Options.PathMTU,
		PhysicalNetworkMTUs: maps.Clone(c.ML2Options.PhysicalNetworkMTUs),
		OverlayIPVersion:    c.ML2Options.OverlayIPVersion,
	}
}

// TypeDrivers builds the type drivers named by [ml2] type_drivers, in that
// order, configured by their sections and the MTU options, logging to log
// (nil discards). A name given twice is built once. A name that is not a
// built-in type driver is a *Error about [ml2] type_drivers. The drivers
// check their configuration when initialized.
func (c *Config) TypeDrivers(log hclog.Logger) ([]core.TypeDriver, error) {
	var out []core.TypeDriver
	seen := map[string]bool{}
	for _, name := range c.ML2Options.TypeDrivers {
		if seen[name] {
			continue
		}
		seen[name] = true
		d, ok := c.BuiltinTypeDriver(name, log)
		if !ok {
			v := c.source(sectionML2, "type_drivers", strings.Join(NeutronTypeDrivers, ","))
			return nil, itemError(v, name, errors.New("unknown type driver (ml2go has "+strings.Join(DefaultTypeDrivers, ", ")+")"))
		}
		out = append(out, d)
	}
	return out, nil
}

// BuiltinTypeDriver builds the built-in type driver of network type name,
// configured as TypeDrivers configures it; false when ml2go has none (the
// driver may be an out-of-process one: see TypeDriverPlugin).
func (c *Config) BuiltinTypeDriver(name string, log hclog.Logger) (core.TypeDriver, bool) {
	mtu := c.MTU()
	switch name {
	case core.TypeFlat:
		return flat.New(flat.Config{FlatNetworks: c.Flat.FlatNetworks, MTU: mtu, Logger: log}), true
	case core.TypeVLAN:
		return vlan.New(vlan.Config{NetworkVLANRanges: c.VLAN.NetworkVLANRanges, MTU: mtu, Logger: log}), true
	case core.TypeVXLAN:
		return vxlan.New(vxlan.Config{VNIRanges: c.VXLAN.VNIRanges, VXLANGroup: c.VXLAN.VXLANGroup, MTU: mtu, Logger: log}), true
	case core.TypeGRE:
		return gre.New(gre.Config{TunnelIDRanges: c.GRE.TunnelIDRanges, MTU: mtu, Logger: log}), true
	case core.TypeGeneve:
		return geneve.New(geneve.Config{VNIRanges: c.Geneve.VNIRanges, MaxHeaderSize: c.Geneve.MaxHeaderSize, MTU: mtu, Logger: log}), true
	case core.TypeLocal:
		return local.New(local.Config{Logger: log}), true
	}
	return nil, false
}

// ML2 returns the ML2 plugin's configuration: [ml2] tenant_network_types,
// external_network_type, mechanism_drivers and extension_drivers, and
// global_physnet_mtu, base_mac, agent_down_time, max_dns_nameservers and
// max_subnet_host_routes from [DEFAULT]. Logger and DefaultProjectID are
// left for the caller.
//
// ml2.Config takes zero values as defaults, so global_physnet_mtu = 0
// gives networks with no segment MTU 1500 rather than 0, and an empty
// tenant_network_types means local networks for tenants.
func (c *Config) ML2() ml2.Config {
	m := c.ML2Options
	return ml2.Config{
		TenantNetworkTypes:  slices.Clone(m.TenantNetworkTypes),
		ExternalNetworkType: m.ExternalNetworkType,
		MechanismDrivers:    slices.Clone(m.MechanismDrivers),
		ExtensionDrivers:    slices.Clone(m.ExtensionDrivers),
		GlobalPhysnetMTU:    c.GlobalPhysnetMTU,
		BaseMAC:             c.BaseMAC,
		MaxDNSNameservers:   c.MaxDNSNameservers,
		MaxHostRoutes:       c.MaxSubnetHostRoutes,
		AgentDownTime:       c.AgentDownTime,
	}
}

// QuotaDefaults returns the default quota limits: Neutron's, overridden by
// [quotas]. default_quota applies to the resources Neutron leaves
// unlimited by default (subnetpool).
func (c *Config) QuotaDefaults() quota.Limits {
	l := quota.Defaults()
	if d, ok := c.Quotas[""]; ok {
		for r, v := range l {
			if v == quota.Unlimited {
				l[r] = d
			}
		}
	}
	for r, v := range c.Quotas {
		if r != "" {
			l[r] = v
		}
	}
	return l
}
