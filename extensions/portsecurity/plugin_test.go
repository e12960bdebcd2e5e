package portsecurity_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/extensions/portsecurity"
	"github.com/ml2go/ml2go/typedrivers/local"
)

// newPlugin builds an ML2 plugin with the local type driver on store, with
// the given extension drivers.
func newPlugin(t *testing.T, store core.Store, exts map[string]core.ExtensionDriver) *ml2.Plugin {
	t.Helper()
	reg := core.NewRegistry()
	require.NoError(t, reg.RegisterTypeDriver(local.New(local.Config{})))
	var names []string
	for name, d := range exts {
		require.NoError(t, reg.RegisterExtensionDriver(name, d))
		names = append(names, name)
	}
	p, err := ml2.New(context.Background(), ml2.Config{ExtensionDrivers: names}, reg, store)
	require.NoError(t, err)
	return p
}

func ptr[T any](v T) *T { return &v }

// TestWithPlugin drives the driver through the ML2 orchestrator and a real
// store (in-memory SQLite, and PostgreSQL when configured): ports read
// their network's value through the create transaction.
func TestWithPlugin(t *testing.T) {
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			store := sqlstoretest.Open(t, engine)
			p := newPlugin(t, store, map[string]core.ExtensionDriver{portsecurity.Name: portsecurity.New(nil)})
			assert.Equal(t, []string{portsecurity.Alias}, p.ExtensionAliases())

			open, err := p.CreateNetwork(ctx, &ml2.NetworkRequest{Name: ptr("open")})
			require.NoError(t, err)
			assert.Equal(t, true, open.Extra[attr], "default")
			closed, err := p.CreateNetwork(ctx, &ml2.NetworkRequest{Name: ptr("closed"),
				Extensions: map[string]any{attr: false}})
			require.NoError(t, err)
			assert.Equal(t, false, closed.Extra[attr])

			_, err = p.CreateNetwork(ctx, &ml2.NetworkRequest{Name: ptr("bad"), Extensions: map[string]any{attr: "false"}})
			assert.Equal(t, "InvalidInput", core.TypeOf(err))
			nets, err := p.ListNetworks(ctx, nil)
			require.NoError(t, err)
			assert.Len(t, nets, 2, "failed create rolled back")

			port := func(net *core.Network, owner string, ext map[string]any) *core.Port {
				t.Helper()
				pt, err := p.CreatePort(ctx, &ml2.PortRequest{NetworkID: net.ID, DeviceOwner: &owner, Extensions: ext})
				require.NoError(t, err)
				return pt
			}
			for _, tc := range []struct {
				name  string
				net   *core.Network
				owner string
				ext   map[string]any
				want  bool
			}{
				{"inherits enabled", open, "compute:nova", nil, true},
				{"inherits disabled", closed, "compute:nova", nil, false},
				{"explicit true on disabled network", closed, "", map[string]any{attr: true}, true},
				{"explicit false on enabled network", open, "", map[string]any{attr: false}, false},
				{"dhcp forced off", open, core.DeviceOwnerDHCP, map[string]any{attr: true}, false},
			} {
				pt := port(tc.net, tc.owner, tc.ext)
				assert.Equal(t, tc.want, pt.Extra[attr], tc.name)
				got, err := p.GetPort(ctx, pt.ID)
				require.NoError(t, err)
				assert.Equal(t, tc.want, got.Extra[attr], tc.name+" (persisted)")
			}

			// Updating a network keeps ports as they are; new ports inherit
			// the new value.
			before := port(closed, "", nil)
			u, err := p.UpdateNetwork(ctx, closed.ID, &ml2.NetworkRequest{Extensions: map[string]any{attr: true}})
			require.NoError(t, err)
			assert.Equal(t, true, u.Extra[attr])
			u, err = p.UpdateNetwork(ctx, closed.ID, &ml2.NetworkRequest{Name: ptr("renamed")})
			require.NoError(t, err)
			assert.Equal(t, true, u.Extra[attr], "kept when not given")
			got, err := p.GetPort(ctx, before.ID)
			require.NoError(t, err)
			assert.Equal(t, false, got.Extra[attr], "existing port unchanged")
			assert.Equal(t, true, port(closed, "", nil).Extra[attr], "new port inherits the new value")

			// Port updates.
			up, err := p.UpdatePort(ctx, before.ID, &ml2.PortRequest{Name: ptr("x")})
			require.NoError(t, err)
			assert.Equal(t, false, up.Extra[attr], "kept when not given")
			up, err = p.UpdatePort(ctx, before.ID, &ml2.PortRequest{Extensions: map[string]any{attr: true}})
			require.NoError(t, err)
			assert.Equal(t, true, up.Extra[attr])
			_, err = p.UpdatePort(ctx, before.ID, &ml2.PortRequest{Extensions: map[string]any{attr: nil}})
			assert.Equal(t, "InvalidInput", core.TypeOf(err))
			got, err = p.GetPort(ctx, before.ID)
			require.NoError(t, err)
			assert.Equal(t, true, got.Extra[attr], "failed update rolled back")
		})
	}
}

// TestEnabledLater covers resources stored before the driver was enabled:
// they read as enabled, and an update keeps them so.
func TestEnabledLater(t *testing.T) {
	ctx := context.Background()
	store := sqlstoretest.Open(t, sqlstoretest.SQLite)
	old := newPlugin(t, store, nil)
	n, err := old.CreateNetwork(ctx, &ml2.NetworkRequest{Name: ptr("old")})
	require.NoError(t, err)
	pt, err := old.CreatePort(ctx, &ml2.PortRequest{NetworkID: n.ID})
	require.NoError(t, err)
	assert.NotContains(t, n.Extra, attr)

	p := newPlugin(t, store, map[string]core.ExtensionDriver{portsecurity.Name: portsecurity.New(nil)})
	gotN, err := p.GetNetwork(ctx, n.ID)
	require.NoError(t, err)
	assert.Equal(t, true, gotN.Extra[attr])
	gotP, err := p.GetPort(ctx, pt.ID)
	require.NoError(t, err)
	assert.Equal(t, true, gotP.Extra[attr])

	_, err = p.UpdateNetwork(ctx, n.ID, &ml2.NetworkRequest{Name: ptr("renamed")})
	require.NoError(t, err)
	_, err = p.UpdatePort(ctx, pt.ID, &ml2.PortRequest{Name: ptr("renamed")})
	require.NoError(t, err)
	gotN, err = old.GetNetwork(ctx, n.ID) // the plugin without the driver shows what is stored
	require.NoError(t, err)
	assert.Equal(t, true, gotN.Extra[attr], "update persisted the value shown")
	gotP, err = old.GetPort(ctx, pt.ID)
	require.NoError(t, err)
	assert.Equal(t, true, gotP.Extra[attr], "update persisted the value shown")
}
