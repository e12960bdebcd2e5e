package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxResponseBody bounds what is read of a Keystone answer.
const maxResponseBody = 4 << 20

// serviceTokenMargin is how long before its expiry the service token is
// replaced (at most half its lifetime).
const serviceTokenMargin = 2 * time.Minute

// validate asks Keystone for token's identity: GET /v3/auth/tokens with the
// service token in X-Auth-Token and token in X-Subject-Token. As
// keystonemiddleware: 404 means an invalid token; 401 means the service
// token has gone stale, and is retried once with a new one; anything else
// that is not a 200 means Keystone is unavailable.
func (k *Keystone) validate(ctx context.Context, token string) (*Context, error) {
	for attempt := 0; ; attempt++ {
		svc, err := k.serviceToken(ctx)
		if err != nil {
			return nil, err
		}
		_, status, body, err := k.call(ctx, http.MethodGet, k.tokensURL+"?nocatalog", nil, map[string]string{
			"X-Auth-Token":    svc,
			"X-Subject-Token": token,
		})
		if err != nil {
			return nil, fmt.Errorf("%w: validating a token: %w", ErrUnavailable, err)
		}
		switch status {
		case http.StatusOK:
			return k.identity(token, body)
		case http.StatusNotFound:
			return nil, fmt.Errorf("%w: keystone does not know it", ErrInvalidToken)
		case http.StatusUnauthorized:
			k.dropServiceToken(svc)
			if attempt == 0 {
				k.log.Info("keystone rejected the service token; getting a new one")
				continue
			}
			return nil, fmt.Errorf("%w: keystone rejected the authorization necessary to fetch token data", ErrUnavailable)
		default:
			return nil, fmt.Errorf("%w: keystone answered %d validating a token: %s", ErrUnavailable, status, snippet(body))
		}
	}
}

// tokenBody is the part of Keystone's token body that makes an identity.
type tokenBody struct {
	Token struct {
		ExpiresAt string   `json:"expires_at"`
		User      idName   `json:"user"`
		Project   *idName  `json:"project"`
		Domain    *idName  `json:"domain"`
		Roles     []idName `json:"roles"`
	} `json:"token"`
}

