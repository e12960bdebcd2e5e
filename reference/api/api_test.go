package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
)

func TestVersionsAndRoot(t *testing.T) {
	e := newEnv(t)
	v := e.do(who{}, "GET", "/", nil).ok(t, 200, "")
	versions := v["versions"].([]any)
	require.Len(t, versions, 1)
	assert.Equal(t, "v2.0", versions[0].(map[string]any)["id"])
	assert.Equal(t, "CURRENT", versions[0].(map[string]any)["status"])

	for _, path := range []string{"/v2.0/", "/v2.0", "/v2.0/.json"} {
		res := e.do(admin, "GET", path, nil).list(t, "resources")
		require.Len(t, res, 3, path)
		assert.Equal(t, "networks", res[0]["collection"])
	}
	e.do(admin, "POST", "/", nil).fails(t, 405, "HTTPMethodNotAllowed")
	e.do(admin, "GET", "/v2.0/no-such-things", nil).fails(t, 404, "HTTPNotFound")
	e.do(admin, "PATCH", "/v2.0/networks", nil).fails(t, 405, "HTTPMethodNotAllowed")
	e.do(admin, "POST", "/v2.0/networks/x", nil).fails(t, 405, "HTTPMethodNotAllowed")
}

func TestExtensions(t *testing.T) {
	e := newEnv(t)
	exts := e.do(admin, "GET", "/v2.0/extensions", nil).list(t, "extensions")
	var aliases []string
	for _, x := range exts {
		aliases = append(aliases, x["alias"].(string))
		assert.Equal(t, []any{}, x["links"])
	}
	for _, want := range []string{"provider", "multi-provider", "external-net", "binding", "port-security", "quotas",
		"revision-if-match", "standard-attr-tag", "pagination", "sorting", "segment", "agent"} {
		assert.Contains(t, aliases, want)
	}
	assert.NotContains(t, aliases, "router", "only what is implemented")
	x := e.do(admin, "GET", "/v2.0/extensions/provider", nil).ok(t, 200, "extension")
	assert.Equal(t, "Provider Network", x["name"])
	e.do(admin, "GET", "/v2.0/extensions/router", nil).fails(t, 404, "HTTPNotFound")
}

