package ipam

import (
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
)

func TestParseMAC(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"lower_colon", "fa:16:3e:01:02:03", "fa:16:3e:01:02:03"},
		{"upper_colon", "FA:16:3E:0A:0B:0C", "fa:16:3e:0a:0b:0c"},
		{"dash", "fa-16-3e-0a-0b-0c", "fa:16:3e:0a:0b:0c"},
		{"dotted", "fa16.3e0a.0b0c", "fa:16:3e:0a:0b:0c"},
		{"bare", "FA163E0A0B0C", "fa:16:3e:0a:0b:0c"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMAC(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	for _, tt := range []struct{ name, in string }{
		{"C124_all_zero", "00:00:00:00:00:00"},
		{"C124_word", "mac"},
		{"broadcast", "FF:FF:FF:FF:FF:FF"},
		{"empty", ""},
		{"eui64", "00:16:3e:ff:fe:33:44:55"},
		{"short", "fa:16:3e:01:02"},
		{"bad_hex", "fa:16:3e:01:02:zz"},
		{"whitespace", " fa:16:3e:01:02:03"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMAC(tt.in)
			requireErr(t, err, *badRequest("HTTPBadRequest",
				"Invalid input for mac_address. Reason: '"+tt.in+"' is not a valid MAC address."))
		})
	}
}

var macRE = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)

func TestMACGenerator(t *testing.T) {
	for _, tt := range []struct {
		name, base, prefix string
	}{
		{"default_base", "", "fa:16:3e:"},
		{"default_base_explicit", core.DefaultMACPrefix, "fa:16:3e:"},
		{"C135_three_octets", "12:34:56:00:00:00", "12:34:56:"},
		{"C135_four_octets", "12:34:56:78:00:00", "12:34:56:78:"},
		{"upper_case_base", "AA:BB:CC:00:00:00", "aa:bb:cc:"},
		{"fifth_octet_ignored", "12:34:56:00:9a:00", "12:34:56:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewMACGenerator(tt.base)
			require.NoError(t, err)
			seen := map[string]bool{}
			for range 200 {
				m := g.Generate()
				require.Regexp(t, macRE, m)
				require.True(t, strings.HasPrefix(m, tt.prefix), "%s has prefix %s", m, tt.prefix)
				_, err := ParseMAC(m)
				require.NoError(t, err)
				seen[m] = true
			}
			assert.Greater(t, len(seen), 150, "random octets vary")
		})
	}
	t.Run("fourth_octet_random_when_00", func(t *testing.T) {
		g, err := NewMACGenerator("12:34:56:00:00:00")
		require.NoError(t, err)
		fourth := map[string]bool{}
		for range 200 {
			fourth[g.Generate()[9:11]] = true
		}
		assert.Greater(t, len(fourth), 50)
	})
	t.Run("invalid_base", func(t *testing.T) {
		_, err := NewMACGenerator("fa:16:3e")
		requireErr(t, err, *badRequest("InvalidInput", "base_mac"))
	})
	t.Run("concurrent", func(t *testing.T) {
		g, err := NewMACGenerator("")
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 1000 {
					assert.Regexp(t, macRE, g.Generate())
				}
			})
		}
		wg.Wait()
	})
}
