package auth

import (
	"net/http"
	"strings"
)

// NoauthProjectID is the project Neutron 21's noauth pipeline runs a request
// in when the request names none (its NoauthFakeProjectId middleware), and
// Noauth's default.
const NoauthProjectID = "fake_project_id"

// Noauth returns middleware that authenticates nobody, as Neutron's
// auth_strategy = noauth: every request runs as an admin. The identity comes
// from the headers oslo.context reads, when present:
//
//	X-Project-Id, X-Tenant-Id, X-Tenant   the project (else defaultProjectID)
//	X-Project-Name                       its name
//	X-User-Id, X-User                    the user
//	X-User-Name                          its name
//	X-Roles                              comma-separated roles; admin is always added
//
// An empty defaultProjectID means NoauthProjectID. The API layer uses the
// context's ProjectID where Neutron uses the caller's project: a resource
// created without a project in its body belongs to it.
func Noauth(defaultProjectID string) func(http.Handler) http.Handler {
	if defaultProjectID == "" {
		defaultProjectID = NoauthProjectID
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := noauthContext(r.Header, defaultProjectID)
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
		})
	}
}

func noauthContext(h http.Header, defaultProjectID string) *Context {
	c := &Context{
		UserID:      firstHeader(h, "X-User-Id", "X-User"),
		UserName:    h.Get("X-User-Name"),
		ProjectID:   firstHeader(h, "X-Project-Id", "X-Tenant-Id", "X-Tenant"),
		ProjectName: h.Get("X-Project-Name"),
		IsAdmin:     true,
	}
	if c.ProjectID == "" {
		c.ProjectID = defaultProjectID
	}
	for _, v := range h.Values("X-Roles") {
		for role := range strings.SplitSeq(v, ",") {
			if role = strings.TrimSpace(role); role != "" {
				c.Roles = append(c.Roles, role)
			}
		}
	}
	if !c.HasRole(AdminRole) {
		c.Roles = append(c.Roles, AdminRole)
	}
	return c
}

// firstHeader returns the first non-empty value among the named headers.
func firstHeader(h http.Header, names ...string) string {
	for _, name := range names {
		if v := strings.TrimSpace(h.Get(name)); v != "" {
			return v
		}
	}
	return ""
}
