package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// Service is the API side of a service plugin: an optional capability of
// a core.ServicePlugin, whose Name it shares. Its collections are served
// by the same handlers as networks, subnets and ports (one route table,
// one error mapping, one policy check) and its extensions are listed by
// GET /v2.0/extensions.
//
// The attributes a service adds to networks, subnets or ports are not
// declared here: they are an extension driver's, which the service
// returns as an ExtensionProvider, so that they are handed to it inside
// the resource's transaction and stored with the resource.
type Service interface {
	// Name is the service's name in service_plugins.
	Name() string
	// ServiceAPI describes what the service serves. New calls it once.
	ServiceAPI() ServiceAPI
}

// ExtensionProvider is implemented by a service plugin that adds
// attributes to networks, subnets or ports (as security groups add
// security_groups to ports). Its method uses core's types only, so that a
// service of serviceplugins/ implements it without importing this
// package.
//
// What assembles the server runs the driver as the extension driver
// named after the service, after the configured ones: its
// core.ExtensionAttributer names the attributes, which this package then
// accepts in request bodies and shows in views as it does every
// extension driver's; its Process* hooks get them inside the resource's
// transaction, where they validate them (an error refuses the request
// and changes nothing) and set what the view shows in the resource's
// Extra, which is stored with it. A service that also keeps them in
// tables of its own writes its rows from its BeforeCommit subscriber,
// which sees the resource, Extra included, and the transaction.
type ExtensionProvider interface {
	ExtensionDriver() core.ExtensionDriver
}

// ServiceAPI is what a service adds to the API.
type ServiceAPI struct {
	// Collections are served under /v2.0/<collection>; each is a
	// *Collection[T].
	Collections []Resource
	// Extensions are listed by GET /v2.0/extensions. An entry with only
	// an Alias names an extension this package knows the description of.
	Extensions []Extension
}

// Extension describes an API extension, as GET /v2.0/extensions lists it.
type Extension struct {
	Name        string
	Alias       string
	Description string
	// Updated is the extension's date, as Neutron gives it
	// ("2016-02-24T17:00:00-00:00").
	Updated string
}

// Resource is a collection a service serves: a *Collection[T] of any T.
type Resource interface {
	// collection returns the resource's description, checking it.
	collection() (*resource, error)
	// register adds the resource's routes.
	register(a *API, handle func(string, handlerFunc))
}

// Caller is who a request runs as, as the handlers of a Collection see
// it.
type Caller struct {
	// ProjectID is the caller's project; "" for a token scoped to none.
	ProjectID string
	// Admin: the caller is an admin, who sees and may do everything.
	Admin bool
}

// Attribute says how an attribute of a Collection may be used in
// requests, as Neutron's attribute maps do. A body attribute the
// collection does not list is refused ("Unrecognized attribute(s)"), one
// it lists without Post (Put) is refused in a create (an update).
type Attribute struct {
	// Post and Put: the attribute may be given on create, on update.
	Post, Put bool
	// Required: a create must give it.
	Required bool
	// AdminOnly: only admins see it in views and may give it; a
	// non-admin who gives it is refused by the policy
	// (PolicyNotAuthorized, 403).
	AdminOnly bool
}

// Body is one resource of a create or update request, attribute name to
// JSON value, already checked against the collection's Attributes.
type Body map[string]json.RawMessage

// Has reports whether the attribute was given.
func (b Body) Has(name string) bool { return body(b).has(name) }

// String returns a string attribute, nil when it was not given, refusing
// (InvalidInput, 400) a value that is no string or is longer than max
// bytes (max 0: any length).
func (b Body) String(name string, max int) (*string, error) { return strPtr(body(b), name, max) }

// Bool returns a boolean attribute (true, false or their spellings
// Neutron accepts), nil when it was not given.
func (b Body) Bool(name string) (*bool, error) { return boolPtr(body(b), name) }

// Decode decodes an attribute into v, refusing (InvalidInput, 400) a value
// that does not decode.
func (b Body) Decode(name string, v any) error { return jsonValue(body(b), name, v) }

// ProjectID returns the project a create is for: project_id or tenant_id
// when given (they must agree, and only admins may name another project
// than their own), else the caller's.
func (b Body) ProjectID(c Caller) (string, error) {
	return project(body(b), &caller{project: c.ProjectID, admin: c.Admin})
}

// View writes one resource as a JSON object: only the fields the request
// asks for, and no AdminOnly attribute for non-admins.
type View struct {
	o      *obj
	hidden map[string]Attribute
	admin  bool
}

func (v *View) show(k string) bool { return v.admin || !v.hidden[k].AdminOnly }

// String writes a string member.
func (v *View) String(k, s string) {
	if v.show(k) {
		v.o.str(k, s)
	}
}

// StringOrNull writes a string member, "" as null.
func (v *View) StringOrNull(k, s string) {
	if v.show(k) {
		v.o.strOrNull(k, s)
	}
}