func TestNetworkLifecycle(t *testing.T) {
	e := newEnv(t)
	n := e.network(demo, map[string]any{"name": "n1"})
	assert.Equal(t, "n1", n["name"])
	assert.Equal(t, demoProject, n["project_id"])
	assert.Equal(t, demoProject, n["tenant_id"])
	assert.Equal(t, "ACTIVE", n["status"])
	assert.Equal(t, float64(1450), n["mtu"], "vxlan tenant network")
	assert.Equal(t, true, n["port_security_enabled"])
	assert.Equal(t, []any{}, n["subnets"])
	assert.Equal(t, []any{}, n["tags"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, n["created_at"])
	assert.NotContains(t, n, "provider:network_type", "hidden from non-admins")

	id := n["id"].(string)
	shown := e.do(admin, "GET", "/v2.0/networks/"+id, nil).ok(t, 200, "network")
	assert.Equal(t, "vxlan", shown["provider:network_type"])
	assert.Nil(t, shown["provider:physical_network"])
	assert.NotNil(t, shown["provider:segmentation_id"])

	up := e.do(demo, "PUT", "/v2.0/networks/"+id, map[string]any{"network": map[string]any{"name": "n2", "admin_state_up": "false"}}).ok(t, 200, "network")
	assert.Equal(t, "n2", up["name"])
	assert.Equal(t, false, up["admin_state_up"])
	assert.Greater(t, up["revision_number"].(float64), n["revision_number"].(float64))

	r := e.do(demo, "DELETE", "/v2.0/networks/"+id, nil)
	require.Equal(t, 204, r.status)
	require.Empty(t, r.raw)
	msg := e.do(demo, "GET", "/v2.0/networks/"+id, nil).fails(t, 404, "NetworkNotFound")
	assert.Equal(t, "Network "+id+" could not be found.", msg)
}

func TestProviderNetworks(t *testing.T) {
	e := newEnv(t)
	v := e.network(admin, map[string]any{"name": "v", "provider:network_type": "vlan",
		"provider:physical_network": "physnet1", "provider:segmentation_id": 150})
	assert.Equal(t, float64(150), v["provider:segmentation_id"])
	assert.Equal(t, float64(1500), v["mtu"])

	msg := e.do(admin, "POST", "/v2.0/networks", map[string]any{"network": map[string]any{"name": "dup",
		"provider:network_type": "vlan", "provider:physical_network": "physnet1", "provider:segmentation_id": 150}}).
		fails(t, 409, "VlanIdInUse")
	assert.Equal(t, "Unable to create the network. The VLAN 150 on physical network physnet1 is in use.", msg)

	multi := e.network(admin, map[string]any{"segments": []any{
		map[string]any{"provider:network_type": "vlan", "provider:physical_network": "physnet1", "provider:segmentation_id": 160},
		map[string]any{"provider:network_type": "vlan", "provider:physical_network": "physnet2", "provider:segmentation_id": 10},
	}})
	require.Len(t, multi["segments"], 2)
	assert.NotContains(t, multi, "provider:network_type", "multi-segment networks show segments")

	ext := e.network(admin, map[string]any{"router:external": true, "provider:network_type": "flat", "provider:physical_network": "ext"})
	assert.Equal(t, true, ext["router:external"])
	assert.Nil(t, ext["provider:segmentation_id"])

	// A tenant may not set provider attributes: Neutron's policy message.
	msg = e.do(demo, "POST", "/v2.0/networks", map[string]any{"network": map[string]any{"name": "x",
		"provider:network_type": "vlan", "provider:physical_network": "physnet1", "provider:segmentation_id": 160}}).
		fails(t, 403, "PolicyNotAuthorized")
	assert.Equal(t, "(((rule:create_network and rule:create_network:provider:network_type) and "+
		"rule:create_network:provider:physical_network) and rule:create_network:provider:segmentation_id) is disallowed by policy", msg)
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t)
	n := e.network(demo, nil)
	id := n["id"].(string)
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		typ, msg           string
	}{
		{"unknown_attribute", "POST", "/v2.0/networks", `{"network":{"name":"x","no_such_attribute":1}}`,
			400, "HTTPBadRequest", "Unrecognized attribute(s) 'no_such_attribute'"},
		{"not_json", "POST", "/v2.0/networks", `{"network":`, 400, "HTTPBadRequest", "Body contains invalid data"},
		{"not_an_object", "POST", "/v2.0/networks", `[1]`, 400, "HTTPBadRequest", "Body contains invalid data"},
		{"missing_resource", "PUT", "/v2.0/networks/" + id, `{"incorrect":{}}`, 400, "HTTPBadRequest",
			"Unable to find 'network' in request body"},
		{"empty_bulk", "POST", "/v2.0/networks", `{"networks":[]}`, 400, "HTTPBadRequest", "Resources required"},
		{"read_only_in_post", "POST", "/v2.0/networks", `{"network":{"status":"DOWN"}}`, 400, "HTTPBadRequest",
			"Attribute 'status' not allowed in POST"},
		{"read_only_in_put", "PUT", "/v2.0/subnets/" + id, `{"subnet":{"cidr":"10.0.0.0/24"}}`, 400, "HTTPBadRequest",
			"Cannot update read-only attribute cidr"},
		{"required", "POST", "/v2.0/subnets", `{"subnet":{"ip_version":4,"cidr":"10.0.0.0/24"}}`, 400, "HTTPBadRequest",
			"Failed to parse request. Required attribute 'network_id' not specified"},
		{"bad_boolean", "POST", "/v2.0/networks", `{"network":{"admin_state_up":"fake"}}`, 400, "InvalidInput",
			"Invalid input for operation: 'fake' cannot be converted to boolean."},
		{"name_too_long", "POST", "/v2.0/networks", `{"network":{"name":"` + strings.Repeat("x", 256) + `"}}`, 400,
			"HTTPBadRequest", ""},
		{"name_null", "POST", "/v2.0/networks", `{"network":{"name":null}}`, 400, "HTTPBadRequest",
			"Invalid input for name. Reason: 'None' is not a valid string."},
		{"project_mismatch", "POST", "/v2.0/networks", `{"network":{"tenant_id":"a","project_id":"b"}}`, 400,
			"HTTPBadRequest", "'project_id' and 'tenant_id' do not match"},
		{"other_project", "POST", "/v2.0/networks", `{"network":{"project_id":"someone-else"}}`, 400,
			"HTTPBadRequest", ""},
		{"bad_cidr", "POST", "/v2.0/subnets", map[string]any{"subnet": map[string]any{"network_id": id, "ip_version": 4, "cidr": "300.1.1.0/24"}},
			400, "InvalidInput", "Invalid input for operation: 300.1.1.0/24 is not in a CIDR format."},
		{"delete_with_body", "DELETE", "/v2.0/networks/" + id, `{"network":{}}`, 400, "HTTPBadRequest", ""},
		{"bad_limit", "GET", "/v2.0/networks?limit=x", nil, 400, "BadRequest",
			"Bad limit request: Limit must be an integer 0 or greater and not 'x'."},
		{"sort_mismatch", "GET", "/v2.0/networks?sort_key=name&sort_key=id&sort_dir=asc", nil, 400, "HTTPBadRequest",
			"The number of sort_keys and sort_dirs must be same"},
		{"bad_filter", "GET", "/v2.0/networks?no_such_filter=1", nil, 400, "", ""},
		{"unknown_marker", "GET", "/v2.0/networks?limit=1&marker=00000000-0000-0000-0000-000000000000", nil, 404, "NetworkNotFound", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(demo, tc.method, tc.path, tc.body)
			if tc.typ == "" {
				require.Equal(t, tc.status, r.status, r.raw)
				return
			}
			msg := r.fails(t, tc.status, tc.typ)
			if tc.msg != "" {
				assert.Equal(t, tc.msg, msg)
			}
		})
	}
	// Nothing was created by the failed requests.
	assert.Len(t, e.do(admin, "GET", "/v2.0/networks", nil).list(t, "networks"), 1)
	assert.Empty(t, e.do(admin, "GET", "/v2.0/subnets", nil).list(t, "subnets"))
}

