package api

import (
	"context"
	"encoding/json"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

var networkResource = &resource{
	name: "network", collection: "networks",
	attrs: map[string]attr{
		"id": {}, "status": {}, "subnets": {}, "created_at": {}, "updated_at": {}, "revision_number": {}, "tags": {},
		"availability_zones": {}, "ipv4_address_scope": {}, "ipv6_address_scope": {}, "l2_adjacency": {},
		"name":                      {post: true, put: true},
		"description":               {post: true, put: true},
		"admin_state_up":            {post: true, put: true},
		"tenant_id":                 {post: true},
		"project_id":                {post: true},
		"mtu":                       {post: true, put: true},
		"vlan_transparent":          {post: true},
		"shared":                    {post: true, put: true},
		"router:external":           {post: true, put: true},
		"provider:network_type":     {post: true, put: true, adminView: true},
		"provider:physical_network": {post: true, put: true, adminView: true},
		"provider:segmentation_id":  {post: true, put: true, adminView: true},
		"segments":                  {post: true, put: true, adminView: true},
	},
}

func (a *API) networkKind() *kind[core.Network] {
	return &kind[core.Network]{
		res:   networkResource,
		extra: a.extAttrs["networks"],
		// Neutron shows is_default when creating, updating and listing
		// networks, not when showing one.
		showOmits: map[string]bool{"is_default": true},
		id:        func(n *core.Network) string { return n.ID },
		project:   func(n *core.Network) string { return n.ProjectID },
		view:      a.networkView,
		get:       a.visibleNetwork,
		list: func(ctx context.Context, c *caller, opts *core.ListOptions) ([]*core.Network, error) {
			return a.plugin.ListNetworks(ctx, opts)
		},
		create:     createOne(a.networkCreate, a.plugin.CreateNetwork),
		createBulk: createMany(a.networkCreate, a.plugin.CreateNetworks),
		update: func(ctx context.Context, c *caller, id string, b body, rev *int64) (*core.Network, error) {
			req, err := a.networkRequest(b, c, false)
			if err != nil {
				return nil, err
			}
			req.IfRevision = rev
			return a.plugin.UpdateNetwork(ctx, id, req)
		},
		delete: func(ctx context.Context, c *caller, id string) error { return a.plugin.DeleteNetwork(ctx, id) },
		authorize: func(_ context.Context, c *caller, n *core.Network, action string, b body) error {
			return authorize(c, action+"_network", b, &target{owner: n.ProjectID == c.project})
		},
	}
}

// networkCreate converts and authorizes the body of a network create.
func (a *API) networkCreate(_ context.Context, c *caller, b body) (*ml2.NetworkRequest, error) {
	req, err := a.networkRequest(b, c, true)
	if err != nil {
		return nil, err
	}
	if err := authorize(c, "create_network", b, &target{owner: true}); err != nil {
		return nil, err
	}
	return req, nil
}

func (a *API) networkRoutes(handle func(string, handlerFunc)) {
	routes(a, handle, a.networkKind(), func(n *core.Network) int64 { return n.RevisionNumber })
}

// visibleNetwork returns a network the caller may see: its own, a shared
// or an external one.
func (a *API) visibleNetwork(ctx context.Context, c *caller, id string) (*core.Network, error) {
	n, err := a.plugin.GetNetwork(ctx, id)
	if err != nil {
		return nil, err
	}
	if !c.admin && n.ProjectID != c.project && !n.Shared && !n.External {
		return nil, core.NetworkNotFound(id)
	}
	return n, nil
}

// networkRequest converts a network body.
func (a *API) networkRequest(b body, c *caller, create bool) (*ml2.NetworkRequest, error) {
	req := &ml2.NetworkRequest{}
	var err error
	if create {
		if req.ProjectID, err = project(b, c); err != nil {
			return nil, err
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
	if req.Shared, err = boolPtr(b, "shared"); err != nil {
		return nil, err
	}
	if req.External, err = boolPtr(b, "router:external"); err != nil {
		return nil, err
	}
	if req.VLANTransparent, err = boolPtr(b, "vlan_transparent"); err != nil {
		return nil, err
	}
	if b.has("mtu") {
		n, err := integer(b, "mtu")
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, invalidAttr("mtu", "'%d' should be non-negative", n)
		}
		mtu := int(n)
		req.MTU = &mtu
	}
	if b.has("provider:network_type") || b.has("provider:physical_network") || b.has("provider:segmentation_id") {
		seg, err := providerSegment(b)
		if err != nil {
			return nil, err
		}
		req.Provider = &seg
	}
	if b.has("segments") && !b.isNull("segments") {
		var raw []body
		if err := json.Unmarshal(b["segments"], &raw); err != nil {
			return nil, invalidAttr("segments", "Invalid data format for segments: '%s'", display(b["segments"]))
		}
		req.Segments = []ml2.ProviderSegment{}
		for _, s := range raw {
			for k := range s {
				switch k {
				case "provider:network_type", "provider:physical_network", "provider:segmentation_id":
				default:
					return nil, invalidAttr("segments", "Unrecognized attribute(s) '%s'", k)
				}
			}
			seg, err := providerSegment(s)
			if err != nil {
				return nil, err
			}
			req.Segments = append(req.Segments, seg)
		}
	}
	if req.Extensions, err = extensions(b, a.extAttrs["networks"]); err != nil {
		return nil, err
	}
	return req, nil
}

// providerSegment reads provider:* attributes; null means unset.
func providerSegment(b body) (ml2.ProviderSegment, error) {
	var seg ml2.ProviderSegment
	var err error
	if b.has("provider:network_type") && !b.isNull("provider:network_type") {
		if seg.NetworkType, err = str(b, "provider:network_type", 32); err != nil {
			return seg, err
		}
	}
	if b.has("provider:physical_network") && !b.isNull("provider:physical_network") {
		if seg.PhysicalNetwork, err = str(b, "provider:physical_network", 64); err != nil {
			return seg, err
		}
	}
	if b.has("provider:segmentation_id") && !b.isNull("provider:segmentation_id") {
		if seg.SegmentationID, err = integer(b, "provider:segmentation_id"); err != nil {
			return seg, err
		}
	}
	return seg, nil
}
