package auth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/auth"
)

func TestNoauth(t *testing.T) {
	tests := []struct {
		name           string
		defaultProject string
		header         map[string]string
		want           auth.Context
	}{
		{
			name: "no headers: Neutron's fake project",
			want: auth.Context{ProjectID: auth.NoauthProjectID, Roles: []string{"admin"}, IsAdmin: true},
		},
		{
			name:           "configured default project",
			defaultProject: "p-default",
			want:           auth.Context{ProjectID: "p-default", Roles: []string{"admin"}, IsAdmin: true},
		},
		{
			name:   "X-Project-Id",
			header: map[string]string{"X-Project-Id": "p1", "X-Project-Name": "one"},
			want:   auth.Context{ProjectID: "p1", ProjectName: "one", Roles: []string{"admin"}, IsAdmin: true},
		},
		{
			name:   "X-Tenant-Id",
			header: map[string]string{"X-Tenant-Id": "p2"},
			want:   auth.Context{ProjectID: "p2", Roles: []string{"admin"}, IsAdmin: true},
		},
		{
			name:   "X-Project-Id wins over X-Tenant-Id",
			header: map[string]string{"X-Project-Id": "p1", "X-Tenant-Id": "p2"},
			want:   auth.Context{ProjectID: "p1", Roles: []string{"admin"}, IsAdmin: true},
		},
		{
			name:   "user and roles: still an admin",
			header: map[string]string{"X-User-Id": "u1", "X-User-Name": "alice", "X-Roles": "member, reader"},
			want: auth.Context{UserID: "u1", UserName: "alice", ProjectID: auth.NoauthProjectID,
				Roles: []string{"member", "reader", "admin"}, IsAdmin: true},
		},
		{
			name:   "admin role not repeated",
			header: map[string]string{"X-Roles": "Admin,member"},
			want:   auth.Context{ProjectID: auth.NoauthProjectID, Roles: []string{"Admin", "member"}, IsAdmin: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *auth.Context
			h := auth.Noauth(tt.defaultProject)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var ok bool
				got, ok = auth.FromContext(r.Context())
				require.True(t, ok)
			}))
			r := httptest.NewRequest(http.MethodGet, "/v2.0/networks", nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, http.StatusOK, w.Code)
			require.NotNil(t, got)
			assert.Equal(t, tt.want, *got)
		})
	}
}

func ExampleNoauth() {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := auth.FromContext(r.Context())
		fmt.Fprintf(w, "project=%s admin=%t roles=%v", c.ProjectID, c.IsAdmin, c.Roles)
	})
	h := auth.Noauth("")(api)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v2.0/networks", nil))
	fmt.Println(w.Body)
	// Output: project=fake_project_id admin=true roles=[admin]
}
