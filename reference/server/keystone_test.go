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

	"github.com/ml2go/ml2go/reference/auth/keystonetest"
	"github.com/ml2go/ml2go/reference/config"
)

// TestKeystone runs the server with auth_strategy = keystone against a
// stand-in Keystone.
func TestKeystone(t *testing.T) {
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
