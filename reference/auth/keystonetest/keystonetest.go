// Package keystonetest is a stand-in Keystone for tests: an httptest server
// that speaks the part of the Identity API v3 that token validation uses —
// POST /v3/auth/tokens (password authentication, project-scoped or
// unscoped), GET and HEAD /v3/auth/tokens (validation: X-Auth-Token is the
// caller's token, X-Subject-Token the one to validate) and DELETE
// /v3/auth/tokens (revocation) — with Keystone's JSON bodies, status codes
// and headers.
//
// New starts a server with the Default domain, the projects admin, demo and
// service, and the users admin (role admin on admin), demo (member on demo)
// and neutron (service on service), whose credentials Config hands to
// auth.NewKeystone. Roles imply others as after keystone-manage bootstrap:
// admin implies member, member implies reader.
//
// Tests issue tokens with Token (DomainToken for domain-scoped ones), end them with Expire and Revoke or by
// moving the server's Clock, count the calls that reach it (Validations,
// Authentications), hold validations back (Hold) and make it fail (Fail,
// or Close to take it down).
package keystonetest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ml2go/ml2go/reference/auth"
)

// The fixtures New creates.
const (
	DomainID   = "default"
	DomainName = "Default"

	AdminUser       = "admin"
	AdminPassword   = "admin-secret"
	AdminProject    = "admin"
	DemoUser        = "demo"
	DemoPassword    = "demo-secret"
	DemoProject     = "demo"
	ServiceUser     = "neutron"
	ServicePassword = "neutron-secret"
	ServiceProject  = "service"
)

// DefaultTokenTTL is the lifetime of the tokens a new Server issues
// (Keystone's [token] expiration).
const DefaultTokenTTL = time.Hour

// impliedRoles are the role implications keystone-manage bootstrap creates.
var impliedRoles = map[string]string{"admin": "member", "member": "reader"}

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Project is a Keystone project of the Default domain.
type Project struct {
	ID   string
	Name string
}

// User is a Keystone user of the Default domain.
type User struct {
	ID       string
	Name     string
	Password string
}

// Server is the stand-in Keystone. Its methods are safe for concurrent use.
type Server struct {
	*httptest.Server
	// Clock is the server's time: tokens are issued and expire by it. It
	// starts at the real time; Config hands it to the middleware.
	Clock *Clock

	t               testing.TB
	mu              sync.Mutex
	projects        map[string]*Project // by name
	users           map[string]*User    // by name
	roleIDs         map[string]string   // role name -> id
	grants          map[[2]string][]string
	tokens          map[string]*token
	ttl             time.Duration
	failStatus      int
	held            chan struct{}
	validations     int
	authentications int
}

type token struct {
	user    *User
	project *Project // nil: unscoped, or scoped to the domain
	domain  bool     // scoped to the Default domain
	roles   []string
	issued  time.Time
	expires time.Time
	revoked bool
	auditID string
	methods []string
}

// New starts a Server, closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		Clock:    NewClock(time.Now().UTC().Truncate(time.Microsecond)),
		t:        t,
		projects: make(map[string]*Project),
		users:    make(map[string]*User),
		roleIDs:  make(map[string]string),
		grants:   make(map[[2]string][]string),
		tokens:   make(map[string]*token),
		ttl:      DefaultTokenTTL,
	}
	for _, p := range []string{AdminProject, DemoProject, ServiceProject} {
		s.AddProject(p)
	}
	s.AddUser(AdminUser, AdminPassword)
	s.AddUser(DemoUser, DemoPassword)
	s.AddUser(ServiceUser, ServicePassword)
	s.Grant(AdminUser, AdminProject, "admin")
	s.Grant(DemoUser, DemoProject, "member")
	s.Grant(ServiceUser, ServiceProject, "service")

	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/auth/tokens", s.authenticate)
	mux.HandleFunc("GET /v3/auth/tokens", s.validate)
	mux.HandleFunc("HEAD /v3/auth/tokens", s.validate)
	mux.HandleFunc("DELETE /v3/auth/tokens", s.revoke)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "The resource could not be found.")
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		status := s.failStatus
		s.mu.Unlock()
		if status != 0 {
			writeError(w, status, "keystonetest: failing on purpose")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Config returns the configuration of an auth.Keystone that uses s: its URL,
// the service user's credentials, its client and its clock.
func (s *Server) Config() auth.KeystoneConfig {
	return auth.KeystoneConfig{
		AuthURL:           s.URL,
		Username:          ServiceUser,
		Password:          ServicePassword,
		ProjectName:       ServiceProject,
		UserDomainName:    DomainName,
		ProjectDomainName: DomainName,
		HTTPClient:        s.Client(),
		Now:               s.Clock.Now,
	}
}

// AddProject creates the project name (if it does not exist) and returns it.
func (s *Server) AddProject(name string) Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[name]
	if !ok {
		p = &Project{ID: newID(), Name: name}
		s.projects[name] = p
	}
	return *p
}

