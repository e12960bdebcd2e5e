package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/reference/server"
)

// BenchmarkCreatePort creates ports through the server's handler, access
// log included (formatted at INFO, written nowhere), on SQLite.
func BenchmarkCreatePort(b *testing.B) {
	cfg := config.Default()
	cfg.Quotas = map[string]int{"port": -1}
	log := hclog.New(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Info})
	srv, err := server.New(context.Background(), cfg, server.Options{DataDir: b.TempDir(), Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	h := srv.Handler()
	do := func(path, body string) map[string]any {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader(body)))
		if rec.Code != http.StatusCreated {
			b.Fatal(rec.Code, rec.Body.String())
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			b.Fatal(err)
		}
		return out
	}
	n := do("/v2.0/networks", `{"network":{"name":"bench","provider:network_type":"local"}}`)["network"].(map[string]any)["id"].(string)
	do("/v2.0/subnets", `{"subnet":{"network_id":"`+n+`","cidr":"10.0.0.0/16","ip_version":4}}`)
	body := `{"port":{"network_id":"` + n + `"}}`
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/v2.0/ports", strings.NewReader(body)))
		if rec.Code != http.StatusCreated {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
