package ovs

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
)

// TestDeviceLifecycle follows a port whose device the hypervisor plugs
// only after the port is bound, then unplugs: the port is wired once its
// device appears and leaves br-int when its device goes.
func TestDeviceLifecycle(t *testing.T) {
	requireOVS(t)
	ctx := testCtx(t)
	sfx := suffix(t)
	d := newDataplane(t, hostConfig(sfx, "l"))
	n := &dataplane.Network{ID: uuid.NewString(), NetworkType: "local", MTU: 1400}
	id1, id2 := uuid.NewString(), uuid.NewString()
	vm1 := newVM(t, "ovt"+sfx+"vm1", id1, "fa:16:3e:00:03:01", netip.MustParsePrefix("10.233.0.1/24"))
	p1 := vm1.port(id1, n.ID)
	p2 := &dataplane.Port{ID: id2, NetworkID: n.ID, MACAddress: "fa:16:3e:00:03:02", AdminStateUp: true,
		Device: dataplane.TapName(id2)}
	s := &dataplane.State{
		Networks: map[string]*dataplane.Network{n.ID: n},
		Ports:    map[string]*dataplane.Port{id1: p1, id2: p2},
	}
	brInt := d.Config().IntegrationBridge
	listPorts := func() []string {
		ports, err := ovsClient().VSwitch.ListPorts(brInt)
		require.NoError(t, err)
		return ports
	}

	res, err := d.Apply(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, []string{id1}, res.Wired, "p2's device is not there yet")
	assert.Equal(t, []string{vm1.tap}, listPorts())
	l, err := netlink.LinkByName(vm1.tap)
	require.NoError(t, err)
	assert.NotZero(t, l.Attrs().Flags&net.FlagUp, "the wired device is set up")
	assert.Equal(t, 1400, l.Attrs().MTU, "the device has the network's MTU")

	vm2 := newVM(t, "ovt"+sfx+"vm2", id2, p2.MACAddress, netip.MustParsePrefix("10.233.0.2/24"))
	res, err = d.Apply(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, sortedIDs(p1, p2), res.Wired, "p2 is wired once plugged")
	assert.ElementsMatch(t, []string{vm1.tap, vm2.tap}, listPorts())
	requireReach(t, vm1, vm2, "local network")

	l, err = netlink.LinkByName(vm2.tap)
	require.NoError(t, err)
	require.NoError(t, netlink.LinkDel(l), "the hypervisor unplugs p2")
	res, err = d.Apply(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, []string{id1}, res.Wired)
	assert.Equal(t, []string{vm1.tap}, listPorts())

	res, err = d.Apply(ctx, s)
	require.NoError(t, err)
	assert.Zero(t, res.Writes)
}

func TestApplyErrors(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		d, err := New(Config{}, nil)
		require.NoError(t, err)
		require.NoError(t, d.Close())
		_, err = d.Apply(context.Background(), &dataplane.State{})
		require.ErrorIs(t, err, ErrClosed)
	})
	t.Run("mapped bridge missing", func(t *testing.T) {
		requireOVS(t)
		sfx := suffix(t)
		cfg := hostConfig(sfx, "m")
		cfg.BridgeMappings = map[string]string{"physnet1": "nobr" + sfx}
		d := newDataplane(t, cfg)
		local := &dataplane.Network{ID: uuid.NewString(), NetworkType: "local"}
		flat := &dataplane.Network{ID: uuid.NewString(), NetworkType: "flat", PhysicalNetwork: "physnet1"}
		idL, idF := uuid.NewString(), uuid.NewString()
		vmL := newVM(t, "ovt"+sfx+"l", idL, "fa:16:3e:00:04:01", netip.MustParsePrefix("10.234.0.1/24"))
		vmF := newVM(t, "ovt"+sfx+"f", idF, "fa:16:3e:00:04:02", netip.MustParsePrefix("10.234.0.2/24"))
		s := &dataplane.State{
			Networks: map[string]*dataplane.Network{local.ID: local, flat.ID: flat},
			Ports:    map[string]*dataplane.Port{idL: vmL.port(idL, local.ID), idF: vmF.port(idF, flat.ID)},
		}
		res, err := d.Apply(testCtx(t), s)
		require.ErrorIs(t, err, ErrMissingBridge)
		assert.Contains(t, err.Error(), "physnet1:nobr"+sfx)
		assert.Equal(t, []string{idL}, res.Wired, "the local network is wired all the same")
		assert.Equal(t, itoa(DeadVLAN), vsctl(t, "get", "Port", vmF.tap, "tag"), "the flat port waits in the dead VLAN")
	})
	t.Run("context cancelled", func(t *testing.T) {
		requireOVS(t)
		d := newDataplane(t, hostConfig(suffix(t), "c"))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := d.Apply(ctx, &dataplane.State{})
		require.ErrorIs(t, err, context.Canceled)
	})
}
