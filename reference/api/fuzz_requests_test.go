package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

// FuzzRequests hands the API handler arbitrary bodies, paths and query
// strings, on every engine: it answers each with a status below 500 (503
// aside) and a JSON body, never a panic.
func FuzzRequests(f *testing.F) {
	for _, seed := range []struct{ method, path, query, body string }{
		{"POST", "networks", "", `{"network":{"name":"x","provider:network_type":"vlan","provider:segmentation_id":"12"}}`},
		{"POST", "networks", "", `{"networks":[{"name":"a"},{"network":{"segments":[{"provider:network_type":"flat"}]}}]}`},
		{"POST", "subnets", "", `{"subnet":{"network_id":"NET","ip_version":4,"cidr":"10.0.0.0/24","allocation_pools":[{"start":"10.0.0.9","end":"10.0.0.2"}]}}`},
		{"POST", "subnets", "", `{"subnet":{"network_id":"NET","ip_version":"6","cidr":"2001:db8::/64","ipv6_ra_mode":"slaac","host_routes":[{"destination":"0.0.0.0/0","nexthop":1}]}}`},
		{"POST", "ports", "", `{"port":{"network_id":"NET","fixed_ips":[{"ip_address":"10.0.0.300"}],"mac_address":"zz"}}`},
		{"POST", "ports", "", `{"port":{"network_id":"NET","binding:profile":[1],"binding:vnic_type":7,"tags":[""]}}`},
		{"PUT", "networks/NET", "", `{"network":{"mtu":-1,"admin_state_up":"maybe"}}`},
		{"PUT", "ports/NET", "", `{"port":{"mac_address":null}}`},
		{"GET", "ports", "limit=-1&sort_key=name&sort_dir=sideways&marker=x", ""},
		{"GET", "networks", "fields=id&provider:segmentation_id=abc&tags=a,,b&page_reverse=maybe", ""},
		{"GET", "ports", "fixed_ips=ip_address%3D10.0.0.1&fixed_ips=bogus%3Dx&mac_address=FA:16", ""},
		{"PUT", "networks/NET/tags", "", `{"tags":"nope"}`},
		{"POST", "segments", "", `{"segment":{"network_id":"NET","network_type":"vlan","segmentation_id":1e100}}`},
		{"PUT", "quotas/p", "", `{"quota":{"port":"x"}}`},
		// Text PostgreSQL cannot hold.
		{"POST", "networks", "", `{"network":{"name":"a\u0000","description":"\udc00"}}`},
		{"POST", "ports", "", "{\"port\":{\"network_id\":\"NET\",\"binding:profile\":{\"\xff\":[\"\\u0000\"]}}}"},
		{"PUT", "networks/NET/tags/a\x00", "", ""},
		{"DELETE", "ports/\xff", "", ""},
		{"PUT", "quotas/\x00", "", `{"quota":{"port":1}}`},
		{"GET", "ports", "name=%00&device_id=%ff&fixed_ips=ip_address_substr%3D%00&marker=%ff&limit=1", ""},
	} {
		f.Add(seed.method, seed.path, seed.query, seed.body)
	}
	// Every input goes to every engine: PostgreSQL refuses text that
	// SQLite keeps.
	engines := sqlstoretest.Engines(f)
	envs, nets := make([]*env, len(engines)), make([]string, len(engines))
	for i, engine := range engines {
		envs[i] = newEnvOn(f, engine)
		nets[i] = envs[i].network(admin, nil)["id"].(string)
		envs[i].subnet(admin, nets[i], "10.0.0.0/24")
	}
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		switch method {
		case "GET", "POST", "PUT", "DELETE":
		default:
			return
		}
		for i, e := range envs {
			path := strings.ReplaceAll(path, "NET", nets[i])
			body := strings.ReplaceAll(body, "NET", nets[i])
			req := httptest.NewRequest(method, "http://ml2go/v2.0/", strings.NewReader(body))
			req.URL.Path += path
			req.URL.RawQuery = query
			req.Header.Set("X-Test-Project", adminProject)
			req.Header.Set("X-Test-Admin", "1")
			rec := httptest.NewRecorder()
			e.srv.Config.Handler.ServeHTTP(rec, req)
			raw := rec.Body.Bytes()
			if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("%s: %s %q?%q %q: %d %s", engines[i], method, path, query, body, rec.Code, raw)
			}
			// Unclean paths (/v2.0/./x) are redirected by net/http's mux.
			if rec.Code/100 != 3 && len(raw) > 0 && !json.Valid(raw) {
				t.Fatalf("%s: %s %q?%q: body is not JSON: %s", engines[i], method, path, query, raw)
			}
		}
	})
}
