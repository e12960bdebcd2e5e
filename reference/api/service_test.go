package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/reference/api"
	"github.com/ml2go/ml2go/typedrivers/local"
)

// widget is the resource of the test service.
type widget struct {
	ID, ProjectID, Name string
	Size                int64
	Revision            int64
}

// widgets is a service plugin with a collection of its own (in memory),
// an extension, and an attribute it adds to ports (widget_id, which
// must name one of its widgets).
type widgets struct {
	mu    sync.Mutex
	items map[string]*widget
	next  int
}

func newWidgets() *widgets { return &widgets{items: map[string]*widget{}} }

func (s *widgets) Name() string { return "widgets" }

func (s *widgets) Initialize(context.Context, core.Store) error { return nil }

// ExtensionDriver returns what adds widget_id to ports.
func (s *widgets) ExtensionDriver() core.ExtensionDriver { return widgetPorts{s: s} }

// widgetPorts is the extension driver of the widgets service.
type widgetPorts struct {
	core.ExtensionDriverBase
	s *widgets
}

// ExtensionAttributes adds widget_id to ports.
func (widgetPorts) ExtensionAttributes() map[string][]string {
	return map[string][]string{"ports": {"widget_id"}}
}

// ProcessCreatePort checks widget_id and stores it with the port.
func (d widgetPorts) ProcessCreatePort(_ context.Context, _ core.ExtensionTx, req map[string]any, p *core.Port) error {
	s := d.s
	v, ok := req["widget_id"]
	if !ok {
		return nil
	}
	id, _ := v.(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.items[id] == nil {
		return core.NotFoundError("Widget", fmt.Sprint(v))
	}
	if p.Extra == nil {
		p.Extra = map[string]any{}
	}
	p.Extra["widget_id"] = id
	return nil
}

func (s *widgets) ServiceAPI() api.ServiceAPI {
	c := &api.Collection[widget]{
		Name: "widget", Collection: "widgets",
		Attributes: map[string]api.Attribute{
			"id": {}, "revision_number": {},
			"tenant_id": {Post: true}, "project_id": {Post: true},
			"name": {Post: true, Put: true, Required: true},
			"size": {Post: true, Put: true, AdminOnly: true},
		},
		ID:        func(w *widget) string { return w.ID },
		ProjectID: func(w *widget) string { return w.ProjectID },
		Revision:  func(w *widget) int64 { return w.Revision },
		View: func(v *api.View, w *widget, _ api.Caller) {
			v.String("id", w.ID)
			v.String("name", w.Name)
			v.String("tenant_id", w.ProjectID)
			v.String("project_id", w.ProjectID)
			v.Int("size", w.Size)
			v.Int("revision_number", w.Revision)
		},
	}
	c.Get = func(_ context.Context, _ api.Caller, id string) (*widget, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		w := s.items[id]
		if w == nil {
			return nil, c.NotFound(id)
		}
		cp := *w
		return &cp, nil
	}
	c.List = func(_ context.Context, _ api.Caller, opts *core.ListOptions) ([]*widget, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		var out []*widget
		for _, w := range s.items {
			if opts.ProjectScope == "" || opts.ProjectScope == w.ProjectID {
				cp := *w
				out = append(out, &cp)
			}
		}
		slices.SortFunc(out, func(a, b *widget) int { return cmpString(a.ID, b.ID) })
		if opts.Marker != "" {
			i := slices.IndexFunc(out, func(w *widget) bool { return w.ID == opts.Marker })
			if i < 0 {
				return nil, c.NotFound(opts.Marker)
			}
			out = out[i+1:]
		}
		if opts.Limit > 0 && len(out) > opts.Limit {
			out = out[:opts.Limit]
		}
		return out, nil
	}
	c.Create = func(_ context.Context, caller api.Caller, b api.Body) (*widget, error) {
		w := &widget{Revision: 1}
		var err error
		if w.ProjectID, err = b.ProjectID(caller); err != nil {
			return nil, err
		}
		if err := s.set(w, b); err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.next++
		w.ID = fmt.Sprintf("w%d", s.next)
		s.items[w.ID] = w
		cp := *w
		return &cp, nil
	}
	c.Update = func(_ context.Context, _ api.Caller, id string, b api.Body) (*widget, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		old := s.items[id]
		if old == nil {
			return nil, c.NotFound(id)
		}
		w := *old
		if err := s.set(&w, b); err != nil {
			return nil, err
		}
		w.Revision++
		s.items[id] = &w
		cp := w
		return &cp, nil
	}
	c.Delete = func(_ context.Context, _ api.Caller, id string) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.items[id] == nil {
			return c.NotFound(id)
		}
		delete(s.items, id)
		return nil
	}
	return api.ServiceAPI{
		Collections: []api.Resource{c},
		Extensions: []api.Extension{{Name: "Widgets", Alias: "widgets",
			Description: "Widgets of the test service.", Updated: "2026-01-01T00:00:00-00:00"}},
	}
}

