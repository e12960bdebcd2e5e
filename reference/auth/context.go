package auth

import (
	"context"
	"slices"
	"strings"
	"time"
)

// AdminRole is the role that makes a caller an admin: Neutron's default
// policy rule context_is_admin is "role:admin".
const AdminRole = "admin"

// Context is the identity a request runs as. The middleware of this package
// put one in every request's context.Context; handlers read it with
// FromContext. A handler may change its own copy: each request gets a fresh
// one.
type Context struct {
	UserID         string
	UserName       string
	UserDomainID   string
	UserDomainName string

	// ProjectID is the project the caller acts in (Neutron's tenant_id).
	// It is empty for a token not scoped to a project (unscoped, or
	// scoped to a domain): such a caller owns nothing, sees only what is
	// shared or what its admin role allows, and must name the project of
	// what it creates.
	ProjectID         string
	ProjectName       string
	ProjectDomainID   string
	ProjectDomainName string

	// DomainID and DomainName are the domain a domain-scoped token is
	// scoped to; empty otherwise.
	DomainID   string
	DomainName string

	// Roles are the caller's roles on the project, as Keystone names them.
	Roles []string
	// IsAdmin reports whether the caller is an admin (HasAdminRole(Roles),
	// and always true under noauth).
	IsAdmin bool

	// AuthToken is the caller's Keystone token; empty under noauth.
	AuthToken string
	// ExpiresAt is when AuthToken expires; zero under noauth.
	ExpiresAt time.Time
}

// HasRole reports whether the caller holds role. Role names compare
// case-insensitively, as oslo.policy's role checks do.
func (c *Context) HasRole(role string) bool {
	return slices.ContainsFunc(c.Roles, func(r string) bool { return strings.EqualFold(r, role) })
}

// Clone returns a deep copy of c.
func (c *Context) Clone() *Context {
	d := *c
	d.Roles = slices.Clone(c.Roles)
	return &d
}

// HasAdminRole reports whether roles include AdminRole, which is what
// Neutron's default policy requires of an admin.
func HasAdminRole(roles []string) bool {
	return (&Context{Roles: roles}).HasRole(AdminRole)
}

type contextKey struct{}

// NewContext returns a copy of ctx carrying c.
func NewContext(ctx context.Context, c *Context) context.Context {
	return context.WithValue(ctx, contextKey{}, c)
}

// FromContext returns the identity carried by ctx, and false when there is
// none (a handler mounted without this package's middleware).
func FromContext(ctx context.Context) (*Context, bool) {
	c, ok := ctx.Value(contextKey{}).(*Context)
	return c, ok && c != nil
}
