package api

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// Neutron's default policy, as one table: for each action on a resource
// (create_port, update_network, ...) who may do it at all, and who may
// give each policy-checked attribute. Admins may do everything; for the
// others a rule is a set of grants, any one of which is enough.
//
// A request is checked once, after its values are validated and with
// the object acted on at hand (for ports and subnets, the network they
// are on). When any rule refuses, the error names the whole rule that
// was evaluated, as Neutron does: the action's rule and, in the table's
// order, the rule of every policy-checked attribute the request gives
// ("(rule:create_port and rule:create_port:mac_address) is disallowed by
// policy").

// rule is who besides admins may do something; zero means admins only.
type rule uint8

const (
	// anyone may: every caller the action's rule lets through.
	anyone rule = 1 << iota
	// owner: a member of the object's project.
	owner
	// netOwner: a member of the project of the object's network.
	netOwner
	// shared: anyone, when the object's network is shared.
	shared
	// nonDevice: anyone, for a value that does not start with
	// "network:"; such device owners need another grant of the rule.
	nonDevice
)

// admins is the rule that only admins pass.
const admins rule = 0

// attrRule is the rule of one policy-checked attribute.
type attrRule struct {
	name string
	rule rule
	// unset reports whether a create's value is the attribute's default,
	// which Neutron does not count as giving it. Nil: any value counts.
	unset func(raw json.RawMessage) bool
	// items are the rules of the keys of the objects of a list value
	// (fixed_ips: subnet_id, ip_address), by key.
	items map[string]rule
}

// actionPolicy is the policy of one action.
type actionPolicy struct {
	rule  rule
	attrs []attrRule
}

// isFalse is the unset test of attributes whose default is false.
func isFalse(raw json.RawMessage) bool {
	v, err := boolean(body{"v": raw}, "v")
	return err == nil && !v
}

// isNull is the unset test of attributes whose default is null.
func isNull(raw json.RawMessage) bool { return body{"v": raw}.isNull("v") }

// isString returns the unset test of a string attribute with default s.
func isString(s string) func(json.RawMessage) bool {
	return func(raw json.RawMessage) bool {
		var v *string
		return json.Unmarshal(raw, &v) == nil && v != nil && *v == s
	}
}

// networkRules are the policy-checked attributes of a network.
func networkRules(create bool) []attrRule {
	var unsetFalse func(json.RawMessage) bool
	if create {
		unsetFalse = isFalse
	}
	return []attrRule{
		{name: "shared", rule: admins, unset: unsetFalse},
		{name: "router:external", rule: admins, unset: unsetFalse},
		{name: "provider:network_type", rule: admins},
		{name: "provider:physical_network", rule: admins},
		{name: "provider:segmentation_id", rule: admins},
		{name: "segments", rule: admins},
	}
}

// subnetRules are the policy-checked attributes of a subnet.
func subnetRules(create bool) []attrRule {
	var unsetNull func(json.RawMessage) bool
	if create {
		unsetNull = isNull
	}
	return []attrRule{
		{name: "segment_id", rule: admins, unset: unsetNull},
		{name: "service_types", rule: admins},
	}
}

// portRules are the policy-checked attributes of a port: what only the
// network's owner may ask (a MAC address on create, specific addresses,
// a network:* device owner, address pairs, port security) and what only
// admins may (binding, a MAC address on update).
func portRules(create bool) []attrRule {
	mac, fixed, vnic := admins, netOwner, owner
	var unsetOwner, unsetVNIC func(json.RawMessage) bool
	if create {
		mac, fixed, vnic = netOwner, netOwner|shared, anyone
		unsetOwner, unsetVNIC = isString(""), isString(core.VNICNormal)
	}
	return []attrRule{
		{name: "mac_address", rule: mac},
		{name: "fixed_ips", rule: fixed, items: map[string]rule{"ip_address": netOwner, "subnet_id": netOwner | shared}},
		{name: "device_owner", rule: nonDevice | netOwner, unset: unsetOwner},
		{name: "allowed_address_pairs", rule: netOwner, items: map[string]rule{"ip_address": netOwner, "mac_address": netOwner}},
		{name: "binding:vnic_type", rule: vnic, unset: unsetVNIC},
		{name: "binding:host_id", rule: admins},
		{name: "binding:profile", rule: admins},
		{name: "port_security_enabled", rule: netOwner},
	}
}

