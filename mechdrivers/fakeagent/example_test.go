package fakeagent_test

import (
	"context"
	"fmt"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
)

func Example() {
	ctx := context.Background()
	d := fakeagent.New(fakeagent.Config{})

	// A test stores this agent with core.Tx.UpsertAgent; mechtest's fake
	// context serves it directly.
	a := fakeagent.NewAgent("host1", map[string]string{"physnet1": "br-eth1"}, core.TypeVXLAN)

	vlan := core.Segment{ID: "seg-vlan", NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet9", SegmentationID: 42}
	vxlan := core.Segment{ID: "seg-vxlan", NetworkType: core.TypeVXLAN, SegmentationID: 1001}
	pc := mechtest.NewPortContext(&core.Port{Standard: core.Standard{ID: "port-1"},
		Binding: core.PortBinding{HostID: "host1", VIFType: core.VIFTypeUnbound}}, vlan, vxlan)
	pc.Agents = []core.Agent{*a}

	if err := d.BindPort(ctx, pc); err != nil {
		panic(err)
	}
	b := pc.LastBinding()
	fmt.Println(b.SegmentID, b.VIFType, b.VIFDetails)
	// Output:
	// seg-vxlan ovs map[connectivity:l2 port_filter:false]
}
