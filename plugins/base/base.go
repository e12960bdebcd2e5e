// Package base holds what both sides of ml2go's out-of-process driver
// protocol must agree on: the go-plugin handshake, the plugin set names and
// the API versions of each driver kind (mechanism, type and extension
// drivers).
//
// Two versions are involved. HandshakeConfig.ProtocolVersion is go-plugin's
// transport version: it changes only if the way plugins are launched and
// connected changes. The API version of a driver kind is negotiated on top
// of it, in that kind's Describe call: the driver lists the API versions it
// speaks, the host picks the highest one it supports too, and refuses the
// driver with an *APIVersionError when there is none.
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

// The names under which a driver binary serves each driver kind in its
// go-plugin plugin set. A binary may serve several kinds; the host
// dispenses the one it loads.
const (
	MechanismDriverPluginName = "mechanism_driver"
	TypeDriverPluginName      = "type_driver"
	ExtensionDriverPluginName = "extension_driver"
)

// Kind names a driver kind in messages ("mechanism", "type", "extension").
type Kind string

// The driver kinds.
const (
	KindMechanism Kind = "mechanism"
	KindType      Kind = "type"
	KindExtension Kind = "extension"
)

// MechanismDriverAPIVersion is the mechanism-driver API version this build
// speaks (the v1 of plugins/proto/mechdriver/v1).
const MechanismDriverAPIVersion uint32 = 1

// SupportedMechanismDriverAPIVersions are the mechanism-driver API versions
// this build can speak, oldest first.
var SupportedMechanismDriverAPIVersions = []uint32{MechanismDriverAPIVersion}

// TypeDriverAPIVersion is the type-driver API version this build speaks
// (the v1 of plugins/proto/typedriver/v1).
const TypeDriverAPIVersion uint32 = 1

// SupportedTypeDriverAPIVersions are the type-driver API versions this
// build can speak, oldest first.
var SupportedTypeDriverAPIVersions = []uint32{TypeDriverAPIVersion}

// ExtensionDriverAPIVersion is the extension-driver API version this build
// speaks (the v1 of plugins/proto/extdriver/v1).
const ExtensionDriverAPIVersion uint32 = 1

// SupportedExtensionDriverAPIVersions are the extension-driver API
// versions this build can speak, oldest first.
var SupportedExtensionDriverAPIVersions = []uint32{ExtensionDriverAPIVersion}

// APIVersionError is the host's refusal of a driver with which it shares
// no API version.
type APIVersionError struct {
	// Driver is the driver's name.
	Driver string
	// Kind is the driver kind whose API is meant; "" means mechanism.
	Kind Kind
	// Host and Plugin are the API versions each side speaks.
	Host, Plugin []uint32
}

// Error explains the mismatch.
func (e *APIVersionError) Error() string {
	k := e.Kind
	if k == "" {
		k = KindMechanism
	}
	return fmt.Sprintf("%s driver %q speaks %s-driver API versions %v, this host supports %v: "+
		"rebuild the driver with a matching ml2go plugin SDK", k, e.Driver, k, e.Plugin, e.Host)
}

// NegotiateAPIVersion returns the highest mechanism-driver API version in
// both host and plugin, or an *APIVersionError naming driver.
func NegotiateAPIVersion(driver string, host, plugin []uint32) (uint32, error) {
	return Negotiate(KindMechanism, driver, host, plugin)
}

// Negotiate returns the highest API version of a driver kind in both host
// and plugin, or an *APIVersionError naming the kind and driver.
func Negotiate(kind Kind, driver string, host, plugin []uint32) (uint32, error) {
	var best uint32
	for _, v := range plugin {
		if v > best && slices.Contains(host, v) {
			best = v
		}
	}
	if best == 0 {
		return 0, &APIVersionError{Driver: driver, Kind: kind, Host: slices.Clone(host), Plugin: slices.Clone(plugin)}
	}
	return best, nil
}