// AddUser creates the user name with password (or changes the password of
// an existing one) and returns it.
func (s *Server) AddUser(name, password string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[name]
	if !ok {
		u = &User{ID: newID(), Name: name}
		s.users[name] = u
	}
	u.Password = password
	return *u
}

// Grant gives user roles on project. Both must exist.
func (s *Server) Grant(user, project string, roles ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, p := s.lookup(user, project)
	key := [2]string{u.ID, p.ID}
	for _, r := range roles {
		if !slices.Contains(s.grants[key], r) {
			s.grants[key] = append(s.grants[key], r)
		}
	}
}

// Project returns the project name, failing the test if there is none.
func (s *Server) Project(name string) Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, p := s.lookup("", name)
	return *p
}

// User returns the user name, failing the test if there is none.
func (s *Server) User(name string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, _ := s.lookup(name, "")
	return *u
}

// lookup finds a user and a project by name (skipping empty names), failing
// the test if one does not exist.
func (s *Server) lookup(user, project string) (*User, *Project) {
	s.t.Helper()
	u, p := s.users[user], s.projects[project]
	if user != "" && u == nil {
		s.t.Fatalf("keystonetest: no user %q", user)
	}
	if project != "" && p == nil {
		s.t.Fatalf("keystonetest: no project %q", project)
	}
	return u, p
}

// Token issues a token for user scoped to project (unscoped when project is
// empty), as a password authentication would, without counting as one. It
// fails the test if the user has no role on the project.
func (s *Server) Token(user, project string) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	u, p := s.lookup(user, project)
	id, err := s.issue(u, p, []string{"password"})
	if err != nil {
		s.t.Fatalf("keystonetest: %v", err)
	}
	return id
}

// DomainToken issues a token for user scoped to the Default domain, with
// roles (and those they imply) as its domain role assignments: a token
// that names no project.
func (s *Server) DomainToken(user string, roles ...string) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	u, _ := s.lookup(user, "")
	tok := &token{user: u, domain: true, methods: []string{"password"}, auditID: newAuditID()}
	for _, r := range roles {
		for ; r != ""; r = impliedRoles[r] {
			if !slices.Contains(tok.roles, r) {
				tok.roles = append(tok.roles, r)
			}
		}
	}
	tok.issued = s.Clock.Now()
	tok.expires = tok.issued.Add(s.ttl)
	id := newTokenID()
	s.tokens[id] = tok
	return id
}

// Expire makes a token expire now.
func (s *Server) Expire(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok, ok := s.tokens[id]; ok {
		tok.expires = s.Clock.Now()
	}
}

// Revoke revokes a token.
func (s *Server) Revoke(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok, ok := s.tokens[id]; ok {
		tok.revoked = true
	}
}

// RevokeUser revokes every token of the user name: RevokeUser(ServiceUser)
// makes Keystone reject the middleware's service token.
func (s *Server) RevokeUser(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, _ := s.lookup(name, "")
	for _, tok := range s.tokens {
		if tok.user == u {
			tok.revoked = true
		}
	}
}

// SetTokenTTL sets the lifetime of the tokens issued from now on.
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttl = d
}

// Fail makes every request from now on fail with status (a 5xx, say) and a
// Keystone error body; 0 heals the server.
func (s *Server) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStatus = status
}

