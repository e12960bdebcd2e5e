package typedrivers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMTUConfig(t *testing.T) {
	var zero MTUConfig
	assert.Equal(t, 1500, zero.Global())
	assert.Equal(t, 20, zero.IPHeaderSize())
	assert.Equal(t, 1500, zero.PhysnetMTU("any"))
	assert.Equal(t, 1450, zero.OverlayMTU(30))
	assert.Equal(t, 1458, zero.OverlayMTU(22))
	assert.Equal(t, 40, MTUConfig{OverlayIPVersion: 6}.IPHeaderSize())
	assert.Equal(t, 0, MTUConfig{GlobalPhysnetMTU: NoGlobalPhysnetMTU}.Global())
	assert.Equal(t, 0, MTUConfig{PathMTU: 40}.OverlayMTU(30), "never negative")
}

func TestMTUConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  MTUConfig
		ok   bool
	}{
		{"zero", MTUConfig{}, true},
		{"ipv4", MTUConfig{OverlayIPVersion: 4}, true},
		{"ipv6", MTUConfig{OverlayIPVersion: 6}, true},
		{"ipv5", MTUConfig{OverlayIPVersion: 5}, false},
		{"physnet_mtus", MTUConfig{PhysicalNetworkMTUs: map[string]int{"a": 9000}}, true},
		{"empty_physnet", MTUConfig{PhysicalNetworkMTUs: map[string]int{"": 9000}}, false},
		{"zero_physnet_mtu", MTUConfig{PhysicalNetworkMTUs: map[string]int{"a": 0}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ok {
				assert.NoError(t, tt.cfg.Validate())
			} else {
				assert.Error(t, tt.cfg.Validate())
			}
		})
	}
}

func TestParsePhysnetMTUs(t *testing.T) {
	got, err := ParsePhysnetMTUs([]string{"physnet1:1450", " physnet2 : 1400 ", "", "physnet3:1400"})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"physnet1": 1450, "physnet2": 1400, "physnet3": 1400}, got)

	got, err = ParsePhysnetMTUs(nil)
	require.NoError(t, err)
	assert.Empty(t, got)

	bad := []struct{ name, entry, reason string }{
		{"no_colon", "physnet1", "expected physnet:mtu"},
		{"two_colons", "physnet1:1:2", "expected physnet:mtu"},
		{"empty_name", ":1500", "missing physical network name"},
		{"empty_mtu", "physnet1:", "missing MTU"},
		{"not_integer", "physnet1:big", "not an integer"},
		{"zero", "physnet1:0", "not positive"},
		{"duplicate", "physnet0:1500", "not unique"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePhysnetMTUs([]string{"physnet0:9000", tt.entry})
			var me *MappingError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, "physical_network_mtus", me.Option)
			assert.Equal(t, tt.entry, me.Entry)
			assert.Contains(t, me.Reason, tt.reason)
			assert.Contains(t, err.Error(), tt.entry)
		})
	}
}

func TestErrorMessages(t *testing.T) {
	assert.Equal(t, `invalid network_vlan_ranges entry "p:1": need exactly two values`,
		(&RangeError{Option: "network_vlan_ranges", Entry: "p:1", Reason: "need exactly two values"}).Error())
	assert.Equal(t, `invalid network_vlan_ranges entry ":1:2": empty physical network name`,
		(&PhysicalNetworkNameError{Option: "network_vlan_ranges", Entry: ":1:2"}).Error())
}
