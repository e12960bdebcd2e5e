package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

// tagged is what the tags sub-resource needs of a collection.
type tagged struct {
	// get returns the owner and tags of a resource the caller may see.
	get func(ctx context.Context, c *caller, id string) (project string, tags []string, err error)
	// set replaces the tags.
	set func(ctx context.Context, id string, tags []string) ([]string, error)
}

func (a *API) tagRoutes(handle func(string, handlerFunc)) {
	collections := map[string]tagged{
		"networks": {
			get: func(ctx context.Context, c *caller, id string) (string, []string, error) {
				n, err := a.visibleNetwork(ctx, c, id)
				if err != nil {
					return "", nil, err
				}
				return n.ProjectID, n.Tags, nil
			},
			set: func(ctx context.Context, id string, tags []string) ([]string, error) {
				n, err := a.plugin.UpdateNetwork(ctx, id, &ml2.NetworkRequest{Tags: tags})
				if err != nil {
					return nil, err
				}
				return n.Tags, nil
			},
		},
		"subnets": {
			get: func(ctx context.Context, c *caller, id string) (string, []string, error) {
				s, err := a.visibleSubnet(ctx, c, id)
				if err != nil {
					return "", nil, err
				}
				return s.ProjectID, s.Tags, nil
			},
			set: func(ctx context.Context, id string, tags []string) ([]string, error) {
				s, err := a.plugin.UpdateSubnet(ctx, id, &ml2.SubnetRequest{Tags: tags})
				if err != nil {
					return nil, err
				}
				return s.Tags, nil
			},
		},
		"ports": {
			get: func(ctx context.Context, c *caller, id string) (string, []string, error) {
				p, err := a.visiblePort(ctx, c, id)
				if err != nil {
					return "", nil, err
				}
				return p.ProjectID, p.Tags, nil
			},
			set: func(ctx context.Context, id string, tags []string) ([]string, error) {
				p, err := a.plugin.UpdatePort(ctx, id, &ml2.PortRequest{Tags: tags})
				if err != nil {
					return nil, err
				}
				return p.Tags, nil
			},
		},
	}
	for coll, t := range collections {
		base := "/v2.0/" + coll + "/{id}/tags"
		handle("GET "+base, a.listTags(t))
		handle("PUT "+base, a.replaceTags(t))
		handle("DELETE "+base, a.changeTags(t, func([]string, string) ([]string, error) { return []string{}, nil }))
		handle("GET "+base+"/{tag}", a.checkTag(t))
		handle("PUT "+base+"/{tag}", a.changeTags(t, func(tags []string, tag string) ([]string, error) {
			if err := checkTag(tag); err != nil {
				return nil, err
			}
			if !slices.Contains(tags, tag) {
				tags = append(slices.Clone(tags), tag)
			}
			return tags, nil
		}))
		handle("DELETE "+base+"/{tag}", a.changeTags(t, func(tags []string, tag string) ([]string, error) {
			if !slices.Contains(tags, tag) {
				return nil, tagNotFound(tag)
			}
			return slices.DeleteFunc(slices.Clone(tags), func(x string) bool { return x == tag }), nil
		}))
	}
}

func tagNotFound(tag string) error {
	return core.Typed(core.KindNotFound, "TagNotFound", "Tag %s could not be found.", tag)
}

func (a *API) listTags(t tagged) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		_, tags, err := t.get(r.Context(), callerOf(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"tags": orEmpty(tags)})
		return nil
	}
}

func (a *API) checkTag(t tagged) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		_, tags, err := t.get(r.Context(), callerOf(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		if tag := r.PathValue("tag"); !slices.Contains(tags, tag) {
			return tagNotFound(tag)
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// owned returns the tags of a resource the caller may change.
func owned(r *http.Request, t tagged) ([]string, error) {
	c := callerOf(r)
	project, tags, err := t.get(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !c.owns(project) {
		return nil, policyDenied("update_tags")
	}
	return tags, nil
}

func (a *API) replaceTags(t tagged) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			return badRequest("Body contains invalid data")
		}
		var b body
		if err := json.Unmarshal(raw, &b); err != nil || !b.has("tags") {
			return badRequest("Invalid input for tags. Reason: the body must be {\"tags\": [...]}.")
		}
		tags, err := tagList(b, "tags")
		if err != nil {
			return err
		}
		if _, err := owned(r, t); err != nil {
			return err
		}
		out, err := t.set(r.Context(), r.PathValue("id"), tags)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"tags": orEmpty(out)})
		return nil
	}
}

// changeTags applies change to the current tags: adding one answers 201,
// removing 204.
func (a *API) changeTags(t tagged, change func(tags []string, tag string) ([]string, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		tags, err := owned(r, t)
		if err != nil {
			return err
		}
		next, err := change(tags, r.PathValue("tag"))
		if err != nil {
			return err
		}
		if !slices.Equal(next, tags) {
			if _, err := t.set(r.Context(), r.PathValue("id"), next); err != nil {
				return err
			}
		}
		if r.Method == http.MethodPut {
			w.WriteHeader(http.StatusCreated)
			return nil
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
