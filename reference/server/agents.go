package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/ml2go/ml2go/reference/agentrpc"
	"github.com/ml2go/ml2go/reference/auth"
)

// agentPathPrefix is where the agent channel lives, beside the API.
var agentPathPrefix = strings.TrimSuffix(agentrpc.PathReport, "report")

// withAgentChannel serves the agent channel's paths with agents and every
// other path with api. The channel is authenticated as the API is and is
// for admins only: in noauth mode every caller is one, with Keystone the
// agents present an admin token.
func withAgentChannel(api, agents http.Handler, authenticate func(http.Handler) http.Handler) http.Handler {
	agents = authenticate(adminOnly(agents))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, agentPathPrefix) {
			agents.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// adminOnly refuses callers without the admin role.
func adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := auth.FromContext(r.Context()); !ok || !c.IsAdmin {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "the agent channel is for admins"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
