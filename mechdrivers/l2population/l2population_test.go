package l2population_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/mechdrivers/l2population"
	"github.com/ml2go/ml2go/typedrivers/local"
)

var (
	now      = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	downTime = 75 * time.Second
)

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// tunAgent is an alive agent on host with the given tunneling_ip ("" for
// none) and tunnel types.
func tunAgent(id, agentType, host, ip string, tunnelTypes ...any) *core.Agent {
	conf := map[string]any{"tunnel_types": tunnelTypes}
	if ip != "" {
		conf["tunneling_ip"] = ip
	}
	return &core.Agent{ID: id, AgentType: agentType, Host: host, AdminStateUp: true, Configurations: conf,
		HeartbeatAt: now.Add(-10 * time.Second)}
}

func ovs(host, ip string) *core.Agent {
	return tunAgent("ovs-"+host, "Open vSwitch agent", host, ip, "vxlan", "gre")
}

func port(id, host, status, mac string, ips ...string) *core.Port {
	p := &core.Port{Standard: core.Standard{ID: id}, NetworkID: "net-1", MACAddress: mac, Status: status,
		DeviceOwner: "compute:nova", Binding: core.PortBinding{HostID: host}}
	for _, ip := range ips {
		p.FixedIPs = append(p.FixedIPs, core.FixedIP{SubnetID: "sub-1", IPAddress: addr(ip)})
	}
	return p
}

func flood(ep string) l2population.Entry {
	return l2population.Entry{MAC: l2population.FloodMAC, Endpoint: addr(ep)}
}

func entry(mac, ip, ep string) l2population.Entry {
	return l2population.Entry{MAC: mac, IP: addr(ip), Endpoint: addr(ep)}
}

func TestTunnelEndpoint(t *testing.T) {
	tests := []struct {
		name string
		ip   any
		want string // "" for none
	}{
		{name: "ipv4", ip: "192.0.2.1", want: "192.0.2.1"},
		{name: "ipv6", ip: "2001:db8::1", want: "2001:db8::1"},
		{name: "ipv4_mapped", ip: "::ffff:192.0.2.1", want: "192.0.2.1"},
		{name: "absent"},
		{name: "empty", ip: ""},
		{name: "not_an_address", ip: "compute-1"},
		{name: "not_a_string", ip: 42},
		{name: "unspecified", ip: "0.0.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &core.Agent{Configurations: map[string]any{}}
			if tt.ip != nil {
				a.Configurations["tunneling_ip"] = tt.ip
			}
			got, ok := l2population.TunnelEndpoint(a)
			if tt.want == "" {
				assert.False(t, ok)
				assert.False(t, got.IsValid())
				return
			}
			require.True(t, ok)
			assert.Equal(t, addr(tt.want), got)
		})
	}
}

func TestHandles(t *testing.T) {
	tests := []struct {
		name string
		conf map[string]any
		typ  string
		want bool
	}{
		{name: "tunnel_type", conf: map[string]any{"tunnel_types": []any{"vxlan"}}, typ: "vxlan", want: true},
		{name: "not_a_tunnel_type", conf: map[string]any{"tunnel_types": []any{"vxlan"}}, typ: "gre"},
		{name: "vlan_by_default", conf: map[string]any{"tunnel_types": []any{"vxlan"}}, typ: "vlan"},
		{name: "no_configuration", conf: map[string]any{}, typ: "vxlan"},
		{name: "l2pop_network_types_win", conf: map[string]any{"tunnel_types": []any{"vxlan"},
			"l2pop_network_types": []any{"vlan", "gre"}}, typ: "vlan", want: true},
		{name: "l2pop_network_types_exclude_tunnel_type", conf: map[string]any{"tunnel_types": []any{"vxlan"},
			"l2pop_network_types": []any{"gre"}}, typ: "vxlan"},
		{name: "empty_l2pop_network_types", conf: map[string]any{"tunnel_types": []any{"vxlan"},
			"l2pop_network_types": []any{}}, typ: "vxlan"},
		{name: "null_l2pop_network_types", conf: map[string]any{"tunnel_types": []any{"vxlan"},
			"l2pop_network_types": nil}, typ: "vxlan", want: true},
		{name: "string_slices", conf: map[string]any{"l2pop_network_types": []string{"geneve"}}, typ: "geneve", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, l2population.Handles(&core.Agent{Configurations: tt.conf}, tt.typ))
		})
	}
}

