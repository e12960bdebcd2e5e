package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/quota"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/extensions/portsecurity"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/reference/api"
	"github.com/ml2go/ml2go/reference/auth"
	"github.com/ml2go/ml2go/typedrivers/flat"
	"github.com/ml2go/ml2go/typedrivers/local"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// Identities of the tests.
const (
	adminProject = "admin-project"
	demoProject  = "demo-project"
	otherProject = "other-project"
)

// who is a caller: a project and whether it is an admin.
type who struct {
	project string
	admin   bool
}

var (
	admin = who{adminProject, true}
	demo  = who{demoProject, false}
	other = who{otherProject, false}
)

// testAuth authenticates by the test's own headers.
func testAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &auth.Context{ProjectID: r.Header.Get("X-Test-Project")}
		if r.Header.Get("X-Test-Admin") == "1" {
			c.Roles, c.IsAdmin = []string{auth.AdminRole}, true
		}
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), c)))
	})
}

// env is an API over an in-memory store.
type env struct {
	t      testing.TB
	srv    *httptest.Server
	plugin *ml2.Plugin
	quotas *quota.Quotas
}

func newEnv(t testing.TB) *env { return newEnvOn(t, "sqlite") }

// newEnvOn is newEnv on an engine of sqlstoretest.
func newEnvOn(t testing.TB, engine string) *env {
	t.Helper()
	ctx := context.Background()
	vlans, err := vlan.ParseNetworkVLANRanges([]string{"physnet1:100:199", "physnet2"})
	require.NoError(t, err)
	vnis, err := vxlan.ParseVNIRanges([]string{"1:100"})
	require.NoError(t, err)
	reg := core.NewRegistry()
	for _, d := range []core.TypeDriver{
		flat.New(flat.Config{FlatNetworks: []string{"*"}}),
		vlan.New(vlan.Config{NetworkVLANRanges: vlans}),
		vxlan.New(vxlan.Config{VNIRanges: vnis}),
		local.New(local.Config{}),
	} {
		require.NoError(t, reg.RegisterTypeDriver(d))
	}
	require.NoError(t, reg.RegisterMechanismDriver("fakeagent", fakeagent.New(fakeagent.Config{})))
	require.NoError(t, reg.RegisterExtensionDriver(portsecurity.Name, portsecurity.New(nil)))
	store := sqlstoretest.Open(t, engine)
	quotas := quota.New(store, quota.Defaults())
	plugin, err := ml2.New(ctx, ml2.Config{
		Quotas:             quotas,
		TenantNetworkTypes: []string{core.TypeVXLAN},
		MechanismDrivers:   []string{"fakeagent"},
		ExtensionDrivers:   []string{portsecurity.Name},
	}, reg, store)
	require.NoError(t, err)
	h, err := api.New(api.Config{Plugin: plugin, Quotas: quotas, Auth: testAuth})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, plugin: plugin, quotas: quotas}
}

// reply is a response: its status and decoded JSON body.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request as caller; body is JSON text or a value to encode.
func (e *env) do(as who, method, path string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	req.Header.Set("X-Test-Project", as.project)
	if as.admin {
		req.Header.Set("X-Test-Admin", "1")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		require.NoError(e.t, json.Unmarshal(raw, &r.body), "body %s", raw)
	}
	return r
}

// ok checks a status and returns the object under key.
func (r reply) ok(t testing.TB, status int, key string) map[string]any {
	t.Helper()
	require.Equal(t, status, r.status, r.raw)
	if key == "" {
		return r.body
	}
	obj, ok := r.body[key].(map[string]any)
	require.True(t, ok, "no %q in %s", key, r.raw)
	return obj
}

// list checks a 200 and returns the items under key.
func (r reply) list(t testing.TB, key string) []map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, r.raw)
	items, ok := r.body[key].([]any)
	require.True(t, ok, "no %q in %s", key, r.raw)
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = it.(map[string]any)
	}
	return out
}

// fails checks a NeutronError of the status and type, and returns its
// message.
func (r reply) fails(t testing.TB, status int, typ string) string {
	t.Helper()
	require.Equal(t, status, r.status, r.raw)
	ne, ok := r.body["NeutronError"].(map[string]any)
	require.True(t, ok, "no NeutronError in %s", r.raw)
	require.Equal(t, typ, ne["type"], r.raw)
	require.Equal(t, "", ne["detail"])
	return ne["message"].(string)
}

// network creates a network as caller and returns it.
func (e *env) network(as who, attrs map[string]any) map[string]any {
	e.t.Helper()
	if attrs == nil {
		attrs = map[string]any{}
	}
	return e.do(as, "POST", "/v2.0/networks", map[string]any{"network": attrs}).ok(e.t, 201, "network")
}

// subnet creates a subnet and returns it.
func (e *env) subnet(as who, netID, cidr string) map[string]any {
	e.t.Helper()
	return e.do(as, "POST", "/v2.0/subnets", map[string]any{"subnet": map[string]any{
		"network_id": netID, "ip_version": 4, "cidr": cidr,
	}}).ok(e.t, 201, "subnet")
}

// port creates a port and returns it.
func (e *env) port(as who, netID string, attrs map[string]any) map[string]any {
	e.t.Helper()
	if attrs == nil {
		attrs = map[string]any{}
	}
	attrs["network_id"] = netID
	return e.do(as, "POST", "/v2.0/ports", map[string]any{"port": attrs}).ok(e.t, 201, "port")
}
