package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// maxBody bounds a request body.
const maxBody = 4 << 20

// body is one resource of a request: attribute name → JSON value.
type body map[string]json.RawMessage

// has reports whether the attribute was given.
func (b body) has(name string) bool {
	_, ok := b[name]
	return ok
}

// isNull reports whether the attribute was given as JSON null.
func (b body) isNull(name string) bool {
	v, ok := b[name]
	return ok && bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// attr describes how one attribute of a resource may be used, as
// Neutron's attribute maps and default policy do.
type attr struct {
	post, put bool
	required  bool // on POST
	// adminView: only admins see it. Who may give it is the policy
	// table's (policy.go).
	adminView bool
}

// resource describes a resource type of the API.
type resource struct {
	name, collection string
	attrs            map[string]attr
}

// readBodies decodes a POST or PUT body: {"<name>": {...}}, or on POST
// {"<collection>": [...]} (bulk, each item with or without the
// {"<name>": ...} wrapper).
func readBodies(r *http.Request, res *resource, allowBulk bool) ([]body, bool, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(raw) > maxBody {
		return nil, false, badRequest("Body contains invalid data")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return nil, false, badRequest("Body contains invalid data")
	}
	if allowBulk {
		if list, ok := top[res.collection]; ok {
			var items []json.RawMessage
			if err := json.Unmarshal(list, &items); err != nil {
				return nil, false, badRequest("Body contains invalid data")
			}
			if len(items) == 0 {
				return nil, false, badRequest("Resources required")
			}
			out := make([]body, len(items))
			for i, it := range items {
				var b body
				if err := json.Unmarshal(it, &b); err != nil || b == nil {
					return nil, false, badRequest("Body contains invalid data")
				}
				if inner, ok := b[res.name]; ok && len(b) == 1 {
					b = nil
					if err := json.Unmarshal(inner, &b); err != nil || b == nil {
						return nil, false, badRequest("Body contains invalid data")
					}
				}
				out[i] = b
			}
			return out, true, nil
		}
	}
	inner, ok := top[res.name]
	if !ok {
		return nil, false, badRequest("Unable to find '%s' in request body", res.name)
	}
	var b body
	if err := json.Unmarshal(inner, &b); err != nil || b == nil {
		return nil, false, badRequest("Body contains invalid data")
	}
	return []body{b}, false, nil
}

// checkAttrs applies the attribute map to a request body: unknown
// attributes, attributes not allowed in POST or PUT, and required ones
// missing. extra are the extension drivers' attributes, allowed in both.
// Who may give an attribute is checked later, with the object at hand
// (authorize).
func checkAttrs(b body, res *resource, extra []string, create bool) error {
	var unknown []string
	for k := range b {
		if _, ok := res.attrs[k]; !ok && !slices.Contains(extra, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return badRequest("Unrecognized attribute(s) '%s'", strings.Join(unknown, ", "))
	}
	names := make([]string, 0, len(b))
	for k := range b {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		a, ok := res.attrs[k]
		if !ok {
			continue
		}
		if create && !a.post {
			return badRequest("Attribute '%s' not allowed in POST", k)
		}
		if !create && !a.put {
			return badRequest("Cannot update read-only attribute %s", k)
		}
	}
	if create {
		for _, k := range sortedKeys(res.attrs) {
			if res.attrs[k].required && !b.has(k) {
				return badRequest("Failed to parse request. Required attribute '%s' not specified", k)
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// project resolves the owner of a created resource: tenant_id and
// project_id must agree, only admins may name another project than
// their own, and a caller acting in no project must name one.
func project(b body, c *caller) (string, error) {
	var tenant, proj string
	var err error
	if b.has("tenant_id") {
		if tenant, err = str(b, "tenant_id", 255); err != nil {
			return "", err
		}
	}
	if b.has("project_id") {
		if proj, err = str(b, "project_id", 255); err != nil {
			return "", err
		}
	}
	switch {
	case tenant != "" && proj != "" && tenant != proj:
		return "", badRequest("'project_id' and 'tenant_id' do not match")
	case proj == "":
		proj = tenant
	}
	if proj == "" {
		if c.project == "" {
			// A token scoped to no project (unscoped, or scoped to a
			// domain) gives no owner to default to.
			return "", badRequest("Running without keystone AuthN requires that tenant_id is specified")
		}
		return c.project, nil
	}
	if proj != c.project && !c.admin {
		return "", badRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges")
	}
	return proj, nil
}

// Attribute decoders. Each returns Neutron's message for a bad value.

func str(b body, name string, max int) (string, error) {
	var s *string
	if err := json.Unmarshal(b[name], &s); err != nil || s == nil {
		return "", invalidAttr(name, "'%s' is not a valid string", display(b[name]))
	}
	if max > 0 && len(*s) > max {
		return "", invalidAttr(name, "'%s' exceeds maximum length of %d", *s, max)
	}
	return *s, nil
}

func strPtr(b body, name string, max int) (*string, error) {
	if !b.has(name) {
		return nil, nil
	}
	s, err := str(b, name, max)
	return &s, err
}

// boolean converts as Neutron's convert_to_boolean: JSON booleans, 0 and 1,
// and the strings true/false/1/0 in any case.
func boolean(b body, name string) (bool, error) {
	var v any
	_ = json.Unmarshal(b[name], &v)
	switch x := v.(type) {
	case bool:
		return x, nil
	case float64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		switch strings.ToLower(x) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
	}
	return false, core.InvalidInput("'%s' cannot be converted to boolean", display(b[name]))
}

func boolPtr(b body, name string) (*bool, error) {
	if !b.has(name) {
		return nil, nil
	}
	v, err := boolean(b, name)
	return &v, err
}

// integer converts as Neutron's convert_to_int: numbers and numeric
// strings.
func integer(b body, name string) (int64, error) {
	var v any
	_ = json.Unmarshal(b[name], &v)
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) {
			return int64(x), nil
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, core.InvalidInput("'%s' is not an integer", display(b[name]))
}

// display renders a raw JSON value as Neutron shows a Python value.
func display(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	}
	return strings.TrimSpace(string(raw))
}

// uuidAttr checks a UUID-valued attribute.
func uuidAttr(b body, name string) (string, error) {
	s, err := str(b, name, 0)
	if err != nil {
		return "", err
	}
	if !isUUID(s) {
		return "", invalidAttr(name, "'%s' is not a valid UUID", s)
	}
	return s, nil
}

// isUUID reports whether s is a UUID in its usual text form (any case).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

// tags decodes a list of tags, each at most 255 characters.
func tagList(b body, name string) ([]string, error) {
	var tags []string
	if err := json.Unmarshal(b[name], &tags); err != nil {
		return nil, invalidAttr(name, "'%s' is not a list", display(b[name]))
	}
	for _, t := range tags {
		if err := checkTag(t); err != nil {
			return nil, err
		}
	}
	return tags, nil
}

func checkTag(t string) error {
	if t == "" || len(t) > 255 || strings.Contains(t, ",") {
		return badRequest("Invalid input for tags. Reason: '%s' is not a valid tag.", t)
	}
	return nil
}

// extensions collects the extension drivers' attributes of a request.
func extensions(b body, names []string) (map[string]any, error) {
	var out map[string]any
	for _, n := range names {
		raw, ok := b[n]
		if !ok {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, invalidAttr(n, "'%s' is not valid JSON", string(raw))
		}
		if out == nil {
			out = map[string]any{}
		}
		out[n] = v
	}
	return out, nil
}

// ifMatch parses If-Match: revision_number=<n>.
func ifMatch(r *http.Request) (*int64, error) {
	var found *int64
	for _, h := range r.Header.Values("If-Match") {
		for tag := range strings.SplitSeq(h, ",") {
			tag = strings.Trim(strings.TrimSpace(tag), `"`)
			v, ok := strings.CutPrefix(tag, "revision_number=")
			if !ok {
				continue
			}
			if found != nil {
				return nil, core.BadRequest("revision_number", "Multiple revision_number etags are not supported")
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, core.BadRequest("revision_number", "Revision number must be an integer, not %q", v)
			}
			found = &n
		}
	}
	return found, nil
}

// jsonValue decodes an attribute into v, or gives the attribute's error.
func jsonValue(b body, name string, v any) error {
	if err := json.Unmarshal(b[name], v); err != nil {
		return invalidAttr(name, "%s", fmt.Sprintf("'%s' is not valid", display(b[name])))
	}
	return nil
}
