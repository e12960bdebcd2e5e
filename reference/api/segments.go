package api

import (
	"context"
	"net/http"
	"time"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

var segmentResource = &resource{
	name: "segment", collection: "segments",
	attrs: map[string]attr{
		"id":               {},
		"network_id":       {post: true, required: true},
		"network_type":     {post: true, required: true},
		"physical_network": {post: true},
		"segmentation_id":  {post: true},
		"name":             {post: true, put: true},
		"description":      {post: true, put: true},
		"tenant_id":        {post: true},
		"project_id":       {post: true},
	},
}

// adminOnly refuses non-admins, as Neutron's default policy does for
// segments and agents; to them the resource does not exist.
func adminOnly(c *caller) error {
	if !c.admin {
		return notFound()
	}
	return nil
}

func (a *API) segmentKind() *kind[core.Segment] {
	return &kind[core.Segment]{
		res:     segmentResource,
		id:      func(s *core.Segment) string { return s.ID },
		project: func(*core.Segment) string { return "" },
		view:    func(o *obj, s *core.Segment, _ *caller) { segmentView(o, s) },
		get: func(ctx context.Context, c *caller, id string) (*core.Segment, error) {
			if err := adminOnly(c); err != nil {
				return nil, err
			}
			return a.plugin.GetSegment(ctx, id)
		},
		list: func(ctx context.Context, c *caller, opts *core.ListOptions) ([]*core.Segment, error) {
			if err := adminOnly(c); err != nil {
				return nil, err
			}
			opts.ProjectScope = ""
			return a.plugin.ListSegments(ctx, opts)
		},
		create: func(ctx context.Context, c *caller, b body) (*core.Segment, error) {
			if err := adminOnly(c); err != nil {
				return nil, err
			}
			req, err := segmentRequest(b, true)
			if err != nil {
				return nil, err
			}
			return a.plugin.CreateSegment(ctx, req)
		},
		update: func(ctx context.Context, c *caller, id string, b body, _ *int64) (*core.Segment, error) {
			if err := adminOnly(c); err != nil {
				return nil, err
			}
			req, err := segmentRequest(b, false)
			if err != nil {
				return nil, err
			}
			return a.plugin.UpdateSegment(ctx, id, req)
		},
		delete: func(ctx context.Context, c *caller, id string) error {
			if err := adminOnly(c); err != nil {
				return err
			}
			return a.plugin.DeleteSegment(ctx, id)
		},
	}
}

func (a *API) segmentRoutes(handle func(string, handlerFunc)) {
	routes(a, handle, a.segmentKind(), nil)
}

// segmentRequest converts a segment body.
func segmentRequest(b body, create bool) (*ml2.SegmentRequest, error) {
	req := &ml2.SegmentRequest{}
	var err error
	if create {
		if req.NetworkID, err = uuidAttr(b, "network_id"); err != nil {
			return nil, err
		}
		if req.NetworkType, err = str(b, "network_type", 32); err != nil {
			return nil, err
		}
		if b.has("physical_network") && !b.isNull("physical_network") {
			if req.PhysicalNetwork, err = str(b, "physical_network", 64); err != nil {
				return nil, err
			}
		}
		if b.has("segmentation_id") && !b.isNull("segmentation_id") {
			id, err := integer(b, "segmentation_id")
			if err != nil {
				return nil, err
			}
			req.SegmentationID = &id
		}
	}
	if b.has("name") && !b.isNull("name") {
		if req.Name, err = strPtr(b, "name", 255); err != nil {
			return nil, err
		}
	}
	if b.has("description") && !b.isNull("description") {
		if req.Description, err = strPtr(b, "description", 255); err != nil {
			return nil, err
		}
	}
	return req, nil
}

var agentResource = &resource{
	name: "agent", collection: "agents",
	attrs: map[string]attr{
		"id": {}, "agent_type": {}, "binary": {}, "topic": {}, "host": {}, "created_at": {}, "started_at": {},
		"heartbeat_timestamp": {}, "alive": {}, "configurations": {}, "availability_zone": {}, "resources_synced": {},
		"admin_state_up": {put: true},
		"description":    {put: true},
	},
}

func (a *API) agentRoutes(handle func(string, handlerFunc)) {
	k := &kind[core.Agent]{
		res:     agentResource,
		id:      func(ag *core.Agent) string { return ag.ID },
		project: func(*core.Agent) string { return "" },
		view:    func(o *obj, ag *core.Agent, _ *caller) { a.agentView(o, ag, time.Now()) },
		get: func(ctx context.Context, c *caller, id string) (*core.Agent, error) {
			if err := adminOnly(c); err != nil {
				return nil, err
			}
			return a.plugin.GetAgent(ctx, id)
		},
		list: func(ctx context.Context, c *caller, opts *core.ListOptions) ([]*core.Agent, error) {
			if err := adminOnly(c); err != nil {
				return nil, err
			}
			opts.ProjectScope = ""
			return a.plugin.ListAgents(ctx, opts)
		},
		update: func(ctx context.Context, c *caller, id string, b body, _ *int64) (*core.Agent, error) {
			if err := adminOnly(c); err != nil {
				return nil, err
			}
			req := &ml2.AgentRequest{}
			var err error
			if req.AdminStateUp, err = boolPtr(b, "admin_state_up"); err != nil {
				return nil, err
			}
			if b.has("description") {
				d := ""
				if !b.isNull("description") {
					if d, err = str(b, "description", 255); err != nil {
						return nil, err
					}
				}
				req.Description = &d
			}
			return a.plugin.UpdateAgent(ctx, id, req)
		},
		delete: func(ctx context.Context, c *caller, id string) error {
			if err := adminOnly(c); err != nil {
				return err
			}
			return a.plugin.DeleteAgent(ctx, id)
		},
	}
	handle("GET /v2.0/agents", serveList(k))
	handle("GET /v2.0/agents/{id}", serveShow(k))
	handle("PUT /v2.0/agents/{id}", serveUpdate(k))
	handle("DELETE /v2.0/agents/{id}", serveDelete(k, nil))
	handle("POST /v2.0/agents", func(w http.ResponseWriter, r *http.Request) error {
		bodies, _, err := readBodies(r, agentResource, false)
		if err != nil {
			return err
		}
		for _, k := range sortedKeys(bodies[0]) {
			return badRequest("Attribute '%s' not allowed in POST", k)
		}
		return badRequest("Agents cannot be created through the API")
	})
}
