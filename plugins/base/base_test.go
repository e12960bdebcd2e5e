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
