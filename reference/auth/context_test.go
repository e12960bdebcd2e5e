package auth_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/auth"
)

func TestContextRoundTrip(t *testing.T) {
	_, ok := auth.FromContext(context.Background())
	assert.False(t, ok, "no identity in a bare context")
	_, ok = auth.FromContext(auth.NewContext(context.Background(), nil))
	assert.False(t, ok, "a nil identity is none")

	c := &auth.Context{UserID: "u", ProjectID: "p", Roles: []string{"member"}}
	got, ok := auth.FromContext(auth.NewContext(context.Background(), c))
	require.True(t, ok)
	assert.Same(t, c, got)
}

func TestHasRole(t *testing.T) {
	tests := []struct {
		name  string
		roles []string
		role  string
		want  bool
	}{
		{"exact", []string{"member", "admin"}, "admin", true},
		{"case-insensitive", []string{"Admin"}, "admin", true},
		{"absent", []string{"member", "reader"}, "admin", false},
		{"substring is not a role", []string{"administrator"}, "admin", false},
		{"no roles", nil, "admin", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &auth.Context{Roles: tt.roles}
			assert.Equal(t, tt.want, c.HasRole(tt.role))
			if tt.role == auth.AdminRole {
				assert.Equal(t, tt.want, auth.HasAdminRole(tt.roles))
			}
		})
	}
}

func TestContextClone(t *testing.T) {
	c := &auth.Context{UserID: "u", Roles: []string{"member"}}
	d := c.Clone()
	require.Equal(t, c, d)
	d.Roles[0] = "admin"
	d.UserID = "v"
	assert.Equal(t, []string{"member"}, c.Roles)
	assert.Equal(t, "u", c.UserID)
}