// set applies a body's name and size to w.
func (s *widgets) set(w *widget, b api.Body) error {
	name, err := b.String("name", 255)
	if err != nil {
		return err
	}
	if name != nil {
		w.Name = *name
	}
	if b.Has("size") {
		if err := b.Decode("size", &w.Size); err != nil {
			return err
		}
	}
	return nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// newServiceEnv is an API over SQLite serving the widgets service, also
// run as an extension driver so that its port attribute reaches it.
func newServiceEnv(t *testing.T) (*env, *widgets) {
	t.Helper()
	ctx := context.Background()
	svc := newWidgets()
	reg := core.NewRegistry()
	require.NoError(t, reg.RegisterTypeDriver(local.New(local.Config{})))
	require.NoError(t, reg.RegisterServicePlugin(svc))
	require.NoError(t, reg.RegisterExtensionDriver(svc.Name(), svc.ExtensionDriver()))
	store := sqlstoretest.Open(t, sqlstoretest.SQLite)
	plugin, err := ml2.New(ctx, ml2.Config{
		ExtensionDrivers: []string{svc.Name()},
		ServicePlugins:   []string{svc.Name()},
	}, reg, store)
	require.NoError(t, err)
	h, err := api.New(api.Config{Plugin: plugin, Auth: testAuth, Services: []api.Service{svc}})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, plugin: plugin}, svc
}

