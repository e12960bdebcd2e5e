package portsecurity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/extensions/portsecurity"
)

const attr = portsecurity.Attribute

// noTx is the transaction given to hooks that must not read anything:
// calling any method on it panics.
var noTx core.ExtensionTx

// invalidValues are request values that are not JSON booleans, as
// encoding/json decodes them into an any.
var invalidValues = []struct {
	name  string
	value any
	shown string
}{
	{"string true", "true", "'true'"},
	{"string False", "False", "'False'"},
	{"number", float64(1), "'1'"},
	{"null", nil, "'None'"},
	{"object", map[string]any{"a": true}, "'map[a:true]'"},
	{"list", []any{true}, "'[true]'"},
}

func requireInvalid(t *testing.T, err error, shown string) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, "InvalidInput", core.TypeOf(err))
	assert.ErrorIs(t, err, core.ErrBadRequest)
	assert.Contains(t, err.Error(), attr)
	assert.Contains(t, err.Error(), shown)
}

func TestIdentity(t *testing.T) {
	d := portsecurity.New(nil)
	var _ core.ExtensionDriver = d
	assert.Equal(t, "port_security", portsecurity.Name)
	assert.Equal(t, "port_security_enabled", portsecurity.Attribute)
	assert.Equal(t, []string{"port-security"}, d.ExtensionAliases())
	assert.NoError(t, d.Initialize(context.Background()))
}

func TestProcessCreateNetwork(t *testing.T) {
	for _, tc := range []struct {
		name  string
		req   map[string]any
		extra map[string]any
		want  bool
	}{
		{"omitted", map[string]any{}, nil, true},
		{"nil request", nil, nil, true},
		{"true", map[string]any{attr: true}, nil, true},
		{"false", map[string]any{attr: false}, nil, false},
		{"other extensions kept", map[string]any{attr: false, "color": "red"}, map[string]any{"color": "red"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &core.Network{Extra: core.CloneMap(tc.extra)}
			require.NoError(t, portsecurity.New(nil).ProcessCreateNetwork(context.Background(), noTx, tc.req, n))
			assert.Equal(t, tc.want, n.Extra[attr])
			assert.Equal(t, len(tc.extra)+1, len(n.Extra), "only %s added", attr)
		})
	}
	for _, tc := range invalidValues {
		t.Run("invalid "+tc.name, func(t *testing.T) {
			n := &core.Network{}
			err := portsecurity.New(nil).ProcessCreateNetwork(context.Background(), noTx, map[string]any{attr: tc.value}, n)
			requireInvalid(t, err, tc.shown)
			assert.Nil(t, n.Extra, "result untouched on error")
		})
	}
}

// updateCases are shared by networks and ports: an update keeps the
// stored value unless the request gives one.
var updateCases = []struct {
	name   string
	stored map[string]any
	req    map[string]any
	want   bool
}{
	{"keep true", map[string]any{attr: true}, map[string]any{}, true},
	{"keep false", map[string]any{attr: false}, map[string]any{"name": "x"}, false},
	{"keep false, nil request", map[string]any{attr: false}, nil, false},
	{"disable", map[string]any{attr: true}, map[string]any{attr: false}, false},
	{"enable", map[string]any{attr: false}, map[string]any{attr: true}, true},
	{"stored before the driver", nil, map[string]any{}, true},
	{"stored before the driver, disable", map[string]any{"color": "red"}, map[string]any{attr: false}, false},
	{"corrupt stored value", map[string]any{attr: "yes"}, map[string]any{}, true},
}

func TestProcessUpdateNetwork(t *testing.T) {
	for _, tc := range updateCases {
		t.Run(tc.name, func(t *testing.T) {
			n := &core.Network{Extra: core.CloneMap(tc.stored)}
			require.NoError(t, portsecurity.New(nil).ProcessUpdateNetwork(context.Background(), noTx, tc.req, n))
			assert.Equal(t, tc.want, n.Extra[attr])
		})
	}
	for _, tc := range invalidValues {
		t.Run("invalid "+tc.name, func(t *testing.T) {
			n := &core.Network{Extra: map[string]any{attr: false}}
			err := portsecurity.New(nil).ProcessUpdateNetwork(context.Background(), noTx, map[string]any{attr: tc.value}, n)
			requireInvalid(t, err, tc.shown)
			assert.Equal(t, false, n.Extra[attr], "result untouched on error")
		})
	}
}

