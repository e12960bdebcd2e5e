// Package base holds what both sides of ml2go's out-of-process driver
// protocol must agree on: the go-plugin handshake, the plugin set names and
// the versions of the mechanism-driver API.
//
// Two versions are involved. HandshakeConfig.ProtocolVersion is go-plugin's
// transport version: it changes only if the way plugins are launched and
// connected changes. The mechanism-driver API version is negotiated on top of
// it, in the Describe call: the driver lists the API versions it speaks, the
// host picks the highest one it supports too, and refuses the driver with an
// *APIVersionError when there is none.
package base

import (
	"fmt"
	"slices"

	"github.com/hashicorp/go-plugin"
)

// HandshakeConfig is the go-plugin handshake shared by the host and every
// driver binary. The magic cookie only guards against running a plugin
// binary by hand; it is not a security measure.
var HandshakeConfig = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "ML2GO_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "2f4c9a61d0b84e7f9c35ml2godriver",
}

// MechanismDriverPluginName is the name under which a driver binary serves
// the mechanism-driver protocol in its go-plugin plugin set.
const MechanismDriverPluginName = "mechanism_driver"

// MechanismDriverAPIVersion is the mechanism-driver API version this build
// speaks (the v1 of plugins/proto/mechdriver/v1).
const MechanismDriverAPIVersion uint32 = 1

// SupportedMechanismDriverAPIVersions are the API versions this build can
// speak, oldest first.
var SupportedMechanismDriverAPIVersions = []uint32{MechanismDriverAPIVersion}

// APIVersionError is the host's refusal of a driver with which it shares
// no API version.
type APIVersionError struct {
	// Driver is the driver's name.
	Driver string
	// Host and Plugin are the API versions each side speaks.
	Host, Plugin []uint32
}

// Error explains the mismatch.
func (e *APIVersionError) Error() string {
	return fmt.Sprintf("mechanism driver %q speaks mechanism-driver API versions %v, this host supports %v: "+
		"rebuild the driver with a matching ml2go plugin SDK", e.Driver, e.Plugin, e.Host)
}

// NegotiateAPIVersion returns the highest API version in both host and
// plugin, or an *APIVersionError naming driver.
func NegotiateAPIVersion(driver string, host, plugin []uint32) (uint32, error) {
	var best uint32
	for _, v := range plugin {
		if v > best && slices.Contains(host, v) {
			best = v
		}
	}
	if best == 0 {
		return 0, &APIVersionError{Driver: driver, Host: slices.Clone(host), Plugin: slices.Clone(plugin)}
	}
	return best, nil
}
