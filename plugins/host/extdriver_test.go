package host_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/extensions/portsecurity"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/plugins/base"
	"github.com/ml2go/ml2go/plugins/host"
	"github.com/ml2go/ml2go/typedrivers/local"
)

// The attributes of the test plugin's extension driver.
const (
	color = "ml2go_test_color"
	shade = "ml2go_test_shade"
)

// loadExt starts the test plugin's extension driver.
func loadExt(t testing.TB, mod ...func(*host.Config)) *host.ExtensionDriver {
	t.Helper()
	d, err := host.LoadExtensionDriver(context.Background(), testConfig(mod...))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// newExtEnv is an ML2 plugin on an in-memory SQLite store with the local
// type driver, the logger mechanism driver, and the extension drivers
// port_security (in process) then "color", the out-of-process ed.
func newExtEnv(t testing.TB, ed core.ExtensionDriver) *env {
	t.Helper()
	ctx := context.Background()
	reg := core.NewRegistry()
	require.NoError(t, reg.RegisterTypeDriver(local.New(local.Config{})))
	require.NoError(t, reg.RegisterMechanismDriver("logger", logger.New(nil)))
	require.NoError(t, reg.RegisterExtensionDriver(portsecurity.Name, portsecurity.New(nil)))
	require.NoError(t, reg.RegisterExtensionDriver("color", ed))
	p, err := ml2.New(ctx, ml2.Config{MechanismDrivers: []string{"logger"}, ExtensionDrivers: []string{portsecurity.Name, "color"}},
		reg, sqlstoretest.Open(t, sqlstoretest.SQLite))
	require.NoError(t, err)
	return &env{t: t, ctx: ctx, plugin: p}
}

func TestLoadExtensionDriver(t *testing.T) {
	d := loadExt(t)
	h := d.Health()
	assert.Equal(t, host.StateRunning, h.State)
	assert.Equal(t, base.ExtensionDriverAPIVersion, h.APIVersion)
	assert.Equal(t, []string{"ml2go-test-color"}, d.ExtensionAliases())
	assert.Equal(t, map[string][]string{"networks": {color, shade}, "ports": {color, shade}}, d.ExtensionAttributes())

	_, err := host.LoadExtensionDriver(context.Background(), testConfig(func(c *host.Config) {
		c.Env = []string{"ML2GO_TESTPLUGIN_KINDS=mechanism,type"}
	}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the binary serves no extension driver")
}

// TestExtensionDriverAttributes: what the out-of-process extension driver
// stores in Process* hooks (reading the port's network through the
// transaction callbacks, whichever way it makes them) and adds in Extend*
// hooks shows up on every read, next to the in-process port_security
// driver's attribute; the plugin reports its alias and attributes.
func TestExtensionDriverAttributes(t *testing.T) {
	for _, tr := range callbackTransports {
		t.Run(tr.name, func(t *testing.T) { testExtensionDriverAttributes(t, tr) })
	}
}

func testExtensionDriverAttributes(t *testing.T, tr transport) {
	ed := loadExt(t, tr.mod)
	e := newExtEnv(t, ed)
	ctx := e.ctx
	assert.Equal(t, []string{portsecurity.Alias, "ml2go-test-color"}, e.plugin.ExtensionAliases())
	assert.Equal(t, []string{portsecurity.Attribute, color, shade}, e.plugin.ExtensionAttributes("ports"))
	assert.Empty(t, e.plugin.ExtensionAttributes("subnets"))

	n, err := e.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{Extensions: map[string]any{color: "red"}})
	require.NoError(t, err)
	want := map[string]any{color: "red", shade: "dark red", portsecurity.Attribute: true}
	assert.Equal(t, want, n.Extra, "the create's response")
	got, err := e.plugin.GetNetwork(ctx, n.ID)
	require.NoError(t, err)
	assert.Equal(t, want, got.Extra, "a read")
	list, err := e.plugin.ListNetworks(ctx, nil)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, want, list[0].Extra, "a listing")

	_, err = e.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: mustPrefix("10.0.0.0/24")})
	require.NoError(t, err)
	p, err := e.plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: n.ID})
	require.NoError(t, err)
	assert.Equal(t, want, p.Extra, "a port takes its network's color, read in the transaction")
	h := ed.Health()
	assert.Equal(t, tr.channel, h.CallChannel, "calls on the channel")
	assert.Equal(t, tr.callbacks, h.CallbackChannel, "transaction reads on the channel")

	for _, tc := range []struct {
		name string
		req  map[string]any
		want string
	}{
		{"set", map[string]any{color: "green"}, "green"},
		{"kept", nil, "green"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := e.plugin.UpdatePort(ctx, p.ID, &ml2.PortRequest{Name: ptr(tc.name), Extensions: tc.req})
			require.NoError(t, err)
			assert.Equal(t, tc.want, u.Extra[color])
			got, err := e.plugin.GetPort(ctx, p.ID)
			require.NoError(t, err)
			assert.Equal(t, map[string]any{color: tc.want, shade: "dark " + tc.want, portsecurity.Attribute: true}, got.Extra)
		})
	}
}