type idName struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Domain struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"domain"`
}

// identity makes the Context of token from Keystone's validation body.
func (k *Keystone) identity(token string, body []byte) (*Context, error) {
	var tb tokenBody
	if err := json.Unmarshal(body, &tb); err != nil {
		return nil, fmt.Errorf("%w: keystone's token body: %w", ErrUnavailable, err)
	}
	t := tb.Token
	expires, err := time.Parse(time.RFC3339Nano, t.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("%w: keystone's token expires_at %q: %w", ErrUnavailable, t.ExpiresAt, err)
	}
	if t.User.ID == "" {
		return nil, fmt.Errorf("%w: keystone's token body has no user", ErrUnavailable)
	}
	if !expires.After(k.now()) {
		return nil, fmt.Errorf("%w: expired at %s", ErrInvalidToken, t.ExpiresAt)
	}
	c := &Context{
		UserID:         t.User.ID,
		UserName:       t.User.Name,
		UserDomainID:   t.User.Domain.ID,
		UserDomainName: t.User.Domain.Name,
		Roles:          make([]string, 0, len(t.Roles)),
		AuthToken:      token,
		ExpiresAt:      expires,
	}
	if p := t.Project; p != nil {
		c.ProjectID, c.ProjectName = p.ID, p.Name
		c.ProjectDomainID, c.ProjectDomainName = p.Domain.ID, p.Domain.Name
	}
	if d := t.Domain; d != nil {
		c.DomainID, c.DomainName = d.ID, d.Name
	}
	for _, r := range t.Roles {
		c.Roles = append(c.Roles, r.Name)
	}
	c.IsAdmin = HasAdminRole(c.Roles)
	return c, nil
}

// serviceToken returns a service token that is not about to expire,
// obtaining one when needed; concurrent callers share one request.
func (k *Keystone) serviceToken(ctx context.Context) (string, error) {
	cached := func() (string, bool) {
		k.svcMu.Lock()
		defer k.svcMu.Unlock()
		return k.svcToken, k.svcToken != "" && k.now().Before(k.svcRefreshAt)
	}
	return k.svcFlight.do(ctx, struct{}{}, cached, func(ctx context.Context) (string, error) {
		token, expires, err := k.newServiceToken(ctx)
		if err != nil {
			return "", err
		}
		now := k.now()
		margin := min(serviceTokenMargin, expires.Sub(now)/2)
		k.svcMu.Lock()
		k.svcToken, k.svcRefreshAt = token, expires.Add(-margin)
		k.svcMu.Unlock()
		k.log.Debug("obtained a service token", "expires_at", expires)
		return token, nil
	})
}

// dropServiceToken forgets the service token token, if it is still the
// current one.
func (k *Keystone) dropServiceToken(token string) {
	k.svcMu.Lock()
	defer k.svcMu.Unlock()
	if k.svcToken == token {
		k.svcToken = ""
	}
}

// newServiceToken authenticates the service user with its password:
// POST /v3/auth/tokens, the token coming back in X-Subject-Token.
func (k *Keystone) newServiceToken(ctx context.Context) (string, time.Time, error) {
	type named struct {
		Name string `json:"name"`
	}
	type scoped struct {
		Name   string `json:"name"`
		Domain named  `json:"domain"`
	}
	var req struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User struct {
						scoped
						Password string `json:"password"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope struct {
				Project scoped `json:"project"`
			} `json:"scope"`
		} `json:"auth"`
	}
	id := &req.Auth.Identity
	id.Methods = []string{"password"}
	id.Password.User.scoped = scoped{Name: k.cfg.Username, Domain: named{k.cfg.UserDomainName}}
	id.Password.User.Password = k.cfg.Password
	req.Auth.Scope.Project = scoped{Name: k.cfg.ProjectName, Domain: named{k.cfg.ProjectDomainName}}
	payload, err := json.Marshal(&req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}

	header, status, body, err := k.call(ctx, http.MethodPost, k.tokensURL+"?nocatalog", payload, nil)
	token := header.Get("X-Subject-Token")
	switch {
	case err != nil:
		return "", time.Time{}, fmt.Errorf("%w: getting a service token: %w", ErrUnavailable, err)
	case status == http.StatusUnauthorized:
		k.log.Error("keystone rejected the service credentials", "username", k.cfg.Username,
			"user_domain_name", k.cfg.UserDomainName, "project_name", k.cfg.ProjectName,
			"project_domain_name", k.cfg.ProjectDomainName)
		return "", time.Time{}, fmt.Errorf("%w: keystone rejected the service credentials of user %q", ErrUnavailable, k.cfg.Username)
	case status != http.StatusCreated && status != http.StatusOK:
		return "", time.Time{}, fmt.Errorf("%w: keystone answered %d to the service credentials: %s", ErrUnavailable, status, snippet(body))
	case token == "":
		return "", time.Time{}, fmt.Errorf("%w: keystone issued a service token without X-Subject-Token", ErrUnavailable)
	}
	var tb tokenBody
	if err := json.Unmarshal(body, &tb); err != nil {
		return "", time.Time{}, fmt.Errorf("%w: keystone's service token body: %w", ErrUnavailable, err)
	}
	expires, err := time.Parse(time.RFC3339Nano, tb.Token.ExpiresAt)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: keystone's service token expires_at %q: %w", ErrUnavailable, tb.Token.ExpiresAt, err)
	}
	return token, expires, nil
}

// call sends a request to Keystone within the timeout, and returns the
// header, status and body of the answer.
func (k *Keystone) call(ctx context.Context, method, url string, payload []byte, header map[string]string) (http.Header, int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for name, v := range header {
		req.Header.Set(name, v)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, 0, nil, err
	}
	return resp.Header, resp.StatusCode, b, nil
}

// snippet shortens a body for an error message.
func snippet(b []byte) string {
	const max = 200
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
