package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ml2go/ml2go/core"
)

// kind is what the generic handlers need of a resource type. get and list
// see only what the caller may see; a resource the caller may not see is
// its NotFound error.
type kind[T any] struct {
	res *resource
	// extra are the extension drivers' attributes of the resource.
	extra []string
	// showOmits are attributes Neutron leaves out of GET of one resource.
	showOmits map[string]bool
	id        func(*T) string
	project   func(*T) string
	view      func(*obj, *T, *caller)
	get       func(ctx context.Context, c *caller, id string) (*T, error)
	list      func(ctx context.Context, c *caller, opts *core.ListOptions) ([]*T, error)
	create    func(ctx context.Context, c *caller, b body) (*T, error)
	// createBulk, when set, creates a bulk's items all or nothing, in one
	// transaction of the plugin's; unset, a bulk is created item by item,
	// and undone by deletes when an item fails.
	createBulk func(ctx context.Context, c *caller, bs []body) ([]*T, error)
	update     func(ctx context.Context, c *caller, id string, b body, ifRevision *int64) (*T, error)
	delete     func(ctx context.Context, c *caller, id string) error
	// authorize, when set, applies the policy of action ("update",
	// "delete") to a non-admin caller on it, a resource the caller may
	// see, with the request's body (nil on delete). Unset, only the
	// resource's project may.
	authorize func(ctx context.Context, c *caller, it *T, action string, b body) error
	// stream, when set, reads listings instead of list, an item at a
	// time.
	stream streamFunc[T]
}

// one writes {"<name>": <view of it>}.
func (k *kind[T]) one(it *T, c *caller, fields, omit map[string]bool) ([]byte, error) {
	o := &obj{buf: make([]byte, 0, 1024), fields: fields, omit: omit}
	o.buf = append(o.buf, `{"`+k.res.name+`":`...)
	o.begin()
	k.view(o, it, c)
	o.end()
	o.buf = append(o.buf, '}')
	return o.buf, o.err
}

// many writes {"<collection>": [<views>], "<collection>_links": links}.
func (k *kind[T]) many(items []*T, c *caller, fields map[string]bool, links []map[string]string) ([]byte, error) {
	o := &obj{buf: make([]byte, 0, 64+len(items)*1024), fields: fields}
	o.buf = append(o.buf, `{"`+k.res.collection+`":[`...)
	for i, it := range items {
		if i > 0 {
			o.buf = append(o.buf, ',')
		}
		o.begin()
		k.view(o, it, c)
		o.end()
	}
	o.buf = append(o.buf, ']')
	if links != nil {
		b, err := json.Marshal(links)
		if err != nil {
			return nil, err
		}
		o.buf = append(o.buf, `,"`+k.res.collection+`_links":`...)
		o.buf = append(o.buf, b...)
	}
	o.buf = append(o.buf, '}')
	return o.buf, o.err
}

// routes registers the five routes of a collection; revision, when set,
// lets DELETE honour If-Match.
func routes[T any](a *API, handle func(string, handlerFunc), k *kind[T], revision func(*T) int64) {
	base := "/v2.0/" + k.res.collection
	handle("GET "+base, serveList(k))
	handle("POST "+base, serveCreate(a, k))
	handle("GET "+base+"/{id}", serveShow(k))
	handle("PUT "+base+"/{id}", serveUpdate(k))
	handle("DELETE "+base+"/{id}", serveDelete(k, revision))
}

// serveList answers GET /<collection>. The body is written as the items
// come (see listWriter); the first of them is read before anything is
// written, so that a request the listing rejects gets its error status.
// An error after the status was sent aborts the response, so that the
// client sees a broken body rather than a short list.
func serveList[T any](k *kind[T]) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c := callerOf(r)
		q, err := parseQuery(r, c)
		if err != nil {
			return err
		}
		q.opts.Fields = fieldList(q.fields)
		lw := newListWriter(k, c, w, q.fields)
		err = k.streamer()(r.Context(), c, &q.opts, lw.item)
		if err == nil {
			err = lw.err
		}
		if err == nil {
			var l []map[string]string
			if q.opts.Limit > 0 && lw.n > 0 {
				l = links(r, &q.opts, lw.first, lw.last, lw.n)
			}
			err = lw.finish(l)
		}
		if err != nil && lw.started {
			panic(http.ErrAbortHandler)
		}
		return err
	}
}

// serveShow answers GET /<collection>/{id}.
func serveShow[T any](k *kind[T]) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c := callerOf(r)
		it, err := k.get(r.Context(), c, r.PathValue("id"))
		if err != nil {
			return err
		}
		b, err := k.one(it, c, fieldsOf(r.URL.Query()), k.showOmits)
		if err != nil {
			return err
		}
		writeRaw(w, http.StatusOK, b)
		return nil
	}
}

