package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Defaults of KeystoneConfig.
const (
	// DefaultCacheTTL is how long a validated token is trusted without
	// asking Keystone again (keystonemiddleware's token_cache_time).
	DefaultCacheTTL = 300 * time.Second
	// DefaultCacheSize bounds the number of cached tokens.
	DefaultCacheSize = 10000
	// DefaultTimeout bounds each call to Keystone.
	DefaultTimeout = 10 * time.Second
	// DefaultDomainName is the domain of the service user and its project.
	DefaultDomainName = "Default"
	// MaxTokenLength is the longest token sent to Keystone for
	// validation. Keystone's fernet tokens are under 255 bytes and JWS
	// tokens a few hundred; 8 KiB leaves room for the PKI tokens of old
	// deployments. A longer token cannot be valid.
	MaxTokenLength = 8 << 10
)

// Errors of Keystone.Authenticate. Every error it returns wraps one of them.
var (
	// ErrInvalidToken: Keystone does not know the token, or it has expired
	// or been revoked. The middleware answers 401.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrUnavailable: the token could not be validated — Keystone is down,
	// slow, answers with an error, or rejects the service credentials — or
	// the request went away meanwhile. The middleware answers 503.
	ErrUnavailable = errors.New("auth: identity service unavailable")
)

// KeystoneConfig configures Keystone. The fields follow the
// [keystone_authtoken] options of neutron.conf.
type KeystoneConfig struct {
	// AuthURL is the identity service, e.g. http://127.0.0.1:5000 (auth_url).
	// A trailing /v3 is accepted. Required.
	AuthURL string
	// WWWAuthenticateURI is where clients are told to authenticate, in the
	// WWW-Authenticate header of a 401 (www_authenticate_uri). Default:
	// AuthURL.
	WWWAuthenticateURI string

	// Username and Password are the service user's credentials, scoped to
	// project ProjectName, with which the middleware gets the service token
	// that validates users' tokens. Required.
	Username    string
	Password    string
	ProjectName string
	// UserDomainName and ProjectDomainName are the domains of the service
	// user and of its project. Default: DefaultDomainName.
	UserDomainName    string
	ProjectDomainName string

	// CacheTTL is how long a validated token is trusted without asking
	// Keystone again; never past the token's expiry. As with
	// keystonemiddleware, a token revoked meanwhile is accepted until then.
	// Zero means DefaultCacheTTL; negative disables the cache.
	CacheTTL time.Duration
	// CacheSize bounds the number of cached tokens; the least recently used
	// go first. Zero means DefaultCacheSize.
	CacheSize int
	// Timeout bounds each call to Keystone. Zero means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient makes the calls to Keystone. Default: a client of its own.
	HTTPClient *http.Client
	// Logger receives failures to reach Keystone (warnings) and rejected
	// tokens (debug); never a token. Default: no logging.
	Logger hclog.Logger
	// Now is the clock, for tests. Default: time.Now.
	Now func() time.Time
}

// Keystone authenticates requests with Keystone tokens, as
// keystonemiddleware's auth_token and Neutron's keystonecontext do. It is
// safe for concurrent use; one value serves a whole server.
type Keystone struct {
	tokensURL    string // {auth_url}/v3/auth/tokens
	wwwAuth      string // the WWW-Authenticate header of a 401
	cfg          KeystoneConfig
	client       *http.Client
	log          hclog.Logger
	now          func() time.Time
	cacheTTL     time.Duration
	timeout      time.Duration
	cache        *tokenCache
	validations  group[tokenKey, *Context]
	svcFlight    group[struct{}, string]
	svcMu        sync.Mutex // guards the two below
	svcToken     string
	svcRefreshAt time.Time
}

