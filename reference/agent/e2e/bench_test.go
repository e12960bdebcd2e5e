package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/reference/agent"
	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/linuxbridge"
	"github.com/ml2go/ml2go/reference/agentrpc"
)

// countingDataplane counts the writes of the dataplane it wraps.
type countingDataplane struct {
	dataplane.Dataplane
	writes atomic.Int64
}

func (c *countingDataplane) Apply(ctx context.Context, s *dataplane.State) (dataplane.Result, error) {
	res, err := c.Dataplane.Apply(ctx, s)
	c.writes.Add(int64(res.Writes))
	return res, err
}

// BenchmarkColdStart200Ports measures, with the Linux bridge dataplane,
// the time from an agent's start on a host with 200 plugged ports, bound
// to it on two vxlan networks, to all of them ACTIVE; and then the
// dataplane writes made by a restart of the agent with nothing changed
// (restart-writes, target 0).
func BenchmarkColdStart200Ports(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: creates network namespaces and links")
	}
	const nPorts = 200
	for b.Loop() {
		b.StopTimer()
		c := startServer(b, "linuxbridge", "l2population")
		h := &host{name: "bench-host", ns: newNS(b, "bh"), ip: netip.MustParseAddr("192.0.2.1")}
		client := agentrpc.NewClient(c.url)
		ctx := context.Background()
		_, err := client.Report(ctx, &agentrpc.Report{Host: h.name, AgentType: "Linux bridge agent",
			Configurations: map[string]any{"tunnel_types": []any{"vxlan"}, "tunneling_ip": h.ip.String()}})
		require.NoError(b, err)
		var ids []string
		for n := range 2 {
			net, sub := c.network(b, fmt.Sprintf("10.%d.0.0/16", 20+n))
			for range nPorts / 2 {
				p, err := c.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "demo", NetworkID: net.ID, HostID: &h.name})
				require.NoError(b, err)
				require.Equal(b, sub.ID, p.FixedIPs[0].SubnetID)
				ids = append(ids, p.ID)
				// The hypervisor's side of the port: a veth pair whose
				// far end stays in the host, standing for the VM.
				require.NoError(b, h.ns.Netlink().LinkAdd(&netlink.Veth{
					LinkAttrs: netlink.LinkAttrs{Name: dataplane.TapName(p.ID)}, PeerName: "vm" + p.ID[:11]}))
			}
		}
		b.StartTimer()
		start := time.Now()
		stop := runAgent(b, c, h, nil)
		require.Eventually(b, func() bool {
			active, err := c.plugin.ListPorts(ctx, &core.ListOptions{Filters: map[string][]string{
				"binding:host_id": {h.name}, "status": {core.StatusActive}}})
			return err == nil && len(active) == nPorts
		}, 2*time.Minute, 20*time.Millisecond)
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-to-all-active")
		b.StopTimer()
		stop()
		counter := &countingDataplane{}
		stop = runAgent(b, c, h, counter)
		time.Sleep(time.Second) // several applies of the whole state
		stop()
		b.ReportMetric(float64(counter.writes.Load()), "restart-writes")
		b.StartTimer()
	}
}

// runAgent starts an agent for h; counter, when set, wraps its dataplane.
func runAgent(b *testing.B, c *cloud, h *host, counter *countingDataplane) (stop func()) {
	dp, err := linuxbridge.New(linuxbridge.Config{LocalIP: h.ip, EnableVXLAN: true}, linuxbridge.WithHandle(h.ns.Netlink()),
		linuxbridge.WithLogger(testLogger(b, h.name)))
	require.NoError(b, err)
	var d dataplane.Dataplane = dp
	if counter != nil {
		counter.Dataplane = dp
		d = counter
	}
	a := agent.New(agent.Config{
		Host: h.name, AgentType: "Linux bridge agent",
		Configurations:  map[string]any{"tunnel_types": []any{"vxlan"}, "tunneling_ip": h.ip.String()},
		PollingInterval: 100 * time.Millisecond,
		Logger:          testLogger(b, h.name),
	}, agentrpc.NewClient(c.url), d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
		_ = dp.Close()
	}
}
