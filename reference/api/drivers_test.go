package api_test

import (
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/api"
)

// withDriverHealth is e's plugin served by an API that reports health.
func withDriverHealth(t *testing.T, e *env, health func() []api.DriverStatus) *env {
	t.Helper()
	h, err := api.New(api.Config{Plugin: e.plugin, Auth: testAuth, DriverHealth: health})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, plugin: e.plugin}
}

func TestDriverHealth(t *testing.T) {
	var calls atomic.Int32
	e := withDriverHealth(t, newEnv(t), func() []api.DriverStatus {
		calls.Add(1)
		return []api.DriverStatus{
			{Name: "fakeagent", Kind: api.DriverKindBuiltin, State: api.DriverRunning},
			{Name: "acme", Kind: api.DriverKindPlugin, State: api.DriverRunning, Restarts: 2, PID: 4242, LastError: "driver process 4200 exited"},
			{Name: "broken", Kind: api.DriverKindPlugin, State: api.DriverFailed, Restarts: 3, LastError: "start mechanism driver broken: no such file"},
		}
	})

	ds := e.do(admin, "GET", "/v2.0/ml2go-drivers", nil).list(t, "ml2go_drivers")
	require.Len(t, ds, 3)
	assert.Equal(t, map[string]any{
		"name": "fakeagent", "kind": "builtin", "state": "running", "last_error": nil, "restarts": float64(0), "pid": nil,
	}, ds[0])
	assert.Equal(t, map[string]any{
		"name": "acme", "kind": "plugin", "state": "running", "last_error": "driver process 4200 exited", "restarts": float64(2), "pid": float64(4242),
	}, ds[1])
	assert.Equal(t, map[string]any{
		"name": "broken", "kind": "plugin", "state": "failed", "last_error": "start mechanism driver broken: no such file", "restarts": float64(3), "pid": nil,
	}, ds[2])

	// Filters and fields.
	ds = e.do(admin, "GET", "/v2.0/ml2go-drivers?kind=plugin&fields=name&fields=state", nil).list(t, "ml2go_drivers")
	assert.Equal(t, []map[string]any{{"name": "acme", "state": "running"}, {"name": "broken", "state": "failed"}}, ds)
	ds = e.do(admin, "GET", "/v2.0/ml2go-drivers?state=failed&state=restarting", nil).list(t, "ml2go_drivers")
	require.Len(t, ds, 1)
	assert.Equal(t, "broken", ds[0]["name"])
	assert.Empty(t, e.do(admin, "GET", "/v2.0/ml2go-drivers?name=nothing", nil).list(t, "ml2go_drivers"))
	msg := e.do(admin, "GET", "/v2.0/ml2go-drivers?pid=4242", nil).fails(t, 400, "HTTPBadRequest")
	assert.Equal(t, "['pid'] is invalid attribute for filtering", msg)

	// One driver.
	d := e.do(admin, "GET", "/v2.0/ml2go-drivers/broken", nil).ok(t, 200, "ml2go_driver")
	assert.Equal(t, "failed", d["state"])
	d = e.do(admin, "GET", "/v2.0/ml2go-drivers/acme.json?fields=pid", nil).ok(t, 200, "ml2go_driver")
	assert.Equal(t, map[string]any{"pid": float64(4242)}, d)
	e.do(admin, "GET", "/v2.0/ml2go-drivers/nothing", nil).fails(t, 404, "HTTPNotFound")
	e.do(admin, "DELETE", "/v2.0/ml2go-drivers/acme", nil).fails(t, 405, "HTTPMethodNotAllowed")

	// Admins only: to others the resource does not exist, as agents and
	// segments; the health is not even asked for.
	before := calls.Load()
	e.do(demo, "GET", "/v2.0/ml2go-drivers", nil).fails(t, 404, "HTTPNotFound")
	e.do(demo, "GET", "/v2.0/ml2go-drivers?pid=1", nil).fails(t, 404, "HTTPNotFound")
	e.do(demo, "GET", "/v2.0/ml2go-drivers/acme", nil).fails(t, 404, "HTTPNotFound")
	assert.Equal(t, before, calls.Load())

	// An ml2go extension, not one of Neutron's.
	for _, ext := range e.do(admin, "GET", "/v2.0/extensions", nil).list(t, "extensions") {
		assert.NotContains(t, ext["alias"], "ml2go")
	}
}

// TestDriverHealthNotConfigured: without Config.DriverHealth there is no
// such resource.
func TestDriverHealthNotConfigured(t *testing.T) {
	e := newEnv(t)
	e.do(admin, "GET", "/v2.0/ml2go-drivers", nil).fails(t, 404, "HTTPNotFound")
}