// NewKeystone returns a Keystone for cfg. It makes no call to Keystone: the
// service token is obtained with the first request.
func NewKeystone(cfg KeystoneConfig) (*Keystone, error) {
	base := strings.TrimRight(cfg.AuthURL, "/")
	base = strings.TrimSuffix(base, "/v3")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("auth: keystone auth_url %q is not an http(s) URL", cfg.AuthURL)
	}
	for name, v := range map[string]string{"username": cfg.Username, "password": cfg.Password, "project_name": cfg.ProjectName} {
		if v == "" {
			return nil, fmt.Errorf("auth: keystone %s is required", name)
		}
	}
	k := &Keystone{
		tokensURL: base + "/v3/auth/tokens",
		cfg:       cfg,
		client:    cfg.HTTPClient,
		log:       cfg.Logger,
		now:       cfg.Now,
		cacheTTL:  cfg.CacheTTL,
		timeout:   cfg.Timeout,
	}
	wwwURI := cfg.WWWAuthenticateURI
	if wwwURI == "" {
		wwwURI = cfg.AuthURL
	}
	k.wwwAuth = fmt.Sprintf("Keystone uri=%q", wwwURI)
	if k.cfg.UserDomainName == "" {
		k.cfg.UserDomainName = DefaultDomainName
	}
	if k.cfg.ProjectDomainName == "" {
		k.cfg.ProjectDomainName = DefaultDomainName
	}
	if k.client == nil {
		k.client = &http.Client{}
	}
	if k.log == nil {
		k.log = hclog.NewNullLogger()
	}
	if k.now == nil {
		k.now = time.Now
	}
	if k.cacheTTL == 0 {
		k.cacheTTL = DefaultCacheTTL
	}
	if k.timeout <= 0 {
		k.timeout = DefaultTimeout
	}
	size := cfg.CacheSize
	if size <= 0 {
		size = DefaultCacheSize
	}
	if k.cacheTTL < 0 {
		size = 0
	}
	k.cache = newTokenCache(size)
	return k, nil
}

// Middleware returns next behind Keystone authentication. A request without
// an X-Auth-Token header (or X-Storage-Token), or whose token is invalid
// (Keystone says so, or it has no token's form: see Authenticate), gets
// keystonemiddleware's 401; one whose token cannot be validated gets its
// 503. Any other request goes on to next with its identity in its context
// (FromContext), the identity headers a client could forge (X-User-Id,
// X-Project-Id, X-Roles, ...) removed.
func (k *Keystone) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		removeIdentityHeaders(r.Header)
		token := firstHeader(r.Header, "X-Auth-Token", "X-Storage-Token")
		if token == "" {
			k.log.Debug("rejecting request without a token", "method", r.Method, "path", r.URL.Path)
			k.writeUnauthorized(w)
			return
		}
		c, err := k.Authenticate(r.Context(), token)
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
		case errors.Is(err, ErrInvalidToken):
			k.log.Debug("rejecting request", "method", r.Method, "path", r.URL.Path, "token", fingerprint(token), "error", err)
			k.writeUnauthorized(w)
		default:
			if r.Context().Err() == nil {
				k.log.Warn("unable to validate token", "token", fingerprint(token), "error", err)
			}
			writeUnavailable(w, r)
		}
	})
}

// Authenticate returns the identity of token: from the cache, or validated
// with Keystone. Concurrent calls for the same token share one validation.
// A token that no Keystone issues — empty, longer than MaxTokenLength, or
// holding anything but printable ASCII — is invalid without asking
// Keystone. Every error wraps ErrInvalidToken or ErrUnavailable. The
// Context returned is the caller's own.
func (k *Keystone) Authenticate(ctx context.Context, token string) (*Context, error) {
	if err := checkTokenForm(token); err != nil {
		return nil, err
	}
	key := tokenKey(sha256.Sum256([]byte(token)))
	cached := func() (*Context, bool) { return k.cache.get(key, k.now()) }
	c, err := k.validations.do(ctx, key, cached, func(ctx context.Context) (*Context, error) {
		c, err := k.validate(ctx, token)
		if err != nil {
			return nil, err
		}
		until := k.now().Add(k.cacheTTL)
		if c.ExpiresAt.Before(until) {
			until = c.ExpiresAt
		}
		k.cache.add(key, c, until)
		return c, nil
	})
	if err != nil {
		if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return nil, err
	}
	return c.Clone(), nil
}

