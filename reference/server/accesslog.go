package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"
)

// RequestIDHeader is the response header that names a request, as
// Neutron's request_id middleware sets it: "req-" and a UUID.
const RequestIDHeader = "X-Openstack-Request-Id"

// withAccessLog gives every response a request id (RequestIDHeader) and
// logs one line per request at INFO when it is answered: method, path,
// status, duration and request id.
func withAccessLog(next http.Handler, log hclog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		id := newRequestID()
		sw.header[0] = id
		w.Header()[RequestIDHeader] = sw.header[:]
		defer func() {
			status := sw.status
			if status == 0 {
				// Nothing written: net/http answers 200, unless the
				// handler panicked (the connection is dropped).
				status = http.StatusOK
			}
			log.Info("request", "method", r.Method, "path", r.URL.Path, "status", status,
				"duration", time.Since(start), "request_id", id)
		}()
		next.ServeHTTP(sw, r)
	})
}

// newRequestID returns "req-" and a random (version 4) UUID.
func newRequestID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [40]byte
	copy(b[:], "req-")
	hex.Encode(b[4:12], u[0:4])
	b[12] = '-'
	hex.Encode(b[13:17], u[4:6])
	b[17] = '-'
	hex.Encode(b[18:22], u[6:8])
	b[22] = '-'
	hex.Encode(b[23:27], u[8:10])
	b[27] = '-'
	hex.Encode(b[28:40], u[10:16])
	return string(b[:])
}

// statusWriter records the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	// header holds the request id header's value, allocated with the
	// writer.
	header [1]string
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