// Int writes a number.
func (v *View) Int(k string, n int64) {
	if v.show(k) {
		v.o.int(k, n)
	}
}

// Bool writes a boolean.
func (v *View) Bool(k string, b bool) {
	if v.show(k) {
		v.o.bool(k, b)
	}
}

// Strings writes a list of strings, nil as [].
func (v *View) Strings(k string, s []string) {
	if v.show(k) {
		v.o.strs(k, s)
	}
}

// Value writes any value encoding/json encodes.
func (v *View) Value(k string, x any) {
	if v.show(k) {
		v.o.value(k, x)
	}
}

// Collection describes a collection a service serves, at
// /v2.0/<Collection> and /v2.0/<Collection>/{id}, through the handlers
// the core resources use: request envelopes, bulk creates (item by item,
// undone by deletes when one fails), fields, If-Match on Revision,
// NeutronError bodies and Neutron's default policy for a resource owned
// by a project:
//
//   - admins may do everything;
//   - others see only their project's items (another project's is the
//     collection's NotFound, 404) and may create, update and delete
//     them, but neither see nor give AdminOnly attributes (giving one is
//     PolicyNotAuthorized, 403, naming the rule as Neutron does:
//     "(rule:create_widget and rule:create_widget:size)").
//
// The functions see only validated input and return core's typed errors
// (core.NotFoundError, core.BadRequest, core.Typed, ...), which are mapped
// to statuses and bodies as every error of the API is. Get, List, View,
// ID and ProjectID are required; without Create, Update or Delete that
// method has no route, and is refused (405) before its body is read.
type Collection[T any] struct {
	// Name is the singular name, the key of one item in bodies
	// ("router"), and Collection the plural, the path and the key of
	// listings ("routers").
	Name, Collection string
	// Attributes are the attributes a body may hold, by name (all of
	// them, read-only ones included, so that giving one is refused as
	// read-only rather than unknown).
	Attributes map[string]Attribute
	// ID and ProjectID read an item's id and project.
	ID, ProjectID func(*T) string
	// Revision, when set, reads an item's revision_number, so that
	// updates and deletes honour If-Match.
	Revision func(*T) int64
	// View writes an item.
	View func(v *View, it *T, c Caller)
	// Get returns the item id, or its NotFound error (see NotFound).
	Get func(ctx context.Context, c Caller, id string) (*T, error)
	// List returns the items opts selects: its Filters (an unknown one is
	// core.InvalidInput), Sorts, Limit and Marker, and for non-admins its
	// ProjectScope, the caller's project. Items of other projects are
	// dropped for non-admins in any case.
	List func(ctx context.Context, c Caller, opts *core.ListOptions) ([]*T, error)
	// Create creates an item from a body.
	Create func(ctx context.Context, c Caller, b Body) (*T, error)
	// Update updates item id from a body; the caller may see it and is
	// allowed the update.
	Update func(ctx context.Context, c Caller, id string, b Body) (*T, error)
	// Delete deletes item id; the caller may see it and is allowed the
	// delete.
	Delete func(ctx context.Context, c Caller, id string) error
}

// NotFound is the collection's error for an unknown id, as Neutron types
// it: "<Name in CamelCase>NotFound", 404 ("Widget <id> could not be
// found.").
func (k *Collection[T]) NotFound(id string) error {
	return core.NotFoundError(camel(k.Name), id)
}