// TestExtensionDriverProcessErrorRollsBack: an error from the
// out-of-process driver's Process* hook (which runs in the transaction,
// like a precommit) fails the operation with the driver's typed error and
// leaves the store unchanged, on either transport.
func TestExtensionDriverProcessErrorRollsBack(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) { testExtensionDriverProcessErrorRollsBack(t, tr) })
	}
}

func testExtensionDriverProcessErrorRollsBack(t *testing.T, tr transport) {
	ed := loadExt(t, tr.mod)
	e := newExtEnv(t, ed)
	ctx := e.ctx
	n, err := e.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{Name: ptr("net")})
	require.NoError(t, err)
	_, err = e.plugin.CreateSubnet(ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: mustPrefix("10.0.0.0/24")})
	require.NoError(t, err)
	p, err := e.plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: n.ID, Name: ptr("port")})
	require.NoError(t, err)
	invalid := map[string]any{color: "invalid"}
	for _, tc := range []struct {
		name string
		op   func() error
	}{
		{"create_network", func() error {
			_, err := e.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{Name: ptr("other"), Extensions: invalid})
			return err
		}},
		{"update_network", func() error {
			_, err := e.plugin.UpdateNetwork(ctx, n.ID, &ml2.NetworkRequest{Name: ptr("renamed"), Extensions: invalid})
			return err
		}},
		{"create_port", func() error {
			_, err := e.plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: n.ID, Extensions: invalid})
			return err
		}},
		{"update_port", func() error {
			_, err := e.plugin.UpdatePort(ctx, p.ID, &ml2.PortRequest{Name: ptr("renamed"), Extensions: invalid})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			err := tc.op()
			require.Error(t, err)
			assert.Equal(t, "InvalidInput", core.TypeOf(err), "error: %v", err)
			assert.Equal(t, core.KindBadRequest, core.KindOf(err))
			assert.Contains(t, err.Error(), "'invalid' is not a valid "+color)
			assert.Equal(t, before, e.snapshot(), "rolled back")
		})
	}
	assert.Equal(t, 0, ed.Health().Restarts)
}

// TestExtensionDriverUnavailable: while the driver is down, creates fail
// with ExtensionDriverUnavailable and change nothing; reads show what is
// stored.
func TestExtensionDriverUnavailable(t *testing.T) {
	ed := loadExt(t)
	e := newExtEnv(t, ed)
	n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
	require.NoError(t, err)
	require.NoError(t, ed.Close())
	_, err = e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
	assert.Equal(t, host.ExtensionDriverUnavailable, core.TypeOf(err), "error: %v", err)
	assert.ErrorIs(t, err, core.ErrUnavailable)
	require.NoError(t, e.plugin.Store().View(e.ctx, func(tx core.Tx) error {
		nets, err := tx.ListNetworks(e.ctx, &core.ListOptions{})
		assert.Len(t, nets, 1, "the create rolled back")
		return err
	}))
	got, err := e.plugin.GetNetwork(e.ctx, n.ID)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{color: "blue", portsecurity.Attribute: true}, got.Extra, "stored, without the shade Extend adds")
}