func TestEntry(t *testing.T) {
	f := flood("192.0.2.2")
	assert.True(t, f.IsFlood())
	assert.Equal(t, [2]string{"00:00:00:00:00:00", "0.0.0.0"}, f.PortInfo())
	u := entry("fa:16:3e:00:00:01", "10.0.0.5", "192.0.2.2")
	assert.False(t, u.IsFlood())
	assert.Equal(t, [2]string{"fa:16:3e:00:00:01", "10.0.0.5"}, u.PortInfo())
}

func TestTable(t *testing.T) {
	const (
		h1, h2, h3 = "compute-1", "compute-2", "compute-3"
		m1, m2, m3 = "fa:16:3e:00:00:01", "fa:16:3e:00:00:02", "fa:16:3e:00:00:03"
		m4         = "fa:16:3e:00:00:04"
	)
	agents := []*core.Agent{ovs(h1, "192.0.2.1"), ovs(h2, "192.0.2.2"), ovs(h3, "192.0.2.3")}
	deadH2 := ovs(h2, "192.0.2.2")
	deadH2.HeartbeatAt = now.Add(-2 * downTime)
	// compute-2 runs a DHCP agent without tunneling_ip besides its L2 agent.
	dhcpH2 := tunAgent("dhcp-compute-2", "DHCP agent", h2, "")

	tests := []struct {
		name    string
		ports   []*core.Port
		typ     string
		agents  []*core.Agent
		forHost string
		want    []l2population.Entry
	}{
		{
			name:    "first_port_on_host_gets_other_hosts",
			ports:   []*core.Port{port("p1", h1, core.StatusActive, m1, "10.0.0.11"), port("p2", h2, core.StatusActive, m2, "10.0.0.12")},
			forHost: h1,
			want:    []l2population.Entry{flood("192.0.2.2"), entry(m2, "10.0.0.12", "192.0.2.2")},
		},
		{
			name:    "host_without_ports_yet",
			ports:   []*core.Port{port("p2", h2, core.StatusActive, m2, "10.0.0.12")},
			forHost: h1,
			want:    []l2population.Entry{flood("192.0.2.2"), entry(m2, "10.0.0.12", "192.0.2.2")},
		},
		{
			name: "several_hosts_sorted",
			ports: []*core.Port{
				port("p4", h3, core.StatusActive, m4, "10.0.0.14"),
				port("p3", h3, core.StatusActive, m3, "10.0.0.13", "2001:db8::13"),
				port("p2", h2, core.StatusActive, m2, "10.0.0.12"),
				port("p1", h1, core.StatusActive, m1, "10.0.0.11"),
			},
			forHost: h1,
			want: []l2population.Entry{
				flood("192.0.2.2"), entry(m2, "10.0.0.12", "192.0.2.2"),
				flood("192.0.2.3"), entry(m3, "10.0.0.13", "192.0.2.3"), entry(m3, "2001:db8::13", "192.0.2.3"),
				entry(m4, "10.0.0.14", "192.0.2.3"),
			},
		},
		{
			name:    "own_host_excluded",
			ports:   []*core.Port{port("p1", h1, core.StatusActive, m1, "10.0.0.11"), port("p5", h1, core.StatusActive, m4, "10.0.0.15")},
			forHost: h1,
		},
		{
			name: "own_endpoint_excluded",
			ports: []*core.Port{port("p2", h2, core.StatusActive, m2, "10.0.0.12"),
				port("p3", h3, core.StatusActive, m3, "10.0.0.13")},
			agents:  []*core.Agent{ovs(h1, "192.0.2.1"), ovs(h2, "192.0.2.1"), ovs(h3, "192.0.2.3")},
			forHost: h1,
			want:    []l2population.Entry{flood("192.0.2.3"), entry(m3, "10.0.0.13", "192.0.2.3")},
		},
		{
			name: "down_and_build_ports_excluded",
			ports: []*core.Port{
				port("p2", h2, core.StatusDown, m2, "10.0.0.12"),
				port("p3", h3, core.StatusBuild, m3, "10.0.0.13"),
				port("p4", h3, core.StatusActive, m4, "10.0.0.14"),
			},
			forHost: h1,
			want:    []l2population.Entry{flood("192.0.2.3"), entry(m4, "10.0.0.14", "192.0.2.3")},
		},
		{
			name:    "host_with_only_down_ports_not_flooded",
			ports:   []*core.Port{port("p2", h2, core.StatusDown, m2, "10.0.0.12")},
			forHost: h1,
		},
		{
			name:    "active_port_without_ips_floods_only",
			ports:   []*core.Port{port("p2", h2, core.StatusActive, m2)},
			forHost: h1,
			want:    []l2population.Entry{flood("192.0.2.2")},
		},
		{
			name: "unbound_ports_excluded",
			ports: []*core.Port{port("p2", "", core.StatusActive, m2, "10.0.0.12"),
				port("p3", "compute-9", core.StatusActive, m3, "10.0.0.13")},
			forHost: h1,
		},
		{
			name: "router_ports_of_other_kinds",
			ports: func() []*core.Port {
				dvr := port("dvr", h2, core.StatusActive, m2, "10.0.0.1")
				dvr.DeviceOwner = core.DeviceOwnerRouterInterfaceDVR
				ha := port("ha", h2, core.StatusActive, m3, "10.0.0.2")
				ha.DeviceOwner = core.DeviceOwnerRouterHAInterface
				legacy := port("legacy", h3, core.StatusActive, m4, "10.0.0.3")
				legacy.DeviceOwner = core.DeviceOwnerRouterInterface
				return []*core.Port{dvr, ha, legacy}
			}(),
			forHost: h1,
			want:    []l2population.Entry{flood("192.0.2.3"), entry(m4, "10.0.0.3", "192.0.2.3")},
		},
		{
			name:    "dead_agent_excluded",
			ports:   []*core.Port{port("p2", h2, core.StatusActive, m2, "10.0.0.12"), port("p3", h3, core.StatusActive, m3, "10.0.0.13")},
			agents:  []*core.Agent{ovs(h1, "192.0.2.1"), deadH2, ovs(h3, "192.0.2.3")},
			forHost: h1,
			want:    []l2population.Entry{flood("192.0.2.3"), entry(m3, "10.0.0.13", "192.0.2.3")},
		},
		{
			name:    "dead_own_agent_gets_nothing",
			ports:   []*core.Port{port("p3", h3, core.StatusActive, m3, "10.0.0.13")},
			agents:  []*core.Agent{ovs(h1, "192.0.2.1"), deadH2, ovs(h3, "192.0.2.3")},
			forHost: h2,
		},
		{
			name:    "agent_without_tunneling_ip_skipped",
			ports:   []*core.Port{port("p2", h2, core.StatusActive, m2, "10.0.0.12"), port("p3", h3, core.StatusActive, m3, "10.0.0.13")},
			agents:  []*core.Agent{ovs(h1, "192.0.2.1"), ovs(h2, ""), ovs(h3, "192.0.2.3")},
			forHost: h1,
			want:    []l2population.Entry{flood("192.0.2.3"), entry(m3, "10.0.0.13", "192.0.2.3")},
		},
		{
			name:    "other_agent_types_on_host_ignored",
			ports:   []*core.Port{port("p2", h2, core.StatusActive, m2, "10.0.0.12")},
			agents:  []*core.Agent{dhcpH2, ovs(h1, "192.0.2.1"), ovs(h2, "192.0.2.2")},
			forHost: h1,
			want:    []l2population.Entry{flood("192.0.2.2"), entry(m2, "10.0.0.12", "192.0.2.2")},
		},
		{
			name:    "linux_bridge_agents",
			ports:   []*core.Port{port("p2", h2, core.StatusActive, m2, "10.0.0.12")},
			agents:  []*core.Agent{tunAgent("lb1", "Linux bridge agent", h1, "192.0.2.1", "vxlan"), tunAgent("lb2", "Linux bridge agent", h2, "2001:db8::2", "vxlan")},
			forHost: h1,
			want:    []l2population.Entry{flood("2001:db8::2"), entry(m2, "10.0.0.12", "2001:db8::2")},
		},
		{
			name:    "own_host_without_agent",
			ports:   []*core.Port{port("p2", h2, core.StatusActive, m2, "10.0.0.12")},
			forHost: "compute-9",
		},
		{
			name:    "vlan_not_populated_by_default",
			ports:   []*core.Port{port("p2", h2, core.StatusActive, m2, "10.0.0.12")},
			typ:     core.TypeVLAN,
			forHost: h1,
		},
		{
			name:    "tunnel_type_not_enabled",
			ports:   []*core.Port{port("p2", h2, core.StatusActive, m2, "10.0.0.12")},
			typ:     core.TypeGeneve,
			forHost: h1,
		},
		{
			name:  "l2pop_network_types",
			ports: []*core.Port{port("p2", h2, core.StatusActive, m2, "10.0.0.12"), port("p3", h3, core.StatusActive, m3, "10.0.0.13")},
			typ:   core.TypeVLAN,
			agents: func() []*core.Agent {
				a1, a2, a3 := ovs(h1, "192.0.2.1"), ovs(h2, "192.0.2.2"), ovs(h3, "192.0.2.3")
				a1.Configurations["l2pop_network_types"] = []any{"vlan", "vxlan"}
				a2.Configurations["l2pop_network_types"] = []any{"vlan"}
				return []*core.Agent{a1, a2, a3}
			}(),
			forHost: h1,
			want:    []l2population.Entry{flood("192.0.2.2"), entry(m2, "10.0.0.12", "192.0.2.2")},
		},
		{
			name:    "duplicates_removed",
			ports:   []*core.Port{port("p2", h2, core.StatusActive, m2, "10.0.0.12"), port("p2", h2, core.StatusActive, m2, "10.0.0.12")},
			forHost: h1,
			want:    []l2population.Entry{flood("192.0.2.2"), entry(m2, "10.0.0.12", "192.0.2.2")},
		},
		{
			name:    "no_ports",
			forHost: h1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := tt.typ
			if typ == "" {
				typ = core.TypeVXLAN
			}
			as := tt.agents
			if as == nil {
				as = agents
			}
			got := l2population.Table(tt.ports, typ, as, tt.forHost, now, downTime)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestTableDeterministic: the table does not depend on the order of ports
// and agents, and the first agent by type then id gives a host's endpoint.
func TestTableDeterministic(t *testing.T) {
	ports := []*core.Port{
		port("p1", "compute-2", core.StatusActive, "fa:16:3e:00:00:02", "10.0.0.12"),
		port("p2", "compute-3", core.StatusActive, "fa:16:3e:00:00:03", "10.0.0.13"),
		port("p3", "compute-2", core.StatusActive, "fa:16:3e:00:00:01", "10.0.0.11"),
	}
	agents := []*core.Agent{
		ovs("compute-1", "192.0.2.1"),
		tunAgent("b", "Open vSwitch agent", "compute-2", "192.0.2.22", "vxlan"),
		tunAgent("a", "Linux bridge agent", "compute-2", "192.0.2.2", "vxlan"),
		ovs("compute-3", "192.0.2.3"),
	}
	want := l2population.Table(ports, core.TypeVXLAN, agents, "compute-1", now, downTime)
	require.Len(t, want, 5)
	assert.Equal(t, flood("192.0.2.2"), want[0], "the Linux bridge agent sorts first on compute-2")
	rev := func(s []*core.Port) []*core.Port {
		out := make([]*core.Port, len(s))
		for i, p := range s {
			out[len(s)-1-i] = p
		}
		return out
	}
	revAgents := []*core.Agent{agents[3], agents[2], agents[1], agents[0]}
	assert.Equal(t, want, l2population.Table(rev(ports), core.TypeVXLAN, revAgents, "compute-1", now, downTime))
}

func TestUpdatePortPrecommit(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		origMAC string
		newMAC  string
		noOrig  bool
		wantErr bool
	}{
		{name: "mac_change_active", status: core.StatusActive, origMAC: "fa:16:3e:00:00:01", newMAC: "fa:16:3e:00:00:02", wantErr: true},
		{name: "mac_change_down", status: core.StatusDown, origMAC: "fa:16:3e:00:00:01", newMAC: "fa:16:3e:00:00:02"},
		{name: "mac_change_build", status: core.StatusBuild, origMAC: "fa:16:3e:00:00:01", newMAC: "fa:16:3e:00:00:02"},
		{name: "same_mac_active", status: core.StatusActive, origMAC: "fa:16:3e:00:00:01", newMAC: "fa:16:3e:00:00:01"},
		{name: "no_original", status: core.StatusActive, newMAC: "fa:16:3e:00:00:02", noOrig: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := l2population.New(l2population.Config{})
			require.NoError(t, d.Initialize(context.Background()))
			cur := &core.Port{Standard: core.Standard{ID: "port-1"}, MACAddress: tt.newMAC, Status: tt.status}
			c := &core.Change[core.Port]{Action: core.ActionUpdate, New: cur}
			if !tt.noOrig {
				c.Old = &core.Port{Standard: core.Standard{ID: "port-1"}, MACAddress: tt.origMAC, Status: tt.status}
			}
			err := d.CheckPortChange(context.Background(), c)
			if !tt.wantErr {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, "InvalidInput", core.TypeOf(err))
			assert.Equal(t, core.KindBadRequest, core.KindOf(err))
			assert.EqualError(t, err, "Invalid input for operation: unable to modify mac_address of ACTIVE port port-1.")
		})
	}
}

// TestMACChangeThroughPlugin: the orchestrator refuses a MAC change on an
// ACTIVE port with the driver's InvalidInput, and leaves the port as it was;
// the same change goes through without the driver, or on a DOWN port.
func TestMACChangeThroughPlugin(t *testing.T) {
	tests := []struct {
		name    string
		drivers []string
		status  string
		wantErr bool
	}{
		{name: "active_refused", drivers: []string{l2population.Name}, status: core.StatusActive, wantErr: true},
		{name: "down_allowed", drivers: []string{l2population.Name}, status: core.StatusDown},
		{name: "active_allowed_without_l2pop", status: core.StatusActive},
	}
	for _, engine := range sqlstoretest.Engines(t) {
		for _, tt := range tests {
			t.Run(engine+"/"+tt.name, func(t *testing.T) {
				ctx := context.Background()
				reg := core.NewRegistry()
				require.NoError(t, reg.RegisterTypeDriver(local.New(local.Config{})))
				require.NoError(t, reg.RegisterMechanismDriver(l2population.Name, l2population.New(l2population.Config{})))
				plugin, err := ml2.New(ctx, ml2.Config{MechanismDrivers: tt.drivers}, reg, sqlstoretest.Open(t, engine))
				require.NoError(t, err)

				n, err := plugin.CreateNetwork(ctx, &ml2.NetworkRequest{})
				require.NoError(t, err)
				p, err := plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: n.ID})
				require.NoError(t, err)
				if tt.status != p.Status {
					_, err = plugin.UpdatePortStatus(ctx, p.ID, tt.status, "")
					require.NoError(t, err)
				}

				mac := "fa:16:3e:12:34:56"
				got, err := plugin.UpdatePort(ctx, p.ID, &ml2.PortRequest{MACAddress: &mac})
				if !tt.wantErr {
					require.NoError(t, err)
					assert.Equal(t, mac, got.MACAddress)
					return
				}
				require.Error(t, err)
				assert.Equal(t, "InvalidInput", core.TypeOf(err))
				assert.Equal(t, core.KindBadRequest, core.KindOf(err))
				after, err := plugin.GetPort(ctx, p.ID)
				require.NoError(t, err)
				assert.Equal(t, p.MACAddress, after.MACAddress)
				assert.Equal(t, core.StatusActive, after.Status)
			})
		}
	}
}
