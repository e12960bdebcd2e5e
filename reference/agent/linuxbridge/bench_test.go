package linuxbridge_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/linuxbridge"
)

// benchState is a busy host: 200 ports over 20 vxlan networks, each
// network also on 10 remote hosts with 5 ports apiece (1,200 L2
// population entries in all). The port devices are veth pairs whose far
// ends wait in a separate namespace.
func benchState(b *testing.B, h *host) *dataplane.State {
	b.Helper()
	const nets, portsPerNet, remotes, remotePorts = 20, 10, 10, 5
	sink := newNS(b, "sink")
	s := &dataplane.State{Networks: map[string]*dataplane.Network{}, Ports: map[string]*dataplane.Port{}}
	for n := range nets {
		netID := fmt.Sprintf("%08x-bbbb-4000-8000-%012x", n, n)
		var fdb []dataplane.FDBEntry
		for r := range remotes {
			ep := netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + r)})
			fdb = append(fdb, dataplane.FDBEntry{MAC: dataplane.FloodMAC, Endpoint: ep})
			for p := range remotePorts {
				fdb = append(fdb, dataplane.FDBEntry{
					MAC:      fmt.Sprintf("fa:16:3f:%02x:%02x:%02x", n, r, p),
					IP:       netip.AddrFrom4([4]byte{10, byte(n), byte(r), byte(p)}),
					Endpoint: ep,
				})
			}
		}
		s.Networks[netID] = &dataplane.Network{ID: netID, NetworkType: "vxlan", SegmentationID: 5000 + n, MTU: tenantMT, FDB: fdb}
		for p := range portsPerNet {
			i := n*portsPerNet + p
			portID := fmt.Sprintf("%08x-pppp-4000-8000-%012x", i, i)
			dev := dataplane.TapName(portID)
			veth := &netlink.Veth{
				LinkAttrs:     netlink.LinkAttrs{Name: dev},
				PeerName:      fmt.Sprintf("vm%d", i),
				PeerNamespace: netlink.NsFd(sink.NsHandle()),
			}
			require.NoError(b, h.ns.Netlink().LinkAdd(veth))
			s.Ports[portID] = &dataplane.Port{
				ID: portID, NetworkID: netID, MACAddress: fmt.Sprintf("fa:16:3e:00:%02x:%02x", n, p),
				AdminStateUp: true, Device: dev,
			}
		}
	}
	return s
}

// unwire takes the host back to before the first Apply: the agent's
// links gone and the port devices down with their default MTU, as the
// hypervisor plugged them. (Deleting the 40 links alone takes the kernel
// about a second: most of a cold iteration's wall time is spent here, off
// the clock.)
func unwire(b *testing.B, h *host, s *dataplane.State) {
	b.Helper()
	_, err := h.dp.Apply(b.Context(), &dataplane.State{})
	require.NoError(b, err)
	nl := h.ns.Netlink()
	for _, p := range s.Ports {
		l, err := nl.LinkByName(p.Device)
		require.NoError(b, err)
		require.NoError(b, nl.LinkSetDown(l))
		require.NoError(b, nl.LinkSetMTU(l, 1500))
	}
}

// BenchmarkApply200Ports measures Apply for 200 ports on one host: cold
// (nothing wired: every bridge, VXLAN device and forwarding entry
// made, each port device enslaved, set to the network MTU and up) and
// converged (everything already there: reads only).
func BenchmarkApply200Ports(b *testing.B) {
	h := newHost(b, "h", linuxbridge.Config{LocalIP: host1IP, EnableVXLAN: true})
	s := benchState(b, h)
	ctx := b.Context()

	b.Run("cold", func(b *testing.B) {
		writes := 0
		for b.Loop() {
			b.StopTimer()
			unwire(b, h, s)
			b.StartTimer()
			r, err := h.dp.Apply(ctx, s)
			require.NoError(b, err)
			require.Len(b, r.Wired, 200)
			writes = r.Writes
		}
		b.ReportMetric(float64(writes), "writes/op")
	})
	b.Run("converged", func(b *testing.B) {
		_, err := h.dp.Apply(ctx, s)
		require.NoError(b, err)
		writes := 0
		for b.Loop() {
			r, err := h.dp.Apply(ctx, s)
			require.NoError(b, err)
			writes += r.Writes
		}
		b.ReportMetric(float64(writes), "writes/op")
	})
}
