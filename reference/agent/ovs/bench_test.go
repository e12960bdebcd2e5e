package ovs

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/netns"
)

// benchPorts is the size of the benchmark host.
const (
	benchPorts     = 200
	benchNetworks  = 20 // half vlan, half vxlan
	benchEndpoints = 8  // remote tunnel endpoints
)

// BenchmarkApply200Ports measures Apply on a host with 200 plugged ports
// over 10 vlan and 10 vxlan networks (each vxlan network flooding to 4 of
// 8 remote endpoints, with a unicast entry per remote port): "cold" is an
// agent's first Apply on a host whose OVS has none of its bridges, the
// taps freshly plugged and down; "converged" is every later Apply. The
// writes/op metric of "converged" must be 0.
func BenchmarkApply200Ports(b *testing.B) {
	requireOVS(b)
	sfx := suffix(b)
	phys := "bp" + sfx
	addBridge(b, phys)
	cfg := hostConfig(sfx, "z")
	cfg.BridgeMappings = map[string]string{"physnet1": phys}
	cfg.TunnelTypes = []string{TunnelVXLAN}
	cfg.LocalIP = netip.MustParseAddr("127.254.0.1")
	d := newDataplane(b, cfg)
	s, taps := benchState(b, sfx)

	b.Run("cold", func(b *testing.B) {
		writes := 0
		for b.Loop() {
			b.StopTimer()
			for _, br := range []string{cfg.IntegrationBridge, cfg.TunnelBridge, phys} {
				vsctl(b, "--if-exists", "del-br", br)
			}
			vsctl(b, "add-br", phys, "--", "set", "Bridge", phys, "datapath_type=netdev")
			for _, tap := range taps {
				require.NoError(b, netlink.LinkSetDown(tap))
			}
			b.StartTimer()
			res, err := d.Apply(testCtx(b), s)
			require.NoError(b, err)
			require.Len(b, res.Wired, benchPorts)
			writes += res.Writes
		}
		b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
	})

	b.Run("converged", func(b *testing.B) {
		_, err := d.Apply(testCtx(b), s)
		require.NoError(b, err)
		writes := 0
		for b.Loop() {
			res, err := d.Apply(testCtx(b), s)
			require.NoError(b, err)
			require.Len(b, res.Wired, benchPorts)
			writes += res.Writes
		}
		b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
		require.Zero(b, writes, "a converged host takes no write")
	})
}

// benchState plugs benchPorts veth pairs (peers in one namespace, left
// down: no traffic) and returns the desired state and the host ends.
func benchState(b *testing.B, sfx string) (*dataplane.State, []netlink.Link) {
	b.Helper()
	nsName := "ovb" + sfx
	ns, err := netns.New(context.Background(), nsName)
	require.NoError(b, err)
	b.Cleanup(func() { _ = ns.Delete() })
	s := &dataplane.State{Networks: map[string]*dataplane.Network{}, Ports: map[string]*dataplane.Port{}}
	var nets []*dataplane.Network
	for i := range benchNetworks {
		n := &dataplane.Network{ID: uuid.NewString(), NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 1000 + i}
		if i%2 == 1 {
			n = &dataplane.Network{ID: uuid.NewString(), NetworkType: "vxlan", SegmentationID: 5000 + i}
			for e := range 4 {
				ep := netip.AddrFrom4([4]byte{127, 254, 1, byte(1 + (i+e)%benchEndpoints)})
				n.FDB = append(n.FDB,
					dataplane.FDBEntry{MAC: dataplane.FloodMAC, Endpoint: ep},
					dataplane.FDBEntry{MAC: fmt.Sprintf("fa:16:3e:ff:%02x:%02x", i, e), Endpoint: ep})
			}
		}
		nets = append(nets, n)
		s.Networks[n.ID] = n
	}
	taps := make([]netlink.Link, 0, benchPorts)
	for i := range benchPorts {
		id := uuid.NewString()
		p := &dataplane.Port{
			ID: id, NetworkID: nets[i%benchNetworks].ID, MACAddress: fmt.Sprintf("fa:16:3e:00:%02x:%02x", i/256, i%256),
			AdminStateUp: true, Device: dataplane.TapName(id),
		}
		s.Ports[id] = p
		la := netlink.NewLinkAttrs()
		la.Name = p.Device
		require.NoError(b, netlink.LinkAdd(&netlink.Veth{
			LinkAttrs: la, PeerName: fmt.Sprintf("e%d", i), PeerNamespace: netlink.NsFd(int(ns.NsHandle())),
		}))
		link, err := netlink.LinkByName(p.Device)
		require.NoError(b, err)
		taps = append(taps, link)
		b.Cleanup(func() { _ = netlink.LinkDel(link) })
	}
	return s, taps
}
