package linuxbridge

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBridgeName(t *testing.T) {
	tests := []struct{ id, want string }{
		{"3f2a1b4c-5d6e-4f70-8190-a1b2c3d4e5f6", "brq3f2a1b4c-5d"},
		{"short", "brqshort"},
		{"", "brq"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, BridgeName(tt.id), tt.id)
	}
	assert.True(t, isBridgeName(BridgeName("3f2a1b4c-5d6e-4f70-8190-a1b2c3d4e5f6")))
}

func TestVXLANName(t *testing.T) {
	tests := []struct {
		vni  int
		want string
	}{
		{0, "vxlan-0"},
		{1001, "vxlan-1001"},
		{1<<24 - 1, "vxlan-16777215"},
	}
	for _, tt := range tests {
		got := VXLANName(tt.vni)
		assert.Equal(t, tt.want, got)
		assert.LessOrEqual(t, len(got), maxDeviceName)
		assert.True(t, isVXLANName(got), got)
	}
}

func TestVLANName(t *testing.T) {
	// Expected hashes are the first 6 hex digits of SHA-1 of the
	// interface name, computed independently (Python's hashlib).
	tests := []struct {
		name  string
		iface string
		vlan  int
		want  string
	}{
		{"short name kept", "eth0", 100, "eth0.100"},
		{"exactly 15 kept", "abcdefghij", 1111, "abcdefghij.1111"},
		{"too long hashed", "abcdefghijklmno", 1, "abcd2938dc.1"},
		{"too long hashed, 4-digit vlan", "enp0s31f6-longname", 4094, "enp002c515.4094"},
		// The interface is kept whenever the whole name fits: kept for
		// a short VLAN id, hashed for a long one.
		{"mixed: fits", "eth-verylong0", 1, "eth-verylong0.1"},
		{"mixed: hashed", "eth-verylong0", 10, "eth-b0288e.10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := VLANName(tt.iface, tt.vlan)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, len(got), maxDeviceName)
		})
	}
}

func TestNamePatterns(t *testing.T) {
	tests := []struct {
		name              string
		bridge, vxlan, tp bool
	}{
		{"brq3f2a1b4c-5d", true, false, false},
		{"brqshort", false, false, false},
		{"brq3f2a1b4c-5d6", false, false, false},
		{"br-ex", false, false, false},
		{"vxlan-1001", false, true, false},
		{"vxlan-01", false, false, false},
		{"vxlan-", false, false, false},
		{"vxlan-16777216", false, false, false},
		{"vxlan0", false, false, false},
		{"vxlan-sys_4789", false, false, false},
		{"tap3f2a1b4c-5d", false, false, true},
		{"tap", false, false, false},
		{"eth0", false, false, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.bridge, isBridgeName(tt.name), "bridge %s", tt.name)
		assert.Equal(t, tt.vxlan, isVXLANName(tt.name), "vxlan %s", tt.name)
		assert.Equal(t, tt.tp, isTapName(tt.name), "tap %s", tt.name)
	}
}
