package l2population_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/l2population"
)

// Example computes the FDB table of compute-1 for a VXLAN network with
// ports on three hosts.
func Example() {
	now := time.Now()
	agent := func(host, ip string) *core.Agent {
		return &core.Agent{AgentType: "Open vSwitch agent", Host: host, HeartbeatAt: now,
			Configurations: map[string]any{"tunneling_ip": ip, "tunnel_types": []any{"vxlan"}}}
	}
	agents := []*core.Agent{agent("compute-1", "192.0.2.1"), agent("compute-2", "192.0.2.2"), agent("compute-3", "192.0.2.3")}
	port := func(host, status, mac, ip string) *core.Port {
		return &core.Port{MACAddress: mac, Status: status, Binding: core.PortBinding{HostID: host},
			FixedIPs: []core.FixedIP{{IPAddress: netip.MustParseAddr(ip)}}}
	}
	ports := []*core.Port{
		port("compute-1", core.StatusActive, "fa:16:3e:00:00:01", "10.0.0.11"),
		port("compute-2", core.StatusActive, "fa:16:3e:00:00:02", "10.0.0.12"),
		port("compute-3", core.StatusDown, "fa:16:3e:00:00:03", "10.0.0.13"),
	}

	for _, e := range l2population.Table(ports, core.TypeVXLAN, agents, "compute-1", now, 75*time.Second) {
		fmt.Println(e.Endpoint, e.PortInfo())
	}
	// Output:
	// 192.0.2.2 [00:00:00:00:00:00 0.0.0.0]
	// 192.0.2.2 [fa:16:3e:00:00:02 10.0.0.12]
}
