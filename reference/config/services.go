package config

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownServicePlugin is wrapped by the *Error of a name of
// [DEFAULT] service_plugins that no service plugin has.
var ErrUnknownServicePlugin = errors.New("unknown service plugin")

// UnknownServicePlugin returns the *Error about name, an item of
// [DEFAULT] service_plugins that names no service plugin, wrapping
// ErrUnknownServicePlugin; known lists the names that are, for the
// message.
func (c *Config) UnknownServicePlugin(name string, known []string) error {
	return itemError(c.source(DefaultSection, "service_plugins", ""), name,
		fmt.Errorf("%w (known: %s)", ErrUnknownServicePlugin, strings.Join(known, ", ")))
}
