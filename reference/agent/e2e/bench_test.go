package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/reference/agent"
	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/ovs/ovstest"
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

// BenchmarkColdStart200Ports measures, for each dataplane, the time from
// an agent's start on a host with 200 plugged ports, bound to it on two
// vxlan networks, to all of them ACTIVE (ms-to-all-active); and then the
// dataplane writes made by a restart of the agent with nothing changed
// (restart-writes, target 0).
func BenchmarkColdStart200Ports(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: creates network namespaces and links")
	}
	b.Run("linuxbridge", func(b *testing.B) {
		benchColdStart(b, "linuxbridge", func(b *testing.B, _ int) (*host, *netlink.Handle) {
			h := &host{name: "bench-lb", ns: newNS(b, "bh"), ip: netip.MustParseAddr("192.0.2.1")}
			return h, h.ns.Netlink()
		})
	})
	b.Run("openvswitch", func(b *testing.B) {
		ovstest.Require(b)
		benchColdStart(b, "openvswitch", func(b *testing.B, i int) (*host, *netlink.Handle) {
			// Each iteration's bridges are removed when the benchmark
			// ends: the next one needs names of its own.
			h, _ := ovsHost(b, "bench-ovs", string(rune('a'+i%26)), netip.MustParseAddr("192.0.2.1"))
			root, err := netlink.NewHandle()
			require.NoError(b, err)
			b.Cleanup(root.Close)
			return h, root
		})
	})
}

// benchColdStart runs the cold-start benchmark with a host from newHost,
// whose tap devices go where its handle says; newHost is given the
// iteration's number.
func benchColdStart(b *testing.B, driver string, newHost func(*testing.B, int) (*host, *netlink.Handle)) {
	const nPorts = 200
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		c := startServer(b, driver, "l2population")
		h, taps := newHost(b, i)
		agentType, dp, err := h.newDataplane(hclog.NewNullLogger())
		require.NoError(b, err)
		require.NoError(b, dp.Close())
		ctx := context.Background()
		_, err = agentrpc.NewClient(c.url).Report(ctx, &agentrpc.Report{Host: h.name, AgentType: agentType,
			Configurations: map[string]any{"tunnel_types": []any{"vxlan"}, "tunneling_ip": h.ip.String()}})
		require.NoError(b, err)
		for n := range 2 {
			net, _ := c.network(b, fmt.Sprintf("10.%d.0.0/16", 20+n))
			for range nPorts / 2 {
				p, err := c.plugin.CreatePort(ctx, &ml2.PortRequest{ProjectID: "demo", NetworkID: net.ID, HostID: &h.name})
				require.NoError(b, err)
				// The hypervisor's side of the port: a veth pair whose
				// far end stands for the VM.
				tap := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: dataplane.TapName(p.ID)}, PeerName: "vm" + p.ID[:11]}
				require.NoError(b, taps.LinkAdd(tap))
				b.Cleanup(func() { _ = taps.LinkDel(tap) })
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
	agentType, dp, err := h.newDataplane(testLogger(b, h.name))
	require.NoError(b, err)
	var d dataplane.Dataplane = dp
	if counter != nil {
		counter.Dataplane = dp
		d = counter
	}
	a := agent.New(agent.Config{
		Host: h.name, AgentType: agentType,
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
