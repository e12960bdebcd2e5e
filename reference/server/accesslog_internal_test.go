package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// BenchmarkAccessLog is the access log's cost on a request: an id, a
// header, a line formatted at INFO (written nowhere).
func BenchmarkAccessLog(b *testing.B) {
	log := hclog.New(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Info})
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"without", noop}, {"with", withAccessLog(noop, log)}} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("POST", "/v2.0/ports", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				clear(w.Header())
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}
