package e2e

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/ovs"
)

// requireOVS skips when Open vSwitch does not answer.
func requireOVS(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces, links and OVS bridges")
	}
	if out, err := exec.Command("ovs-vsctl", "--timeout=5", "show").CombinedOutput(); err != nil {
		t.Skipf("Open vSwitch is not running (start it with reference/agent/ovs/testdata/start-ovs.sh): %v: %s", err, out)
	}
}

// brPorts lists the ports of an OVS bridge.
func brPorts(t *testing.T, bridge string) []string {
	t.Helper()
	out, err := exec.Command("ovs-vsctl", "--timeout=5", "list-ports", bridge).Output()
	require.NoError(t, err)
	return strings.Fields(string(out))
}

// TestOpenVSwitchEndToEnd runs the server and an agent with the Open
// vSwitch dataplane (userspace datapath) on one host: two tenant networks,
// VMs plugged into br-int by their tap devices. Tunnels between two hosts
// are covered by the dataplane's own tests (reference/agent/ovs), which
// need an underlay set up by hand in one OVS.
func TestOpenVSwitchEndToEnd(t *testing.T) {
	requireOVS(t)
	ctx := context.Background()
	top := t
	c := startServer(t, "openvswitch", "l2population")
	root, err := netlink.NewHandle()
	require.NoError(t, err)
	t.Cleanup(root.Close)

	// Bridge and patch port names of this run: OVS names are global.
	cfg := ovs.Config{
		IntegrationBridge: "bi" + runID, TunnelBridge: "bt" + runID,
		IntPeerPatchPort: "pi" + runID, TunPeerPatchPort: "pt" + runID,
		LocalIP: mustAddr("192.0.2.1"), TunnelTypes: []string{"vxlan"}, DatapathType: "netdev",
	}
	t.Cleanup(func() {
		for _, br := range []string{cfg.IntegrationBridge, cfg.TunnelBridge} {
			_ = exec.Command("ovs-vsctl", "--timeout=5", "--if-exists", "del-br", br).Run()
		}
	})
	h := &host{name: "ovs-host", ip: cfg.LocalIP, agentType: "Open vSwitch agent",
		dataplane: func(log hclog.Logger) (dataplane.Dataplane, error) { return ovs.New(cfg, log) }}
	h.startAgent(t, c)

	red, redSub := c.network(t, "10.30.0.0/24")
	blue, blueSub := c.network(t, "10.30.0.0/24")
	red1, red2 := c.port(t, red.ID, redSub.ID, h.name, "10.30.0.11"), c.port(t, red.ID, redSub.ID, h.name, "10.30.0.12")
	blue1 := c.port(t, blue.ID, blueSub.ID, h.name, "10.30.0.21")
	for _, p := range []*core.Port{red1, red2, blue1} {
		require.Equal(t, core.VIFTypeOVS, p.Binding.VIFType, "bound by the openvswitch driver")
	}
	vmRed1, vmRed2, vmBlue1 := plugInto(t, root, red1), plugInto(t, root, red2), plugInto(t, root, blue1)
	for _, p := range []*core.Port{red1, red2, blue1} {
		c.waitStatus(t, p.ID, core.StatusActive)
	}

	t.Run("VMs of a network reach each other, not the other network's", func(t *testing.T) {
		vmRed1.requirePing(t, vmRed2)
		assert.Error(t, vmRed1.ping(vmBlue1))
		assert.Error(t, vmBlue1.ping(vmRed2))
	})

	t.Run("agent restart keeps traffic", func(t *testing.T) {
		var sent, lost atomic.Int64
		stop, pinging := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(pinging)
			for {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				if vmRed2.ping(vmRed1) != nil {
					lost.Add(1)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
		h.stop()
		h.startAgent(top, c)
		time.Sleep(2 * time.Second)
		close(stop)
		<-pinging
		assert.Zero(t, lost.Load(), "pings lost of %d", sent.Load())
	})

	t.Run("a deleted port leaves br-int", func(t *testing.T) {
		tap := dataplane.TapName(red2.ID)
		require.Contains(t, brPorts(t, cfg.IntegrationBridge), tap)
		require.NoError(t, c.plugin.DeletePort(ctx, red2.ID))
		require.Eventually(t, func() bool { return !slices.Contains(brPorts(t, cfg.IntegrationBridge), tap) },
			10*time.Second, 50*time.Millisecond)
		assert.Error(t, vmRed1.ping(vmRed2))
	})
}
