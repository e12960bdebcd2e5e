package openvswitch_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
	"github.com/ml2go/ml2go/mechdrivers/openvswitch"
)

func Example() {
	ctx := context.Background()
	d := openvswitch.New(openvswitch.Config{})

	// The agent as it reports itself (an excerpt); a server stores it with
	// ml2.Plugin.ReportAgentState, and mechtest's fake context serves it
	// directly.
	a := core.Agent{AgentType: openvswitch.AgentType, Host: "host1", AdminStateUp: true,
		HeartbeatAt: time.Now(), Configurations: map[string]any{
			"bridge_mappings":    map[string]any{"physnet1": "br-eth1"},
			"tunnel_types":       []any{"vxlan"},
			"tunneling_ip":       "192.0.2.1",
			"integration_bridge": "br-int",
			"datapath_type":      "system",
			"ovs_hybrid_plug":    true,
		}}

	vlan := core.Segment{ID: "seg-vlan", NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet1", SegmentationID: 42}
	pc := mechtest.NewPortContext(&core.Port{Standard: core.Standard{ID: "port-1"},
		Binding: core.PortBinding{HostID: "host1", VIFType: core.VIFTypeUnbound}}, vlan)
	pc.Agents = []core.Agent{a}

	if err := d.BindPort(ctx, pc); err != nil {
		panic(err)
	}
	b := pc.LastBinding()
	fmt.Println(b.SegmentID, b.VIFType)
	fmt.Println(b.VIFDetails)
	// Output:
	// seg-vlan ovs
	// map[bridge_name:br-int connectivity:l2 datapath_type:system ovs_hybrid_plug:true port_filter:true]
}
