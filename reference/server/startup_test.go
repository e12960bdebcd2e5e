package server_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOnlyBindPort: a configuration file holding only bind_port gives
// Neutron's defaults, with which a tenant network is a local one.
func TestOnlyBindPort(t *testing.T) {
	cfg := loadConfig(t, "[DEFAULT]\nbind_port = 9797\n")
	assert.Equal(t, "127.0.0.1:9797", cfg.Addr())
	r := start(t, cfg)
	status, body := call(t, r, "POST", "/v2.0/networks", map[string]any{"network": map[string]any{"name": "first"}})
	require.Equal(t, 201, status, body)
	assert.Equal(t, "local", body["network"].(map[string]any)["provider:network_type"])
	status, body = call(t, r, "POST", "/v2.0/subnets", map[string]any{"subnet": map[string]any{
		"network_id": body["network"].(map[string]any)["id"], "cidr": "10.0.0.0/24", "ip_version": 4}})
	require.Equal(t, 201, status, body)
}