func TestSubnetsAndPorts(t *testing.T) {
	e := newEnv(t)
	n := e.network(demo, map[string]any{"name": "net"})
	netID := n["id"].(string)
	s := e.do(demo, "POST", "/v2.0/subnets", map[string]any{"subnet": map[string]any{
		"network_id": netID, "ip_version": 4, "cidr": "192.168.56.0/24", "dns_nameservers": []string{"192.0.2.53"},
	}}).ok(t, 201, "subnet")
	assert.Equal(t, "192.168.56.1", s["gateway_ip"])
	assert.Equal(t, []any{map[string]any{"start": "192.168.56.2", "end": "192.168.56.254"}}, s["allocation_pools"])
	assert.Equal(t, []any{"192.0.2.53"}, s["dns_nameservers"])
	assert.Nil(t, s["ipv6_ra_mode"])
	assert.Nil(t, s["segment_id"])
	subID := s["id"].(string)

	msg := e.do(demo, "POST", "/v2.0/subnets", map[string]any{"subnet": map[string]any{
		"network_id": netID, "ip_version": 4, "cidr": "192.168.56.0/25"}}).fails(t, 400, "InvalidInput")
	assert.Contains(t, msg, "overlaps with another subnet")

	p := e.port(demo, netID, map[string]any{"name": "p1", "device_owner": "compute:nova", "device_id": "vm-1",
		"security_groups": []string{}})
	assert.Equal(t, []any{}, p["security_groups"])
	e.do(demo, "POST", "/v2.0/ports", map[string]any{"port": map[string]any{"network_id": netID,
		"security_groups": []string{"00000000-0000-0000-0000-000000000001"}}}).fails(t, 404, "SecurityGroupNotFound")
	assert.Equal(t, "DOWN", p["status"])
	assert.Regexp(t, `^fa:16:3e(:[0-9a-f]{2}){3}$`, p["mac_address"])
	ips := p["fixed_ips"].([]any)
	require.Len(t, ips, 1)
	assert.Equal(t, subID, ips[0].(map[string]any)["subnet_id"])
	assert.Equal(t, "normal", p["binding:vnic_type"])
	assert.NotContains(t, p, "binding:host_id", "hidden from non-admins")
	portID := p["id"].(string)

	// Binding is the admin's: on a host with a live agent the port binds.
	_, err := e.plugin.ReportAgentState(context.Background(), fakeagent.NewAgent("compute-1", nil, "vxlan"))
	require.NoError(t, err)
	msg = e.do(demo, "PUT", "/v2.0/ports/"+portID, map[string]any{"port": map[string]any{"binding:host_id": "compute-1"}}).
		fails(t, 403, "PolicyNotAuthorized")
	assert.Equal(t, "(rule:update_port and rule:update_port:binding:host_id) is disallowed by policy", msg)
	b := e.do(admin, "PUT", "/v2.0/ports/"+portID, map[string]any{"port": map[string]any{"binding:host_id": "compute-1"}}).ok(t, 200, "port")
	assert.Equal(t, "ovs", b["binding:vif_type"])
	assert.Equal(t, map[string]any{"0": "fakeagent"}, b["binding:vif_details"].(map[string]any)["bound_drivers"])

	// A port on a host without an agent fails to bind.
	f := e.port(admin, netID, map[string]any{"binding:host_id": "nowhere"})
	assert.Equal(t, "binding_failed", f["binding:vif_type"])

	msg = e.do(demo, "DELETE", "/v2.0/subnets/"+subID, nil).fails(t, 409, "SubnetInUse")
	assert.Contains(t, msg, "One or more ports have an IP allocation from this subnet")

	// Fields, filters.
	got := e.do(demo, "GET", "/v2.0/ports?network_id="+netID+"&fields=id&fields=mac_address", nil).list(t, "ports")
	require.Len(t, got, 1, "the demo project sees its own port only")
	assert.Len(t, got[0], 2)
	got = e.do(admin, "GET", "/v2.0/ports?fixed_ips=subnet_id%3D"+subID, nil).list(t, "ports")
	assert.Len(t, got, 2)
	got = e.do(admin, "GET", "/v2.0/ports?binding:host_id=compute-1", nil).list(t, "ports")
	require.Len(t, got, 1)
	assert.Equal(t, portID, got[0]["id"])

	require.Equal(t, 204, e.do(demo, "DELETE", "/v2.0/ports/"+portID, nil).status)
	e.do(demo, "GET", "/v2.0/ports/"+portID, nil).fails(t, 404, "PortNotFound")
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	n := e.network(admin, nil)
	netID := n["id"].(string)
	var names []string
	for i := range 5 {
		name := fmt.Sprintf("p%d", i)
		e.port(admin, netID, map[string]any{"name": name})
		names = append(names, name)
	}
	r := e.do(admin, "GET", "/v2.0/ports?limit=2&sort_key=name&sort_dir=asc", nil)
	page := r.list(t, "ports")
	require.Len(t, page, 2)
	assert.Equal(t, "p0", page[0]["name"])
	links := r.body["ports_links"].([]any)
	require.Len(t, links, 2)
	next := links[0].(map[string]any)
	assert.Equal(t, "next", next["rel"])
	assert.Equal(t, e.srv.URL+"/v2.0/ports?limit=2&sort_key=name&sort_dir=asc&marker="+page[1]["id"].(string), next["href"])
	assert.Equal(t, "previous", links[1].(map[string]any)["rel"])

	// Follow next links to the end.
	var seen []string
	href := "/v2.0/ports?limit=2&sort_key=name&sort_dir=asc"
	for href != "" {
		r := e.do(admin, "GET", strings.TrimPrefix(href, e.srv.URL), nil)
		href = ""
		for _, p := range r.list(t, "ports") {
			seen = append(seen, p["name"].(string))
		}
		for _, l := range r.body["ports_links"].([]any) {
			if l.(map[string]any)["rel"] == "next" {
				href = l.(map[string]any)["href"].(string)
			}
		}
	}
	assert.Equal(t, names, seen)

	desc := e.do(admin, "GET", "/v2.0/ports?sort_key=name&sort_dir=desc", nil).list(t, "ports")
	assert.Equal(t, "p4", desc[0]["name"])
}

