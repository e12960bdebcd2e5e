package ovs

import (
	"crypto/sha1" //nolint:gosec // naming scheme, not security: Neutron hashes names with SHA-1
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Defaults of the Open vSwitch agent options, Neutron's.
const (
	// DefaultIntegrationBridge is the integration bridge (integration_bridge).
	DefaultIntegrationBridge = "br-int"
	// DefaultTunnelBridge is the tunnel bridge (tunnel_bridge).
	DefaultTunnelBridge = "br-tun"
	// DefaultIntPeerPatchPort is the integration bridge's end of the patch
	// pair to the tunnel bridge (int_peer_patch_port).
	DefaultIntPeerPatchPort = "patch-tun"
	// DefaultTunPeerPatchPort is the tunnel bridge's end of the patch pair
	// to the integration bridge (tun_peer_patch_port).
	DefaultTunPeerPatchPort = "patch-int"
	// DefaultDatapathType is the datapath of the bridges the agent creates
	// (datapath_type): the kernel datapath.
	DefaultDatapathType = "system"
	// DefaultVXLANPort is the UDP destination port of VXLAN tunnels
	// (vxlan_udp_port): the IANA port.
	DefaultVXLANPort = 4789
)

// Tunnel types the tunnel bridge supports, with the br-tun table that
// receives traffic from each (3 for GRE, 4 for VXLAN, 6 for Geneve).
const (
	TunnelVXLAN  = "vxlan"
	TunnelGRE    = "gre"
	TunnelGeneve = "geneve"
)

// Naming rules of Neutron's OVS agent: a name longer than a Linux
// interface name may be keeps its prefix and ends with a hash.
const (
	// maxDeviceName is the longest port or interface name (IFNAMSIZ - 1).
	maxDeviceName = 15
	// intPhysPrefix starts the integration bridge's end of the patch pair
	// to a physical bridge.
	intPhysPrefix = "int-"
	// physIntPrefix starts the physical bridge's end of that pair.
	physIntPrefix = "phy-"
	// hashChars is how many hex characters of SHA-1 a shortened name keeps.
	hashChars = 6
)

// Config is the agent configuration the dataplane needs (Neutron's [ovs]
// and [agent] sections). The zero value of every name field selects its
// default; two agents sharing one Open vSwitch (tests that play two hosts)
// must give each their own bridge and patch port names, since OVS port
// names are unique across all bridges.
type Config struct {
	// IntegrationBridge is where every VIF is plugged (integration_bridge);
	// "" means DefaultIntegrationBridge. The agent creates it.
	IntegrationBridge string
	// TunnelBridge carries tunnelled networks (tunnel_bridge); "" means
	// DefaultTunnelBridge. The agent creates it when TunnelTypes is not
	// empty.
	TunnelBridge string
	// IntPeerPatchPort names the integration bridge's end of the patch pair
	// to the tunnel bridge; "" means DefaultIntPeerPatchPort.
	IntPeerPatchPort string
	// TunPeerPatchPort names the tunnel bridge's end of that pair; "" means
	// DefaultTunPeerPatchPort.
	TunPeerPatchPort string
	// BridgeMappings maps a physical network to an existing OVS bridge
	// (bridge_mappings); flat and vlan networks of that physical network
	// leave the host through it. The agent never creates these bridges.
	BridgeMappings map[string]string
	// LocalIP is this host's tunnel endpoint (local_ip); required when
	// TunnelTypes is not empty.
	LocalIP netip.Addr
	// TunnelTypes lists the tunnel types this host carries (tunnel_types):
	// any of "vxlan", "gre" and "geneve"; empty disables tunnelling.
	TunnelTypes []string
	// DatapathType is the datapath of the bridges the agent creates
	// (datapath_type): "system" (the default) or "netdev" (userspace).
	DatapathType string
	// VXLANPort is the UDP destination port of VXLAN tunnels
	// (vxlan_udp_port); 0 means DefaultVXLANPort.
	VXLANPort int
}

// withDefaults returns c with every unset field at its default.
func (c Config) withDefaults() Config {
	if c.IntegrationBridge == "" {
		c.IntegrationBridge = DefaultIntegrationBridge
	}
	if c.TunnelBridge == "" {
		c.TunnelBridge = DefaultTunnelBridge
	}
	if c.IntPeerPatchPort == "" {
		c.IntPeerPatchPort = DefaultIntPeerPatchPort
	}
	if c.TunPeerPatchPort == "" {
		c.TunPeerPatchPort = DefaultTunPeerPatchPort
	}
	if c.DatapathType == "" {
		c.DatapathType = DefaultDatapathType
	}
	if c.VXLANPort == 0 {
		c.VXLANPort = DefaultVXLANPort
	}
	c.BridgeMappings = cloneMap(c.BridgeMappings)
	c.TunnelTypes = slices.Clone(c.TunnelTypes)
	c.LocalIP = c.LocalIP.Unmap()
	return c
}

// validate reports the first inconsistency of a defaulted configuration.
func (c Config) validate() error {
	names := map[string]string{}
	check := func(what, name string) error {
		if err := validName(name); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if other, ok := names[name]; ok {
			return fmt.Errorf("%s %q is also the %s", what, name, other)
		}
		names[name] = what
		return nil
	}
	for _, n := range []struct{ what, name string }{
		{"integration bridge", c.IntegrationBridge},
		{"tunnel bridge", c.TunnelBridge},
		{"int_peer_patch_port", c.IntPeerPatchPort},
		{"tun_peer_patch_port", c.TunPeerPatchPort},
	} {
		if err := check(n.what, n.name); err != nil {
			return err
		}
	}
	for _, physnet := range sortedKeys(c.BridgeMappings) {
		br := c.BridgeMappings[physnet]
		if physnet == "" {
			return errors.New("bridge_mappings: empty physical network name")
		}
		if err := check("bridge of physical network "+physnet, br); err != nil {
			return fmt.Errorf("bridge_mappings: %w", err)
		}
	}
	for _, tt := range c.TunnelTypes {
		if _, ok := tunnelTables[tt]; !ok {
			return fmt.Errorf("tunnel_types: unsupported tunnel type %q (want vxlan, gre or geneve)", tt)
		}
	}
	if len(c.TunnelTypes) > 0 && !c.LocalIP.IsValid() {
		return errors.New("local_ip is required when tunnel_types is set")
	}
	if c.VXLANPort < 1 || c.VXLANPort > 65535 {
		return fmt.Errorf("vxlan_udp_port %d out of range", c.VXLANPort)
	}
	if c.DatapathType != "system" && c.DatapathType != "netdev" {
		return fmt.Errorf("datapath_type: %q is neither system nor netdev", c.DatapathType)
	}
	return nil
}

// tunnelling reports whether the host carries tunnelled networks.
func (c Config) tunnelling() bool { return len(c.TunnelTypes) > 0 }

// validName checks an OVS bridge or port name the agent will create.
func validName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case len(name) > maxDeviceName:
		return fmt.Errorf("name %q is longer than %d characters", name, maxDeviceName)
	case strings.ContainsAny(name, " \t\n/\"=,:{}[]"):
		return fmt.Errorf("name %q has a character OVS or Linux refuses", name)
	}
	return nil
}

