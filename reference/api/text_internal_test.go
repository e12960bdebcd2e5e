package api

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
)

// TestBodyText checks the raw-body scan against the escapes JSON allows:
// only strings that decode to text a store holds, unchanged, pass.
func TestBodyText(t *testing.T) {
	for _, c := range []struct {
		name, body string
		ok         bool
	}{
		{"plain", `{"a":"b"}`, true},
		{"non-ASCII", `{"a":"é😀"}`, true},
		{"escaped non-ASCII", `{"a":"\u00e9\ud83d\ude00"}`, true},
		{"escaped backslash before u0000", `{"a":"\\u0000"}`, true},
		{"escaped backslash then NUL", `{"a":"\\\u0000"}`, false},
		{"other escapes", `{"a":"\"\/\b\f\n\r\t\u001f"}`, true},
		{"NUL", `{"a":"\u0000"}`, false},
		{"NUL in a key", `{"\u0000":"b"}`, false},
		{"NUL deep", `{"a":[{"b":{"c":["x","y\u0000"]}}]}`, false},
		{"NUL after a pair", `{"a":"\ud83d\ude00\u0000"}`, false},
		{"lone high surrogate", `{"a":"\ud83d"}`, false},
		{"high surrogate then text", `{"a":"\ud83dx"}`, false},
		{"high surrogate then high", `{"a":"\ud83d\ud83d"}`, false},
		{"lone low surrogate", `{"a":"\ude00"}`, false},
		{"upper-case hex", `{"a":"\uD83D\uDE00"}`, true},
		{"not UTF-8", "{\"a\":\"\xff\"}", false},
		{"truncated UTF-8", "{\"a\":\"\xe2\x82\"}", false},
		{"truncated escape", `{"a":"\u00`, true},
		{"trailing backslash", `\`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := bodyText([]byte(c.body))
			if !c.ok {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "Body contains invalid data")
				return
			}
			require.NoError(t, err)
			// What passes and is JSON decodes to text a store holds.
			var v any
			if json.Unmarshal([]byte(c.body), &v) == nil {
				for _, s := range stringsOf(v) {
					assert.True(t, core.ValidText(s), "%q", s)
					assert.NotContains(t, s, "\ufffd")
				}
			}
		})
	}
}

// stringsOf returns the strings, keys included, of a decoded JSON value.
func stringsOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, stringsOf(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(out, k)
			out = append(out, stringsOf(e)...)
		}
		return out
	}
	return nil
}
