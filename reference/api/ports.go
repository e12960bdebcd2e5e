package api

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ipam"
	"github.com/ml2go/ml2go/core/ml2"
)

var portResource = &resource{
	name: "port", collection: "ports",
	attrs: map[string]attr{
		"id": {}, "status": {}, "created_at": {}, "updated_at": {}, "revision_number": {},
		"binding:vif_type": {adminView: true}, "binding:vif_details": {adminView: true},
		"name":              {post: true, put: true},
		"description":       {post: true, put: true},
		"tenant_id":         {post: true},
		"project_id":        {post: true},
		"network_id":        {post: true, required: true},
		"admin_state_up":    {post: true, put: true},
		"mac_address":       {post: true, put: true},
		"fixed_ips":         {post: true, put: true},
		"device_id":         {post: true, put: true},
		"device_owner":      {post: true, put: true},
		"tags":              {post: true},
		"binding:vnic_type": {post: true, put: true},
		"binding:host_id":   {post: true, put: true, adminView: true},
		"binding:profile":   {post: true, put: true, adminView: true},
		// ml2go has no security groups: an empty list is accepted.
		"security_groups": {post: true, put: true},
	},
}

// vnicTypes are the accepted binding:vnic_type values.
var vnicTypes = []string{core.VNICNormal, core.VNICDirect, core.VNICMacvtap, core.VNICBaremetal,
	core.VNICDirectPhysical, core.VNICVirtioForward, core.VNICSmartNIC, core.VNICVDPA, "accelerator-direct",
	"accelerator-direct-physical", "remote-managed"}

func (a *API) portKind() *kind[core.Port] {
	return &kind[core.Port]{
		res:     portResource,
		extra:   a.extAttrs["ports"],
		id:      func(p *core.Port) string { return p.ID },
		project: func(p *core.Port) string { return p.ProjectID },
		view:    a.portView,
		get:     a.visiblePort,
		list: func(ctx context.Context, c *caller, opts *core.ListOptions) ([]*core.Port, error) {
			return a.plugin.ListPorts(ctx, opts)
		},
		stream: func(ctx context.Context, c *caller, opts *core.ListOptions, yield func(*core.Port) bool) error {
			return a.plugin.StreamPorts(ctx, opts, yield)
		},
		create:     createOne(a.portCreate, a.plugin.CreatePort),
		createBulk: createMany(a.portCreate, a.plugin.CreatePorts),
		update: func(ctx context.Context, c *caller, id string, b body, rev *int64) (*core.Port, error) {
			req, err := a.portRequest(b, c, false)
			if err != nil {
				return nil, err
			}
			req.IfRevision = rev
			return a.plugin.UpdatePort(ctx, id, req)
		},
		delete: func(ctx context.Context, c *caller, id string) error { return a.plugin.DeletePort(ctx, id) },
		// What only the network's owner may ask costs a read of the
		// network, when the request asks it.
		authorize: func(ctx context.Context, c *caller, p *core.Port, action string, b body) error {
			action += "_port"
			t := &target{owner: p.ProjectID == c.project}
			if needsNetwork(action, b, t.owner) {
				n, err := a.plugin.GetNetwork(ctx, p.NetworkID)
				if err != nil {
					return err
				}
				t.network = n
			}
			return authorize(c, action, b, t)
		},
	}
}

// portCreate converts and authorizes the body of a port create.
func (a *API) portCreate(ctx context.Context, c *caller, b body) (*ml2.PortRequest, error) {
	req, err := a.portRequest(b, c, true)
	if err != nil {
		return nil, err
	}
	// The network attachable reads for non-admins is all the policy check
	// needs: no other read.
	n, err := a.attachable(ctx, c, req.NetworkID, req.ProjectID, "port")
	if err != nil {
		return nil, err
	}
	if err := authorize(c, "create_port", b, &target{owner: true, network: n}); err != nil {
		return nil, err
	}
	return req, nil
}

func (a *API) portRoutes(handle func(string, handlerFunc)) {
	routes(a, handle, a.portKind(), func(p *core.Port) int64 { return p.RevisionNumber })
}

