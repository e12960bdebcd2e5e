package ipam

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEUI64(t *testing.T) {
	tests := []struct {
		name, prefix, mac, want string
	}{
		{"neutron_vector", "2001:db8::/64", "00:16:3e:33:44:55", "2001:db8::216:3eff:fe33:4455"},
		{"openstack_base_mac", "fe80::/64", "fa:16:3e:12:34:56", "fe80::f816:3eff:fe12:3456"},
		{"rfc4291_universal_bit_flipped", "2001:db8:1:2::/64", "34:56:78:9a:bc:de", "2001:db8:1:2:3656:78ff:fe9a:bcde"},
		{"local_bit_cleared", "2001:db8::/64", "02:00:00:00:00:01", "2001:db8::ff:fe00:1"},
		{"prefix_host_bits_ignored", "2001:db8::1234/64", "00:16:3e:33:44:55", "2001:db8::216:3eff:fe33:4455"},
		{"upper_case_dash_mac", "2001:db8::/64", "00-16-3E-33-44-55", "2001:db8::216:3eff:fe33:4455"},
		{"shorter_prefix", "2001:db8::/56", "00:16:3e:33:44:55", "2001:db8::216:3eff:fe33:4455"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EUI64(cidr(tt.prefix), tt.mac)
			require.NoError(t, err)
			assert.Equal(t, ip(tt.want), got)
		})
	}
	for _, bad := range []struct{ name, prefix, mac string }{
		{"v4_prefix", "10.0.0.0/24", "00:16:3e:33:44:55"},
		{"bad_mac", "2001:db8::/64", "mac"},
		{"eui64_mac", "2001:db8::/64", "00:16:3e:ff:fe:33:44:55"},
		{"prefix_too_long", "2001:db8::/80", "00:16:3e:33:44:55"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			_, err := EUI64(cidr(bad.prefix), bad.mac)
			requireErr(t, err, *badRequest("InvalidInput", "EUI"))
		})
	}
}