// serveCreate answers POST /<collection>, one resource or a bulk. A bulk
// is all or nothing (see createAll).
func serveCreate[T any](a *API, k *kind[T]) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c := callerOf(r)
		bodies, bulk, err := readBodies(r, k.res, true)
		if err != nil {
			return err
		}
		for _, b := range bodies {
			if err := checkAttrs(b, k.res, k.extra, true); err != nil {
				return err
			}
		}
		created, err := createAll(a, k, r.Context(), c, bodies, bulk)
		if err != nil {
			return err
		}
		var b []byte
		if bulk {
			b, err = k.many(created, c, nil, nil)
		} else {
			b, err = k.one(created[0], c, nil, nil)
		}
		if err != nil {
			return err
		}
		writeRaw(w, http.StatusCreated, b)
		return nil
	}
}

// createAll creates the resources of bodies: a bulk in one call of
// k.createBulk where the kind has it.
func createAll[T any](a *API, k *kind[T], ctx context.Context, c *caller, bodies []body, bulk bool) ([]*T, error) {
	if bulk && k.createBulk != nil {
		return k.createBulk(ctx, c, bodies)
	}
	var created []*T
	for _, b := range bodies {
		it, err := k.create(ctx, c, b)
		if err != nil {
			for _, done := range created {
				if derr := k.delete(context.WithoutCancel(ctx), c, k.id(done)); derr != nil {
					a.log.Error("could not undo a bulk create", "resource", k.res.name, "id", k.id(done), "error", derr)
				}
			}
			return nil, err
		}
		created = append(created, it)
	}
	return created, nil
}

// createOne is a kind's create: prepare converts and authorizes the body,
// create creates.
func createOne[T, R any](prepare func(context.Context, *caller, body) (R, error), create func(context.Context, R) (*T, error)) func(context.Context, *caller, body) (*T, error) {
	return func(ctx context.Context, c *caller, b body) (*T, error) {
		req, err := prepare(ctx, c, b)
		if err != nil {
			return nil, err
		}
		return create(ctx, req)
	}
}

// createMany is a kind's createBulk: prepare converts and authorizes each
// body, create creates them all at once.
func createMany[T, R any](prepare func(context.Context, *caller, body) (R, error), create func(context.Context, []R) ([]*T, error)) func(context.Context, *caller, []body) ([]*T, error) {
	return func(ctx context.Context, c *caller, bs []body) ([]*T, error) {
		reqs := make([]R, len(bs))
		for i, b := range bs {
			var err error
			if reqs[i], err = prepare(ctx, c, b); err != nil {
				return nil, err
			}
		}
		return create(ctx, reqs)
	}
}

// serveUpdate answers PUT /<collection>/{id}.
func serveUpdate[T any](k *kind[T]) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c := callerOf(r)
		bodies, _, err := readBodies(r, k.res, false)
		if err != nil {
			return err
		}
		if err := checkAttrs(bodies[0], k.res, k.extra, false); err != nil {
			return err
		}
		rev, err := ifMatch(r)
		if err != nil {
			return err
		}
		id := r.PathValue("id")
		if _, err := ownedOrDenied(r.Context(), c, k, id, "update", bodies[0]); err != nil {
			return err
		}
		it, err := k.update(r.Context(), c, id, bodies[0], rev)
		if err != nil {
			return err
		}
		b, err := k.one(it, c, nil, nil)
		if err != nil {
			return err
		}
		writeRaw(w, http.StatusOK, b)
		return nil
	}
}

// serveDelete answers DELETE /<collection>/{id}, with If-Match checked
// against the current revision.
func serveDelete[T any](k *kind[T], revision func(*T) int64) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.ContentLength > 0 {
			return badRequest("Request body is not supported in DELETE.")
		}
		c := callerOf(r)
		rev, err := ifMatch(r)
		if err != nil {
			return err
		}
		id := r.PathValue("id")
		it, err := ownedOrDenied(r.Context(), c, k, id, "delete", nil)
		if err != nil {
			return err
		}
		if rev != nil && revision != nil {
			if it == nil {
				if it, err = k.get(r.Context(), c, id); err != nil {
					return err
				}
			}
			if cur := revision(it); cur != *rev {
				return core.RevisionNumberConstraintFailed(*rev, cur)
			}
		}
		if err := k.delete(r.Context(), c, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// ownedOrDenied lets admins through; others must see the resource (else
// its NotFound) and be allowed the action with body b (else a policy
// error); for them it returns the resource it read.
func ownedOrDenied[T any](ctx context.Context, c *caller, k *kind[T], id, action string, b body) (*T, error) {
	if c.admin {
		return nil, nil
	}
	it, err := k.get(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if k.authorize != nil {
		return it, k.authorize(ctx, c, it, action, b)
	}
	if !c.owns(k.project(it)) {
		return nil, policyDenied(action + "_" + k.res.name)
	}
	return it, nil
}

// policyDenied is Neutron's error for an action the policy refuses.
func policyDenied(rule string) error {
	return core.Typed(core.KindNotAuthorized, "PolicyNotAuthorized", "rule:%s is disallowed by policy", rule)
}

// isNotFound reports a typed not-found error.
func isNotFound(err error) bool { return errors.Is(err, core.ErrNotFound) }
