package e2e

import (
	"context"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/ovs"
	"github.com/ml2go/ml2go/reference/agent/ovs/ovstest"
)

// brPorts lists the ports of an OVS bridge.
func brPorts(t *testing.T, bridge string) []string {
	t.Helper()
	out, err := exec.Command("ovs-vsctl", "--timeout=5", "list-ports", bridge).Output()
	require.NoError(t, err)
	return strings.Fields(string(out))
}

// dumpFlows returns the flows of an OVS bridge as ovs-ofctl prints them.
func dumpFlows(t *testing.T, bridge string) string {
	t.Helper()
	out, err := exec.Command("ovs-ofctl", "dump-flows", bridge).Output()
	require.NoError(t, err)
	return string(out)
}

// ovsHost is a host whose agent runs the Open vSwitch dataplane with
// bridge and patch port names of its own (OVS names are global on the one
// OVS all hosts share here).
//
// Its physical network physnet1 is a bridge of its own (made here, as an
// operator would), with no uplink: VLAN networks on it stay on the host.
func ovsHost(t testing.TB, name, tag string, ip netip.Addr) (*host, ovs.Config) {
	phys := "bp" + tag + runID
	cfg := ovs.Config{
		IntegrationBridge: "bi" + tag + runID, TunnelBridge: "bt" + tag + runID,
		IntPeerPatchPort: "pi" + tag + runID, TunPeerPatchPort: "pt" + tag + runID,
		LocalIP: ip, TunnelTypes: []string{"vxlan"}, DatapathType: "netdev",
		BridgeMappings: map[string]string{"physnet1": phys},
	}
	t.Cleanup(func() {
		for _, br := range []string{cfg.IntegrationBridge, cfg.TunnelBridge, phys} {
			_ = exec.Command("ovs-vsctl", "--timeout=10", "--if-exists", "del-br", br).Run()
		}
	})
	out, err := exec.Command("ovs-vsctl", "--timeout=10", "add-br", phys, "--", "set", "Bridge", phys, "datapath_type=netdev").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return &host{name: name, ip: ip, agentType: "Open vSwitch agent",
		bridgeMappings: map[string]any{"physnet1": phys},
		dataplane:      func(log hclog.Logger) (dataplane.Dataplane, error) { return ovs.New(cfg, log) }}, cfg
}

// TestOpenVSwitchEndToEnd runs the server and two hosts' agents with the
// Open vSwitch dataplane (userspace datapath), joined by VXLAN over an
// underlay on this machine's one OVS (ovstest.Underlay); VMs are plugged
// into br-int by their tap devices.
func TestOpenVSwitchEndToEnd(t *testing.T) {
	ovstest.Require(t)
	ctx := context.Background()
	top := t
	c := startServer(t, "openvswitch", "l2population")
	root, err := netlink.NewHandle()
	require.NoError(t, err)
	t.Cleanup(root.Close)
	ul := ovstest.NewUnderlay(t, runID)
	a, cfgA := ovsHost(t, "ovs-a", "a", ul.A)
	b, cfgB := ovsHost(t, "ovs-b", "b", ul.B)
	a.startAgent(t, c)
	b.startAgent(t, c)

	l := newLayout(t, c, a, b, "10.30.0", core.VIFTypeOVS,
		func(t *testing.T, _ *host, p *core.Port) *vm { return plugInto(t, root, p) })
	blue, blueSub := l.blue, l.blueSub
	redA, redB := l.redA, l.redB
	vmRedA, vmRedB, vmBlueA, vmBlueB := l.vmRedA, l.vmRedB, l.vmBlueA, l.vmBlueB
	assert.Contains(t, brPorts(t, cfgA.IntegrationBridge), dataplane.TapName(redA.ID))
	assert.NotContains(t, brPorts(t, cfgA.IntegrationBridge), dataplane.TapName(redB.ID), "host a wires only its own ports")

	t.Run("VMs on a network reach each other across hosts", func(t *testing.T) {
		vmRedA.requirePing(t, vmRedB)
		vmBlueB.requirePing(t, vmBlueA)
	})
	t.Run("networks are isolated", func(t *testing.T) {
		assert.Error(t, vmRedA.ping(vmBlueB))
		assert.Error(t, vmBlueA.ping(vmRedB))
	})

	t.Run("two VLAN networks on one host are isolated", func(t *testing.T) {
		vlanNet := func(id int64) (string, string) {
			n, err := c.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{ProjectID: "demo",
				Provider: &ml2.ProviderSegment{NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet1", SegmentationID: id}})
			require.NoError(t, err)
			sub, err := c.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{ProjectID: "demo", NetworkID: n.ID, IPVersion: 4,
				CIDR: netip.MustParsePrefix("10.40.0.0/24")})
			require.NoError(t, err)
			return n.ID, sub.ID
		}
		n100, s100 := vlanNet(100)
		n101, s101 := vlanNet(101)
		ports := []*core.Port{
			c.port(t, n100, s100, a.name, "10.40.0.11"), c.port(t, n100, s100, a.name, "10.40.0.12"),
			c.port(t, n101, s101, a.name, "10.40.0.13"),
		}
		var vms []*vm
		for _, p := range ports {
			require.Equal(t, core.VIFTypeOVS, p.Binding.VIFType)
			vms = append(vms, plugInto(t, root, p))
		}
		for _, p := range ports {
			c.waitStatus(t, p.ID, core.StatusActive)
		}
		vms[0].requirePing(t, vms[1])
		assert.Error(t, vms[0].ping(vms[2]), "VLAN 100 does not reach VLAN 101")
		assert.Error(t, vms[2].ping(vms[1]))
	})

	t.Run("agent restart keeps traffic", func(t *testing.T) {
		sent, lost := pingThroughRestart(top, c, a, vmRedB, vmRedA)
		assert.Zero(t, lost, "pings lost of %d", sent)
	})

	t.Run("a deleted port leaves br-int", func(t *testing.T) {
		tap := dataplane.TapName(redB.ID)
		require.Contains(t, brPorts(t, cfgB.IntegrationBridge), tap)
		require.Contains(t, dumpFlows(t, cfgA.TunnelBridge), redB.MACAddress, "host a forwards to the port through the tunnel")
		require.NoError(t, c.plugin.DeletePort(ctx, redB.ID))
		require.Eventually(t, func() bool { return !slices.Contains(brPorts(t, cfgB.IntegrationBridge), tap) },
			10*time.Second, 50*time.Millisecond)
		require.Eventually(t, func() bool { return !strings.Contains(dumpFlows(t, cfgA.TunnelBridge), redB.MACAddress) },
			10*time.Second, 50*time.Millisecond, "host a drops its flow to the port")
		assert.Error(t, vmRedA.ping(vmRedB))
	})

	t.Run("a dead agent's host fails binding; when it returns the port binds and goes ACTIVE", func(t *testing.T) {
		deadAgentRecovers(t, top, c, b, blue.ID, blueSub.ID, "10.30.0.23", func(p *core.Port) *vm { return plugInto(t, root, p) }, vmBlueA)
	})
}
