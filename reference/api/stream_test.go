package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core/ml2"
)

// writesRecorder records a response and the size of each write of its
// body.
type writesRecorder struct {
	*httptest.ResponseRecorder
	writes []int
}

func (w *writesRecorder) Write(b []byte) (int, error) {
	w.writes = append(w.writes, len(b))
	return w.ResponseRecorder.Write(b)
}

// TestListIsWrittenAsItComes: a listing's body is written a chunk at a
// time, never held whole, and is the same JSON as a small one; a request
// the listing rejects still gets its error status.
func TestListIsWrittenAsItComes(t *testing.T) {
	e := newEnv(t)
	_, err := e.quotas.Update(t.Context(), adminProject, map[string]int{"port": -1})
	require.NoError(t, err)
	n := e.network(admin, nil)
	e.subnet(admin, n["id"].(string), "10.0.0.0/16")
	for range 400 {
		_, err := e.plugin.CreatePort(t.Context(), &ml2.PortRequest{ProjectID: adminProject, NetworkID: n["id"].(string)})
		require.NoError(t, err)
	}
	get := func(path string) *writesRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("X-Test-Project", adminProject)
		req.Header.Set("X-Test-Admin", "1")
		w := &writesRecorder{ResponseRecorder: httptest.NewRecorder()}
		e.srv.Config.Handler.ServeHTTP(w, req)
		return w
	}

	w := get("/v2.0/ports")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	body := w.Body.Len()
	require.Greater(t, body, 200<<10, "the body is large enough to need several chunks")
	require.Greater(t, len(w.writes), 2)
	for _, n := range w.writes {
		assert.Less(t, n, 100<<10, "a write holds a chunk, not the body (%d bytes)", body)
	}
	var all struct {
		Ports []map[string]any `json:"ports"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &all))
	require.Len(t, all.Ports, 400)
	one := e.do(admin, "GET", "/v2.0/ports/"+all.Ports[7]["id"].(string), nil).ok(t, 200, "port")
	assert.Equal(t, one, all.Ports[7])

	// A page: links after the items, as before.
	page := e.do(admin, "GET", "/v2.0/ports?limit=300&fields=id", nil)
	require.Len(t, page.list(t, "ports"), 300)
	assert.Equal(t, map[string]any{"id": all.Ports[0]["id"]}, page.list(t, "ports")[0])
	require.Len(t, page.body["ports_links"], 2)

	// Errors of the listing come before its status.
	for _, c := range []struct {
		path   string
		status int
		typ    string
	}{
		{"/v2.0/ports?marker=00000000-0000-0000-0000-000000000000", 404, "PortNotFound"},
		{"/v2.0/ports?bogus=1", 400, "HTTPBadRequest"},
		{"/v2.0/ports?sort_key=bogus", 400, "HTTPBadRequest"},
	} {
		e.do(admin, "GET", c.path, nil).fails(t, c.status, c.typ)
	}
}
