package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/reference/auth/keystonetest"
	"github.com/ml2go/ml2go/reference/config"
)

// keystoneCall sends a request with token (none when empty) and returns
// the status, headers and JSON body of the answer.
type keystoneCall func(token, method, path, body string) (int, http.Header, map[string]any)

// startKeystone runs the server with auth_strategy = keystone against a
// stand-in Keystone.
func startKeystone(t *testing.T) (*keystonetest.Server, *running, keystoneCall) {
	ks := keystonetest.New(t)
	cfg := testConfig(t)
	cfg.AuthStrategy = config.AuthKeystone
	cfg.KeystoneAuthtoken.AuthURL = ks.URL
	cfg.KeystoneAuthtoken.WWWAuthenticateURI = ks.URL
	cfg.KeystoneAuthtoken.Username = keystonetest.ServiceUser
	cfg.KeystoneAuthtoken.Password = keystonetest.ServicePassword
	cfg.KeystoneAuthtoken.ProjectName = keystonetest.ServiceProject
	cfg.KeystoneAuthtoken.UserDomainName = keystonetest.DomainName
	cfg.KeystoneAuthtoken.ProjectDomainName = keystonetest.DomainName
	r := start(t, cfg)

	call := func(token, method, path, body string) (int, http.Header, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(context.Background(), method, r.url+strings.TrimPrefix(path, "/"), strings.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("X-Auth-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var out map[string]any
		if len(raw) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
			require.NoError(t, json.Unmarshal(raw, &out), string(raw))
		}
		return resp.StatusCode, resp.Header, out
	}
	return ks, r, call
}

// TestKeystone runs the server with auth_strategy = keystone against a
// stand-in Keystone.
func TestKeystone(t *testing.T) {
	ks, _, call := startKeystone(t)

	// The version document needs no token; the API does.
	status, _, _ := call("", "GET", "/", "")
	assert.Equal(t, 200, status)
	status, h, body := call("", "GET", "/v2.0/networks", "")
	assert.Equal(t, 401, status)
	assert.Equal(t, `Keystone uri="`+ks.URL+`"`, h.Get("WWW-Authenticate"))
	assert.Equal(t, map[string]any{"code": float64(401), "title": "Unauthorized",
		"message": "The request you have made requires authentication."}, body["error"])
	status, _, _ = call("not-a-token", "GET", "/v2.0/networks", "")
	assert.Equal(t, 401, status)

	demo := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	admin := ks.Token(keystonetest.AdminUser, keystonetest.AdminProject)
	demoProject := ks.Project(keystonetest.DemoProject).ID

	status, _, body = call(demo, "POST", "/v2.0/networks", `{"network":{"name":"mine"}}`)
	require.Equal(t, 201, status, body)
	n := body["network"].(map[string]any)
	assert.Equal(t, demoProject, n["project_id"], "the token's project owns it")
	assert.NotContains(t, n, "provider:network_type")

	status, _, body = call(demo, "POST", "/v2.0/networks", `{"network":{"provider:network_type":"vlan"}}`)
	assert.Equal(t, 403, status)
	assert.Equal(t, "PolicyNotAuthorized", body["NeutronError"].(map[string]any)["type"])

	status, _, body = call(admin, "GET", "/v2.0/networks/"+n["id"].(string), "")
	require.Equal(t, 200, status)
	assert.Equal(t, "vxlan", body["network"].(map[string]any)["provider:network_type"])

	// The admin's private network is another project's: not found.
	status, _, body = call(admin, "POST", "/v2.0/networks", `{"network":{"name":"admins"}}`)
	require.Equal(t, 201, status)
	status, _, _ = call(demo, "GET", "/v2.0/networks/"+body["network"].(map[string]any)["id"].(string), "")
	assert.Equal(t, 404, status)

	ks.Fail(http.StatusInternalServerError)
	status, _, _ = call(ks.Token(keystonetest.DemoUser, keystonetest.DemoProject), "GET", "/v2.0/networks", "")
	assert.Equal(t, 503, status, "Keystone down")
}

// TestKeystoneNoProject: a token scoped to no project (unscoped, or scoped
// to a domain) owns nothing. A create that names no project is a 400 and
// creates nothing, whatever the token's roles; reads show only what is
// shared, or everything to an admin; an admin may create in a project it
// names.
func TestKeystoneNoProject(t *testing.T) {
	ks, r, call := startKeystone(t)
	demo := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	admin := ks.Token(keystonetest.AdminUser, keystonetest.AdminProject)
	demoProject := ks.Project(keystonetest.DemoProject).ID
	status, _, body := call(demo, "POST", "/v2.0/networks", `{"network":{"name":"private"}}`)
	require.Equal(t, 201, status, body)
	private := body["network"].(map[string]any)["id"].(string)
	status, _, body = call(admin, "POST", "/v2.0/networks", `{"network":{"name":"public","shared":true}}`)
	require.Equal(t, 201, status, body)
	public := body["network"].(map[string]any)["id"].(string)

	counts := func() map[string]int {
		t.Helper()
		ctx := context.Background()
		p := r.srv.Plugin()
		nets, err := p.ListNetworks(ctx, &core.ListOptions{})
		require.NoError(t, err)
		subnets, err := p.ListSubnets(ctx, &core.ListOptions{})
		require.NoError(t, err)
		ports, err := p.ListPorts(ctx, &core.ListOptions{})
		require.NoError(t, err)
		return map[string]int{"networks": len(nets), "subnets": len(subnets), "ports": len(ports)}
	}
	before := counts()

	for _, tc := range []struct {
		name  string
		token string
		admin bool
	}{
		{"unscoped", ks.Token(keystonetest.DemoUser, ""), false},
		{"domain-scoped", ks.DomainToken(keystonetest.DemoUser, "member"), false},
		{"domain-scoped admin", ks.DomainToken(keystonetest.AdminUser, "admin"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct{ path, body string }{
				{"/v2.0/networks", `{"network":{"name":"nobodys"}}`},
				{"/v2.0/networks", `{"network":{"name":"nobodys","project_id":""}}`},
				{"/v2.0/subnets", `{"subnet":{"network_id":"` + public + `","cidr":"10.9.0.0/24","ip_version":4}}`},
				{"/v2.0/ports", `{"port":{"network_id":"` + public + `"}}`},
			} {
				status, _, body := call(tc.token, "POST", c.path, c.body)
				require.Equal(t, 400, status, "%s %s: %v", c.path, c.body, body)
				e := body["NeutronError"].(map[string]any)
				assert.Equal(t, "HTTPBadRequest", e["type"])
				assert.Equal(t, "Running without keystone AuthN requires that tenant_id is specified", e["message"])
			}
			assert.Equal(t, before, counts(), "nothing created")

			status, _, body := call(tc.token, "GET", "/v2.0/networks", "")
			require.Equal(t, 200, status, body)
			var ids []string
			for _, n := range body["networks"].([]any) {
				ids = append(ids, n.(map[string]any)["id"].(string))
			}
			if tc.admin {
				assert.ElementsMatch(t, []string{private, public}, ids)
			} else {
				assert.Equal(t, []string{public}, ids, "only what is shared")
				status, _, _ = call(tc.token, "GET", "/v2.0/networks/"+private, "")
				assert.Equal(t, 404, status)
			}
		})
	}

	// An admin without a project creates in the project it names.
	status, _, body = call(ks.DomainToken(keystonetest.AdminUser, "admin"), "POST", "/v2.0/networks",
		`{"network":{"name":"for-demo","project_id":"`+demoProject+`"}}`)
	require.Equal(t, 201, status, body)
	assert.Equal(t, demoProject, body["network"].(map[string]any)["project_id"])
}

// TestKeystoneImpossibleToken: a token no Keystone issues, such as 64 KiB
// of garbage, is answered 401 by the server without asking Keystone.
func TestKeystoneImpossibleToken(t *testing.T) {
	ks, _, call := startKeystone(t)
	for _, token := range []string{strings.Repeat("g", 64<<10), "gAAAAAB\u00e9"} {
		status, h, _ := call(token, "GET", "/v2.0/networks", "")
		assert.Equal(t, 401, status)
		assert.Equal(t, `Keystone uri="`+ks.URL+`"`, h.Get("WWW-Authenticate"))
	}
	assert.Zero(t, ks.Validations())
}
