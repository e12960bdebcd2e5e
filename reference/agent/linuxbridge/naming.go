package linuxbridge

import (
	"crypto/sha1" // a naming scheme, not security: Neutron hashes interface names with SHA-1
	"encoding/hex"
	"strconv"
	"strings"
)

// Device-name rules of Neutron's Linux bridge agent: "brq" and 11
// characters of the network id for a network's bridge, "vxlan-<VNI>" for
// a VXLAN device, "<interface>.<VLAN id>" for a VLAN sub-interface, none
// longer than a Linux interface name may be.
const (
	// maxDeviceName is the longest Linux interface name (IFNAMSIZ - 1).
	maxDeviceName = 15
	// bridgePrefix starts the name of every network bridge.
	bridgePrefix = "brq"
	// vxlanPrefix starts the name of every VXLAN device.
	vxlanPrefix = "vxlan-"
	// tapPrefix starts the name of VM devices (see dataplane.TapName).
	tapPrefix = "tap"
	// idChars is how many characters of a network id a bridge name keeps.
	idChars = 11
	// maxVLANPostfix is the longest VLAN postfix, ".4094": interface parts
	// are shortened so that any VLAN of the interface fits.
	maxVLANPostfix = 5
	// hashChars is how many hex characters of SHA-1 a shortened name keeps.
	hashChars = 6
)

// BridgeName is the Linux bridge of the network with the given id: "brq"
// and the first 11 characters of the id, as Neutron's Linux bridge agent
// names it.
func BridgeName(networkID string) string {
	if len(networkID) > idChars {
		networkID = networkID[:idChars]
	}
	return bridgePrefix + networkID
}

// VXLANName is the VXLAN device of the segment with the given VNI:
// "vxlan-" and the VNI in decimal.
func VXLANName(vni int) string {
	return vxlanPrefix + strconv.Itoa(vni)
}

// VLANName is the VLAN sub-interface of the given physical interface and
// VLAN id: "<iface>.<vlan>". When that is longer than 15 characters the
// interface part becomes its first 4 characters and 6 hex characters of
// the SHA-1 of its name, so every VLAN of one interface shares a prefix
// (Neutron's get_subinterface_name).
func VLANName(iface string, vlan int) string {
	postfix := "." + strconv.Itoa(vlan)
	if len(iface)+len(postfix) <= maxDeviceName {
		return iface + postfix
	}
	return shortenName(iface, maxDeviceName-maxVLANPostfix) + postfix
}

// shortenName fits name into maxLen characters the way Neutron's
// get_interface_name does: a prefix of the name followed by the first 6
// hex characters of its SHA-1.
func shortenName(name string, maxLen int) string {
	if len(name) <= maxLen {
		return name
	}
	sum := sha1.Sum([]byte(name))
	keep := max(maxLen-hashChars, 0)
	return name[:keep] + hex.EncodeToString(sum[:])[:hashChars]
}

// isBridgeName reports whether name has the shape of a network bridge this
// agent makes: "brq" and exactly 11 more characters.
func isBridgeName(name string) bool {
	return len(name) == len(bridgePrefix)+idChars && strings.HasPrefix(name, bridgePrefix)
}

// isVXLANName reports whether name has the shape of a VXLAN device this
// agent makes: "vxlan-" and a VNI in canonical decimal form.
func isVXLANName(name string) bool {
	digits, ok := strings.CutPrefix(name, vxlanPrefix)
	if !ok || digits == "" {
		return false
	}
	vni, err := strconv.Atoi(digits)
	return err == nil && vni >= 0 && vni < 1<<24 && strconv.Itoa(vni) == digits
}

// isTapName reports whether name has the shape of a VM device.
func isTapName(name string) bool {
	return strings.HasPrefix(name, tapPrefix) && len(name) > len(tapPrefix)
}