// camel writes security_group as SecurityGroup.
func camel(name string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(name, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// collection implements Resource.
func (k *Collection[T]) collection() (*resource, error) {
	switch {
	case k.Name == "" || k.Collection == "":
		return nil, errors.New("a collection needs a Name and a Collection")
	case strings.ContainsAny(k.Collection, "/{}. ") || strings.ContainsAny(k.Name, "/{}. "):
		return nil, fmt.Errorf("collection %q: a name is a word", k.Collection)
	case k.Get == nil || k.List == nil || k.View == nil || k.ID == nil || k.ProjectID == nil:
		return nil, fmt.Errorf("collection %q: Get, List, View, ID and ProjectID are required", k.Collection)
	}
	res := &resource{name: k.Name, collection: k.Collection, attrs: make(map[string]attr, len(k.Attributes))}
	for n, at := range k.Attributes {
		res.attrs[n] = attr{post: at.Post, put: at.Put, required: at.Required, adminView: at.AdminOnly}
	}
	return res, nil
}

// policy is Neutron's default policy of the collection's actions: create
// for anyone, update and delete for the item's project, AdminOnly
// attributes for admins.
func (k *Collection[T]) policy() map[string]actionPolicy {
	var attrs []attrRule
	for _, n := range sortedKeys(k.Attributes) {
		if k.Attributes[n].AdminOnly {
			attrs = append(attrs, attrRule{name: n, rule: admins})
		}
	}
	return map[string]actionPolicy{
		"create": {rule: anyone, attrs: attrs},
		"update": {rule: owner, attrs: attrs},
		"delete": {rule: owner},
	}
}

// register implements Resource: the collection as a kind of the generic
// handlers.
func (k *Collection[T]) register(a *API, handle func(string, handlerFunc)) {
	res, _ := k.collection() // checked by New
	pol := k.policy()
	public := func(c *caller) Caller { return Caller{ProjectID: c.project, Admin: c.admin} }
	visible := func(c *caller, it *T) bool { return c.admin || k.ProjectID(it) == c.project }
	get := func(ctx context.Context, c *caller, id string) (*T, error) {
		it, err := k.Get(ctx, public(c), id)
		if err != nil {
			return nil, err
		}
		if !visible(c, it) {
			return nil, k.NotFound(id)
		}
		return it, nil
	}
	kd := &kind[T]{
		res:     res,
		id:      k.ID,
		project: k.ProjectID,
		view: func(o *obj, it *T, c *caller) {
			k.View(&View{o: o, hidden: k.Attributes, admin: c.admin}, it, public(c))
		},
		get: get,
		list: func(ctx context.Context, c *caller, opts *core.ListOptions) ([]*T, error) {
			items, err := k.List(ctx, public(c), opts)
			if err != nil {
				return nil, err
			}
			return slices.DeleteFunc(items, func(it *T) bool { return !visible(c, it) }), nil
		},
		create: func(ctx context.Context, c *caller, b body) (*T, error) {
			if err := pol["create"].check(c, "create_"+k.Name, b, &target{owner: true}); err != nil {
				return nil, err
			}
			return k.Create(ctx, public(c), Body(b))
		},
		update: func(ctx context.Context, c *caller, id string, b body, rev *int64) (*T, error) {
			if rev != nil && k.Revision != nil {
				it, err := get(ctx, c, id)
				if err != nil {
					return nil, err
				}
				if cur := k.Revision(it); cur != *rev {
					return nil, core.RevisionNumberConstraintFailed(*rev, cur)
				}
			}
			return k.Update(ctx, public(c), id, Body(b))
		},
		delete: func(ctx context.Context, c *caller, id string) error {
			if k.Delete == nil {
				// Only a failed bulk create, undoing its items, gets
				// here: they stay, and the failure is logged.
				return methodNotAllowedError()
			}
			return k.Delete(ctx, public(c), id)
		},
		authorize: func(ctx context.Context, c *caller, it *T, action string, b body) error {
			return pol[action].check(c, action+"_"+k.Name, b, &target{owner: k.ProjectID(it) == c.project})
		},
	}
	base := "/v2.0/" + k.Collection
	handle("GET "+base, serveList(kd))
	handle("GET "+base+"/{id}", serveShow(kd))
	if k.Create != nil {
		handle("POST "+base, serveCreate(a, kd))
	}
	if k.Update != nil {
		handle("PUT "+base+"/{id}", serveUpdate(kd))
	}
	if k.Delete != nil {
		handle("DELETE "+base+"/{id}", serveDelete(kd, k.Revision))
	}
}

// reservedCollections are the paths of /v2.0 the API serves itself.
var reservedCollections = []string{"networks", "subnets", "ports", "segments", "agents", "extensions",
	"quotas", "network-ip-availabilities", "ml2go-drivers", "tags"}

// loadServices reads the services' collections and extensions, refusing
// a collection or extension alias that another service or the API itself
// already has.
func (a *API) loadServices(services []Service) error {
	seen := map[string]string{}
	for _, s := range services {
		desc := s.ServiceAPI()
		for _, r := range desc.Collections {
			res, err := r.collection()
			if err != nil {
				return fmt.Errorf("api: service %s: %w", s.Name(), err)
			}
			if slices.Contains(reservedCollections, res.collection) {
				return fmt.Errorf("api: service %s: collection %q is the API's own", s.Name(), res.collection)
			}
			if other, dup := seen[res.collection]; dup {
				return fmt.Errorf("api: service %s: collection %q is served by service %s", s.Name(), res.collection, other)
			}
			seen[res.collection] = s.Name()
			a.resources = append(a.resources, r)
		}
		for _, e := range desc.Extensions {
			if e.Alias == "" {
				return fmt.Errorf("api: service %s: an extension needs an alias", s.Name())
			}
			ext := extension{Name: e.Name, Alias: e.Alias, Description: e.Description, Updated: e.Updated}
			if e.Name == "" {
				i := slices.IndexFunc(knownExtensions, func(k extension) bool { return k.Alias == e.Alias })
				if i < 0 {
					return fmt.Errorf("api: service %s: extension %q needs a name and description", s.Name(), e.Alias)
				}
				ext = knownExtensions[i]
			}
			a.serviceExts = append(a.serviceExts, ext)
		}
	}
	return nil
}

// serviceRoutes registers the services' collections.
func (a *API) serviceRoutes(handle func(string, handlerFunc)) {
	for _, r := range a.resources {
		r.register(a, handle)
	}
}