func TestBulkCreate(t *testing.T) {
	e := newEnv(t)
	r := e.do(demo, "POST", "/v2.0/networks", `{"networks":[{"name":"a"},{"network":{"name":"b"}}]}`)
	require.Equal(t, 201, r.status, r.raw)
	nets := r.list2(t, "networks")
	require.Len(t, nets, 2)
	assert.Equal(t, "a", nets[0]["name"])
	assert.Equal(t, "b", nets[1]["name"])

	// All or nothing: the second item fails, the first is undone.
	e.do(demo, "POST", "/v2.0/networks", `{"networks":[{"name":"c"},{"name":"d","bogus":1}]}`).fails(t, 400, "HTTPBadRequest")
	assert.Len(t, e.do(demo, "GET", "/v2.0/networks", nil).list(t, "networks"), 2)
}

// list2 is list for a 201 reply.
func (r reply) list2(t testing.TB, key string) []map[string]any {
	r.status = http.StatusOK
	return r.list(t, key)
}

func TestIfMatch(t *testing.T) {
	e := newEnv(t)
	n := e.network(demo, nil)
	id := n["id"].(string)
	rev := int(n["revision_number"].(float64))
	put := func(match string) reply {
		req, err := http.NewRequest("PUT", e.srv.URL+"/v2.0/networks/"+id, strings.NewReader(`{"network":{"name":"x"}}`))
		require.NoError(t, err)
		req.Header.Set("X-Test-Project", demoProject)
		req.Header.Set("If-Match", match)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		return reply{status: resp.StatusCode}
	}
	assert.Equal(t, 412, put(fmt.Sprintf("revision_number=%d", rev+5)).status)
	assert.Equal(t, 400, put("revision_number=x").status)
	assert.Equal(t, 200, put(fmt.Sprintf("revision_number=%d", rev)).status)
	assert.Equal(t, 200, put("some-other-etag").status, "other etags are ignored")
}