func TestProcessUpdatePort(t *testing.T) {
	for _, tc := range updateCases {
		t.Run(tc.name, func(t *testing.T) {
			p := &core.Port{Extra: core.CloneMap(tc.stored)}
			require.NoError(t, portsecurity.New(nil).ProcessUpdatePort(context.Background(), noTx, tc.req, p))
			assert.Equal(t, tc.want, p.Extra[attr])
		})
	}
	t.Run("trusted port may be enabled explicitly", func(t *testing.T) {
		// Neutron forces port security off only when a trusted port is
		// created; an update is applied as given.
		p := &core.Port{DeviceOwner: core.DeviceOwnerDHCP, Extra: map[string]any{attr: false}}
		require.NoError(t, portsecurity.New(nil).ProcessUpdatePort(context.Background(), noTx, map[string]any{attr: true}, p))
		assert.Equal(t, true, p.Extra[attr])
	})
	for _, tc := range invalidValues {
		t.Run("invalid "+tc.name, func(t *testing.T) {
			p := &core.Port{Extra: map[string]any{attr: true}}
			err := portsecurity.New(nil).ProcessUpdatePort(context.Background(), noTx, map[string]any{attr: tc.value}, p)
			requireInvalid(t, err, tc.shown)
			assert.Equal(t, true, p.Extra[attr], "result untouched on error")
		})
	}
}

func TestProcessCreatePort(t *testing.T) {
	lookupFailed := errors.New("database on fire")
	for _, tc := range []struct {
		name    string
		owner   string
		req     map[string]any
		network map[string]any // the Extra of the network tx returns
		getErr  error          // tx.GetNetwork's error
		want    bool
		wantErr error
		asked   bool // whether the network must be read
	}{
		{name: "inherit enabled network", network: map[string]any{attr: true}, want: true, asked: true},
		{name: "inherit disabled network", network: map[string]any{attr: false}, want: false, asked: true},
		{name: "inherit, compute owner", owner: "compute:nova", network: map[string]any{attr: false}, want: false, asked: true},
		{name: "empty request inherits", req: map[string]any{"name": "p"}, network: map[string]any{attr: false}, want: false, asked: true},
		{name: "network stored before the driver", network: nil, want: true, asked: true},
		{name: "network without the value", network: map[string]any{"color": "red"}, want: true, asked: true},
		{name: "network with a corrupt value", network: map[string]any{attr: "no"}, want: true, asked: true},
		{name: "explicit true on disabled network", req: map[string]any{attr: true}, network: map[string]any{attr: false}, want: true},
		{name: "explicit false on enabled network", req: map[string]any{attr: false}, network: map[string]any{attr: true}, want: false},
		{name: "dhcp forced off", owner: core.DeviceOwnerDHCP, network: map[string]any{attr: true}, want: false},
		{name: "router interface forced off despite request", owner: core.DeviceOwnerRouterInterface,
			req: map[string]any{attr: true}, network: map[string]any{attr: true}, want: false},
		{name: "any network: owner forced off", owner: "network:whatever", want: false},
		{name: "prefix must be at the start", owner: "compute:network:x", network: map[string]any{attr: false}, want: false, asked: true},
		{name: "lookup error fails the create", getErr: lookupFailed, wantErr: lookupFailed, asked: true},
		{name: "unknown network fails the create", getErr: core.NetworkNotFound("net-1"), wantErr: core.ErrNotFound, asked: true},
		{name: "lookup error unused for trusted port", owner: core.DeviceOwnerFloatingIP, getErr: lookupFailed, want: false},
		{name: "lookup error unused when given", req: map[string]any{attr: true}, getErr: lookupFailed, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx := &fakeTx{extra: tc.network, err: tc.getErr}
			p := &core.Port{Standard: core.Standard{ID: "port-1"}, NetworkID: "net-1", DeviceOwner: tc.owner}
			err := portsecurity.New(nil).ProcessCreatePort(context.Background(), tx, tc.req, p)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Nil(t, p.Extra, "result untouched on error")
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.want, p.Extra[attr])
				assert.Len(t, p.Extra, 1, "only %s added", attr)
			}
			if tc.asked {
				assert.EqualValues(t, 1, tx.calls.Load())
				assert.Equal(t, "net-1", tx.last.Load())
			} else {
				assert.Zero(t, tx.calls.Load(), "network read needlessly")
			}
		})
	}
	for _, tc := range invalidValues {
		for _, owner := range []string{"", core.DeviceOwnerDHCP} {
			t.Run("invalid "+tc.name+" owner "+owner, func(t *testing.T) {
				tx := &fakeTx{}
				p := &core.Port{NetworkID: "net-1", DeviceOwner: owner}
				err := portsecurity.New(nil).ProcessCreatePort(context.Background(), tx, map[string]any{attr: tc.value}, p)
				requireInvalid(t, err, tc.shown)
				assert.Nil(t, p.Extra)
				assert.Zero(t, tx.calls.Load(), "network read needlessly")
			})
		}
	}
}

