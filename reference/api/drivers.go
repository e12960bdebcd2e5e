package api

import (
	"net/http"
	"slices"

	"github.com/ml2go/ml2go/core"
)

// Kinds of mechanism driver, as DriverStatus.Kind.
const (
	// DriverKindBuiltin is a driver that runs in the server's process: a
	// built-in driver, or one the embedding program registered.
	DriverKindBuiltin = "builtin"
	// DriverKindPlugin is a driver that runs in its own process,
	// supervised by the server (package plugins/host).
	DriverKindPlugin = "plugin"
)

// States of a mechanism driver, as DriverStatus.State.
const (
	// DriverRunning: the driver answers calls.
	DriverRunning = "running"
	// DriverRestarting: the driver's process exited and is being
	// restarted; calls fail meanwhile.
	DriverRestarting = "restarting"
	// DriverFailed: the driver is not running and is not being restarted
	// by its supervisor: it failed to start (the server may keep trying),
	// or was given up on. Ports it would have bound fail to bind.
	DriverFailed = "failed"
)

// DriverStatus is the health of one mechanism driver, an entry of
// GET /v2.0/ml2go-drivers.
type DriverStatus struct {
	// Name is the driver's name in [ml2] mechanism_drivers.
	Name string
	// Kind is DriverKindBuiltin or DriverKindPlugin.
	Kind string
	// State is DriverRunning, DriverRestarting or DriverFailed.
	State string
	// LastError is the last reason the driver stopped or failed to
	// start; "" if it never did.
	LastError string
	// Restarts counts the attempts to start the driver again after it
	// exited or failed to start.
	Restarts int
	// PID is the process id of a plugin's running process; 0 when none
	// runs, and for built-in drivers.
	PID int
}

// driverRoutes serves the ml2go-drivers resource, an ml2go extension of
// the API (not listed in /v2.0/extensions, which lists Neutron's): the
// health of the mechanism drivers, for admins only. It is served when
// Config.DriverHealth is set.
//
//	GET /v2.0/ml2go-drivers         {"ml2go_drivers": [<driver>, ...]}, in configured order
//	GET /v2.0/ml2go-drivers/{name}  {"ml2go_driver": <driver>}
//
// where a driver is
//
//	{"name": "acme", "kind": "plugin", "state": "running",
//	 "last_error": null, "restarts": 0, "pid": 4242}
//
// last_error and pid are null when there is none. Listings take fields,
// and filters on name, kind and state (several values of one attribute
// match any of them); other filters are a 400. To others than admins the
// resource does not exist (404), as agents.
func (a *API) driverRoutes(handle func(string, handlerFunc)) {
	handle("GET /v2.0/ml2go-drivers", a.listDrivers)
	handle("GET /v2.0/ml2go-drivers/{name}", a.showDriver)
}

func (a *API) listDrivers(w http.ResponseWriter, r *http.Request) error {
	if err := adminOnly(callerOf(r)); err != nil {
		return err
	}
	q := r.URL.Query()
	filters := map[string][]string{}
	for k, vals := range q {
		switch k {
		case "fields":
		case "name", "kind", "state":
			filters[k] = vals
		default:
			return core.InvalidFilter(k)
		}
	}
	o := &obj{buf: make([]byte, 0, 512), fields: fieldsOf(q)}
	o.buf = append(o.buf, `{"ml2go_drivers":[`...)
	n := 0
	for _, d := range a.health() {
		if !matches(filters["name"], d.Name) || !matches(filters["kind"], d.Kind) || !matches(filters["state"], d.State) {
			continue
		}
		if n > 0 {
			o.buf = append(o.buf, ',')
		}
		n++
		driverView(o, &d)
	}
	o.buf = append(o.buf, "]}"...)
	if o.err != nil {
		return o.err
	}
	writeRaw(w, http.StatusOK, o.buf)
	return nil
}

func (a *API) showDriver(w http.ResponseWriter, r *http.Request) error {
	if err := adminOnly(callerOf(r)); err != nil {
		return err
	}
	name := r.PathValue("name")
	for _, d := range a.health() {
		if d.Name != name {
			continue
		}
		o := &obj{buf: make([]byte, 0, 256), fields: fieldsOf(r.URL.Query())}
		o.buf = append(o.buf, `{"ml2go_driver":`...)
		driverView(o, &d)
		o.buf = append(o.buf, '}')
		if o.err != nil {
			return o.err
		}
		writeRaw(w, http.StatusOK, o.buf)
		return nil
	}
	return notFound()
}

// driverView writes a driver's status.
func driverView(o *obj, d *DriverStatus) {
	o.begin()
	o.str("name", d.Name)
	o.str("kind", d.Kind)
	o.str("state", d.State)
	o.strOrNull("last_error", d.LastError)
	o.int("restarts", int64(d.Restarts))
	if d.PID > 0 {
		o.int("pid", int64(d.PID))
	} else {
		o.null("pid")
	}
	o.end()
}

// matches reports whether v is one of want, or want is empty.
func matches(want []string, v string) bool {
	return len(want) == 0 || slices.Contains(want, v)
}