// policies is the table, by action.
var policies = map[string]actionPolicy{
	"create_network": {rule: anyone, attrs: networkRules(true)},
	"update_network": {rule: owner, attrs: networkRules(false)},
	"delete_network": {rule: owner},
	"create_subnet":  {rule: netOwner, attrs: subnetRules(true)},
	"update_subnet":  {rule: owner | netOwner, attrs: subnetRules(false)},
	"delete_subnet":  {rule: owner | netOwner},
	"create_port":    {rule: anyone, attrs: portRules(true)},
	"update_port":    {rule: owner, attrs: portRules(false)},
	"delete_port":    {rule: owner | netOwner},
}

// target is what the rules need to know of the object acted on. The
// fields that the request's rules do not need may be left unset (see
// needsNetwork).
type target struct {
	// owner: the caller is a member of the object's project.
	owner bool
	// network is the network the object is on (ports and subnets).
	network *core.Network
}

// grants reports whether r lets a non-admin caller through on t; value
// is the attribute's value, for nonDevice.
func (r rule) grants(c *caller, t *target, value json.RawMessage) bool {
	switch {
	case r&anyone != 0:
		return true
	case r&owner != 0 && t.owner:
		return true
	case r&netOwner != 0 && t.network != nil && t.network.ProjectID == c.project:
		return true
	case r&shared != 0 && t.network != nil && t.network.Shared:
		return true
	case r&nonDevice != 0:
		var s string
		return json.Unmarshal(value, &s) != nil || !strings.HasPrefix(s, core.DeviceOwnerNetworkPrefix)
	}
	return false
}

// needsNetwork reports whether checking action with body b for a
// non-admin, a member of the object's project or not (isOwner), depends on
// the object's network, so that a caller need not read it when nothing
// asks for it.
func needsNetwork(action string, b body, isOwner bool) bool {
	p := policies[action]
	passes := p.rule&anyone != 0 || (isOwner && p.rule&owner != 0)
	if !passes && p.rule&(netOwner|shared) != 0 {
		return true
	}
	for _, a := range p.attrs {
		if !given(a, b) {
			continue
		}
		if a.rule&(netOwner|shared) != 0 || len(a.items) > 0 {
			return true
		}
	}
	return false
}

// given reports whether the request gives the attribute, as Neutron
// counts it.
func given(a attrRule, b body) bool {
	raw, ok := b[a.name]
	return ok && (a.unset == nil || !a.unset(raw))
}

// authorize applies the policy of action to a caller's request body b
// (nil on delete) on t: nil, or Neutron's PolicyNotAuthorized naming the
// rule evaluated.
func authorize(c *caller, action string, b body, t *target) error {
	if c.admin {
		return nil
	}
	p, ok := policies[action]
	if !ok {
		return policyDenied(action)
	}
	return p.check(c, action, b, t)
}

// check applies p, the policy of action, as authorize does.
func (p actionPolicy) check(c *caller, action string, b body, t *target) error {
	if c.admin {
		return nil
	}
	allowed := p.rule.grants(c, t, nil)
	for _, a := range p.attrs {
		if !allowed {
			break
		}
		if !given(a, b) {
			continue
		}
		if !a.rule.grants(c, t, b[a.name]) {
			allowed = false
		}
		for _, k := range itemKeys(b[a.name]) {
			if r, ok := a.items[k]; ok && !r.grants(c, t, nil) {
				allowed = false
			}
		}
	}
	if allowed {
		return nil
	}
	return core.Typed(core.KindNotAuthorized, "PolicyNotAuthorized", "%s is disallowed by policy", ruleText(action, p, b))
}

// ruleText renders the rule evaluated for action and b as Neutron's
// policy engine prints it: nested conjunctions, the action first.
func ruleText(action string, p actionPolicy, b body) string {
	text := "rule:" + action
	for _, a := range p.attrs {
		if !given(a, b) {
			continue
		}
		attr := "rule:" + action + ":" + a.name
		if keys := itemKeys(b[a.name]); a.items != nil && len(keys) > 0 {
			subs := make([]string, len(keys))
			for i, k := range keys {
				subs[i] = "rule:" + action + ":" + a.name + ":" + k
			}
			attr = "(" + attr + " and (" + strings.Join(subs, " and ") + "))"
		}
		text = "(" + text + " and " + attr + ")"
	}
	return text
}

// itemKeys lists the keys of the objects of a JSON list, in the order
// given; nothing for other values.
func itemKeys(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var keys []string
	for _, it := range items {
		dec := json.NewDecoder(bytes.NewReader(it))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			continue
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if k, ok := tok.(string); ok {
				keys = append(keys, k)
			}
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				break
			}
		}
	}
	return keys
}
