package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/quota"
	"github.com/ml2go/ml2go/reference/auth"
)

// Config configures the API handler.
type Config struct {
	// Plugin serves the resources. Required.
	Plugin *ml2.Plugin
	// Quotas, when set, enables the quotas API and checks quotas before
	// creates, as Neutron's quota hook does.
	Quotas *quota.Quotas
	// Auth authenticates requests to /v2.0 and puts an auth.Context in
	// their context (auth.Noauth or a Keystone middleware). Nil means
	// auth.Noauth with DefaultProjectID. The version document at / is
	// served without authentication, as Neutron does.
	Auth func(http.Handler) http.Handler
	// DefaultProjectID is the noauth project when Auth is nil.
	DefaultProjectID string
	// Logger receives request errors. Nil discards.
	Logger hclog.Logger
	// DriverHealth, when set, reports the health of the mechanism
	// drivers in their configured order, and enables the admin-only
	// GET /v2.0/ml2go-drivers, an ml2go extension (see DriverStatus). It
	// is called for each such request and must be safe for concurrent
	// use.
	DriverHealth func() []DriverStatus
	// Services are the service plugins' API sides, in service_plugins
	// order: their collections are served and their extensions listed
	// (see Service).
	Services []Service
}

// API is the OpenStack Networking API v2.0 as an http.Handler.
type API struct {
	plugin *ml2.Plugin
	quotas *quota.Quotas
	log    hclog.Logger
	mux    *http.ServeMux
	exts   []extension
	health func() []DriverStatus
	// extAttrs are the extension drivers' attributes, by collection.
	extAttrs map[string][]string
	// resources and serviceExts are the services' collections and
	// extensions.
	resources   []Resource
	serviceExts []extension
}

var _ http.Handler = (*API)(nil)

// New returns the API handler.
func New(cfg Config) (*API, error) {
	if cfg.Plugin == nil {
		return nil, errors.New("api: Config.Plugin is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Auth == nil {
		cfg.Auth = auth.Noauth(cfg.DefaultProjectID)
	}
	a := &API{
		plugin:   cfg.Plugin,
		quotas:   cfg.Quotas,
		log:      cfg.Logger,
		health:   cfg.DriverHealth,
		mux:      http.NewServeMux(),
		extAttrs: map[string][]string{},
	}
	for _, coll := range []string{"networks", "subnets", "ports"} {
		a.extAttrs[coll] = cfg.Plugin.ExtensionAttributes(coll)
	}
	if err := a.loadServices(cfg.Services); err != nil {
		return nil, err
	}
	if err := a.loadExtensions(); err != nil {
		return nil, err
	}
	a.routes(cfg.Auth)
	return a, nil
}

// loadExtensions lists the built-in extensions and those of the extension
// drivers and the services.
func (a *API) loadExtensions() error {
	a.exts = slices.Clone(builtinExtensions)
	if a.quotas == nil {
		a.exts = slices.DeleteFunc(a.exts, func(e extension) bool {
			return e.Alias == "quotas" || e.Alias == "quota_details"
		})
	}
	for _, alias := range a.plugin.ExtensionAliases() {
		i := slices.IndexFunc(knownExtensions, func(e extension) bool { return e.Alias == alias })
		if i < 0 {
			return fmt.Errorf("api: extension driver provides unknown extension %q", alias)
		}
		a.exts = append(a.exts, knownExtensions[i])
	}
	for _, e := range a.serviceExts {
		if slices.ContainsFunc(a.exts, func(x extension) bool { return x.Alias == e.Alias }) {
			return fmt.Errorf("api: extension %q is provided twice", e.Alias)
		}
		a.exts = append(a.exts, e)
	}
	slices.SortFunc(a.exts, func(x, y extension) int { return strings.Compare(x.Alias, y.Alias) })
	return nil
}

// ServeHTTP serves a request. A ".json" suffix on the path is accepted, as
// Neutron does.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.writeError(w, r, fmt.Errorf("api: panic serving %s %s: %v", r.Method, r.URL.Path, v))
		}
	}()
	if p, ok := strings.CutSuffix(r.URL.Path, ".json"); ok {
		r2 := r.Clone(r.Context())
		r2.URL.Path = p
		r2.URL.RawPath = ""
		r = r2
	}
	a.mux.ServeHTTP(w, r)
}

