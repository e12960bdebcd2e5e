package logger_test

import (
	"context"
	"fmt"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
)

func Example() {
	ctx := context.Background()

	// In a server: reg.RegisterMechanismDriver("logger", d), and the ML2
	// orchestrator builds the contexts. Here package mechtest fakes them.
	d := logger.New(nil)
	d.FailOn("CreateNetworkPostcommit", core.InvalidInput("backend refused the network"))
	d.BindFunc = func(ctx context.Context, pc core.PortContext) error {
		seg := pc.SegmentsToBind()[0]
		pc.SetBinding(seg.ID, core.VIFTypeOVS, map[string]any{"port_filter": false}, "")
		return nil
	}

	seg := core.Segment{ID: "seg-1", NetworkType: core.TypeVXLAN, SegmentationID: 1001}
	nc := &mechtest.FakeNetworkContext{CurrentNetwork: &core.Network{
		Standard: core.Standard{ID: "net-1"}, Segments: []core.Segment{seg}}}
	fmt.Println("precommit:", d.CreateNetworkPrecommit(ctx, nc))
	fmt.Println("postcommit:", d.CreateNetworkPostcommit(ctx, nc))

	pc := mechtest.NewPortContext(&core.Port{Standard: core.Standard{ID: "port-1"}, NetworkID: "net-1",
		Binding: core.PortBinding{HostID: "host1", VIFType: core.VIFTypeUnbound}}, seg)
	if err := d.BindPort(ctx, pc); err != nil {
		panic(err)
	}
	fmt.Println("bound:", pc.VIFType(), pc.VIFDetails(), "on", pc.LastBinding().SegmentID)

	for _, c := range d.Calls() {
		fmt.Printf("%s segments=%d err=%v\n", c.Method, len(c.Segments), c.Err)
	}
	fmt.Println("port seen by BindPort:", d.CallsTo("BindPort")[0].Port.ID)
	// Output:
	// precommit: <nil>
	// postcommit: Invalid input for operation: backend refused the network.
	// bound: ovs map[port_filter:false] on seg-1
	// CreateNetworkPrecommit segments=1 err=<nil>
	// CreateNetworkPostcommit segments=1 err=Invalid input for operation: backend refused the network.
	// BindPort segments=1 err=<nil>
	// port seen by BindPort: port-1
}
