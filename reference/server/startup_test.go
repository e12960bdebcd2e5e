package server_test

import (
	"context"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/reference/server"
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

// TestStartupSaysWhatIsUsed: start-up does not list the empty ranges of
// the type drivers at INFO (they read like misconfiguration); the summary
// names the ranges that are set, and only those.
func TestStartupSaysWhatIsUsed(t *testing.T) {
	cfg := config.Default()
	cfg.VXLAN.VNIRanges = []core.SegmentRange{{Min: 1, Max: 1000}}
	l := &logs{}
	log := hclog.New(&hclog.LoggerOptions{Output: l, JSONFormat: true, Level: hclog.Info})
	srv, err := server.New(context.Background(), cfg, server.Options{DataDir: t.TempDir(), Logger: log})
	require.NoError(t, err)
	defer srv.Close()
	for _, m := range l.lines(t, "") {
		assert.NotRegexp(t, `^types`, m["@module"], "%v", m)
	}
	summary := map[string]any{}
	kv := srv.Summary()
	require.Zero(t, len(kv)%2)
	for i := 0; i < len(kv); i += 2 {
		summary[kv[i].(string)] = kv[i+1]
	}
	assert.Equal(t, "1:1000", summary["vxlan_vni_ranges"])
	for _, k := range []string{"network_vlan_ranges", "gre_tunnel_id_ranges", "geneve_vni_ranges"} {
		assert.NotContains(t, summary, k)
	}
}
