package config

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ml2go/ml2go/typedrivers"
)

// Dataplanes of ml2go-agent.
const (
	DataplaneLinuxBridge = "linuxbridge"
	DataplaneOpenVSwitch = "openvswitch"
)

// AgentConfig is the configuration of ml2go-agent, read from Neutron's
// agent files: linuxbridge_agent.ini ([linux_bridge], [vxlan], [agent]) or
// openvswitch_agent.ini ([ovs], [agent]), plus neutron.conf's [DEFAULT]
// host, and a section of ml2go's own:
//
//	[ml2go_agent]
//	server_url = http://127.0.0.1:9696   the server's agent channel
//	auth_token =                          sent as X-Auth-Token when set
//	dataplane  = linuxbridge | openvswitch (default: openvswitch when an
//	                                        [ovs] section is present)
type AgentConfig struct {
	// Host is [DEFAULT] host; default: the machine's host name.
	Host      string
	ServerURL string
	AuthToken string
	// Dataplane is DataplaneLinuxBridge or DataplaneOpenVSwitch.
	Dataplane string

	// ReportInterval and PollingInterval are [agent] report_interval and
	// polling_interval.
	ReportInterval  time.Duration
	PollingInterval time.Duration
	// TunnelTypes are [agent] tunnel_types (OVS), or vxlan when
	// [vxlan] enable_vxlan is true (Linux bridge).
	TunnelTypes []string
	// L2Population and ARPResponder are [agent] or [vxlan] l2_population
	// and arp_responder.
	L2Population bool
	ARPResponder bool
	// VXLANPort is [agent] vxlan_udp_port or [vxlan] udp_dstport.
	VXLANPort int
	// LocalIP is [vxlan] local_ip or [ovs] local_ip: the tunnel endpoint.
	LocalIP netip.Addr

	// PhysicalInterfaceMappings is [linux_bridge]
	// physical_interface_mappings (physnet:interface).
	PhysicalInterfaceMappings map[string]string
	// BridgeMappings is [linux_bridge] or [ovs] bridge_mappings
	// (physnet:bridge).
	BridgeMappings map[string]string

	// IntegrationBridge, TunnelBridge and DatapathType are [ovs]'s.
	IntegrationBridge string
	TunnelBridge      string
	DatapathType      string

	// Ignored lists options read but not used.
	Ignored []Ignored
}

// AgentType is the agent_type the agent reports.
func (c *AgentConfig) AgentType() string {
	if c.Dataplane == DataplaneOpenVSwitch {
		return "Open vSwitch agent"
	}
	return "Linux bridge agent"
}

// Configurations are what the agent reports of itself, under the keys
// Neutron's agents use.
func (c *AgentConfig) Configurations() map[string]any {
	conf := map[string]any{
		"bridge_mappings": stringMap(c.BridgeMappings),
		"tunnel_types":    stringList(c.TunnelTypes),
		"l2_population":   c.L2Population,
	}
	if c.LocalIP.IsValid() && len(c.TunnelTypes) > 0 {
		conf["tunneling_ip"] = c.LocalIP.String()
	}
	if c.Dataplane == DataplaneOpenVSwitch {
		conf["integration_bridge"] = c.IntegrationBridge
		conf["datapath_type"] = c.DatapathType
		conf["arp_responder_enabled"] = c.ARPResponder
		conf["ovs_hybrid_plug"] = false
	} else {
		conf["interface_mappings"] = stringMap(c.PhysicalInterfaceMappings)
	}
	return conf
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func stringList(l []string) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = v
	}
	return out
}

// agentOption decodes one option of an agent file.
type agentOption struct {
	section, name string
	decode        func(c *AgentConfig, v Value) error
}

var agentOptions = []agentOption{
	{DefaultSection, "host", func(c *AgentConfig, v Value) error { c.Host = v.Value; return nil }},
	{"ml2go_agent", "server_url", func(c *AgentConfig, v Value) error { c.ServerURL = v.Value; return nil }},
	{"ml2go_agent", "auth_token", func(c *AgentConfig, v Value) error { c.AuthToken = v.Value; return nil }},
	{"ml2go_agent", "dataplane", func(c *AgentConfig, v Value) error {
		if v.Value != DataplaneLinuxBridge && v.Value != DataplaneOpenVSwitch {
			return fmt.Errorf("must be %s or %s", DataplaneLinuxBridge, DataplaneOpenVSwitch)
		}
		c.Dataplane = v.Value
		return nil
	}},
	{"agent", "report_interval", agentSeconds(func(c *AgentConfig) *time.Duration { return &c.ReportInterval })},
	{"agent", "polling_interval", agentSeconds(func(c *AgentConfig) *time.Duration { return &c.PollingInterval })},
	{"agent", "tunnel_types", func(c *AgentConfig, v Value) error { c.TunnelTypes = splitList(v.Value); return nil }},
	{"agent", "l2_population", agentBool(func(c *AgentConfig) *bool { return &c.L2Population })},
	{"agent", "arp_responder", agentBool(func(c *AgentConfig) *bool { return &c.ARPResponder })},
	{"agent", "vxlan_udp_port", agentPort},
	{"vxlan", "enable_vxlan", func(c *AgentConfig, v Value) error {
		on, err := parseBool(v.Value)
		if err == nil && !on {
			c.TunnelTypes = slices.DeleteFunc(c.TunnelTypes, func(t string) bool { return t == "vxlan" })
		}
		return err
	}},
	{"vxlan", "local_ip", agentLocalIP},
	{"vxlan", "l2_population", agentBool(func(c *AgentConfig) *bool { return &c.L2Population })},
	{"vxlan", "arp_responder", agentBool(func(c *AgentConfig) *bool { return &c.ARPResponder })},
	{"vxlan", "udp_dstport", agentPort},
	{"linux_bridge", "physical_interface_mappings", agentMappings("physical_interface_mappings",
		func(c *AgentConfig) *map[string]string { return &c.PhysicalInterfaceMappings })},
	{"linux_bridge", "bridge_mappings", agentMappings("bridge_mappings",
		func(c *AgentConfig) *map[string]string { return &c.BridgeMappings })},
	{"ovs", "bridge_mappings", agentMappings("bridge_mappings",
		func(c *AgentConfig) *map[string]string { return &c.BridgeMappings })},
	{"ovs", "local_ip", agentLocalIP},
	{"ovs", "integration_bridge", func(c *AgentConfig, v Value) error { c.IntegrationBridge = v.Value; return nil }},
	{"ovs", "tunnel_bridge", func(c *AgentConfig, v Value) error { c.TunnelBridge = v.Value; return nil }},
	{"ovs", "datapath_type", func(c *AgentConfig, v Value) error { c.DatapathType = v.Value; return nil }},
}