// Hold makes validations wait (counted already, and until their request
// ends) until release is called.
func (s *Server) Hold() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	s.held = ch
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.held == ch {
				s.held = nil
			}
			s.mu.Unlock()
			close(ch)
		})
	}
}

// Validations returns the number of validation requests (GET or HEAD
// /v3/auth/tokens) that have reached the server and not been failed by Fail.
func (s *Server) Validations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.validations
}

// Authentications returns the number of password authentications (POST
// /v3/auth/tokens) that have reached the server and not been failed by Fail,
// successful or not.
func (s *Server) Authentications() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authentications
}

// issue makes a token; s.mu is held.
func (s *Server) issue(u *User, p *Project, methods []string) (string, error) {
	tok := &token{user: u, project: p, methods: methods, auditID: newAuditID()}
	if p != nil {
		tok.roles = s.effectiveRoles(u, p)
		if len(tok.roles) == 0 {
			return "", fmt.Errorf("User %s has no access to project %s", u.ID, p.ID)
		}
	}
	tok.issued = s.Clock.Now()
	tok.expires = tok.issued.Add(s.ttl)
	id := newTokenID()
	s.tokens[id] = tok
	return id, nil
}

// effectiveRoles are the roles granted to u on p and those they imply.
func (s *Server) effectiveRoles(u *User, p *Project) []string {
	var roles []string
	for _, r := range s.grants[[2]string{u.ID, p.ID}] {
		for ; r != ""; r = impliedRoles[r] {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	return roles
}

// valid returns the token id if it is known, unexpired and not revoked;
// s.mu is held.
func (s *Server) valid(id string) *token {
	tok, ok := s.tokens[id]
	if !ok || tok.revoked || !s.Clock.Now().Before(tok.expires) {
		return nil
	}
	return tok
}

// authRequest is the body of POST /v3/auth/tokens, password method.
type authRequest struct {
	Auth *struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User struct {
					ID       string  `json:"id"`
					Name     string  `json:"name"`
					Password string  `json:"password"`
					Domain   *domain `json:"domain"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope *struct {
			Project *struct {
				ID     string  `json:"id"`
				Name   string  `json:"name"`
				Domain *domain `json:"domain"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

type domain struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (d *domain) isDefault() bool {
	return d != nil && (d.ID == DomainID || d.Name == DomainName)
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authentications++

	var req authRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Auth == nil {
		writeError(w, http.StatusBadRequest, "Expecting to find auth in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
		return
	}
	id := req.Auth.Identity
	if !slices.Contains(id.Methods, "password") || id.Password == nil {
		writeError(w, http.StatusUnauthorized, "keystonetest supports the password method only.")
		return
	}
	pu := id.Password.User
	var user *User
	for _, u := range s.users {
		if (pu.ID != "" && u.ID == pu.ID) || (pu.ID == "" && u.Name == pu.Name && pu.Domain.isDefault()) {
			user = u
		}
	}
	if user == nil || user.Password != pu.Password {
		writeUnauthorized(w, r, "The request you have made requires authentication.")
		return
	}
	var project *Project
	if sc := req.Auth.Scope; sc != nil {
		sp := sc.Project
		if sp == nil {
			writeError(w, http.StatusBadRequest, "keystonetest supports project scope only.")
			return
		}
		for _, p := range s.projects {
			if (sp.ID != "" && p.ID == sp.ID) || (sp.ID == "" && p.Name == sp.Name && sp.Domain.isDefault()) {
				project = p
			}
		}
		if project == nil {
			writeUnauthorized(w, r, "The request you have made requires authentication.")
			return
		}
	}
	tokenID, err := s.issue(user, project, []string{"password"})
	if err != nil {
		writeUnauthorized(w, r, err.Error())
		return
	}
	w.Header().Set("X-Subject-Token", tokenID)
	s.writeToken(w, r, http.StatusCreated, s.tokens[tokenID])
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.validations++
	held := s.held
	s.mu.Unlock()
	if held != nil {
		select {
		case <-held:
		case <-r.Context().Done():
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	subjectID := r.Header.Get("X-Subject-Token")
	if !s.authorized(w, r, r.Header.Get("X-Auth-Token"), subjectID) {
		return
	}
	subject := s.valid(subjectID)
	if subject == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Could not find token: %s.", subjectID))
		return
	}
	w.Header().Set("X-Subject-Token", subjectID)
	s.writeToken(w, r, http.StatusOK, subject)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	subjectID := r.Header.Get("X-Subject-Token")
	if !s.authorized(w, r, r.Header.Get("X-Auth-Token"), subjectID) {
		return
	}
	subject := s.valid(subjectID)
	if subject == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Could not find token: %s.", subjectID))
		return
	}
	subject.revoked = true
	w.WriteHeader(http.StatusNoContent)
}

// authorized checks that the caller's token may act on the subject token, as
// Keystone's default policy: an admin, a service, or the token's own holder.
// It answers the request and returns false when not; s.mu is held.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, callerID, subjectID string) bool {
	caller := s.valid(callerID)
	switch {
	case caller == nil:
		writeUnauthorized(w, r, "The request you have made requires authentication.")
		return false
	case subjectID == "":
		writeError(w, http.StatusBadRequest, "Expecting to find X-Subject-Token in request headers.")
		return false
	case callerID != subjectID && !slices.Contains(caller.roles, "admin") && !slices.Contains(caller.roles, "service"):
		writeError(w, http.StatusForbidden, "You are not authorized to perform the requested action: identity:validate_token.")
		return false
	}
	return true
}

// writeToken writes Keystone's token body; s.mu is held.
func (s *Server) writeToken(w http.ResponseWriter, r *http.Request, status int, tok *token) {
	dom := map[string]any{"id": DomainID, "name": DomainName}
	body := map[string]any{
		"methods":    tok.methods,
		"user":       map[string]any{"domain": dom, "id": tok.user.ID, "name": tok.user.Name, "password_expires_at": nil},
		"audit_ids":  []string{tok.auditID},
		"expires_at": formatTime(tok.expires),
		"issued_at":  formatTime(tok.issued),
	}
	if tok.project != nil || tok.domain {
		roles := make([]map[string]any, 0, len(tok.roles))
		for _, name := range tok.roles {
			id, ok := s.roleIDs[name]
			if !ok {
				id = newID()
				s.roleIDs[name] = id
			}
			roles = append(roles, map[string]any{"id": id, "name": name})
		}
		if tok.project != nil {
			body["project"] = map[string]any{"domain": dom, "id": tok.project.ID, "name": tok.project.Name}
			body["is_domain"] = false
		} else {
			body["domain"] = dom
		}
		body["roles"] = roles
		if _, ok := r.URL.Query()["nocatalog"]; !ok {
			body["catalog"] = s.catalog()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_ = json.NewEncoder(w).Encode(map[string]any{"token": body})
	}
}

// catalog is the service catalog of a scoped token: the identity service.
func (s *Server) catalog() []any {
	var endpoints []any
	for _, iface := range []string{"public", "internal", "admin"} {
		endpoints = append(endpoints, map[string]any{
			"id": newID(), "interface": iface, "region": "RegionOne", "region_id": "RegionOne", "url": s.URL + "/v3/",
		})
	}
	return []any{map[string]any{"endpoints": endpoints, "id": newID(), "type": "identity", "name": "keystone"}}
}

// writeError writes Keystone's error body.
func writeError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": status, "message": message, "title": http.StatusText(status),
	}})
}

// writeUnauthorized writes Keystone's 401.
func writeUnauthorized(w http.ResponseWriter, r *http.Request, message string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Keystone uri=%q", "http://"+r.Host))
	writeError(w, http.StatusUnauthorized, message)
}

// formatTime formats t as Keystone does: 2015-11-05T22:00:11.000000Z.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

func newID() string {
	return hex.EncodeToString(randomBytes(16))
}

func newAuditID() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(16))
}

// newTokenID returns a token that looks like a Fernet token.
func newTokenID() string {
	return "gAAAAA" + base64.RawURLEncoding.EncodeToString(randomBytes(96))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
