package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// statusOf maps an error kind to its HTTP status: the one place where
// core's typed errors become status codes.
func statusOf(k core.Kind) int {
	switch k {
	case core.KindNotFound:
		return http.StatusNotFound
	case core.KindConflict:
		return http.StatusConflict
	case core.KindBadRequest:
		return http.StatusBadRequest
	case core.KindNotAuthorized:
		return http.StatusForbidden
	case core.KindUnavailable:
		return http.StatusServiceUnavailable
	case core.KindPreconditionFailed:
		return http.StatusPreconditionFailed
	}
	return http.StatusInternalServerError
}

// neutronError is the body of every error response.
type neutronError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Detail  string `json:"detail"`
}

// errorBody returns the status and NeutronError of err. Errors that are
// not core's typed errors are internal: their text is logged, never shown.
func errorBody(err error) (int, neutronError, bool) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, he.body, true
	}
	var mde *core.MechanismDriverError
	if errors.As(err, &mde) && len(mde.Errors) > 0 {
		return mechanismDriverError(mde)
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		status := statusOf(ce.Kind)
		return status, neutronError{Type: ce.Type, Message: ce.Error()}, status != http.StatusInternalServerError
	}
	return http.StatusInternalServerError, neutronError{
		Type:    "HTTPInternalServerError",
		Message: "Request Failed: internal server error while processing your request.",
	}, false
}

// mechanismDriverError unwraps a MechanismDriverError as Neutron does: one
// status for all inner errors gives that status, the first type and the
// messages joined; different statuses give a 409 listing each.
func mechanismDriverError(mde *core.MechanismDriverError) (int, neutronError, bool) {
	type inner struct {
		status int
		body   neutronError
	}
	var all []inner
	for _, e := range mde.Errors {
		s, b, _ := errorBody(e)
		if b.Type == "HTTPInternalServerError" {
			// A driver's own failure keeps its message, as Neutron's
			// NeutronException does.
			b = neutronError{Type: "MechanismDriverError", Message: e.Error()}
		}
		all = append(all, inner{s, b})
	}
	same := true
	for _, i := range all[1:] {
		same = same && i.status == all[0].status
	}
	if same {
		msgs := make([]string, len(all))
		for i, in := range all {
			msgs[i] = in.body.Message
		}
		return all[0].status, neutronError{Type: all[0].body.Type, Message: strings.Join(msgs, "\n")}, true
	}
	msgs := make([]string, len(all))
	for i, in := range all {
		msgs[i] = fmt.Sprintf("HTTP %d %s: %s", in.status, in.body.Type, in.body.Message)
	}
	return http.StatusConflict, neutronError{Type: "Conflict", Message: strings.Join(msgs, "\n")}, true
}

// writeError writes err as a NeutronError response.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body, known := errorBody(err)
	if !known {
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	} else {
		a.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	}
	writeJSON(w, status, map[string]neutronError{"NeutronError": body})
}

// writeRaw writes an encoded JSON response.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"NeutronError": {"type": "HTTPInternalServerError", "message": "Request Failed: internal server error while processing your request.", "detail": ""}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// httpError is an error of the HTTP layer with a status no core Kind has.
type httpError struct {
	status int
	body   neutronError
}

func (e *httpError) Error() string { return e.body.Message }

// errorOf returns an error answered with status and a NeutronError of
// type typ.
func errorOf(status int, typ, msg string) error {
	return &httpError{status: status, body: neutronError{Type: typ, Message: msg}}
}

// Errors of the HTTP layer itself, typed as Neutron's webob exceptions.
func badRequest(format string, args ...any) error {
	return core.Typed(core.KindBadRequest, "HTTPBadRequest", format, args...)
}

func notFound() error {
	return core.Typed(core.KindNotFound, "HTTPNotFound", "The resource could not be found.")
}

func forbidden(format string, args ...any) error {
	return core.Typed(core.KindNotAuthorized, "HTTPForbidden", format, args...)
}

// invalidAttr is the error of an attribute whose value does not validate.
func invalidAttr(name, reason string, args ...any) error {
	return badRequest("Invalid input for %s. Reason: %s.", name, fmt.Sprintf(reason, args...))
}

// ErrorStatus returns the HTTP status the API answers err with, for
// handlers beside the API (the agent channel) that map core's typed
// errors the same way.
func ErrorStatus(err error) int {
	status, _, _ := errorBody(err)
	return status
}
