package config_test

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/config"
)

// TestNoauthBindHost: with auth_strategy = noauth, every caller is an
// admin, so bind_host must be loopback unless [ml2go]
// allow_noauth_on_public_address says otherwise.
func TestNoauthBindHost(t *testing.T) {
	const allow = "[ml2go]\nallow_noauth_on_public_address = true\n"
	tests := []struct {
		name    string
		text    string
		wantErr string
	}{
		{"default", "", ""},
		{"ipv4 loopback", "[DEFAULT]\nbind_host = 127.0.0.1\n", ""},
		{"elsewhere in 127/8", "[DEFAULT]\nbind_host = 127.3.4.5\n", ""},
		{"ipv6 loopback", "[DEFAULT]\nbind_host = ::1\n", ""},
		{"localhost", "[DEFAULT]\nbind_host = localhost\n", ""},
		{"every address", "[DEFAULT]\nbind_host = 0.0.0.0\n", `t.conf:2: [DEFAULT] bind_host: "0.0.0.0": ` + config.ErrNoauthOnPublicAddress.Error()},
		{"every ipv6 address", "[DEFAULT]\nbind_host = ::\n", `t.conf:2: [DEFAULT] bind_host: "::": ` + config.ErrNoauthOnPublicAddress.Error()},
		{"a public address", "[DEFAULT]\nbind_host = 192.0.2.1\n", `t.conf:2: [DEFAULT] bind_host: "192.0.2.1": ` + config.ErrNoauthOnPublicAddress.Error()},
		{"explicit noauth", "[DEFAULT]\nauth_strategy = noauth\nbind_host = 192.0.2.1\n", `t.conf:3: [DEFAULT] bind_host: "192.0.2.1": ` + config.ErrNoauthOnPublicAddress.Error()},
		{"allowed", "[DEFAULT]\nbind_host = 0.0.0.0\n" + allow, ""},
		{"allowed ipv6", "[DEFAULT]\nbind_host = 2001:db8::1\n" + allow, ""},
		{"allowed, then not", "[DEFAULT]\nbind_host = 0.0.0.0\n" + allow + "allow_noauth_on_public_address = false\n", `t.conf:2: [DEFAULT] bind_host: "0.0.0.0": ` + config.ErrNoauthOnPublicAddress.Error()},
		{"keystone", "[DEFAULT]\nauth_strategy = keystone\nbind_host = 0.0.0.0\n", ""},
		{"keystone default host", "[DEFAULT]\nauth_strategy = keystone\n", ""},
		{"host name left to the listener", "[DEFAULT]\nbind_host = controller-1.example.net\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decode(file{"t.conf", tt.text})
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, config.ErrNoauthOnPublicAddress)
			assert.EqualError(t, err, tt.wantErr)
			assert.Nil(t, c)
		})
	}
}

// TestCheckListener: the address a listener really has decides, whatever
// bind_host named.
func TestCheckListener(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netipAddrPort(t, s)) }
	tests := []struct {
		name    string
		auth    string
		allow   bool
		addr    net.Addr
		warn    bool
		refused bool
	}{
		{"loopback", config.AuthNoauth, false, tcp("127.0.0.1:9696"), false, false},
		{"ipv6 loopback", config.AuthNoauth, false, tcp("[::1]:9696"), false, false},
		{"v4-mapped loopback", config.AuthNoauth, false, tcp("[::ffff:127.0.0.1]:9696"), false, false},
		{"unix socket", config.AuthNoauth, false, &net.UnixAddr{Name: "/run/ml2go.sock", Net: "unix"}, false, false},
		{"every address", config.AuthNoauth, false, tcp("0.0.0.0:9696"), false, true},
		{"every ipv6 address", config.AuthNoauth, false, tcp("[::]:9696"), false, true},
		{"public", config.AuthNoauth, false, tcp("192.0.2.1:9696"), false, true},
		{"public, allowed", config.AuthNoauth, true, tcp("192.0.2.1:9696"), true, false},
		{"keystone", config.AuthKeystone, false, tcp("0.0.0.0:9696"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.AuthStrategy = tt.auth
			c.ML2go.AllowNoauthOnPublicAddress = tt.allow
			warn, err := c.CheckListener(tt.addr)
			assert.Equal(t, tt.warn, warn)
			if tt.refused {
				require.ErrorIs(t, err, config.ErrNoauthOnPublicAddress)
				assert.Contains(t, err.Error(), tt.addr.String())
			} else {
				require.NoError(t, err)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.255.0.9": true, "::1": true, "[::1]": true, "localhost": true, "LOCALHOST.": true,
		"::ffff:127.0.0.1": true,
		"0.0.0.0":          false, "::": false, "10.0.0.1": false, "localhost.example.net": false, "": false, "128.0.0.1": false,
	} {
		assert.Equal(t, want, config.IsLoopback(host), host)
	}
}

// TestListenerLimits: the read, write and idle timeouts and the
// connection limit have bounded defaults and are read from [ml2go] and
// [DEFAULT] client_socket_timeout; zero, which would mean no bound, is
// refused and changes nothing.
func TestListenerLimits(t *testing.T) {
	c, err := decode(file{"t.conf", ""})
	require.NoError(t, err)
	assert.Equal(t, 60*time.Second, c.ML2go.ReadTimeout)
	assert.Equal(t, 120*time.Second, c.ML2go.WriteTimeout)
	assert.Equal(t, 90*time.Second, c.ClientSocketTimeout)
	assert.Equal(t, 4096, c.ML2go.MaxConnections)
	assert.Equal(t, c.ML2go, config.Default().ML2go)

	c, err = decode(file{"t.conf", "[DEFAULT]\nclient_socket_timeout = 900\n[ml2go]\nread_timeout = 5\nwrite_timeout = 7\nmax_connections = 100\n"})
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, c.ML2go.ReadTimeout)
	assert.Equal(t, 7*time.Second, c.ML2go.WriteTimeout)
	assert.Equal(t, 900*time.Second, c.ClientSocketTimeout)
	assert.Equal(t, 100, c.ML2go.MaxConnections)

	for _, text := range []string{
		"[DEFAULT]\nclient_socket_timeout = 0\n",
		"[ml2go]\nread_timeout = 0\n",
		"[ml2go]\nwrite_timeout = -1\n",
		"[ml2go]\nmax_connections = 0\n",
		"[ml2go]\nmax_connections = many\n",
	} {
		c, err := decode(file{"t.conf", text})
		var e *config.Error
		require.ErrorAs(t, err, &e, text)
		assert.Equal(t, 2, e.Line, text)
		assert.Nil(t, c)
	}
}

func netipAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	require.NoError(t, err)
	return ap
}
