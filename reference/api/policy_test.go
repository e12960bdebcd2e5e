package api_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// policyWorld is a shared network of demo's project (created for it by
// an admin, as only admins may share), with a subnet, as the default
// policy's callers see it: an admin, a member of the network's project
// (in Neutron the network's owner is its project: every member of it),
// and a member of another project, to whom the network is shared.
type policyWorld struct {
	e             *env
	netID, subID  string
	privateID     string // demo's network, not shared
	extID, extSub string // an external network of the admin's, not shared
	callers       []who
	names         []string
	seq           int
}

func newPolicyWorld(t *testing.T) *policyWorld {
	e := newEnv(t)
	w := &policyWorld{e: e, callers: []who{admin, demo, other}, names: []string{"admin", "network owner", "other project"}}
	n := e.network(admin, map[string]any{"shared": true, "project_id": demoProject})
	w.netID = n["id"].(string)
	w.subID = e.subnet(demo, w.netID, "10.9.0.0/20")["id"].(string)
	w.privateID = e.network(demo, nil)["id"].(string)
	ext := e.network(admin, map[string]any{"router:external": true})
	w.extID = ext["id"].(string)
	w.extSub = e.subnet(admin, w.extID, "203.0.113.0/24")["id"].(string)
	return w
}

// next returns a number not used before, for unique MACs and addresses.
func (w *policyWorld) next() int { w.seq++; return w.seq }

// count is how many of a collection an admin sees.
func (w *policyWorld) count(coll string) int {
	return len(w.e.do(admin, "GET", "/v2.0/"+coll, nil).list(w.e.t, coll))
}

// expect gives the status for admin, the network's owner and the other
// project.
type expect [3]int

// TestPolicyTableCreate walks the policy table's create rules as each
// kind of caller, and checks that a denied create creates nothing.
func TestPolicyTableCreate(t *testing.T) {
	w := newPolicyWorld(t)
	ip := func() string { return fmt.Sprintf("10.9.%d.%d", 1+w.seq/200, 10+w.seq%200) }
	for _, tc := range []struct {
		name string
		coll string
		// body returns the request body; called once per caller.
		body func() map[string]any
		want expect
		// msg is the denial's message, when one is checked.
		msg string
	}{
		{"port", "ports", func() map[string]any { return map[string]any{"network_id": w.netID} }, expect{201, 201, 201}, ""},
		{"port mac_address", "ports", func() map[string]any {
			return map[string]any{"network_id": w.netID, "mac_address": fmt.Sprintf("fa:16:3e:00:01:%02x", w.next())}
		}, expect{201, 201, 403}, "(rule:create_port and rule:create_port:mac_address) is disallowed by policy"},
		{"port fixed_ips ip_address", "ports", func() map[string]any {
			w.next()
			return map[string]any{"network_id": w.netID, "fixed_ips": []any{map[string]any{"subnet_id": w.subID, "ip_address": ip()}}}
		}, expect{201, 201, 403}, "(rule:create_port and (rule:create_port:fixed_ips and " +
			"(rule:create_port:fixed_ips:ip_address and rule:create_port:fixed_ips:subnet_id))) is disallowed by policy"},
		{"port fixed_ips subnet_id", "ports", func() map[string]any {
			return map[string]any{"network_id": w.netID, "fixed_ips": []any{map[string]any{"subnet_id": w.subID}}}
		}, expect{201, 201, 201}, ""},
		{"port device_owner network:", "ports", func() map[string]any {
			return map[string]any{"network_id": w.netID, "device_owner": "network:router_interface"}
		}, expect{201, 201, 403}, "(rule:create_port and rule:create_port:device_owner) is disallowed by policy"},
		{"port device_owner compute:", "ports", func() map[string]any {
			return map[string]any{"network_id": w.netID, "device_owner": "compute:nova"}
		}, expect{201, 201, 201}, ""},
		{"port port_security_enabled false", "ports", func() map[string]any {
			return map[string]any{"network_id": w.netID, "port_security_enabled": false}
		}, expect{201, 201, 403}, "(rule:create_port and rule:create_port:port_security_enabled) is disallowed by policy"},
		{"port port_security_enabled true", "ports", func() map[string]any {
			return map[string]any{"network_id": w.netID, "port_security_enabled": true}
		}, expect{201, 201, 403}, ""},
		{"port binding:host_id", "ports", func() map[string]any {
			return map[string]any{"network_id": w.netID, "binding:host_id": "compute-9"}
		}, expect{201, 403, 403}, "(rule:create_port and rule:create_port:binding:host_id) is disallowed by policy"},
		{"port binding:profile", "ports", func() map[string]any {
			return map[string]any{"network_id": w.netID, "binding:profile": map[string]any{}}
		}, expect{201, 403, 403}, ""},
		{"port binding:vnic_type", "ports", func() map[string]any {
			return map[string]any{"network_id": w.netID, "binding:vnic_type": "direct"}
		}, expect{201, 201, 201}, ""},
		{"port every denied attribute named", "ports", func() map[string]any {
			return map[string]any{"network_id": w.netID, "mac_address": fmt.Sprintf("fa:16:3e:00:02:%02x", w.next()),
				"device_owner": "compute:nova", "binding:host_id": "h"}
		}, expect{201, 403, 403}, "(((rule:create_port and rule:create_port:mac_address) and rule:create_port:device_owner) " +
			"and rule:create_port:binding:host_id) is disallowed by policy"},
		{"port on a private network", "ports", func() map[string]any { return map[string]any{"network_id": w.privateID} },
			expect{201, 201, 404}, ""},
		{"subnet", "subnets", func() map[string]any {
			return map[string]any{"network_id": w.netID, "ip_version": 4, "cidr": fmt.Sprintf("10.10.%d.0/24", w.next())}
		}, expect{201, 201, 403}, "rule:create_subnet is disallowed by policy"},
		{"subnet segment_id null", "subnets", func() map[string]any {
			return map[string]any{"network_id": w.netID, "ip_version": 4, "cidr": fmt.Sprintf("10.10.%d.0/24", w.next()), "segment_id": nil}
		}, expect{201, 201, 403}, ""},
		{"subnet service_types", "subnets", func() map[string]any {
			return map[string]any{"network_id": w.netID, "ip_version": 4, "cidr": fmt.Sprintf("10.10.%d.0/24", w.next()),
				"service_types": []any{"compute:nova"}}
		}, expect{201, 403, 403}, "(rule:create_subnet and rule:create_subnet:service_types) is disallowed by policy"},
		{"network", "networks", func() map[string]any { return map[string]any{} }, expect{201, 201, 201}, ""},
		{"network shared false", "networks", func() map[string]any { return map[string]any{"shared": false} }, expect{201, 201, 201}, ""},
		{"network shared", "networks", func() map[string]any { return map[string]any{"shared": true} },
			expect{201, 403, 403}, "(rule:create_network and rule:create_network:shared) is disallowed by policy"},
		{"network router:external", "networks", func() map[string]any { return map[string]any{"router:external": true} },
			expect{201, 403, 403}, "(rule:create_network and rule:create_network:router:external) is disallowed by policy"},
		{"network provider", "networks", func() map[string]any { return map[string]any{"provider:network_type": "vxlan"} },
			expect{201, 403, 403}, ""},
		{"network segments", "networks", func() map[string]any {
			return map[string]any{"segments": []any{map[string]any{"provider:network_type": "vxlan"}}}
		}, expect{201, 403, 403}, ""},
	} {
		for i, as := range w.callers {
			t.Run(tc.name+"/"+w.names[i], func(t *testing.T) {
				before := w.count(tc.coll)
				res := tc.coll[:len(tc.coll)-1]
				r := w.e.do(as, "POST", "/v2.0/"+tc.coll, map[string]any{res: tc.body()})
				require.Equal(t, tc.want[i], r.status, r.raw)
				if r.status == 201 {
					return
				}
				assert.Equal(t, before, w.count(tc.coll), "a denied create creates nothing")
				// The message names the rule evaluated, whoever is denied.
				if r.status == 403 && tc.msg != "" {
					assert.Equal(t, tc.msg, r.fails(t, 403, "PolicyNotAuthorized"))
				}
			})
		}
	}
}

