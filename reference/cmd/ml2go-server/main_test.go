package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/reference/server"
)

// TestNoArguments: without arguments the server is the one the README
// describes: noauth on 127.0.0.1:9696, every type driver, vxlan tenant
// networks with VNIs 1:1000, and the port_security extension driver.
func TestNoArguments(t *testing.T) {
	cfg, err := load(nil)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9696", cfg.Addr())
	assert.Equal(t, config.AuthNoauth, cfg.AuthStrategy)
	assert.Equal(t, []string{"flat", "vlan", "vxlan", "gre", "geneve", "local"}, cfg.ML2Options.TypeDrivers)
	assert.Equal(t, []string{"vxlan"}, cfg.ML2Options.TenantNetworkTypes)
	assert.Equal(t, []core.SegmentRange{{Min: 1, Max: 1000}}, cfg.VXLAN.VNIRanges)
	assert.Equal(t, []string{"port_security"}, cfg.ML2Options.ExtensionDrivers)

	srv, err := server.New(context.Background(), cfg, server.Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v2.0/networks", strings.NewReader(`{"network":{"name":"n"}}`)))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"provider:network_type":"vxlan"`)
	assert.Contains(t, w.Body.String(), `"port_security_enabled":true`)
}
