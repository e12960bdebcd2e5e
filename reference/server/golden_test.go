package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
)

// shapeOf returns the JSON paths of a document with the types of their
// values, array indexes collapsed to [].
func shapeOf(t *testing.T, raw []byte) []string {
	t.Helper()
	if len(strings.TrimSpace(string(raw))) == 0 {
		return []string{"<empty body>"}
	}
	var doc any
	require.NoError(t, json.Unmarshal(raw, &doc), string(raw))
	set := map[string]bool{}
	var walk func(v any, p string)
	walk = func(v any, p string) {
		typ := "null"
		switch x := v.(type) {
		case map[string]any:
			typ = "object"
			for k, e := range x {
				walk(e, p+"."+k)
			}
		case []any:
			typ = "array"
			for _, e := range x {
				walk(e, p+"[]")
			}
		case string:
			typ = "string"
		case float64:
			typ = "number"
		case bool:
			typ = "boolean"
		}
		if p == "" {
			p = "."
		}
		set[p+": "+typ] = true
	}
	walk(doc, "")
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ignored are paths whose shape depends on what ran around the reference,
// not on the API: the OVS agent's VIF details and configuration, the
// availability zone of its DHCP agent, security group ids, and the list
// of extensions (which lists what is implemented).
var ignored = []string{
	"binding:vif_details.", "configurations.", "availability_zones[]", "security_groups[]",
	".extensions[]", ".agents[].availability_zone", ".agents[].topic",
}

func keep(path string) bool {
	for _, ig := range ignored {
		if strings.Contains(path, ig) {
			return false
		}
	}
	return true
}

// TestNeutronShapes runs the network, subnet, port, segment, agent, quota
// and error steps of the reference workflow and compares every response's
// status and JSON shape with the real Neutron's (testdata/neutron-golden,
// recorded from Neutron with auth_strategy = noauth).
func TestNeutronShapes(t *testing.T) {
	cfg := testConfig(t)
	r := start(t, cfg)
	_, err := r.srv.Plugin().ReportAgentState(context.Background(), fakeagent.NewAgent("anchor-compute-1", nil, "vxlan"))
	require.NoError(t, err)

	ids := map[string]string{}
	call := func(method, path, body string) (int, []byte) {
		t.Helper()
		for k, v := range ids {
			path = strings.ReplaceAll(path, "{"+k+"}", v)
			body = strings.ReplaceAll(body, "{"+k+"}", v)
		}
		req, err := http.NewRequest(method, r.url+strings.TrimPrefix(path, "/"), strings.NewReader(body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, raw
	}
	// remember stores the id of the created resource under name.
	remember := func(name string, raw []byte) {
		var doc map[string]map[string]any
		require.NoError(t, json.Unmarshal(raw, &doc))
		for _, v := range doc {
			ids[name] = v["id"].(string)
		}
	}

	for _, step := range []struct {
		golden, method, path, body, save string
		status                           int
	}{
		{"01-versions", "GET", "/", "", "", 200},
		{"02-v2-root", "GET", "/v2.0/", "", "", 200},
		{"03-extensions", "GET", "/v2.0/extensions", "", "", 200},
		{"04-ext-net-create", "POST", "/v2.0/networks", `{"network":{"name":"g-ext-net","router:external":true,"provider:network_type":"flat","provider:physical_network":"extnet2"}}`, "ext", 201},
		{"05-ext-subnet-create", "POST", "/v2.0/subnets", `{"subnet":{"name":"g-ext-subnet","network_id":"{ext}","ip_version":4,"cidr":"203.0.113.0/24","gateway_ip":"203.0.113.1","enable_dhcp":false,"allocation_pools":[{"start":"203.0.113.100","end":"203.0.113.200"}]}}`, "", 201},
		{"06-tenant-net-create", "POST", "/v2.0/networks", `{"network":{"name":"g-tenant-net"}}`, "net", 201},
		{"07-tenant-subnet-create", "POST", "/v2.0/subnets", `{"subnet":{"name":"g-tenant-subnet","network_id":"{net}","ip_version":4,"cidr":"192.168.56.0/24","dns_nameservers":["192.0.2.53"]}}`, "subnet", 201},
		{"14-port-create", "POST", "/v2.0/ports", `{"port":{"name":"g-vm1-port","network_id":"{net}","device_owner":"compute:nova","device_id":"11111111-2222-3333-4444-666666666666"}}`, "port", 201},
		{"15-port-bind-host", "PUT", "/v2.0/ports/{port}", `{"port":{"binding:host_id":"anchor-compute-1"}}`, "", 200},
		{"16-port-show-admin", "GET", "/v2.0/ports/{port}", "", "", 200},
		{"17-port2-create", "POST", "/v2.0/ports", `{"port":{"name":"g-vm2-port","network_id":"{net}","device_owner":"compute:nova","device_id":"11111111-2222-3333-4444-777777777777"}}`, "port2", 201},
		{"18-port2-bind-host-without-agent", "PUT", "/v2.0/ports/{port2}", `{"port":{"binding:host_id":"host-without-agent"}}`, "", 200},
		{"22-vlan151-net-create", "POST", "/v2.0/networks", `{"network":{"name":"g-vlan151","provider:network_type":"vlan","provider:physical_network":"physnet1","provider:segmentation_id":151}}`, "vlan", 201},
		{"23-vlan-net-show", "GET", "/v2.0/networks/{vlan}", "", "", 200},
		{"24-segments-list", "GET", "/v2.0/segments?network_id={vlan}", "", "", 200},
		{"25-agents-list", "GET", "/v2.0/agents", "", "", 200},
		{"27-tenant-net-show-admin", "GET", "/v2.0/networks/{net}", "", "", 200},
		{"28-networks-list", "GET", "/v2.0/networks", "", "", 200},
		{"29-subnets-list", "GET", "/v2.0/subnets", "", "", 200},
		{"30-subnet-show", "GET", "/v2.0/subnets/{subnet}", "", "", 200},
		{"33-ports-list-by-net", "GET", "/v2.0/ports?network_id={net}", "", "", 200},
		{"34-ports-list-fields", "GET", "/v2.0/ports?network_id={net}&fields=id&fields=mac_address&fields=fixed_ips", "", "", 200},
		{"35-ports-list-paginated", "GET", "/v2.0/ports?limit=1&sort_key=name&sort_dir=asc", "", "", 200},
		{"37-network-ip-availability", "GET", "/v2.0/network-ip-availabilities/{net}", "", "", 200},
		{"38-quotas-show", "GET", "/v2.0/quotas/fake_project_id", "", "", 200},
		{"39-err-404-network", "GET", "/v2.0/networks/00000000-0000-0000-0000-000000000000", "", "", 404},
		{"40-err-400-bad-cidr", "POST", "/v2.0/subnets", `{"subnet":{"network_id":"{net}","ip_version":4,"cidr":"300.1.1.0/24"}}`, "", 400},
		{"41-err-400-unknown-attr", "POST", "/v2.0/networks", `{"network":{"name":"x","no_such_attribute":1}}`, "", 400},
		{"42-err-409-vlan-in-use", "POST", "/v2.0/networks", `{"network":{"name":"dup","provider:network_type":"vlan","provider:physical_network":"physnet1","provider:segmentation_id":151}}`, "", 409},
		{"43-err-409-subnet-in-use", "DELETE", "/v2.0/subnets/{subnet}", "", "", 409},
		{"44-err-400-overlap", "POST", "/v2.0/subnets", `{"subnet":{"network_id":"{net}","ip_version":4,"cidr":"192.168.56.0/25"}}`, "", 400},
		{"45-err-404-unknown-resource", "GET", "/v2.0/no-such-things", "", "", 404},
		{"48-port-update", "PUT", "/v2.0/ports/{port}", `{"port":{"name":"g-vm1-port-renamed","admin_state_up":false}}`, "", 200},
	} {
		t.Run(step.golden, func(t *testing.T) {
			status, raw := call(step.method, step.path, step.body)
			require.Equal(t, step.status, status, string(raw))
			if step.save != "" {
				remember(step.save, raw)
			}
			want, err := os.ReadFile(filepath.Join("testdata", "neutron-golden", step.golden+".json"))
			require.NoError(t, err)
			assert.Equal(t, slices.DeleteFunc(shapeOf(t, want), func(p string) bool { return !keep(p) }),
				slices.DeleteFunc(shapeOf(t, raw), func(p string) bool { return !keep(p) }),
				fmt.Sprintf("%s %s: shape differs from Neutron's", step.method, step.path))
		})
	}
	status, _ := call("DELETE", "/v2.0/ports/{port}", "")
	assert.Equal(t, http.StatusNoContent, status)
}