func agentSeconds(dst func(*AgentConfig) *time.Duration) func(*AgentConfig, Value) error {
	return func(c *AgentConfig, v Value) error {
		n, err := parseInt(v.Value, 1, maxInt)
		*dst(c) = time.Duration(n) * time.Second
		return err
	}
}

func agentBool(dst func(*AgentConfig) *bool) func(*AgentConfig, Value) error {
	return func(c *AgentConfig, v Value) error {
		b, err := parseBool(v.Value)
		*dst(c) = b
		return err
	}
}

func agentPort(c *AgentConfig, v Value) error {
	n, err := parseInt(v.Value, 1, 65535)
	c.VXLANPort = n
	return err
}

func agentLocalIP(c *AgentConfig, v Value) error {
	a, err := netip.ParseAddr(v.Value)
	if err != nil {
		return fmt.Errorf("not an IP address")
	}
	c.LocalIP = a
	return nil
}

// agentMappings decodes a "physnet:name" list.
func agentMappings(option string, dst func(*AgentConfig) *map[string]string) func(*AgentConfig, Value) error {
	return func(c *AgentConfig, v Value) error {
		out := map[string]string{}
		for _, entry := range splitList(v.Value) {
			physnet, name, ok := strings.Cut(entry, ":")
			physnet, name = strings.TrimSpace(physnet), strings.TrimSpace(name)
			switch {
			case !ok || physnet == "" || name == "":
				return &typedrivers.MappingError{Option: option, Entry: entry, Reason: "expected physnet:name"}
			case out[physnet] != "":
				return &typedrivers.MappingError{Option: option, Entry: entry, Reason: "physical network given twice"}
			}
			out[physnet] = name
		}
		*dst(c) = out
		return nil
	}
}

// LoadAgent reads agent configuration files in order (the last value of
// an option wins) and decodes them. The first bad value is a *Error naming
// its file, line, section and option.
func LoadAgent(paths ...string) (*AgentConfig, error) {
	vs, err := ReadFiles(paths...)
	if err != nil {
		return nil, err
	}
	return DecodeAgent(vs)
}

// DecodeAgent decodes agent options from vs, with Neutron's defaults for
// what they do not set.
func DecodeAgent(vs *Values) (*AgentConfig, error) {
	c := &AgentConfig{
		ServerURL:         "http://127.0.0.1:9696",
		ReportInterval:    30 * time.Second,
		PollingInterval:   2 * time.Second,
		VXLANPort:         4789,
		IntegrationBridge: "br-int",
		TunnelBridge:      "br-tun",
		DatapathType:      "system",
	}
	ovs := false
	for _, v := range vs.All() {
		ovs = ovs || v.Section == "ovs"
	}
	if !ovs {
		// The Linux bridge agent carries vxlan unless told otherwise.
		c.TunnelTypes = []string{"vxlan"}
	}
	known := map[key]bool{}
	for _, o := range agentOptions {
		known[key{o.section, o.name}] = true
		v, ok := vs.Lookup(o.section, o.name)
		if !ok || (v.Value == "" && o.name != "tunnel_types" && o.name != "auth_token") {
			continue
		}
		if err := o.decode(c, v); err != nil {
			if e, ok := err.(*Error); ok {
				return nil, e
			}
			return nil, valueError(v, err)
		}
	}
	for _, v := range vs.All() {
		if !known[key{v.Section, v.Option}] {
			c.Ignored = append(c.Ignored, Ignored{File: v.File, Line: v.Line, Section: v.Section, Option: v.Option})
		}
	}
	if c.Dataplane == "" {
		c.Dataplane = DataplaneLinuxBridge
		if ovs {
			c.Dataplane = DataplaneOpenVSwitch
		}
	}
	if c.Host == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("config: no [DEFAULT] host and no host name: %w", err)
		}
		c.Host = h
	}
	if len(c.TunnelTypes) > 0 && !c.LocalIP.IsValid() {
		section := "ovs"
		if c.Dataplane == DataplaneLinuxBridge {
			section = "vxlan"
		}
		return nil, &Error{Section: section, Option: "local_ip",
			Err: &because{reason: fmt.Sprintf("tunnel types %v need a local_ip", c.TunnelTypes)}}
	}
	return c, nil
}