func TestProjectVisibility(t *testing.T) {
	e := newEnv(t)
	mine := e.network(demo, map[string]any{"name": "mine"})
	theirs := e.network(other, map[string]any{"name": "theirs"})
	shared := e.network(admin, map[string]any{"name": "shared", "shared": true})
	ext := e.network(admin, map[string]any{"name": "ext", "router:external": true})

	var names []string
	for _, n := range e.do(demo, "GET", "/v2.0/networks", nil).list(t, "networks") {
		names = append(names, n["name"].(string))
	}
	assert.ElementsMatch(t, []string{"mine", "shared", "ext"}, names)
	assert.Len(t, e.do(admin, "GET", "/v2.0/networks", nil).list(t, "networks"), 4)

	e.do(demo, "GET", "/v2.0/networks/"+theirs["id"].(string), nil).fails(t, 404, "NetworkNotFound")
	e.do(demo, "PUT", "/v2.0/networks/"+theirs["id"].(string), `{"network":{"name":"x"}}`).fails(t, 404, "NetworkNotFound")
	e.do(demo, "DELETE", "/v2.0/networks/"+theirs["id"].(string), nil).fails(t, 404, "NetworkNotFound")
	e.do(demo, "PUT", "/v2.0/networks/"+shared["id"].(string), `{"network":{"name":"x"}}`).fails(t, 403, "PolicyNotAuthorized")

	// Ports: on a shared network yes; on another's private network it is
	// not found; on an external one forbidden.
	e.port(demo, shared["id"].(string), nil)
	e.do(demo, "POST", "/v2.0/ports", map[string]any{"port": map[string]any{"network_id": theirs["id"]}}).fails(t, 404, "NetworkNotFound")
	e.do(demo, "POST", "/v2.0/ports", map[string]any{"port": map[string]any{"network_id": ext["id"]}}).fails(t, 403, "HTTPForbidden")
	e.port(demo, mine["id"].(string), nil)
	assert.Len(t, e.do(demo, "GET", "/v2.0/ports", nil).list(t, "ports"), 2)
	assert.Empty(t, e.do(other, "GET", "/v2.0/ports", nil).list(t, "ports"))
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	n := e.network(demo, nil)
	base := "/v2.0/networks/" + n["id"].(string) + "/tags"
	assert.Equal(t, 201, e.do(demo, "PUT", base+"/red", nil).status)
	assert.Equal(t, 201, e.do(demo, "PUT", base+"/blue", nil).status)
	assert.Equal(t, []any{"blue", "red"}, e.do(demo, "GET", base, nil).ok(t, 200, "")["tags"])
	assert.Equal(t, 204, e.do(demo, "GET", base+"/red", nil).status)
	e.do(demo, "GET", base+"/green", nil).fails(t, 404, "TagNotFound")
	assert.Equal(t, []any{"a", "b"}, e.do(demo, "PUT", base, `{"tags":["b","a"]}`).ok(t, 200, "")["tags"])
	assert.Len(t, e.do(demo, "GET", "/v2.0/networks?tags=a", nil).list(t, "networks"), 1)
	assert.Empty(t, e.do(demo, "GET", "/v2.0/networks?tags=red", nil).list(t, "networks"))
	assert.Equal(t, 204, e.do(demo, "DELETE", base+"/a", nil).status)
	e.do(demo, "DELETE", base+"/a", nil).fails(t, 404, "TagNotFound")
	assert.Equal(t, 204, e.do(demo, "DELETE", base, nil).status)
	assert.Equal(t, []any{}, e.do(demo, "GET", base, nil).ok(t, 200, "")["tags"])
	e.do(other, "PUT", base+"/x", nil).fails(t, 404, "NetworkNotFound")

	p := e.port(demo, n["id"].(string), map[string]any{"tags": []string{"web"}})
	assert.Equal(t, []any{"web"}, p["tags"])
}

