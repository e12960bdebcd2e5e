package linuxbridge_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/linuxbridge"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
)

func Example() {
	ctx := context.Background()
	d := linuxbridge.New(linuxbridge.Config{})

	// The agent as it reports itself; a server stores it with
	// ml2.Plugin.ReportAgentState, and mechtest's fake context serves it
	// directly.
	a := core.Agent{AgentType: linuxbridge.AgentType, Host: "host1", AdminStateUp: true,
		HeartbeatAt: time.Now(), Configurations: map[string]any{
			"interface_mappings": map[string]any{"physnet1": "eth1"},
			"tunnel_types":       []any{"vxlan"},
			"tunneling_ip":       "192.0.2.1",
		}}

	vlan := core.Segment{ID: "seg-vlan", NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet9", SegmentationID: 42}
	vxlan := core.Segment{ID: "seg-vxlan", NetworkType: core.TypeVXLAN, SegmentationID: 1001}
	pc := mechtest.NewPortContext(&core.Port{Standard: core.Standard{ID: "port-1"},
		Binding: core.PortBinding{HostID: "host1", VIFType: core.VIFTypeUnbound}}, vlan, vxlan)
	pc.Agents = []core.Agent{a}

	if err := d.BindPort(ctx, pc); err != nil {
		panic(err)
	}
	b := pc.LastBinding()
	fmt.Println(b.SegmentID, b.VIFType, b.VIFDetails)
	// Output:
	// seg-vxlan bridge map[connectivity:l2 port_filter:true]
}
