package api

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAppendValue: values are written as encoding/json writes them.
func TestAppendValue(t *testing.T) {
	for _, v := range []any{
		nil, "a<b>&\"\u2028é", true, false, 0.0, -1.5, 1e21, 1e-7, 123456789.0, 3, int64(-4),
		map[string]any{}, map[string]any(nil), map[string]string{"1": "ovs", "0": "x"},
		map[string]any{"b": []any{1.0, "x", nil, map[string]any{"z": false, "a": 2.5e-9}}, "a": map[string]any(nil)},
		[]any(nil), []string{"x", "y"}, struct{ A int }{1},
	} {
		want, err := json.Marshal(v)
		require.NoError(t, err)
		got, err := appendValue([]byte("x"), v)
		require.NoError(t, err)
		require.Equal(t, "x"+string(want), string(got), "%#v", v)
	}
	_, err := appendValue(nil, map[string]any{"a": math.NaN()})
	require.Error(t, err)
}
