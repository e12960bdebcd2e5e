package ml2_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

// testExtension stores a "color" attribute on networks and ports, and can
// be told to fail.
type testExtension struct {
	core.ExtensionDriverBase
	failProcess, failExtend bool
}

func (x *testExtension) ExtensionAliases() []string { return []string{"test-color", ""} }

func (x *testExtension) process(req map[string]any, extra *map[string]any, create bool) error {
	if x.failProcess {
		return core.InvalidInput("color refused")
	}
	c, given := req["color"]
	if !given {
		if !create {
			return nil
		}
		c = "blue"
	}
	if _, ok := c.(string); !ok {
		return core.InvalidInput("color must be a string")
	}
	if *extra == nil {
		*extra = map[string]any{}
	}
	(*extra)["color"] = c
	return nil
}

func (x *testExtension) ProcessCreateNetwork(_ context.Context, _ core.ExtensionTx, req map[string]any, n *core.Network) error {
	return x.process(req, &n.Extra, true)
}

func (x *testExtension) ProcessUpdateNetwork(_ context.Context, _ core.ExtensionTx, req map[string]any, n *core.Network) error {
	return x.process(req, &n.Extra, false)
}

func (x *testExtension) ExtendNetwork(_ context.Context, n *core.Network) error {
	if x.failExtend {
		return errors.New("cannot extend")
	}
	n.Extra["shade"] = "dark " + n.Extra["color"].(string)
	return nil
}

func (x *testExtension) ProcessCreatePort(_ context.Context, _ core.ExtensionTx, req map[string]any, p *core.Port) error {
	return x.process(req, &p.Extra, true)
}

// TestExtensionDrivers covers test_extension_driver_api: process hooks on
// create and update, persisted attributes, extend on every read, faulty
// process errors propagated unchanged, faulty extend → ExtensionDriverError.
func TestExtensionDrivers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		x := &testExtension{}
		e := newEnv(t, engine, withExtension("color", x))
		assert.Equal(t, []string{"test-color"}, e.plugin.ExtensionAliases())

		n := e.network(&ml2.NetworkRequest{Extensions: map[string]any{"color": "red"}})
		assert.Equal(t, "red", n.Extra["color"])
		assert.Equal(t, "dark red", n.Extra["shade"])
		got, err := e.plugin.GetNetwork(e.ctx, n.ID)
		require.NoError(t, err)
		assert.Equal(t, "red", got.Extra["color"], "persisted")

		u, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Extensions: map[string]any{"color": "green"}})
		require.NoError(t, err)
		assert.Equal(t, "dark green", u.Extra["shade"])
		u, err = e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Name: ptr("x")})
		require.NoError(t, err)
		assert.Equal(t, "green", u.Extra["color"], "kept when not given")

		p := e.port(n.ID)
		assert.Equal(t, "blue", p.Extra["color"])

		before := e.snapshot()
		_, err = e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Extensions: map[string]any{"color": 7}})
		e.requireFailsCleanly("InvalidInput", before, err)

		x.failProcess = true
		_, err = e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
		e.requireFailsCleanly("InvalidInput", before, err)
		assert.Contains(t, err.Error(), "color refused")
		x.failProcess = false

		x.failExtend = true
		_, err = e.plugin.GetNetwork(e.ctx, n.ID)
		assert.Equal(t, "ExtensionDriverError", core.TypeOf(err))
		assert.True(t, errors.Is(err, core.ErrBadRequest))
	})
}