// handlerFunc is a handler that returns its error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// routes registers every resource; authenticate wraps all of /v2.0.
func (a *API) routes(authenticate func(http.Handler) http.Handler) {
	v2 := http.NewServeMux()
	handle := func(pattern string, h handlerFunc) {
		h = storableText(pattern, h)
		v2.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				a.writeError(w, r, err)
			}
		}))
	}
	handle("GET /v2.0/{$}", a.root)
	handle("GET /v2.0", a.root)
	handle("GET /v2.0/extensions", a.listExtensions)
	handle("GET /v2.0/extensions/{alias}", a.showExtension)
	a.networkRoutes(handle)
	a.subnetRoutes(handle)
	a.portRoutes(handle)
	a.segmentRoutes(handle)
	a.agentRoutes(handle)
	a.tagRoutes(handle)
	a.availabilityRoutes(handle)
	if a.quotas != nil {
		a.quotaRoutes(handle)
	}
	if a.health != nil {
		a.driverRoutes(handle)
	}
	a.serviceRoutes(handle)

	a.mux.Handle("/v2.0/", authenticate(unmatched(v2, a)))
	a.mux.Handle("/v2.0", authenticate(unmatched(v2, a)))
	a.mux.HandleFunc("GET /{$}", a.versions)
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			a.writeError(w, r, methodNotAllowedError())
			return
		}
		a.writeError(w, r, notFound())
	})
}

// unmatched answers requests that match no route of h with a
// NeutronError: 405 when the path has routes for other methods, else 404.
func unmatched(h *http.ServeMux, a *API) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := h.Handler(r); pattern != "" {
			h.ServeHTTP(w, r)
			return
		}
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			probe := &http.Request{Method: m, URL: r.URL, Host: r.Host}
			if _, pattern := h.Handler(probe); pattern != "" {
				a.writeError(w, r, methodNotAllowedError())
				return
			}
		}
		a.writeError(w, r, notFound())
	})
}

func methodNotAllowedError() error {
	return errorOf(http.StatusMethodNotAllowed, "HTTPMethodNotAllowed", "The server could not comply with the request since it is either malformed or otherwise incorrect.")
}

// baseURL is the scheme and host the client used.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

func (a *API) versions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"versions": []any{map[string]any{
		"id": "v2.0", "status": "CURRENT",
		"links": []any{map[string]string{"rel": "self", "href": baseURL(r) + "/v2.0/"}},
	}}})
}

func (a *API) root(w http.ResponseWriter, r *http.Request) error {
	var out []any
	for _, res := range [][2]string{{"network", "networks"}, {"subnet", "subnets"}, {"port", "ports"}} {
		out = append(out, map[string]any{
			"name": res[0], "collection": res[1],
			"links": []any{map[string]string{"rel": "self", "href": baseURL(r) + "/v2.0/" + res[1]}},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"resources": out})
	return nil
}

func (a *API) listExtensions(w http.ResponseWriter, r *http.Request) error {
	out := make([]extension, len(a.exts))
	for i, e := range a.exts {
		e.Links = []string{}
		out[i] = e
	}
	writeJSON(w, http.StatusOK, map[string]any{"extensions": out})
	return nil
}

func (a *API) showExtension(w http.ResponseWriter, r *http.Request) error {
	alias := r.PathValue("alias")
	for _, e := range a.exts {
		if e.Alias == alias {
			e.Links = []string{}
			writeJSON(w, http.StatusOK, map[string]any{"extension": e})
			return nil
		}
	}
	return notFound()
}
