package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
)

// TestTextNoStoreHolds sends, on every engine, requests carrying a NUL
// character or bytes that are not UTF-8 in a body, a path value or a query:
// each is refused with the same status and type on SQLite as on PostgreSQL
// (which cannot hold such text), and changes nothing.
func TestTextNoStoreHolds(t *testing.T) {
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			e := newEnvOn(t, engine)
			net := e.network(admin, map[string]any{"name": "n"})["id"].(string)
			sub := e.subnet(admin, net, "10.0.0.0/24")["id"].(string)
			port := e.port(admin, net, map[string]any{"name": "p"})["id"].(string)
			_, err := e.plugin.ReportAgentState(context.Background(), fakeagent.NewAgent("compute-1", nil, "vxlan"))
			require.NoError(t, err)
			agent := e.do(admin, "GET", "/v2.0/agents", nil).list(t, "agents")[0]["id"].(string)
			seg := e.do(admin, "GET", "/v2.0/segments?network_id="+net, nil).list(t, "segments")[0]["id"].(string)
			e.do(admin, "PUT", "/v2.0/quotas/"+demoProject, `{"quota":{"port":20}}`).ok(t, 200, "quota")

			for _, c := range []struct {
				name, method, path, body string
				status                   int
				typ                      string
			}{
				// Bodies: any string, at any depth, of any resource.
				{"network name NUL", "POST", "/v2.0/networks", `{"network":{"name":"a\u0000b"}}`, 400, "HTTPBadRequest"},
				{"network name not UTF-8", "POST", "/v2.0/networks", "{\"network\":{\"name\":\"a\xffb\"}}", 400, "HTTPBadRequest"},
				{"network name unpaired surrogate", "POST", "/v2.0/networks", `{"network":{"name":"a\ud800b"}}`, 400, "HTTPBadRequest"},
				{"network project NUL", "POST", "/v2.0/networks", `{"network":{"project_id":"p\u0000"}}`, 400, "HTTPBadRequest"},
				{"bulk, second item NUL", "POST", "/v2.0/networks", `{"networks":[{"name":"ok"},{"name":"\u0000"}]}`, 400, "HTTPBadRequest"},
				{"network description not UTF-8", "PUT", "/v2.0/networks/" + net, "{\"network\":{\"description\":\"\xc3\x28\"}}", 400, "HTTPBadRequest"},
				{"subnet name NUL", "POST", "/v2.0/subnets", `{"subnet":{"network_id":"` + net + `","ip_version":4,"cidr":"10.1.0.0/24","name":"\u0000"}}`, 400, "HTTPBadRequest"},
				{"subnet description not UTF-8", "PUT", "/v2.0/subnets/" + sub, "{\"subnet\":{\"description\":\"\xfe\"}}", 400, "HTTPBadRequest"},
				{"port device_owner NUL", "POST", "/v2.0/ports", `{"port":{"network_id":"` + net + `","device_owner":"compute:\u0000"}}`, 400, "HTTPBadRequest"},
				{"port bulk, second name NUL", "POST", "/v2.0/ports", `{"ports":[{"network_id":"` + net + `"},{"network_id":"` + net + `","name":"\u0000"}]}`, 400, "HTTPBadRequest"},
				{"port binding:profile key NUL", "PUT", "/v2.0/ports/" + port, `{"port":{"binding:profile":{"k\u0000":"v"}}}`, 400, "HTTPBadRequest"},
				{"port binding:profile value not UTF-8", "PUT", "/v2.0/ports/" + port, "{\"port\":{\"binding:profile\":{\"k\":[\"\x80\"]}}}", 400, "HTTPBadRequest"},
				{"port device_id NUL", "PUT", "/v2.0/ports/" + port, `{"port":{"device_id":"\u0000"}}`, 400, "HTTPBadRequest"},
				{"port host NUL", "PUT", "/v2.0/ports/" + port, `{"port":{"binding:host_id":"h\u0000"}}`, 400, "HTTPBadRequest"},
				{"segment name NUL", "PUT", "/v2.0/segments/" + seg, `{"segment":{"name":"\u0000"}}`, 400, "HTTPBadRequest"},
				{"agent description NUL", "PUT", "/v2.0/agents/" + agent, `{"agent":{"description":"\u0000"}}`, 400, "HTTPBadRequest"},
				{"tags body NUL", "PUT", "/v2.0/networks/" + net + "/tags", `{"tags":["a\u0000"]}`, 400, "HTTPBadRequest"},
				{"tags body not UTF-8", "PUT", "/v2.0/ports/" + port + "/tags", "{\"tags\":[\"\xff\"]}", 400, "HTTPBadRequest"},
				{"tag in path NUL", "PUT", "/v2.0/networks/" + net + "/tags/a%00", "", 400, "HTTPBadRequest"},
				{"tag in path not UTF-8", "PUT", "/v2.0/subnets/" + sub + "/tags/%ff", "", 400, "HTTPBadRequest"},

				// Path values: an id names nothing.
				{"network id NUL", "GET", "/v2.0/networks/%00", "", 404, "NetworkNotFound"},
				{"network id not UTF-8", "GET", "/v2.0/networks/%ff", "", 404, "NetworkNotFound"},
				{"network update id NUL", "PUT", "/v2.0/networks/a%00", `{"network":{"name":"x"}}`, 404, "NetworkNotFound"},
				{"network delete id not UTF-8", "DELETE", "/v2.0/networks/%ff", "", 404, "NetworkNotFound"},
				{"subnet id NUL", "DELETE", "/v2.0/subnets/%00", "", 404, "SubnetNotFound"},
				{"port id not UTF-8", "GET", "/v2.0/ports/%ff", "", 404, "PortNotFound"},
				{"port update id NUL", "PUT", "/v2.0/ports/%00", `{"port":{"name":"x"}}`, 404, "PortNotFound"},
				{"segment id NUL", "GET", "/v2.0/segments/%00", "", 404, "SegmentNotFound"},
				{"agent id not UTF-8", "PUT", "/v2.0/agents/%ff", `{"agent":{"description":"x"}}`, 404, "AgentNotFound"},
				{"tags of network id NUL", "GET", "/v2.0/networks/%00/tags", "", 404, "NetworkNotFound"},
				{"tag of port id not UTF-8", "PUT", "/v2.0/ports/%ff/tags/x", "", 404, "PortNotFound"},
				{"ip availability id NUL", "GET", "/v2.0/network-ip-availabilities/%00", "", 404, "NetworkNotFound"},
				{"quota project NUL", "GET", "/v2.0/quotas/%00", "", 404, "HTTPNotFound"},
				{"quota update project not UTF-8", "PUT", "/v2.0/quotas/%ff", `{"quota":{"port":5}}`, 404, "HTTPNotFound"},
				{"quota delete project NUL", "DELETE", "/v2.0/quotas/a%00", "", 404, "HTTPNotFound"},
				{"quota details project not UTF-8", "GET", "/v2.0/quotas/%ff/details", "", 404, "HTTPNotFound"},

				// Queries: filters, and every reserved parameter.
				{"filter NUL", "GET", "/v2.0/networks?name=%00", "", 400, "InvalidInput"},
				{"filter not UTF-8", "GET", "/v2.0/networks?name=%ff", "", 400, "InvalidInput"},
				{"one value of a filter NUL", "GET", "/v2.0/ports?device_id=x&device_id=y%00", "", 400, "InvalidInput"},
				{"fixed_ips filter NUL", "GET", "/v2.0/ports?fixed_ips=ip_address_substr%3D%00", "", 400, "InvalidInput"},
				{"fixed_ips filter not UTF-8", "GET", "/v2.0/ports?fixed_ips=subnet_id%3D%ff", "", 400, "InvalidInput"},
				{"subnet filter not UTF-8", "GET", "/v2.0/subnets?network_id=%ff", "", 400, "InvalidInput"},
				{"segment filter NUL", "GET", "/v2.0/segments?network_id=%00", "", 400, "InvalidInput"},
				{"agent filter NUL", "GET", "/v2.0/agents?host=%00", "", 400, "InvalidInput"},
				{"ip availability filter not UTF-8", "GET", "/v2.0/network-ip-availabilities?network_id=%ff", "", 400, "InvalidInput"},
				{"filter name NUL", "GET", "/v2.0/networks?na%00me=x", "", 400, "InvalidInput"},
				{"marker NUL", "GET", "/v2.0/networks?limit=1&marker=%00", "", 400, "InvalidInput"},
				{"marker not UTF-8", "GET", "/v2.0/ports?limit=1&marker=%ff", "", 400, "InvalidInput"},
				{"sort_key not UTF-8", "GET", "/v2.0/networks?sort_key=%ff&sort_dir=asc", "", 400, "InvalidInput"},
				{"fields of a list NUL", "GET", "/v2.0/ports?fields=%00", "", 400, "InvalidInput"},
				{"fields of a show not UTF-8", "GET", "/v2.0/networks/" + net + "?fields=%ff", "", 400, "InvalidInput"},
			} {
				t.Run(c.name, func(t *testing.T) {
					before := snapshot(t, e)
					var rd io.Reader
					if c.body != "" {
						rd = strings.NewReader(c.body)
					}
					// Raw bytes: the harness's client would re-encode them.
					req, err := http.NewRequest(c.method, e.srv.URL+c.path, rd)
					require.NoError(t, err)
					req.Header.Set("X-Test-Project", adminProject)
					req.Header.Set("X-Test-Admin", "1")
					resp, err := http.DefaultClient.Do(req)
					require.NoError(t, err)
					raw, err := io.ReadAll(resp.Body)
					require.NoError(t, err)
					require.NoError(t, resp.Body.Close())
					r := reply{status: resp.StatusCode, raw: string(raw)}
					require.NoError(t, json.Unmarshal(raw, &r.body), "%s", raw)
					r.fails(t, c.status, c.typ)
					require.Equal(t, before, snapshot(t, e), "the refused request changed something")
				})
			}
		})
	}
}