// TestServiceCollection checks that a service's collection is served by
// the generic handlers: create, show, list, update and delete, with
// NeutronError bodies, another project's items a 404, the policy of
// admin-only attributes, and bad input refused without a change.
func TestServiceCollection(t *testing.T) {
	e, svc := newServiceEnv(t)
	count := func() int {
		svc.mu.Lock()
		defer svc.mu.Unlock()
		return len(svc.items)
	}

	w := e.do(demo, "POST", "/v2.0/widgets", `{"widget": {"name": "w"}}`).ok(t, 201, "widget")
	assert.Equal(t, map[string]any{"id": "w1", "name": "w", "tenant_id": demoProject, "project_id": demoProject,
		"revision_number": 1.0}, w, "no admin-only size for a non-admin")
	adm := e.do(admin, "GET", "/v2.0/widgets/w1", nil).ok(t, 200, "widget")
	assert.Equal(t, 0.0, adm["size"], "admins see it")

	shown := e.do(demo, "GET", "/v2.0/widgets/w1?fields=name", nil).ok(t, 200, "widget")
	assert.Equal(t, map[string]any{"name": "w"}, shown)

	e.do(admin, "POST", "/v2.0/widgets", `{"widget": {"name": "x", "size": 3, "project_id": "`+otherProject+`"}}`).ok(t, 201, "widget")
	assert.Len(t, e.do(demo, "GET", "/v2.0/widgets", nil).list(t, "widgets"), 1, "a project lists its own")
	assert.Len(t, e.do(admin, "GET", "/v2.0/widgets", nil).list(t, "widgets"), 2)
	page := e.do(admin, "GET", "/v2.0/widgets?limit=1", nil)
	assert.Len(t, page.list(t, "widgets"), 1)
	assert.Contains(t, page.body, "widgets_links")
	assert.Equal(t, "w2", e.do(admin, "GET", "/v2.0/widgets?limit=1&marker=w1", nil).list(t, "widgets")[0]["id"])

	up := e.do(demo, "PUT", "/v2.0/widgets/w1", `{"widget": {"name": "renamed"}}`).ok(t, 200, "widget")
	assert.Equal(t, "renamed", up["name"])
	assert.Equal(t, 2.0, up["revision_number"])

	refused := []struct {
		name         string
		as           who
		method, path string
		body         string
		status       int
		typ, message string
	}{
		{"another project's item", demo, "GET", "/v2.0/widgets/w2", "", 404, "WidgetNotFound", "Widget w2 could not be found."},
		{"another project's update", demo, "PUT", "/v2.0/widgets/w2", `{"widget": {"name": "mine"}}`, 404, "WidgetNotFound", "Widget w2 could not be found."},
		{"another project's delete", demo, "DELETE", "/v2.0/widgets/w2", "", 404, "WidgetNotFound", "Widget w2 could not be found."},
		{"unknown id", admin, "GET", "/v2.0/widgets/nope", "", 404, "WidgetNotFound", "Widget nope could not be found."},
		{"admin-only attribute on create", demo, "POST", "/v2.0/widgets", `{"widget": {"name": "big", "size": 9}}`, 403, "PolicyNotAuthorized",
			"(rule:create_widget and rule:create_widget:size) is disallowed by policy"},
		{"admin-only attribute on update", demo, "PUT", "/v2.0/widgets/w1", `{"widget": {"size": 9}}`, 403, "PolicyNotAuthorized",
			"(rule:update_widget and rule:update_widget:size) is disallowed by policy"},
		{"unknown attribute", demo, "POST", "/v2.0/widgets", `{"widget": {"name": "a", "colour": "red"}}`, 400, "HTTPBadRequest",
			"Unrecognized attribute(s) 'colour'"},
		{"read-only attribute", admin, "PUT", "/v2.0/widgets/w1", `{"widget": {"id": "w9"}}`, 400, "HTTPBadRequest",
			"Cannot update read-only attribute id"},
		{"required attribute", demo, "POST", "/v2.0/widgets", `{"widget": {}}`, 400, "HTTPBadRequest",
			"Failed to parse request. Required attribute 'name' not specified"},
		{"bad value", admin, "POST", "/v2.0/widgets", `{"widget": {"name": "a", "size": "big"}}`, 400, "HTTPBadRequest",
			`Invalid input for size. Reason: 'big' is not valid.`},
		{"stale revision", demo, "PUT", "/v2.0/widgets/w1", "", 412, "RevisionNumberConstraintFailed", ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			before := count()
			var r reply
			if tc.name == "stale revision" {
				r = e.doIfMatch(demo, "PUT", tc.path, `{"widget": {"name": "late"}}`, "revision_number=1")
			} else if tc.body == "" {
				r = e.do(tc.as, tc.method, tc.path, nil)
			} else {
				r = e.do(tc.as, tc.method, tc.path, tc.body)
			}
			msg := r.fails(t, tc.status, tc.typ)
			if tc.message != "" {
				assert.Equal(t, tc.message, msg)
			}
			assert.Equal(t, before, count(), "nothing created or deleted")
		})
	}
	assert.Equal(t, "renamed", e.do(admin, "GET", "/v2.0/widgets/w1", nil).ok(t, 200, "widget")["name"], "refused updates changed nothing")
	assert.Equal(t, "x", e.do(admin, "GET", "/v2.0/widgets/w2", nil).ok(t, 200, "widget")["name"])

	require.Equal(t, 204, e.do(demo, "DELETE", "/v2.0/widgets/w1", nil).status)
	e.do(demo, "GET", "/v2.0/widgets/w1", nil).fails(t, 404, "WidgetNotFound")
}

// TestServiceExtensionAndPortAttribute checks that a service's extension
// is listed and that the attribute it adds to ports is handed to it on
// create, stored with the port and shown; a value it refuses creates no
// port.
func TestServiceExtensionAndPortAttribute(t *testing.T) {
	e, _ := newServiceEnv(t)
	ext := e.do(demo, "GET", "/v2.0/extensions/widgets", nil).ok(t, 200, "extension")
	assert.Equal(t, "Widgets", ext["name"])
	var aliases []string
	for _, x := range e.do(demo, "GET", "/v2.0/extensions", nil).list(t, "extensions") {
		aliases = append(aliases, x["alias"].(string))
	}
	assert.Contains(t, aliases, "widgets")

	e.do(demo, "POST", "/v2.0/widgets", `{"widget": {"name": "w"}}`).ok(t, 201, "widget")
	net := e.network(demo, nil)
	p := e.port(demo, net["id"].(string), map[string]any{"widget_id": "w1"})
	assert.Equal(t, "w1", p["widget_id"])
	shown := e.do(demo, "GET", "/v2.0/ports/"+p["id"].(string), nil).ok(t, 200, "port")
	assert.Equal(t, "w1", shown["widget_id"], "stored with the port")

	msg := e.do(demo, "POST", "/v2.0/ports", map[string]any{"port": map[string]any{
		"network_id": net["id"], "widget_id": "w7"}}).fails(t, 404, "WidgetNotFound")
	assert.Equal(t, "Widget w7 could not be found.", msg)
	assert.Len(t, e.do(admin, "GET", "/v2.0/ports", nil).list(t, "ports"), 1, "the refused port was not created")
}

