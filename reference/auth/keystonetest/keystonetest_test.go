package keystonetest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/auth/keystonetest"
)

// send makes a request to ks and returns the answer and its decoded body
// (nil when empty).
func send(t *testing.T, ks *keystonetest.Server, method, path, body string, header ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, ks.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ks.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if len(raw) == 0 {
		return resp, nil
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), string(raw))
	return resp, m
}

func passwordAuth(user, password, project string) string {
	scope := ""
	if project != "" {
		scope = `,"scope":{"project":{"name":"` + project + `","domain":{"name":"Default"}}}`
	}
	return `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"` + user +
		`","domain":{"name":"Default"},"password":"` + password + `"}}}` + scope + `}}`
}

func TestPasswordAuthentication(t *testing.T) {
	ks := keystonetest.New(t)
	tests := []struct {
		name, user, password, project string
		wantStatus                    int
		wantRoles                     []any
	}{
		{"admin", keystonetest.AdminUser, keystonetest.AdminPassword, keystonetest.AdminProject,
			http.StatusCreated, []any{"admin", "member", "reader"}},
		{"member", keystonetest.DemoUser, keystonetest.DemoPassword, keystonetest.DemoProject,
			http.StatusCreated, []any{"member", "reader"}},
		{"unscoped", keystonetest.DemoUser, keystonetest.DemoPassword, "", http.StatusCreated, nil},
		{"wrong password", keystonetest.DemoUser, "nope", keystonetest.DemoProject, http.StatusUnauthorized, nil},
		{"unknown user", "mallory", "x", keystonetest.DemoProject, http.StatusUnauthorized, nil},
		{"no role on the project", keystonetest.DemoUser, keystonetest.DemoPassword, keystonetest.AdminProject,
			http.StatusUnauthorized, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(t, ks, http.MethodPost, "/v3/auth/tokens", passwordAuth(tt.user, tt.password, tt.project))
			require.Equal(t, tt.wantStatus, resp.StatusCode, body)
			if tt.wantStatus != http.StatusCreated {
				assert.Equal(t, `Keystone uri="`+ks.URL+`"`, resp.Header.Get("WWW-Authenticate"))
				e := body["error"].(map[string]any)
				assert.Equal(t, float64(401), e["code"])
				assert.Equal(t, "Unauthorized", e["title"])
				return
			}
			assert.NotEmpty(t, resp.Header.Get("X-Subject-Token"))
			tok := body["token"].(map[string]any)
			user := tok["user"].(map[string]any)
			assert.Equal(t, ks.User(tt.user).ID, user["id"])
			assert.Equal(t, tt.user, user["name"])
			assert.Equal(t, map[string]any{"id": "default", "name": "Default"}, user["domain"])
			assert.Equal(t, []any{"password"}, tok["methods"])
			expires, err := time.Parse(time.RFC3339Nano, tok["expires_at"].(string))
			require.NoError(t, err)
			assert.Equal(t, ks.Clock.Now().Add(keystonetest.DefaultTokenTTL), expires)
			assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`, tok["issued_at"])
			if tt.project == "" {
				assert.NotContains(t, tok, "project")
				assert.NotContains(t, tok, "roles")
				return
			}
			assert.Equal(t, ks.Project(tt.project).ID, tok["project"].(map[string]any)["id"])
			var roles []any
			for _, r := range tok["roles"].([]any) {
				assert.Len(t, r.(map[string]any)["id"], 32)
				roles = append(roles, r.(map[string]any)["name"])
			}
			assert.Equal(t, tt.wantRoles, roles)
			assert.NotEmpty(t, tok["catalog"])
		})
	}
	assert.Equal(t, len(tests), ks.Authentications())
}

func TestValidation(t *testing.T) {
	ks := keystonetest.New(t)
	service := ks.Token(keystonetest.ServiceUser, keystonetest.ServiceProject)
	admin := ks.Token(keystonetest.AdminUser, keystonetest.AdminProject)
	demo := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	other := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	revoked := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	ks.Revoke(revoked)
	expired := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	ks.Expire(expired)

	tests := []struct {
		name, method, path, caller, subject string
		wantStatus                          int
	}{
		{"by the service", http.MethodGet, "/v3/auth/tokens", service, demo, http.StatusOK},
		{"by an admin", http.MethodGet, "/v3/auth/tokens?nocatalog", admin, demo, http.StatusOK},
		{"by its holder", http.MethodGet, "/v3/auth/tokens", demo, demo, http.StatusOK},
		{"HEAD", http.MethodHead, "/v3/auth/tokens", service, demo, http.StatusOK},
		{"by a member, another token", http.MethodGet, "/v3/auth/tokens", demo, other, http.StatusForbidden},
		{"unknown", http.MethodGet, "/v3/auth/tokens", service, "nope", http.StatusNotFound},
		{"revoked", http.MethodGet, "/v3/auth/tokens", service, revoked, http.StatusNotFound},
		{"expired", http.MethodGet, "/v3/auth/tokens", service, expired, http.StatusNotFound},
		{"caller's token invalid", http.MethodGet, "/v3/auth/tokens", revoked, demo, http.StatusUnauthorized},
		{"no subject", http.MethodGet, "/v3/auth/tokens", service, "", http.StatusBadRequest},
		{"other path", http.MethodGet, "/v3/users", service, demo, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(t, ks, tt.method, tt.path, "", "X-Auth-Token", tt.caller, "X-Subject-Token", tt.subject)
			require.Equal(t, tt.wantStatus, resp.StatusCode, body)
			switch {
			case tt.method == http.MethodHead:
				assert.Nil(t, body)
			case tt.wantStatus == http.StatusOK:
				assert.Equal(t, tt.subject, resp.Header.Get("X-Subject-Token"))
				tok := body["token"].(map[string]any)
				assert.Equal(t, ks.Project(keystonetest.DemoProject).ID, tok["project"].(map[string]any)["id"])
				_, hasCatalog := tok["catalog"]
				assert.Equal(t, !strings.HasSuffix(tt.path, "nocatalog"), hasCatalog)
			default:
				e := body["error"].(map[string]any)
				assert.Equal(t, float64(tt.wantStatus), e["code"])
				assert.Equal(t, http.StatusText(tt.wantStatus), e["title"])
				assert.NotEmpty(t, e["message"])
			}
		})
	}
}

func TestRevocationAndExpiry(t *testing.T) {
	ks := keystonetest.New(t)
	service := ks.Token(keystonetest.ServiceUser, keystonetest.ServiceProject)
	demo := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)

	resp, _ := send(t, ks, http.MethodDelete, "/v3/auth/tokens", "", "X-Auth-Token", service, "X-Subject-Token", demo)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, _ = send(t, ks, http.MethodGet, "/v3/auth/tokens", "", "X-Auth-Token", service, "X-Subject-Token", demo)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	ks.SetTokenTTL(time.Minute)
	short := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	ks.Clock.Advance(time.Minute - time.Microsecond)
	resp, _ = send(t, ks, http.MethodGet, "/v3/auth/tokens", "", "X-Auth-Token", service, "X-Subject-Token", short)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	ks.Clock.Advance(time.Microsecond)
	resp, _ = send(t, ks, http.MethodGet, "/v3/auth/tokens", "", "X-Auth-Token", service, "X-Subject-Token", short)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	ks.RevokeUser(keystonetest.ServiceUser)
	resp, _ = send(t, ks, http.MethodGet, "/v3/auth/tokens", "", "X-Auth-Token", service, "X-Subject-Token", demo)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, 4, ks.Validations())
}

func TestFailAndHold(t *testing.T) {
	ks := keystonetest.New(t)
	ks.Fail(http.StatusBadGateway)
	resp, body := send(t, ks, http.MethodPost, "/v3/auth/tokens",
		passwordAuth(keystonetest.DemoUser, keystonetest.DemoPassword, keystonetest.DemoProject))
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Equal(t, float64(http.StatusBadGateway), body["error"].(map[string]any)["code"])
	assert.Zero(t, ks.Authentications(), "failed requests are not counted")
	ks.Fail(0)

	demo := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	release := ks.Hold()
	done := make(chan int)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, ks.URL+"/v3/auth/tokens", nil)
		req.Header.Set("X-Auth-Token", demo)
		req.Header.Set("X-Subject-Token", demo)
		resp, err := ks.Client().Do(req)
		if err != nil {
			done <- 0
			return
		}
		_ = resp.Body.Close()
		done <- resp.StatusCode
	}()
	require.Eventually(t, func() bool { return ks.Validations() == 1 }, 5*time.Second, time.Millisecond)
	select {
	case <-done:
		t.Fatal("a held validation answered")
	case <-time.After(20 * time.Millisecond):
	}
	release()
	release() // idempotent
	assert.Equal(t, http.StatusOK, <-done)
}

func TestConfig(t *testing.T) {
	ks := keystonetest.New(t)
	cfg := ks.Config()
	assert.Equal(t, ks.URL, cfg.AuthURL)
	assert.Equal(t, keystonetest.ServiceUser, cfg.Username)
	assert.Equal(t, keystonetest.ServicePassword, cfg.Password)
	assert.Equal(t, keystonetest.ServiceProject, cfg.ProjectName)
	ks.Clock.Advance(time.Hour)
	assert.Equal(t, ks.Clock.Now(), cfg.Now())
}