// IntPatchName is the integration bridge's end of the patch pair to the
// physical bridge br: "int-<br>", shortened to 15 characters.
func IntPatchName(br string) string { return interfaceName(br, intPhysPrefix) }

// PhysPatchName is the physical bridge's end of the patch pair to the
// integration bridge: "phy-<br>", shortened to 15 characters.
func PhysPatchName(br string) string { return interfaceName(br, physIntPrefix) }

// interfaceName is prefix+name, or, when that is longer than 15
// characters, prefix, the start of name and the first 6 hex characters of
// the SHA-1 of name (neutron_lib's get_interface_name).
func interfaceName(name, prefix string) string {
	if len(prefix)+len(name) <= maxDeviceName {
		return prefix + name
	}
	sum := sha1.Sum([]byte(name)) //nolint:gosec // naming, not security
	keep := maxDeviceName - len(prefix) - hashChars
	return prefix + name[:keep] + hex.EncodeToString(sum[:])[:hashChars]
}

// TunnelPortName is the tunnel bridge port towards the endpoint remote for
// tunnels of type typ: "<type>-<8 hex digits of the IPv4 address>" (e.g.
// vxlan-c0000202 for 192.0.2.2), or for IPv6 the lower-case base32 SHA-1
// of the address cut so that the name has 15 characters (Neutron's
// get_tunnel_name).
func TunnelPortName(typ string, remote netip.Addr) string {
	if remote.Is4() || remote.Is4In6() {
		b := remote.Unmap().As4()
		return typ + "-" + hex.EncodeToString(b[:])
	}
	sum := sha1.Sum([]byte(remote.String())) //nolint:gosec // naming, not security
	h := strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))
	n := maxDeviceName - len(typ) - 1
	return typ + "-" + h[:n]
}

// cloneMap copies m (nil stays nil).
func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return nil
	}
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