// TestTextNoStoreHoldsAsOther checks that a project member gets the same
// answers as an admin: an id no store can hold is its resource's NotFound,
// as for an id of another project's resource.
func TestTextNoStoreHoldsAsOther(t *testing.T) {
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			e := newEnvOn(t, engine)
			net := e.network(demo, nil)["id"].(string)
			e.do(demo, "GET", "/v2.0/networks/%00", nil).fails(t, 404, "NetworkNotFound")
			e.do(demo, "DELETE", "/v2.0/ports/%ff", nil).fails(t, 404, "PortNotFound")
			e.do(demo, "GET", "/v2.0/networks?name=%ff", nil).fails(t, 400, "InvalidInput")
			e.do(demo, "PUT", "/v2.0/networks/"+net, `{"network":{"name":"\u0000"}}`).fails(t, 400, "HTTPBadRequest")
			require.Equal(t, "", e.do(demo, "GET", "/v2.0/networks/"+net, nil).ok(t, 200, "network")["name"])
		})
	}
}

// snapshot is everything the tests' requests could change, as an admin
// lists it.
func snapshot(t *testing.T, e *env) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{"networks", "subnets", "ports", "segments", "agents", "quotas"} {
		r := e.do(admin, "GET", "/v2.0/"+p, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		b.WriteString(r.raw)
	}
	return b.String()
}
