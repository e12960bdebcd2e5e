package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/reference/agent/dataplane"
	"github.com/ml2go/ml2go/reference/agent/linuxbridge"
)

// TestAgentBinary runs the ml2go-agent program itself, inside a host
// namespace, from a Neutron-style configuration file: it reaches the
// server over a management link, and wires a port bound to its host.
func TestAgentBinary(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and links")
	}
	if testing.Short() {
		t.Skip("builds ml2go-agent")
	}
	bin := filepath.Join(t.TempDir(), "ml2go-agent")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/ml2go/ml2go/reference/cmd/ml2go-agent").CombinedOutput()
	require.NoError(t, err, "%s", out)

	// The host, and a management link from this namespace to it.
	h := &host{name: "bin-host", ns: newNS(t, "hm"), ip: netip.MustParseAddr("192.0.2.1")}
	root, err := netlink.NewHandle()
	require.NoError(t, err)
	t.Cleanup(root.Close)
	mgmt := "mg" + runID
	// 198.18.0.0/15 is for benchmarking labs (RFC 2544): no real network
	// of the machine's uses it.
	mgmtNet := fmt.Sprintf("198.18.%d", time.Now().UnixNano()%250)
	require.NoError(t, root.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: mgmt}, PeerName: "mgmt",
		PeerNamespace: netlink.NsFd(h.ns.NsHandle())}))
	t.Cleanup(func() {
		if l, err := root.LinkByName(mgmt); err == nil {
			_ = root.LinkDel(l)
		}
	})
	l, err := root.LinkByName(mgmt)
	require.NoError(t, err)
	require.NoError(t, root.AddrAdd(l, mustNetlinkAddr(t, mgmtNet+".1/24")))
	require.NoError(t, root.LinkSetUp(l))
	hl, err := h.ns.Netlink().LinkByName("mgmt")
	require.NoError(t, err)
	require.NoError(t, h.ns.Netlink().AddrAdd(hl, mustNetlinkAddr(t, mgmtNet+".2/24")))
	require.NoError(t, h.ns.Netlink().LinkSetUp(hl))

	// The server, listening on the management link.
	c := startServerOn(t, mgmtNet+".1:0", "linuxbridge", "l2population")
	ctx := context.Background()

	// The agent, as an operator starts it on the host.
	ini := filepath.Join(t.TempDir(), "linuxbridge_agent.ini")
	require.NoError(t, os.WriteFile(ini, []byte(fmt.Sprintf(`[DEFAULT]
host = %s
[vxlan]
enable_vxlan = true
local_ip = %s
l2_population = true
[agent]
report_interval = 1
polling_interval = 1
[ml2go_agent]
server_url = %s
`, h.name, h.ip, c.url)), 0o600))
	agent := exec.Command("ip", "netns", "exec", h.ns.Name, bin, "--config-file", ini)
	agent.Stdout, agent.Stderr = testWriter{t}, testWriter{t}
	require.NoError(t, agent.Start())
	t.Cleanup(func() {
		_ = agent.Process.Signal(os.Interrupt)
		_ = agent.Wait()
	})
	require.Eventually(t, func() bool {
		agents, err := c.plugin.ListAgents(ctx, &core.ListOptions{Filters: map[string][]string{"host": {h.name}}})
		return err == nil && len(agents) == 1
	}, 20*time.Second, 100*time.Millisecond, "the agent registers")

	n, sub := c.network(t, "10.50.0.0/24")
	p := c.port(t, n.ID, sub.ID, h.name, "10.50.0.11")
	require.Equal(t, core.VIFTypeBridge, p.Binding.VIFType)
	plug(t, h, p)
	c.waitStatus(t, p.ID, core.StatusActive)
	br, err := h.ns.Netlink().LinkByName(linuxbridge.BridgeName(n.ID))
	require.NoError(t, err, "the agent made the network's bridge in its host")
	tap, err := h.ns.Netlink().LinkByName(dataplane.TapName(p.ID))
	require.NoError(t, err)
	require.Equal(t, br.Attrs().Index, tap.Attrs().MasterIndex, "the port's tap is on it")
}

func mustNetlinkAddr(t *testing.T, cidr string) *netlink.Addr {
	t.Helper()
	a, err := netlink.ParseAddr(cidr)
	require.NoError(t, err)
	return a
}