func TestSegmentsAndAgents(t *testing.T) {
	e := newEnv(t)
	n := e.network(admin, map[string]any{"provider:network_type": "vlan", "provider:physical_network": "physnet1", "provider:segmentation_id": 151})
	segs := e.do(admin, "GET", "/v2.0/segments?network_id="+n["id"].(string), nil).list(t, "segments")
	require.Len(t, segs, 1)
	assert.Equal(t, float64(151), segs[0]["segmentation_id"])
	assert.Equal(t, "physnet1", segs[0]["physical_network"])
	assert.Nil(t, segs[0]["name"])
	e.do(demo, "GET", "/v2.0/segments", nil).fails(t, 404, "HTTPNotFound")

	s := e.do(admin, "POST", "/v2.0/segments", map[string]any{"segment": map[string]any{
		"network_id": n["id"], "network_type": "vlan", "physical_network": "physnet2", "segmentation_id": 20, "name": "s2",
	}}).ok(t, 201, "segment")
	assert.Equal(t, "s2", s["name"])
	up := e.do(admin, "PUT", "/v2.0/segments/"+s["id"].(string), `{"segment":{"description":"d"}}`).ok(t, 200, "segment")
	assert.Equal(t, "d", up["description"])
	assert.Equal(t, 204, e.do(admin, "DELETE", "/v2.0/segments/"+s["id"].(string), nil).status)

	_, err := e.plugin.ReportAgentState(context.Background(), fakeagent.NewAgent("compute-1", nil, "vxlan"))
	require.NoError(t, err)
	agents := e.do(admin, "GET", "/v2.0/agents", nil).list(t, "agents")
	require.Len(t, agents, 1)
	ag := agents[0]
	assert.Equal(t, true, ag["alive"])
	assert.Equal(t, "compute-1", ag["host"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$`, ag["heartbeat_timestamp"])
	id := ag["id"].(string)
	up = e.do(admin, "PUT", "/v2.0/agents/"+id, `{"agent":{"admin_state_up":false,"description":"maintenance"}}`).ok(t, 200, "agent")
	assert.Equal(t, false, up["admin_state_up"])
	assert.Equal(t, "maintenance", up["description"])
	e.do(admin, "PUT", "/v2.0/agents/"+id, `{"agent":{"host":"x"}}`).fails(t, 400, "HTTPBadRequest")
	e.do(admin, "POST", "/v2.0/agents", `{"agent":{"host":"x"}}`).fails(t, 400, "HTTPBadRequest")
	e.do(demo, "GET", "/v2.0/agents", nil).fails(t, 404, "HTTPNotFound")
	assert.Equal(t, 204, e.do(admin, "DELETE", "/v2.0/agents/"+id, nil).status)
	e.do(admin, "GET", "/v2.0/agents/"+id, nil).fails(t, 404, "AgentNotFound")
}

func TestQuotasAndAvailability(t *testing.T) {
	e := newEnv(t)
	q := e.do(admin, "GET", "/v2.0/quotas/"+demoProject, nil).ok(t, 200, "quota")
	assert.Equal(t, float64(100), q["network"])
	assert.Equal(t, float64(500), q["port"])
	e.do(other, "GET", "/v2.0/quotas/"+demoProject, nil).fails(t, 403, "PolicyNotAuthorized")
	e.do(demo, "PUT", "/v2.0/quotas/"+demoProject, `{"quota":{"network":1}}`).fails(t, 403, "PolicyNotAuthorized")
	q = e.do(admin, "PUT", "/v2.0/quotas/"+demoProject, `{"quota":{"network":1}}`).ok(t, 200, "quota")
	assert.Equal(t, float64(1), q["network"])

	n := e.network(demo, nil)
	e.do(demo, "POST", "/v2.0/networks", `{"network":{}}`).fails(t, 409, "OverQuota")
	d := e.do(demo, "GET", "/v2.0/quotas/"+demoProject+"/details", nil).ok(t, 200, "quota")
	assert.Equal(t, map[string]any{"limit": float64(1), "used": float64(1), "reserved": float64(0)}, d["network"])
	assert.Equal(t, 204, e.do(admin, "DELETE", "/v2.0/quotas/"+demoProject, nil).status)
	e.network(demo, nil)

	e.subnet(demo, n["id"].(string), "10.1.0.0/24")
	e.port(demo, n["id"].(string), nil)
	a := e.do(admin, "GET", "/v2.0/network-ip-availabilities/"+n["id"].(string), nil).ok(t, 200, "network_ip_availability")
	assert.Equal(t, float64(253), a["total_ips"])
	assert.Equal(t, float64(1), a["used_ips"])
	require.Len(t, a["subnet_ip_availability"], 1)
	e.do(demo, "GET", "/v2.0/network-ip-availabilities/"+n["id"].(string), nil).fails(t, 403, "PolicyNotAuthorized")
}

// TestNetworkOwnerPolicy checks what only a network's owner may ask of a
// port on it: its MAC, a specific address, a network:* device owner.
func TestNetworkOwnerPolicy(t *testing.T) {
	e := newEnv(t)
	shared := e.network(admin, map[string]any{"shared": true})
	netID := shared["id"].(string)
	s := e.subnet(admin, netID, "10.5.0.0/24")
	for _, attrs := range []map[string]any{
		{"mac_address": "fa:16:3e:00:00:99"},
		{"fixed_ips": []any{map[string]any{"subnet_id": s["id"], "ip_address": "10.5.0.9"}}},
		{"device_owner": "network:dhcp"},
	} {
		attrs["network_id"] = netID
		e.do(demo, "POST", "/v2.0/ports", map[string]any{"port": attrs}).fails(t, 403, "PolicyNotAuthorized")
	}
	// A subnet alone is fine; and on its own network the project may do
	// all of it.
	p := e.port(demo, netID, map[string]any{"fixed_ips": []any{map[string]any{"subnet_id": s["id"]}}})
	e.do(demo, "PUT", "/v2.0/ports/"+p["id"].(string), map[string]any{"port": map[string]any{
		"fixed_ips": []any{map[string]any{"ip_address": "10.5.0.20"}}}}).fails(t, 403, "PolicyNotAuthorized")
	own := e.network(demo, nil)
	e.subnet(demo, own["id"].(string), "10.6.0.0/24")
	dhcp := e.port(demo, own["id"].(string), map[string]any{"device_owner": "network:dhcp", "mac_address": "fa:16:3e:00:00:98",
		"fixed_ips": []any{map[string]any{"ip_address": "10.6.0.2"}}})
	assert.Equal(t, "fa:16:3e:00:00:98", dhcp["mac_address"])
}