// TestPolicyTableUpdate walks the update rules of ports: each caller
// updates its own port on the shared network.
func TestPolicyTableUpdate(t *testing.T) {
	w := newPolicyWorld(t)
	type upd struct {
		name  string
		attrs func() map[string]any
		want  expect
		msg   string
	}
	for _, tc := range []upd{
		{"name", func() map[string]any { return map[string]any{"name": "renamed"} }, expect{200, 200, 200}, ""},
		{"mac_address", func() map[string]any {
			return map[string]any{"mac_address": fmt.Sprintf("fa:16:3e:00:03:%02x", w.next())}
		}, expect{200, 403, 403}, "(rule:update_port and rule:update_port:mac_address) is disallowed by policy"},
		{"fixed_ips ip_address", func() map[string]any {
			return map[string]any{"fixed_ips": []any{map[string]any{"ip_address": fmt.Sprintf("10.9.5.%d", w.next())}}}
		}, expect{200, 200, 403}, "(rule:update_port and (rule:update_port:fixed_ips and (rule:update_port:fixed_ips:ip_address))) is disallowed by policy"},
		{"fixed_ips subnet_id", func() map[string]any {
			return map[string]any{"fixed_ips": []any{map[string]any{"subnet_id": w.subID}}}
		}, expect{200, 200, 403}, ""},
		{"device_owner network:", func() map[string]any { return map[string]any{"device_owner": "network:dhcp"} },
			expect{200, 200, 403}, "(rule:update_port and rule:update_port:device_owner) is disallowed by policy"},
		{"device_owner compute:", func() map[string]any { return map[string]any{"device_owner": "compute:nova"} },
			expect{200, 200, 200}, ""},
		{"port_security_enabled", func() map[string]any { return map[string]any{"port_security_enabled": false} },
			expect{200, 200, 403}, "(rule:update_port and rule:update_port:port_security_enabled) is disallowed by policy"},
		{"binding:host_id", func() map[string]any { return map[string]any{"binding:host_id": "compute-9"} },
			expect{200, 403, 403}, ""},
		{"binding:profile", func() map[string]any { return map[string]any{"binding:profile": map[string]any{"a": "b"}} },
			expect{200, 403, 403}, ""},
		{"binding:vnic_type", func() map[string]any { return map[string]any{"binding:vnic_type": "direct"} },
			expect{200, 200, 200}, ""},
	} {
		for i, as := range w.callers {
			t.Run(tc.name+"/"+w.names[i], func(t *testing.T) {
				p := w.e.port(as, w.netID, nil)
				path := "/v2.0/ports/" + p["id"].(string)
				before := w.e.do(admin, "GET", path, nil).ok(t, 200, "port")
				r := w.e.do(as, "PUT", path, map[string]any{"port": tc.attrs()})
				require.Equal(t, tc.want[i], r.status, r.raw)
				if r.status == 200 {
					return
				}
				if tc.msg != "" {
					assert.Equal(t, tc.msg, r.fails(t, 403, "PolicyNotAuthorized"))
				}
				assert.Equal(t, before, w.e.do(admin, "GET", path, nil).ok(t, 200, "port"), "a denied update changes nothing")
			})
		}
	}
}