func TestExtend(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stored map[string]any
		want   map[string]any
		warns  bool
	}{
		{"nil extra", nil, map[string]any{attr: true}, false},
		{"missing", map[string]any{"color": "red"}, map[string]any{"color": "red", attr: true}, false},
		{"true", map[string]any{attr: true}, map[string]any{attr: true}, false},
		{"false", map[string]any{attr: false}, map[string]any{attr: false}, false},
		{"corrupt", map[string]any{attr: "no"}, map[string]any{attr: true}, true},
		{"null", map[string]any{attr: nil}, map[string]any{attr: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf safeBuffer
			d := portsecurity.New(hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Warn}))
			n := &core.Network{Extra: core.CloneMap(tc.stored)}
			require.NoError(t, d.ExtendNetwork(context.Background(), n))
			assert.Equal(t, tc.want, n.Extra, "network")
			p := &core.Port{Extra: core.CloneMap(tc.stored)}
			require.NoError(t, d.ExtendPort(context.Background(), p))
			assert.Equal(t, tc.want, p.Extra, "port")
			assert.Equal(t, tc.warns, buf.Len() > 0, buf.String())
		})
	}
}

func TestSubnetsUntouched(t *testing.T) {
	d := portsecurity.New(nil)
	ctx := context.Background()
	s := &core.Subnet{}
	req := map[string]any{attr: "not even a bool"}
	require.NoError(t, d.ProcessCreateSubnet(ctx, noTx, req, s))
	require.NoError(t, d.ProcessUpdateSubnet(ctx, noTx, req, s))
	require.NoError(t, d.ExtendSubnet(ctx, s))
	assert.Nil(t, s.Extra)
}

func TestEnabled(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra map[string]any
		want  bool
	}{
		{"nil", nil, true},
		{"missing", map[string]any{"color": "red"}, true},
		{"true", map[string]any{attr: true}, true},
		{"false", map[string]any{attr: false}, false},
		{"not a bool", map[string]any{attr: "false"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, portsecurity.Enabled(tc.extra))
		})
	}
}

func TestTrusted(t *testing.T) {
	for owner, want := range map[string]bool{
		"":                              false,
		"compute:nova":                  false,
		"network":                       false,
		"Network:dhcp":                  false,
		"network:":                      true,
		core.DeviceOwnerDHCP:            true,
		core.DeviceOwnerRouterGateway:   true,
		core.DeviceOwnerRouterInterface: true,
	} {
		assert.Equal(t, want, portsecurity.Trusted(owner), owner)
	}
}

// TestConcurrentUse runs every hook at once on one driver, for -race.
func TestConcurrentUse(t *testing.T) {
	d := portsecurity.New(hclog.NewNullLogger())
	tx := &fakeTx{extra: map[string]any{attr: false}}
	ctx := context.Background()
	done := make(chan struct{})
	for i := range 16 {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range 100 {
				req := map[string]any{}
				if (i+j)%3 == 0 {
					req[attr] = j%2 == 0
				}
				n := &core.Network{}
				assert.NoError(t, d.ProcessCreateNetwork(ctx, tx, req, n))
				assert.NoError(t, d.ProcessUpdateNetwork(ctx, tx, req, n))
				assert.NoError(t, d.ExtendNetwork(ctx, n))
				p := &core.Port{NetworkID: "n"}
				assert.NoError(t, d.ProcessCreatePort(ctx, tx, req, p))
				want, given := req[attr]
				if !given {
					want = false // the network's value
				}
				assert.Equal(t, want, p.Extra[attr])
				assert.NoError(t, d.ProcessUpdatePort(ctx, tx, req, p))
				assert.NoError(t, d.ExtendPort(ctx, p))
			}
		}()
	}
	for range 16 {
		<-done
	}
}