// TestServiceConflicts checks that New refuses a service whose
// collection or extension is already served.
func TestServiceConflicts(t *testing.T) {
	e, svc := newServiceEnv(t)
	view := func(*api.View, *widget, api.Caller) {}
	get := func(context.Context, api.Caller, string) (*widget, error) { return nil, nil }
	list := func(context.Context, api.Caller, *core.ListOptions) ([]*widget, error) { return nil, nil }
	id := func(*widget) string { return "" }
	coll := func(name string) *api.Collection[widget] {
		return &api.Collection[widget]{Name: "thing", Collection: name, View: view, Get: get, List: list, ID: id, ProjectID: id}
	}
	for _, tc := range []struct {
		name string
		desc api.ServiceAPI
		want string
	}{
		{"core collection", api.ServiceAPI{Collections: []api.Resource{coll("ports")}}, `api: service other: collection "ports" is the API's own`},
		{"another service's collection", api.ServiceAPI{Collections: []api.Resource{coll("widgets")}}, `api: service other: collection "widgets" is served by service widgets`},
		{"incomplete collection", api.ServiceAPI{Collections: []api.Resource{&api.Collection[widget]{Name: "thing", Collection: "things"}}},
			`api: service other: collection "things": Get, List, View, ID and ProjectID are required`},
		{"extension twice", api.ServiceAPI{Extensions: []api.Extension{{Name: "W", Alias: "widgets"}}}, `api: extension "widgets" is provided twice`},
		{"core extension", api.ServiceAPI{Extensions: []api.Extension{{Name: "S", Alias: "segment"}}}, `api: extension "segment" is provided twice`},
		{"unknown alias alone", api.ServiceAPI{Extensions: []api.Extension{{Alias: "nonesuch"}}}, `api: service other: extension "nonesuch" needs a name and description`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.New(api.Config{Plugin: e.plugin, Services: []api.Service{svc, fixedService{"other", tc.desc}}})
			require.EqualError(t, err, tc.want)
		})
	}
}

// fixedService is a Service describing a given API.
type fixedService struct {
	name string
	desc api.ServiceAPI
}

func (s fixedService) Name() string               { return s.name }
func (s fixedService) ServiceAPI() api.ServiceAPI { return s.desc }

// doIfMatch is do with an If-Match header.
func (e *env) doIfMatch(as who, method, path, body, match string) reply {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("X-Test-Project", as.project)
	req.Header.Set("If-Match", match)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	require.NoError(e.t, json.Unmarshal(raw, &r.body), "body %s", raw)
	return r
}

// TestServiceReadOnlyCollection checks that a collection without create,
// update and delete refuses them as methods the path does not allow.
func TestServiceReadOnlyCollection(t *testing.T) {
	e, _ := newServiceEnv(t)
	items := []*widget{{ID: "r1", ProjectID: demoProject, Name: "fixed"}}
	ro := &api.Collection[widget]{
		Name: "fixture", Collection: "fixtures",
		ID:        func(w *widget) string { return w.ID },
		ProjectID: func(w *widget) string { return w.ProjectID },
		View:      func(v *api.View, w *widget, _ api.Caller) { v.String("id", w.ID) },
		Get: func(_ context.Context, _ api.Caller, id string) (*widget, error) {
			return items[0], nil
		},
		List: func(context.Context, api.Caller, *core.ListOptions) ([]*widget, error) { return items, nil },
	}
	h, err := api.New(api.Config{Plugin: e.plugin, Auth: testAuth,
		Services: []api.Service{fixedService{"fixtures", api.ServiceAPI{Collections: []api.Resource{ro}}}}})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ro2 := &env{t: t, srv: srv, plugin: e.plugin}

	assert.Len(t, ro2.do(demo, "GET", "/v2.0/fixtures", nil).list(t, "fixtures"), 1)
	assert.Equal(t, "r1", ro2.do(demo, "GET", "/v2.0/fixtures/r1", nil).ok(t, 200, "fixture")["id"])
	ro2.do(demo, "POST", "/v2.0/fixtures", `{"fixture": {"colour": "red"}}`).fails(t, 405, "HTTPMethodNotAllowed")
	ro2.do(demo, "PUT", "/v2.0/fixtures/r1", `{"fixture": {}}`).fails(t, 405, "HTTPMethodNotAllowed")
	ro2.do(demo, "DELETE", "/v2.0/fixtures/r1", nil).fails(t, 405, "HTTPMethodNotAllowed")
}
