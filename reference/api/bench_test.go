package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

// BenchmarkListPorts lists 1,000 and 10,000 ports through the handler (no
// network), admin view.
func BenchmarkListPorts(b *testing.B) {
	e := newEnv(b)
	_, err := e.quotas.Update(b.Context(), adminProject, map[string]int{"port": -1})
	if err != nil {
		b.Fatal(err)
	}
	n := e.network(admin, nil)
	e.subnet(admin, n["id"].(string), "10.0.0.0/16")
	created := 0
	for _, size := range []int{1000, 10000} {
		for ; created < size; created++ {
			if _, err := e.plugin.CreatePort(b.Context(), &ml2.PortRequest{ProjectID: adminProject, NetworkID: n["id"].(string)}); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			h := e.srv.Config.Handler
			for b.Loop() {
				req := httptest.NewRequest("GET", "/v2.0/ports", nil)
				req.Header.Set("X-Test-Project", adminProject)
				req.Header.Set("X-Test-Admin", "1")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code, rec.Body.String())
				}
			}
		})
	}
}

// BenchmarkCreatePort creates ports through the handler (no network), on
// every engine sqlstoretest offers.
func BenchmarkCreatePort(b *testing.B) {
	for _, engine := range sqlstoretest.Engines(b) {
		b.Run(engine, func(b *testing.B) { benchCreatePort(b, newEnvOn(b, engine)) })
	}
}

func benchCreatePort(b *testing.B, e *env) {
	_, err := e.quotas.Update(b.Context(), adminProject, map[string]int{"port": -1})
	if err != nil {
		b.Fatal(err)
	}
	n := e.network(admin, nil)
	e.subnet(admin, n["id"].(string), "10.0.0.0/16")
	body := `{"port":{"network_id":"` + n["id"].(string) + `"}}`
	h := e.srv.Config.Handler
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v2.0/ports", strings.NewReader(body))
		req.Header.Set("X-Test-Project", adminProject)
		req.Header.Set("X-Test-Admin", "1")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
