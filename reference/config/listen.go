package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Defaults of the listener's limits.
const (
	// DefaultReadTimeout bounds reading a request, headers and body
	// ([ml2go] read_timeout).
	DefaultReadTimeout = 60 * time.Second
	// DefaultWriteTimeout bounds serving a request once its headers are
	// read, answer written included ([ml2go] write_timeout). It exceeds
	// the read timeout and the calls to drivers a request may make.
	DefaultWriteTimeout = 120 * time.Second
	// DefaultIdleTimeout is how long a keep-alive connection may wait for
	// its next request ([DEFAULT] client_socket_timeout; Neutron's
	// default, 900 s, holds a descriptor per idle client 10 times as
	// long).
	DefaultIdleTimeout = 90 * time.Second
	// DefaultMaxConnections bounds the connections served at once
	// ([ml2go] max_connections). The server lowers it to what its
	// descriptor limit allows.
	DefaultMaxConnections = 4096
)

// ErrNoauthOnPublicAddress is the error of an unauthenticated API
// (auth_strategy = noauth) on an address other than loopback, which
// [ml2go] allow_noauth_on_public_address allows.
var ErrNoauthOnPublicAddress = errors.New("auth_strategy = noauth makes every caller an admin: " +
	"serving it on an address other than loopback needs [ml2go] allow_noauth_on_public_address = true")

// IsLoopback reports whether host, a bind_host (an IP address or a host
// name), is a loopback address: 127.0.0.0/8, ::1, or localhost. The
// unspecified addresses (0.0.0.0, ::) are every address, not loopback.
// Other host names are not loopback: what they resolve to can change.
func IsLoopback(host string) bool {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return a.Unmap().IsLoopback()
	}
	return strings.EqualFold(strings.TrimSuffix(host, "."), "localhost")
}

// CheckListener checks that the API may be served on addr, the address a
// listener has: with auth_strategy = noauth, only a loopback address (or a
// Unix socket), or any when [ml2go] allow_noauth_on_public_address is set.
// It reports whether addr is an unauthenticated public address that the
// option allows, for the caller to warn about. The error wraps
// ErrNoauthOnPublicAddress.
func (c *Config) CheckListener(addr net.Addr) (allowedPublicNoauth bool, err error) {
	if c.AuthStrategy != AuthNoauth || !public(addr) {
		return false, nil
	}
	if c.ML2go.AllowNoauthOnPublicAddress {
		return true, nil
	}
	return false, fmt.Errorf("listening on %s: %w", addr, ErrNoauthOnPublicAddress)
}

// public reports whether addr may be reached from other hosts.
func public(addr net.Addr) bool {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return !a.IP.IsLoopback()
	case *net.UnixAddr:
		return false
	}
	host, _, err := net.SplitHostPort(addr.String())
	return err != nil || !IsLoopback(host)
}

// checkNoauthBindHost refuses, as Decode, a bind_host that is an address
// other than loopback with auth_strategy = noauth, unless [ml2go]
// allow_noauth_on_public_address is set. A host name other than localhost
// is left to CheckListener, with the address it resolves to.
func (c *Config) checkNoauthBindHost() error {
	if c.AuthStrategy != AuthNoauth || c.ML2go.AllowNoauthOnPublicAddress || IsLoopback(c.BindHost) {
		return nil
	}
	if _, err := netip.ParseAddr(c.BindHost); err != nil {
		return nil
	}
	return valueError(c.source(DefaultSection, "bind_host", c.BindHost), ErrNoauthOnPublicAddress)
}