// checkTokenForm rejects what cannot be a Keystone token: nothing, more
// than MaxTokenLength bytes, or a byte that is not printable ASCII (fernet,
// JWS and PKI tokens are base64 text, without spaces).
func checkTokenForm(token string) error {
	switch {
	case token == "":
		return fmt.Errorf("%w: no token", ErrInvalidToken)
	case len(token) > MaxTokenLength:
		return fmt.Errorf("%w: %d bytes long, more than %d", ErrInvalidToken, len(token), MaxTokenLength)
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("%w: byte %#02x at %d is not printable ASCII", ErrInvalidToken, c, i)
		}
	}
	return nil
}

// The bodies keystonemiddleware answers with. Its 401 is a JSON body of its
// own; its 503 is webob's HTTPServiceUnavailable("The Keystone service is
// temporarily unavailable."), in JSON for clients that accept it, else in
// plain text (webob would give browsers HTML).
const (
	unauthorizedBody    = `{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}`
	unavailableJSONBody = `{"message": "The server is currently unavailable. Please try again at a later time.<br /><br />\nThe Keystone service is temporarily unavailable.\n\n", "code": "503 Service Unavailable", "title": "Service Unavailable"}`
	unavailableTextBody = "503 Service Unavailable\n\nThe server is currently unavailable. Please try again at a later time.\n\n The Keystone service is temporarily unavailable.  "
)

func (k *Keystone) writeUnauthorized(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("WWW-Authenticate", k.wwwAuth)
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(unauthorizedBody))
}

func writeUnavailable(w http.ResponseWriter, r *http.Request) {
	body, ctype := unavailableTextBody, "text/plain; charset=UTF-8"
	if acceptsJSON(r.Header.Values("Accept")) {
		body, ctype = unavailableJSONBody, "application/json"
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(body))
}

// acceptsJSON reports whether an Accept header names application/json (or
// application/*) with a non-zero quality.
func acceptsJSON(accept []string) bool {
	for _, v := range accept {
		for rng := range strings.SplitSeq(v, ",") {
			media, params, _ := strings.Cut(rng, ";")
			media = strings.ToLower(strings.TrimSpace(media))
			if media != "application/json" && media != "application/*" {
				continue
			}
			zero := false
			for p := range strings.SplitSeq(params, ";") {
				name, val, _ := strings.Cut(p, "=")
				if strings.EqualFold(strings.TrimSpace(name), "q") {
					val = strings.TrimRight(strings.TrimSpace(val), "0")
					zero = val == "" || val == "." || val == "0."
				}
			}
			if !zero {
				return true
			}
		}
	}
	return false
}

// identityHeaders are the headers keystonemiddleware sets from a validated
// token, and so removes from incoming requests, for the user and for a
// service (the X-Service- forms).
var identityHeaders = func() []string {
	names := []string{"X-Identity-Status", "X-Service-Identity-Status", "X-Is-Admin-Project",
		"X-Service-Catalog", "Openstack-System-Scope",
		"X-Tenant-Id", "X-Tenant-Name", "X-Tenant", "X-User", "X-Role"}
	for _, prefix := range []string{"X-", "X-Service-"} {
		for _, s := range []string{"Domain-Id", "Domain-Name", "Project-Id", "Project-Name",
			"Project-Domain-Id", "Project-Domain-Name", "User-Id", "User-Name",
			"User-Domain-Id", "User-Domain-Name", "Roles"} {
			names = append(names, prefix+s)
		}
	}
	return names
}()

func removeIdentityHeaders(h http.Header) {
	for _, name := range identityHeaders {
		h.Del(name)
	}
}

// fingerprint names a token in logs without revealing it.
func fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:4])
}
