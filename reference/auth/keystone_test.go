package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/auth"
	"github.com/ml2go/ml2go/reference/auth/keystonetest"
)

// The 401 Neutron's keystonemiddleware answers a request without a token.
const want401 = `{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}`

// The 503 it answers, in JSON and in plain text (webob's
// HTTPServiceUnavailable).
const (
	want503JSON = `{"message": "The server is currently unavailable. Please try again at a later time.<br /><br />\nThe Keystone service is temporarily unavailable.\n\n", "code": "503 Service Unavailable", "title": "Service Unavailable"}`
	want503Text = "503 Service Unavailable\n\nThe server is currently unavailable. Please try again at a later time.\n\n The Keystone service is temporarily unavailable.  "
)

// newKeystone returns a Keystone using ks, its config changed by opts.
func newKeystone(t *testing.T, ks *keystonetest.Server, opts ...func(*auth.KeystoneConfig)) *auth.Keystone {
	t.Helper()
	cfg := ks.Config()
	for _, o := range opts {
		o(&cfg)
	}
	k, err := auth.NewKeystone(cfg)
	require.NoError(t, err)
	return k
}

// echo answers 200 with the request's identity in JSON, and the identity
// headers it saw.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := auth.FromContext(r.Context())
	if !ok {
		http.Error(w, "no identity", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Seen-X-Roles", r.Header.Get("X-Roles"))
	w.Header().Set("Seen-X-Project-Id", r.Header.Get("X-Project-Id"))
	_ = json.NewEncoder(w).Encode(c)
})

// get sends GET /v2.0/networks with token (none when empty) and header
// (name, value pairs) through h.
func get(h http.Handler, token string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/v2.0/networks", nil)
	if token != "" {
		r.Header.Set("X-Auth-Token", token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// identity decodes the identity echo wrote.
func identity(t *testing.T, w *httptest.ResponseRecorder) auth.Context {
	t.Helper()
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var c auth.Context
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &c))
	return c
}

func assert401(t *testing.T, w *httptest.ResponseRecorder, wwwAuthenticate string) {
	t.Helper()
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, want401, w.Body.String())
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, wwwAuthenticate, w.Header().Get("WWW-Authenticate"))
}