// TestPolicyOthersPorts checks another project's port: the network's
// owner sees it, and may delete it but not change it; to a third
// project it does not exist.
func TestPolicyOthersPorts(t *testing.T) {
	w := newPolicyWorld(t)
	theirs := w.e.port(other, w.netID, nil)
	path := "/v2.0/ports/" + theirs["id"].(string)
	assert.Equal(t, "rule:update_port is disallowed by policy",
		w.e.do(demo, "PUT", path, `{"port":{"name":"x"}}`).fails(t, 403, "PolicyNotAuthorized"))
	mine := w.e.port(demo, w.netID, nil)
	w.e.do(other, "PUT", "/v2.0/ports/"+mine["id"].(string), `{"port":{"name":"x"}}`).fails(t, 404, "PortNotFound")
	w.e.do(other, "DELETE", "/v2.0/ports/"+mine["id"].(string), nil).fails(t, 404, "PortNotFound")
	assert.Equal(t, "", w.e.do(admin, "GET", "/v2.0/ports/"+mine["id"].(string), nil).ok(t, 200, "port")["name"])
	require.Equal(t, 204, w.e.do(demo, "DELETE", path, nil).status)
}

// TestPolicyOthersSubnets checks that the network's owner may change and
// delete the subnets of others on its network, and that the others see
// the subnets of a shared network but may not change them.
func TestPolicyOthersSubnets(t *testing.T) {
	w := newPolicyWorld(t)
	sub := w.e.do(admin, "POST", "/v2.0/subnets", map[string]any{"subnet": map[string]any{
		"network_id": w.netID, "ip_version": 4, "cidr": "10.20.0.0/24", "project_id": otherProject}}).ok(t, 201, "subnet")
	subPath := "/v2.0/subnets/" + sub["id"].(string)
	w.e.do(demo, "PUT", subPath, `{"subnet":{"name":"by-owner"}}`).ok(t, 200, "subnet")
	w.e.do(other, "PUT", subPath, `{"subnet":{"name":"by-other"}}`).ok(t, 200, "subnet")
	own := "/v2.0/subnets/" + w.subID
	assert.Equal(t, "rule:update_subnet is disallowed by policy",
		w.e.do(other, "PUT", own, `{"subnet":{"name":"x"}}`).fails(t, 403, "PolicyNotAuthorized"))
	assert.Equal(t, "(rule:update_subnet and rule:update_subnet:service_types) is disallowed by policy",
		w.e.do(demo, "PUT", own, `{"subnet":{"service_types":[]}}`).fails(t, 403, "PolicyNotAuthorized"))
	w.e.do(other, "DELETE", own, nil).fails(t, 403, "PolicyNotAuthorized")
	assert.Equal(t, "", w.e.do(admin, "GET", own, nil).ok(t, 200, "subnet")["name"])
	require.Equal(t, 204, w.e.do(demo, "DELETE", subPath, nil).status)
}

// TestPolicyExternalSubnets checks that the subnets of an external
// network that is not shared are not other projects' to see, shown or
// listed.
func TestPolicyExternalSubnets(t *testing.T) {
	w := newPolicyWorld(t)
	w.e.do(demo, "GET", "/v2.0/subnets/"+w.extSub, nil).fails(t, 404, "SubnetNotFound")
	w.e.do(admin, "GET", "/v2.0/subnets/"+w.extSub, nil).ok(t, 200, "subnet")
	// The shared network's subnet is everyone's to see.
	w.e.do(other, "GET", "/v2.0/subnets/"+w.subID, nil).ok(t, 200, "subnet")
	for _, s := range w.e.do(demo, "GET", "/v2.0/subnets", nil).list(t, "subnets") {
		assert.NotEqual(t, w.extSub, s["id"])
	}
}
