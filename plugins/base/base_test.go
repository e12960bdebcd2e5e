package base_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/plugins/base"
)

func TestNegotiateAPIVersion(t *testing.T) {
	for _, tc := range []struct {
		name         string
		host, plugin []uint32
		want         uint32
	}{
		{"same", []uint32{1}, []uint32{1}, 1},
		{"highest_common", []uint32{1, 2, 3}, []uint32{2, 3, 4}, 3},
		{"plugin_older", []uint32{1, 2}, []uint32{1}, 1},
		{"none", []uint32{1}, []uint32{2}, 0},
		{"plugin_empty", []uint32{1}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := base.NegotiateAPIVersion("acme", tc.host, tc.plugin)
			if tc.want == 0 {
				var ve *base.APIVersionError
				require.ErrorAs(t, err, &ve)
				assert.Contains(t, err.Error(), `"acme"`)
				assert.Contains(t, err.Error(), "this host supports")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestAPIVersionErrorNamesTheKind(t *testing.T) {
	for _, tc := range []struct {
		kind base.Kind
		want string
	}{
		{base.KindMechanism, `mechanism driver "acme" speaks mechanism-driver API versions [2], this host supports [1]`},
		{base.KindType, `type driver "acme" speaks type-driver API versions [2], this host supports [1]`},
		{base.KindExtension, `extension driver "acme" speaks extension-driver API versions [2], this host supports [1]`},
		{"", `mechanism driver "acme" speaks mechanism-driver API versions [2]`},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			err := (&base.APIVersionError{Driver: "acme", Kind: tc.kind, Host: []uint32{1}, Plugin: []uint32{2}}).Error()
			assert.Contains(t, err, tc.want)
		})
	}
	_, err := base.Negotiate(base.KindType, "acme", []uint32{1}, []uint32{2})
	var ve *base.APIVersionError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, base.KindType, ve.Kind)
}
