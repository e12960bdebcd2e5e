package api

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/quota"
)

func (a *API) quotaRoutes(handle func(string, handlerFunc)) {
	handle("GET /v2.0/quotas", a.listQuotas)
	handle("GET /v2.0/quotas/{project}", a.showQuota)
	handle("PUT /v2.0/quotas/{project}", a.updateQuota)
	handle("DELETE /v2.0/quotas/{project}", a.deleteQuota)
	handle("GET /v2.0/quotas/{project}/default", a.defaultQuota)
	handle("GET /v2.0/quotas/{project}/details", a.quotaDetails)
}

// readableQuota lets admins read any project's quota, others their own.
func readableQuota(r *http.Request) (string, error) {
	c, p := callerOf(r), r.PathValue("project")
	if !c.admin && c.project != p {
		return "", policyDenied("get_quota")
	}
	return p, nil
}

func (a *API) listQuotas(w http.ResponseWriter, r *http.Request) error {
	if !callerOf(r).admin {
		return policyDenied("get_quota")
	}
	all, err := a.quotas.List(r.Context())
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, p := range sortedKeys(all) {
		q := quotaView(all[p])
		q["project_id"], q["tenant_id"] = p, p
		out = append(out, q)
	}
	writeJSON(w, http.StatusOK, map[string]any{"quotas": out})
	return nil
}

func quotaView(l quota.Limits) map[string]any {
	out := make(map[string]any, len(l))
	for k, v := range l {
		out[k] = v
	}
	return out
}

func (a *API) showQuota(w http.ResponseWriter, r *http.Request) error {
	p, err := readableQuota(r)
	if err != nil {
		return err
	}
	l, err := a.quotas.Get(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"quota": quotaView(l)})
	return nil
}

func (a *API) defaultQuota(w http.ResponseWriter, r *http.Request) error {
	if _, err := readableQuota(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"quota": quotaView(quota.Defaults())})
	return nil
}

func (a *API) quotaDetails(w http.ResponseWriter, r *http.Request) error {
	p, err := readableQuota(r)
	if err != nil {
		return err
	}
	d, err := a.quotas.Details(r.Context(), p)
	if err != nil {
		return err
	}
	out := map[string]any{}
	for k, v := range d {
		out[k] = map[string]int{"limit": v.Limit, "used": v.Used, "reserved": v.Reserved}
	}
	writeJSON(w, http.StatusOK, map[string]any{"quota": out})
	return nil
}

func (a *API) updateQuota(w http.ResponseWriter, r *http.Request) error {
	if !callerOf(r).admin {
		return policyDenied("update_quota")
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return badRequest("Body contains invalid data")
	}
	var top map[string]body
	if err := json.Unmarshal(raw, &top); err != nil {
		return badRequest("Body contains invalid data")
	}
	b, ok := top["quota"]
	if !ok {
		return badRequest("Unable to find 'quota' in request body")
	}
	known := quota.Defaults()
	limits := quota.Limits{}
	for _, k := range sortedKeys(b) {
		if _, ok := known[k]; !ok {
			return badRequest("Unrecognized attribute(s) '%s'", k)
		}
		n, err := integer(b, k)
		if err != nil {
			return err
		}
		limits[k] = int(n)
	}
	l, err := a.quotas.Update(r.Context(), r.PathValue("project"), limits)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"quota": quotaView(l)})
	return nil
}

func (a *API) deleteQuota(w http.ResponseWriter, r *http.Request) error {
	if !callerOf(r).admin {
		return policyDenied("delete_quota")
	}
	if err := a.quotas.Delete(r.Context(), r.PathValue("project")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) availabilityRoutes(handle func(string, handlerFunc)) {
	handle("GET /v2.0/network-ip-availabilities", func(w http.ResponseWriter, r *http.Request) error {
		c := callerOf(r)
		if !c.admin {
			return policyDenied("get_network_ip_availability")
		}
		q, err := parseQuery(r, c)
		if err != nil {
			return err
		}
		all, err := a.plugin.ListNetworkIPAvailabilities(r.Context(), &q.opts)
		if err != nil {
			return err
		}
		o := &obj{buf: []byte(`{"network_ip_availabilities":[`), fields: q.fields}
		for i, n := range all {
			if i > 0 {
				o.buf = append(o.buf, ',')
			}
			o.begin()
			availabilityView(o, n)
			o.end()
		}
		o.buf = append(o.buf, "]}"...)
		writeRaw(w, http.StatusOK, o.buf)
		return nil
	})
	handle("GET /v2.0/network-ip-availabilities/{id}", func(w http.ResponseWriter, r *http.Request) error {
		if !callerOf(r).admin {
			return policyDenied("get_network_ip_availability")
		}
		n, err := a.plugin.NetworkIPAvailability(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		o := &obj{buf: []byte(`{"network_ip_availability":`), fields: fieldsOf(r.URL.Query())}
		o.begin()
		availabilityView(o, n)
		o.end()
		o.buf = append(o.buf, '}')
		writeRaw(w, http.StatusOK, o.buf)
		return nil
	})
}

// availabilityView writes a network's IP availability.
func availabilityView(o *obj, n *ml2.NetworkIPAvailability) {
	o.str("network_id", n.NetworkID)
	o.str("network_name", n.NetworkName)
	o.str("project_id", n.ProjectID)
	o.str("tenant_id", n.ProjectID)
	o.bigInt("total_ips", n.TotalIPs)
	o.bigInt("used_ips", n.UsedIPs)
	o.list("subnet_ip_availability", len(n.Subnets), func(i int, o *obj) {
		s := &n.Subnets[i]
		o.str("subnet_id", s.SubnetID)
		o.str("subnet_name", s.SubnetName)
		o.str("cidr", s.CIDR.String())
		o.int("ip_version", int64(s.IPVersion))
		o.bigInt("total_ips", s.TotalIPs)
		o.bigInt("used_ips", s.UsedIPs)
	})
}