// visiblePort returns a port the caller may see: its own, or one on a
// network it owns.
func (a *API) visiblePort(ctx context.Context, c *caller, id string) (*core.Port, error) {
	p, err := a.plugin.GetPort(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.admin || p.ProjectID == c.project {
		return p, nil
	}
	if n, err := a.plugin.GetNetwork(ctx, p.NetworkID); err == nil && n.ProjectID == c.project {
		return p, nil
	}
	return nil, core.PortNotFound(id)
}

// portRequest converts a port body.
func (a *API) portRequest(b body, c *caller, create bool) (*ml2.PortRequest, error) {
	req := &ml2.PortRequest{}
	var err error
	if create {
		if req.ProjectID, err = project(b, c); err != nil {
			return nil, err
		}
		if req.NetworkID, err = uuidAttr(b, "network_id"); err != nil {
			return nil, err
		}
		if b.has("tags") {
			if req.Tags, err = tagList(b, "tags"); err != nil {
				return nil, err
			}
		}
	}
	if req.Name, err = strPtr(b, "name", 255); err != nil {
		return nil, err
	}
	if req.Description, err = strPtr(b, "description", 255); err != nil {
		return nil, err
	}
	if req.AdminStateUp, err = boolPtr(b, "admin_state_up"); err != nil {
		return nil, err
	}
	if req.DeviceID, err = strPtr(b, "device_id", 255); err != nil {
		return nil, err
	}
	if req.DeviceOwner, err = strPtr(b, "device_owner", 255); err != nil {
		return nil, err
	}
	if b.has("mac_address") {
		mac := ""
		if !b.isNull("mac_address") {
			s, err := str(b, "mac_address", 0)
			if err != nil {
				return nil, err
			}
			if mac, err = ipam.ParseMAC(s); err != nil {
				return nil, err
			}
		} else if create {
			return nil, invalidAttr("mac_address", "'None' is not a valid MAC address")
		}
		req.MACAddress = &mac
	}
	if b.has("fixed_ips") {
		ips, err := fixedIPs(b)
		if err != nil {
			return nil, err
		}
		req.FixedIPs = &ips
	}
	if b.has("binding:host_id") {
		host := ""
		if !b.isNull("binding:host_id") {
			if host, err = str(b, "binding:host_id", 255); err != nil {
				return nil, err
			}
		}
		req.HostID = &host
	}
	if b.has("binding:vnic_type") {
		vt, err := str(b, "binding:vnic_type", 0)
		if err != nil {
			return nil, err
		}
		if !contains(vnicTypes, vt) {
			return nil, invalidAttr("binding:vnic_type", "'%s' is not in %s", vt, "['"+strings.Join(vnicTypes, "', '")+"']")
		}
		req.VNICType = &vt
	}
	if b.has("binding:profile") {
		var prof map[string]any
		if !b.isNull("binding:profile") {
			if err := json.Unmarshal(b["binding:profile"], &prof); err != nil {
				return nil, invalidAttr("binding:profile", "'%s' is not a dictionary", display(b["binding:profile"]))
			}
		}
		req.Profile = &prof
	}
	if b.has("security_groups") && !b.isNull("security_groups") {
		var groups []string
		if err := jsonValue(b, "security_groups", &groups); err != nil {
			return nil, err
		}
		if len(groups) > 0 {
			return nil, core.Typed(core.KindNotFound, "SecurityGroupNotFound", "Security group %s does not exist", groups[0])
		}
	}
	if req.Extensions, err = extensions(b, a.extAttrs["ports"]); err != nil {
		return nil, err
	}
	return req, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fixedIPs reads fixed_ips: a list of {subnet_id?, ip_address?}.
func fixedIPs(b body) ([]ml2.FixedIPRequest, error) {
	out := []ml2.FixedIPRequest{}
	if b.isNull("fixed_ips") {
		return out, nil
	}
	var raw []map[string]any
	if err := json.Unmarshal(b["fixed_ips"], &raw); err != nil {
		return nil, invalidAttr("fixed_ips", "Invalid data format for fixed IP: '%s'", display(b["fixed_ips"]))
	}
	for _, f := range raw {
		var r ml2.FixedIPRequest
		for k, v := range f {
			s, ok := v.(string)
			switch {
			case !ok:
				return nil, invalidAttr("fixed_ips", "Invalid data format for fixed IP: '%v'", f)
			case k == "subnet_id":
				if !isUUID(s) {
					return nil, invalidAttr("fixed_ips", "'%s' is not a valid UUID", s)
				}
				r.SubnetID = s
			case k == "ip_address":
				ip, err := ipam.ParseIP("fixed_ips", s)
				if err != nil {
					return nil, err
				}
				r.IPAddress = ip
			default:
				return nil, invalidAttr("fixed_ips", "Invalid data format for fixed IP: '%v'", f)
			}
		}
		out = append(out, r)
	}
	return out, nil
}