func TestNewKeystoneConfig(t *testing.T) {
	valid := auth.KeystoneConfig{AuthURL: "http://127.0.0.1:5000", Username: "neutron", Password: "p", ProjectName: "service"}
	tests := []struct {
		name    string
		change  func(*auth.KeystoneConfig)
		wantErr string
	}{
		{"valid", func(*auth.KeystoneConfig) {}, ""},
		{"auth_url with /v3", func(c *auth.KeystoneConfig) { c.AuthURL = "https://keystone/identity/v3/" }, ""},
		{"no auth_url", func(c *auth.KeystoneConfig) { c.AuthURL = "" }, "is not an http(s) URL"},
		{"not http", func(c *auth.KeystoneConfig) { c.AuthURL = "ftp://keystone" }, "is not an http(s) URL"},
		{"no host", func(c *auth.KeystoneConfig) { c.AuthURL = "http:///v3" }, "is not an http(s) URL"},
		{"no username", func(c *auth.KeystoneConfig) { c.Username = "" }, "username is required"},
		{"no password", func(c *auth.KeystoneConfig) { c.Password = "" }, "password is required"},
		{"no project", func(c *auth.KeystoneConfig) { c.ProjectName = "" }, "project_name is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.change(&cfg)
			k, err := auth.NewKeystone(cfg)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.NotNil(t, k)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestKeystoneMissingToken(t *testing.T) {
	ks := keystonetest.New(t)
	tests := []struct {
		name       string
		wwwAuthURI string
		header     []string
		wantWWW    string
	}{
		{"no token", "", nil, `Keystone uri="` + ks.URL + `"`},
		{"empty token", "", []string{"X-Auth-Token", ""}, `Keystone uri="` + ks.URL + `"`},
		{"forged identity headers", "", []string{"X-Identity-Status", "Confirmed", "X-User-Id", "u", "X-Roles", "admin"},
			`Keystone uri="` + ks.URL + `"`},
		{"www_authenticate_uri", "http://keystone.example:5000", []string{"Accept", "application/json"},
			`Keystone uri="http://keystone.example:5000"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKeystone(t, ks, func(c *auth.KeystoneConfig) { c.WWWAuthenticateURI = tt.wwwAuthURI })
			w := get(k.Middleware(echo), "", tt.header...)
			assert401(t, w, tt.wantWWW)
		})
	}
	assert.Zero(t, ks.Validations(), "no token, no validation")
	assert.Zero(t, ks.Authentications(), "no token, no service token")
}

func TestKeystoneValidToken(t *testing.T) {
	ks := keystonetest.New(t)
	k := newKeystone(t, ks)
	h := k.Middleware(echo)
	tests := []struct {
		name          string
		user, project string
		header        []string
		wantRoles     []string
		wantAdmin     bool
	}{
		{name: "admin", user: keystonetest.AdminUser, project: keystonetest.AdminProject,
			wantRoles: []string{"admin", "member", "reader"}, wantAdmin: true},
		{name: "member", user: keystonetest.DemoUser, project: keystonetest.DemoProject,
			wantRoles: []string{"member", "reader"}},
		{name: "forged headers ignored", user: keystonetest.DemoUser, project: keystonetest.DemoProject,
			header:    []string{"X-Roles", "admin", "X-Project-Id", "someone-else"},
			wantRoles: []string{"member", "reader"}},
		{name: "unscoped token", user: keystonetest.DemoUser, wantRoles: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := ks.Token(tt.user, tt.project)
			w := get(h, token, tt.header...)
			got := identity(t, w)
			u := ks.User(tt.user)
			want := auth.Context{
				UserID: u.ID, UserName: u.Name, UserDomainID: keystonetest.DomainID, UserDomainName: keystonetest.DomainName,
				Roles: tt.wantRoles, IsAdmin: tt.wantAdmin, AuthToken: token, ExpiresAt: ks.Clock.Now().Add(keystonetest.DefaultTokenTTL),
			}
			if tt.project != "" {
				p := ks.Project(tt.project)
				want.ProjectID, want.ProjectName = p.ID, p.Name
				want.ProjectDomainID, want.ProjectDomainName = keystonetest.DomainID, keystonetest.DomainName
			}
			assert.Equal(t, want, got)
			assert.Empty(t, w.Header().Get("Seen-X-Roles"), "identity headers from the client are removed")
			assert.Empty(t, w.Header().Get("Seen-X-Project-Id"))
		})
	}

	t.Run("X-Storage-Token", func(t *testing.T) {
		token := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
		got := identity(t, get(h, "", "X-Storage-Token", token))
		assert.Equal(t, ks.Project(keystonetest.DemoProject).ID, got.ProjectID)
	})
}

func TestKeystoneRejectedToken(t *testing.T) {
	tests := []struct {
		name   string
		before func(ks *keystonetest.Server, token string) // before the first request
	}{
		{"unknown", nil},
		{"expired", func(ks *keystonetest.Server, token string) { ks.Expire(token) }},
		{"revoked", func(ks *keystonetest.Server, token string) { ks.Revoke(token) }},
		{"past its lifetime", func(ks *keystonetest.Server, _ string) { ks.Clock.Advance(keystonetest.DefaultTokenTTL) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks := keystonetest.New(t)
			k := newKeystone(t, ks)
			token := "gAAAAAnot-a-token"
			if tt.before != nil {
				token = ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
				tt.before(ks, token)
			}
			assert401(t, get(k.Middleware(echo), token), `Keystone uri="`+ks.URL+`"`)
			assert.Equal(t, 1, ks.Validations())

			_, err := k.Authenticate(context.Background(), token)
			assert.ErrorIs(t, err, auth.ErrInvalidToken)
			assert.Equal(t, 2, ks.Validations(), "invalid tokens are not cached")
		})
	}
}

func TestKeystoneCache(t *testing.T) {
	ks := keystonetest.New(t)
	k := newKeystone(t, ks)
	h := k.Middleware(echo)
	token := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)

	first := identity(t, get(h, token))
	assert.Equal(t, 1, ks.Validations())
	assert.Equal(t, first, identity(t, get(h, token)))
	assert.Equal(t, 1, ks.Validations(), "the second request uses the cache")

	c, err := k.Authenticate(context.Background(), token)
	require.NoError(t, err)
	c.Roles[0], c.ProjectID = "admin", "changed"
	again, err := k.Authenticate(context.Background(), token)
	require.NoError(t, err)
	assert.Equal(t, first.Roles, again.Roles, "each caller gets a copy")
	assert.Equal(t, first.ProjectID, again.ProjectID)

	// As keystonemiddleware, a revoked token is trusted until its cache
	// entry expires (token_cache_time).
	ks.Revoke(token)
	ks.Clock.Advance(auth.DefaultCacheTTL - time.Second)
	identity(t, get(h, token))
	assert.Equal(t, 1, ks.Validations())
	ks.Clock.Advance(time.Second)
	assert401(t, get(h, token), `Keystone uri="`+ks.URL+`"`)
	assert.Equal(t, 2, ks.Validations())
}

func TestKeystoneCacheDeadline(t *testing.T) {
	tests := []struct {
		name      string
		tokenTTL  time.Duration
		cacheTTL  time.Duration
		advance   time.Duration
		wantCode  int
		wantValid int // validations after the second request
	}{
		{"within both", time.Hour, time.Minute, 59 * time.Second, http.StatusOK, 1},
		{"cache time over: validated again", time.Hour, time.Minute, time.Minute, http.StatusOK, 2},
		{"token expired before the cache time", 2 * time.Minute, 5 * time.Minute, 2 * time.Minute, http.StatusUnauthorized, 2},
		{"just before the token expires", 2 * time.Minute, 5 * time.Minute, 2*time.Minute - time.Second, http.StatusOK, 1},
		{"cache disabled", time.Hour, -1, 0, http.StatusOK, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks := keystonetest.New(t)
			ks.SetTokenTTL(tt.tokenTTL)
			k := newKeystone(t, ks, func(c *auth.KeystoneConfig) { c.CacheTTL = tt.cacheTTL })
			h := k.Middleware(echo)
			token := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
			identity(t, get(h, token))
			ks.Clock.Advance(tt.advance)
			w := get(h, token)
			assert.Equal(t, tt.wantCode, w.Code, w.Body.String())
			assert.Equal(t, tt.wantValid, ks.Validations())
		})
	}
}

func TestKeystoneCacheSize(t *testing.T) {
	ks := keystonetest.New(t)
	k := newKeystone(t, ks, func(c *auth.KeystoneConfig) { c.CacheSize = 2 })
	ctx := context.Background()
	a := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	b := ks.Token(keystonetest.AdminUser, keystonetest.AdminProject)
	c := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	for _, token := range []string{a, b, a, c} { // c evicts b, the least recently used
		_, err := k.Authenticate(ctx, token)
		require.NoError(t, err)
	}
	assert.Equal(t, 3, ks.Validations())
	for _, token := range []string{a, c} {
		_, err := k.Authenticate(ctx, token)
		require.NoError(t, err)
	}
	assert.Equal(t, 3, ks.Validations(), "a and c are cached")
	_, err := k.Authenticate(ctx, b)
	require.NoError(t, err)
	assert.Equal(t, 4, ks.Validations(), "b was evicted")
}

func TestKeystoneServiceToken(t *testing.T) {
	t.Run("reused, then refreshed before it expires", func(t *testing.T) {
		ks := keystonetest.New(t)
		ks.SetTokenTTL(10 * time.Minute)
		k := newKeystone(t, ks)
		h := k.Middleware(echo)
		identity(t, get(h, ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)))
		assert.Equal(t, 1, ks.Authentications())

		ks.Clock.Advance(7 * time.Minute)
		identity(t, get(h, ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)))
		assert.Equal(t, 1, ks.Authentications(), "the service token is reused")

		ks.Clock.Advance(time.Minute + time.Second) // within 2 minutes of its expiry
		identity(t, get(h, ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)))
		assert.Equal(t, 2, ks.Authentications(), "the service token is refreshed")
		assert.Equal(t, 3, ks.Validations())
	})

	t.Run("rejected by keystone: refreshed and retried", func(t *testing.T) {
		ks := keystonetest.New(t)
		k := newKeystone(t, ks)
		h := k.Middleware(echo)
		identity(t, get(h, ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)))
		ks.RevokeUser(keystonetest.ServiceUser)

		identity(t, get(h, ks.Token(keystonetest.AdminUser, keystonetest.AdminProject)))
		assert.Equal(t, 2, ks.Authentications())
		assert.Equal(t, 3, ks.Validations(), "one validation refused, one retried")
	})

	t.Run("wrong service credentials: 503", func(t *testing.T) {
		ks := keystonetest.New(t)
		k := newKeystone(t, ks, func(c *auth.KeystoneConfig) { c.Password = "wrong" })
		w := get(k.Middleware(echo), ks.Token(keystonetest.DemoUser, keystonetest.DemoProject), "Accept", "application/json")
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.Equal(t, want503JSON, w.Body.String())
		assert.Zero(t, ks.Validations())
	})

	t.Run("service user may not validate tokens: 503", func(t *testing.T) {
		ks := keystonetest.New(t)
		k := newKeystone(t, ks, func(c *auth.KeystoneConfig) {
			c.Username, c.Password, c.ProjectName = keystonetest.DemoUser, keystonetest.DemoPassword, keystonetest.DemoProject
		})
		w := get(k.Middleware(echo), ks.Token(keystonetest.AdminUser, keystonetest.AdminProject))
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.Equal(t, 1, ks.Validations())
	})
}

func TestKeystoneUnavailable(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, ks *keystonetest.Server, cfg *auth.KeystoneConfig)
	}{
		{"500", func(_ *testing.T, ks *keystonetest.Server, _ *auth.KeystoneConfig) {
			ks.Fail(http.StatusInternalServerError)
		}},
		{"502", func(_ *testing.T, ks *keystonetest.Server, _ *auth.KeystoneConfig) { ks.Fail(http.StatusBadGateway) }},
		{"503", func(_ *testing.T, ks *keystonetest.Server, _ *auth.KeystoneConfig) {
			ks.Fail(http.StatusServiceUnavailable)
		}},
		{"down", func(_ *testing.T, ks *keystonetest.Server, _ *auth.KeystoneConfig) { ks.Close() }},
		{"too slow", func(t *testing.T, ks *keystonetest.Server, cfg *auth.KeystoneConfig) {
			cfg.Timeout = 50 * time.Millisecond
			t.Cleanup(ks.Hold())
		}},
	}
	accepts := []struct {
		accept, wantType, wantBody string
	}{
		{"application/json", "application/json", want503JSON},
		{"text/plain, application/json;q=0.5", "application/json", want503JSON},
		{"application/json;q=0", "text/plain; charset=UTF-8", want503Text},
		{"", "text/plain; charset=UTF-8", want503Text},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks := keystonetest.New(t)
			cfg := ks.Config()
			token := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
			tt.setup(t, ks, &cfg)
			k, err := auth.NewKeystone(cfg)
			require.NoError(t, err)
			for _, a := range accepts {
				w := get(k.Middleware(echo), token, "Accept", a.accept)
				assert.Equal(t, http.StatusServiceUnavailable, w.Code, "Accept: %s", a.accept)
				assert.Equal(t, a.wantType, w.Header().Get("Content-Type"), "Accept: %s", a.accept)
				assert.Equal(t, a.wantBody, w.Body.String(), "Accept: %s", a.accept)
			}
			_, err = k.Authenticate(context.Background(), token)
			assert.ErrorIs(t, err, auth.ErrUnavailable)
		})
	}

	t.Run("recovers", func(t *testing.T) {
		ks := keystonetest.New(t)
		k := newKeystone(t, ks)
		token := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
		ks.Fail(http.StatusInternalServerError)
		assert.Equal(t, http.StatusServiceUnavailable, get(k.Middleware(echo), token).Code)
		ks.Fail(0)
		identity(t, get(k.Middleware(echo), token))
	})
}

func TestKeystoneConcurrentRequests(t *testing.T) {
	ks := keystonetest.New(t)
	k := newKeystone(t, ks)
	h := k.Middleware(echo)
	tokens := []string{
		ks.Token(keystonetest.DemoUser, keystonetest.DemoProject),
		ks.Token(keystonetest.AdminUser, keystonetest.AdminProject),
		ks.Token(keystonetest.DemoUser, keystonetest.DemoProject),
	}
	const perToken = 20

	release := ks.Hold()
	codes := make(chan int, len(tokens)*perToken)
	var wg sync.WaitGroup
	for _, token := range tokens {
		for range perToken {
			wg.Go(func() { codes <- get(h, token).Code })
		}
	}
	require.Eventually(t, func() bool { return ks.Validations() == len(tokens) },
		5*time.Second, time.Millisecond, "one validation per token reaches keystone")
	time.Sleep(50 * time.Millisecond) // let the other requests pile up behind them
	release()
	wg.Wait()
	close(codes)
	for code := range codes {
		assert.Equal(t, http.StatusOK, code)
	}
	assert.Equal(t, len(tokens), ks.Validations(), "one validation per token")
	assert.Equal(t, 1, ks.Authentications(), "one service token")
}

func TestKeystoneCanceledLeader(t *testing.T) {
	ks := keystonetest.New(t)
	k := newKeystone(t, ks)
	token := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	release := ks.Hold()
	defer release()

	// The first caller starts the validation, then goes away; the second,
	// waiting for it, validates the token itself.
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := k.Authenticate(leaderCtx, token)
		leaderErr <- err
	}()
	require.Eventually(t, func() bool { return ks.Validations() == 1 }, 5*time.Second, time.Millisecond)
	waiter := make(chan error, 1)
	go func() {
		c, err := k.Authenticate(context.Background(), token)
		if err == nil && c.ProjectID != ks.Project(keystonetest.DemoProject).ID {
			t.Errorf("waiter got project %q", c.ProjectID)
		}
		waiter <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	err := <-leaderErr
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.ErrorIs(t, err, context.Canceled)

	require.Eventually(t, func() bool { return ks.Validations() == 2 }, 5*time.Second, time.Millisecond)
	release()
	require.NoError(t, <-waiter)
	assert.Equal(t, 2, ks.Validations())
}

func TestKeystoneCanceledWaiter(t *testing.T) {
	ks := keystonetest.New(t)
	k := newKeystone(t, ks)
	token := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	release := ks.Hold()
	defer release()

	leader := make(chan error, 1)
	go func() {
		_, err := k.Authenticate(context.Background(), token)
		leader <- err
	}()
	require.Eventually(t, func() bool { return ks.Validations() == 1 }, 5*time.Second, time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := k.Authenticate(ctx, token)
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	release()
	require.NoError(t, <-leader)
	assert.Equal(t, 1, ks.Validations())
}

// TestKeystoneImpossibleToken: a token no Keystone issues is a 401 without
// a call to Keystone, and leaves nothing in the cache.
func TestKeystoneImpossibleToken(t *testing.T) {
	ks := keystonetest.New(t)
	k := newKeystone(t, ks)
	valid := ks.Token(keystonetest.DemoUser, keystonetest.DemoProject)
	tests := []struct {
		name  string
		token string
	}{
		{"64 KiB of garbage", strings.Repeat("x", 64<<10)},
		{"one byte too long", strings.Repeat("A", auth.MaxTokenLength+1)},
		{"a valid token padded past the limit", valid + strings.Repeat("0", auth.MaxTokenLength)},
		{"not ASCII", "gAAAAAB\u00e9token"},
		{"a byte not UTF-8", "gAAAAAB\xfftoken"},
		{"inner space", "gAAAAAB token"},
		{"inner tab", "gAAAAAB\ttoken"},
		{"DEL", "gAAAAAB\x7ftoken"},
		{"only spaces", "   "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(k.Middleware(echo), tt.token)
			assert401(t, w, `Keystone uri="`+ks.URL+`"`)
			_, err := k.Authenticate(context.Background(), tt.token)
			require.ErrorIs(t, err, auth.ErrInvalidToken)
		})
	}
	assert.Zero(t, ks.Validations(), "nothing sent to Keystone")
	assert.Zero(t, ks.Authentications(), "not even for a service token")

	// At the limit, a token is asked about.
	w := get(k.Middleware(echo), strings.Repeat("A", auth.MaxTokenLength))
	assert401(t, w, `Keystone uri="`+ks.URL+`"`)
	assert.Equal(t, 1, ks.Validations())
	assert.Equal(t, keystonetest.DemoUser, identity(t, get(k.Middleware(echo), valid)).UserName)
}
