package vmplug

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/netns"
)

var (
	runID = func() string {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}()
	nsCounter atomic.Int64
)

// testNS makes a throwaway namespace deleted when the test ends; it skips
// the test when namespaces cannot be made.
func testNS(t *testing.T) *netns.Namespace {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
	name := fmt.Sprintf("vpt%s-%d", runID, nsCounter.Add(1))
	ns, err := netns.New(t.Context(), name)
	if err != nil {
		t.Skipf("cannot create network namespace %s: %v", name, err)
	}
	t.Cleanup(func() { assert.NoError(t, ns.Delete()) })
	return ns
}

const portID = "9a9a9a9a-0000-4000-8000-000000000001"

func TestPlugUnplug(t *testing.T) {
	host, vmNS := testNS(t), testNS(t)
	ctx := t.Context()
	addr := netip.MustParsePrefix("198.51.100.7/24")

	tap, err := Plug(ctx, host.Netlink(), vmNS.NsHandle(), VM{PortID: portID, MAC: "fa:16:3e:aa:bb:cc", Addr: addr, MTU: 1450})
	require.NoError(t, err)
	assert.Equal(t, dataplane.TapName(portID), tap)

	hostEnd, err := host.Netlink().LinkByName(tap)
	require.NoError(t, err)
	assert.Equal(t, "veth", hostEnd.Type())
	assert.Zero(t, hostEnd.Attrs().Flags&net.FlagUp, "left down for the agent to wire")
	assert.Equal(t, 1450, hostEnd.Attrs().MTU)

	guest, err := vmNS.Netlink().LinkByName(GuestInterface)
	require.NoError(t, err)
	assert.Equal(t, "fa:16:3e:aa:bb:cc", guest.Attrs().HardwareAddr.String())
	assert.NotZero(t, guest.Attrs().Flags&net.FlagUp)
	assert.Equal(t, 1450, guest.Attrs().MTU)
	addrs, err := vmNS.Netlink().AddrList(guest, netlink.FAMILY_V4)
	require.NoError(t, err)
	require.Len(t, addrs, 1)
	assert.Equal(t, addr.String(), addrs[0].IPNet.String())
	lo, err := vmNS.Netlink().LinkByName("lo")
	require.NoError(t, err)
	assert.NotZero(t, lo.Attrs().Flags&net.FlagUp)

	require.NoError(t, Unplug(ctx, host.Netlink(), portID))
	_, err = host.Netlink().LinkByName(tap)
	assert.ErrorAs(t, err, &netlink.LinkNotFoundError{})
	_, err = vmNS.Netlink().LinkByName(GuestInterface)
	assert.ErrorAs(t, err, &netlink.LinkNotFoundError{}, "the guest end goes with the pair")
	assert.NoError(t, Unplug(ctx, host.Netlink(), portID), "unplugging twice is harmless")
}

func TestPlugRejectsBadMAC(t *testing.T) {
	host, vmNS := testNS(t), testNS(t)
	_, err := Plug(t.Context(), host.Netlink(), vmNS.NsHandle(), VM{PortID: portID, MAC: "not-a-mac"})
	require.Error(t, err)
	_, err = host.Netlink().LinkByName(dataplane.TapName(portID))
	assert.ErrorAs(t, err, &netlink.LinkNotFoundError{})
}

// TestPingThroughBridge plugs two VMs into a hand-made bridge and pings
// between them: Plug, netns.Namespace.Do and Pinger working together.
func TestPingThroughBridge(t *testing.T) {
	host, vm1, vm2 := testNS(t), testNS(t), testNS(t)
	nl := host.Netlink()
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	require.NoError(t, nl.LinkAdd(br))
	require.NoError(t, nl.LinkSetUp(br))
	for i, vm := range []*netns.Namespace{vm1, vm2} {
		id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i+1)
		tap, err := Plug(t.Context(), nl, vm.NsHandle(), VM{
			PortID: id,
			MAC:    fmt.Sprintf("fa:16:3e:00:00:%02x", i+1),
			Addr:   netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)}), 24),
		})
		require.NoError(t, err)
		l, err := nl.LinkByName(tap)
		require.NoError(t, err)
		require.NoError(t, nl.LinkSetMaster(l, br))
		require.NoError(t, nl.LinkSetUp(l))
	}
	p, err := NewPinger(vm1)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })

	var pingErr error
	for range 3 {
		if pingErr = p.Ping(t.Context(), netip.MustParseAddr("198.51.100.2"), time.Second); pingErr == nil {
			break
		}
	}
	require.NoError(t, pingErr)

	err = p.Ping(t.Context(), netip.MustParseAddr("198.51.100.99"), 300*time.Millisecond)
	assert.ErrorContains(t, err, "no reply")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, p.Ping(ctx, netip.MustParseAddr("198.51.100.2"), time.Second), context.Canceled)
}

func TestChecksum(t *testing.T) {
	// RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2; the
	// checksum is its complement.
	assert.Equal(t, uint16(^uint16(0xddf2)), checksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}))
	req := echoRequest(0x1234, 7)
	assert.Zero(t, checksum(req), "a message with its checksum in place sums to zero")
	reply := append([]byte(nil), req...)
	reply[0] = icmpEchoReply
	assert.True(t, isEchoReply(reply, 0x1234, 7))
	assert.False(t, isEchoReply(reply, 0x1234, 8))
	assert.False(t, isEchoReply(req, 0x1234, 7))
}
