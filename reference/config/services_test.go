package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/config"
)

// TestServicePlugins checks that [DEFAULT] service_plugins is read in
// order and that an unknown name is reported at its line.
func TestServicePlugins(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       []string
		msg        string // of UnknownServicePlugin("acme", ...), if any
	}{
		{"unset", "[DEFAULT]\nbind_port = 9797\n", []string{}, ""},
		{"list", "[DEFAULT]\nbind_port = 9797\nservice_plugins = segments, acme\n", []string{"segments", "acme"},
			`neutron.conf:3: [DEFAULT] service_plugins: "acme": unknown service plugin (known: segments, widgets)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decode(file{"neutron.conf", tt.text})
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.ServicePlugins)
			if tt.msg == "" {
				return
			}
			err = c.UnknownServicePlugin("acme", []string{"segments", "widgets"})
			var e *config.Error
			require.ErrorAs(t, err, &e)
			assert.ErrorIs(t, err, config.ErrUnknownServicePlugin)
			assert.Equal(t, "acme", e.Value)
			assert.EqualError(t, err, tt.msg)
		})
	}
}
