package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/reference/server"
)

// logs collects a server's JSON log lines.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines returns the lines logged so far whose message is msg ("" for
// all).
func (l *logs) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		if msg == "" || m["@message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// publicAddr is a loopback listener that says it listens on a public
// address.
type publicAddr struct{ net.Listener }

func (publicAddr) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 9696} }

// serveLogged runs a server for cfg on ln, logging to the logs returned,
// until the test ends. Serve's error, if it returns early, is sent on the
// channel.
func serveLogged(t *testing.T, cfg *config.Config, ln net.Listener) (*logs, <-chan error) {
	t.Helper()
	l := &logs{}
	log := hclog.New(&hclog.LoggerOptions{Output: l, JSONFormat: true, Level: hclog.Debug})
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, server.Options{DataDir: t.TempDir(), Logger: log})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		require.NoError(t, srv.Close())
	})
	return l, done
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

// TestNoauthPublicAddress: noauth on an address other than loopback does
// not start unless [ml2go] allow_noauth_on_public_address says so, and is
// then warned about.
func TestNoauthPublicAddress(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		ln := listen(t)
		defer ln.Close()
		srv, err := server.New(context.Background(), config.Default(), server.Options{DataDir: t.TempDir()})
		require.NoError(t, err)
		defer srv.Close()
		// Bounded, should the server serve instead of refusing.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = srv.Serve(ctx, publicAddr{ln})
		require.ErrorIs(t, err, config.ErrNoauthOnPublicAddress)
		assert.Contains(t, err.Error(), "192.0.2.1:9696")
	})
	t.Run("allowed and warned about", func(t *testing.T) {
		cfg := config.Default()
		cfg.ML2go.AllowNoauthOnPublicAddress = true
		ln := listen(t)
		l, _ := serveLogged(t, cfg, publicAddr{ln})
		resp, err := http.Get("http://" + ln.Addr().String() + "/v2.0/networks")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
		warned := l.lines(t, "serving without authentication on an address other than loopback: every caller is an admin")
		require.Len(t, warned, 1)
		assert.Equal(t, "warn", warned[0]["@level"])
		assert.Equal(t, "192.0.2.1:9696", warned[0]["address"])
	})
	t.Run("loopback", func(t *testing.T) {
		ln := listen(t)
		l, _ := serveLogged(t, config.Default(), ln)
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Empty(t, l.lines(t, "serving without authentication on an address other than loopback: every caller is an admin"))
	})
}

// request is a GET of the network list, keeping the connection open.
const request = "GET /v2.0/networks HTTP/1.1\r\nHost: x\r\n\r\n"

// readResponse reads one response from br.
func readResponse(t *testing.T, br *bufio.Reader) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// TestIdleConnectionClosed: a keep-alive connection without a next
// request is closed after client_socket_timeout.
func TestIdleConnectionClosed(t *testing.T) {
	cfg := config.Default()
	cfg.ClientSocketTimeout = 100 * time.Millisecond
	ln := listen(t)
	serveLogged(t, cfg, ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, request)
	require.NoError(t, err)
	br := bufio.NewReader(c)
	assert.Equal(t, 200, readResponse(t, br).StatusCode)
	// A bound for the test, far above the idle timeout.
	require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Second)))
	_, err = br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "the server closed the idle connection")
}

// TestSlowBodyCut: a body sent a byte at a time is cut at read_timeout;
// nothing is created.
func TestSlowBodyCut(t *testing.T) {
	cfg := config.Default()
	cfg.ML2go.ReadTimeout = 300 * time.Millisecond
	ln := listen(t)
	serveLogged(t, cfg, ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	body := `{"network":{"name":"` + strings.Repeat("x", 200) + `"}}`
	_, err = fmt.Fprintf(c, "POST /v2.0/networks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	require.NoError(t, err)
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		_, _ = io.Copy(io.Discard, c)
	}()
	sent := 0
	for sent < len(body)-1 {
		select {
		case <-answered:
		case <-time.After(50 * time.Millisecond):
			if _, err := io.WriteString(c, body[sent:sent+1]); err == nil {
				sent++
				continue
			}
		}
		break
	}
	select {
	case <-answered:
	default:
		t.Fatalf("sent %d of %d bytes, a byte every 50ms, and the connection is still open", sent, len(body))
	}
	assert.Less(t, sent, len(body)-1)

	resp, err := http.Get("http://" + ln.Addr().String() + "/v2.0/networks")
	require.NoError(t, err)
	defer resp.Body.Close()
	var got map[string][]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	assert.Empty(t, got["networks"], "nothing created")
}

// TestManyIdleConnections: thousands of idle connections, more than the
// process's descriptors allow the server and its clients together, do not
// keep a new request from being answered: the server serves at most
// max_connections and closes the longest idle to make room.
func TestManyIdleConnections(t *testing.T) {
	const idle = 2000
	// Room for the clients' idle connections and a few hundred more, not
	// for the server's end of all of them too.
	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old))
	lowered := old
	lowered.Cur = min(old.Cur, idle+1000)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered))
	t.Cleanup(func() { require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)) })

	cfg := config.Default()
	cfg.ML2go.MaxConnections = 500
	ln := listen(t)
	l, _ := serveLogged(t, cfg, ln)
	conns := make([]net.Conn, 0, idle)
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for len(conns) < idle {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err, "connection %d", len(conns))
		conns = append(conns, c)
		_, err = io.WriteString(c, request)
		require.NoError(t, err)
	}
	// Every connection is answered, some after others were closed to
	// make room.
	// One bound for all of them, for the test not to hang.
	deadline := time.Now().Add(60 * time.Second)
	for i, c := range conns {
		require.NoError(t, c.SetReadDeadline(deadline))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err, "connection %d", i)
		resp.Body.Close()
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + ln.Addr().String() + "/v2.0/networks")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Empty(t, l.lines(t, "cannot accept connections: out of file descriptors; raise the process's limit (ulimit -n) or lower [ml2go] max_connections"))
}

var requestID = regexp.MustCompile(`^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestAccessLog: every response carries a request id, and every request
// is logged once at INFO with it.
func TestAccessLog(t *testing.T) {
	ln := listen(t)
	l, _ := serveLogged(t, testConfig(t), ln)
	base := "http://" + ln.Addr().String()
	seen := map[string]bool{}
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/", "", 200},
		{"GET", "/v2.0/networks", "", 200},
		{"POST", "/v2.0/networks", `{"network":{"name":"n"}}`, 201},
		{"POST", "/v2.0/networks", `{"network":{"bogus":1}}`, 400},
		{"GET", "/v2.0/networks/00000000-0000-0000-0000-000000000000", "", 404},
		{"GET", "/v2.0/nothing-here", "", 404},
		{"GET", "/ml2go/agent/v1/report", "", 405},
	} {
		req, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		id := resp.Header.Get(server.RequestIDHeader)
		assert.Regexp(t, requestID, id, "%s %s", tc.method, tc.path)
		assert.False(t, seen[id], "a new id per request")
		seen[id] = true

		var lines []map[string]any
		for _, m := range l.lines(t, "request") {
			if m["request_id"] == id {
				lines = append(lines, m)
			}
		}
		require.Len(t, lines, 1, "%s %s", tc.method, tc.path)
		m := lines[0]
		assert.Equal(t, "info", m["@level"])
		assert.Equal(t, "http", m["@module"])
		assert.Equal(t, tc.method, m["method"])
		assert.Equal(t, tc.path, m["path"])
		if tc.path != "/ml2go/agent/v1/report" {
			assert.Equal(t, float64(tc.status), m["status"])
			assert.Equal(t, float64(resp.StatusCode), m["status"])
		}
		assert.Contains(t, m, "duration")
	}
}

// TestNoMechanismDriverWarning: without a mechanism driver no port can be
// bound, which start-up says.
func TestNoMechanismDriverWarning(t *testing.T) {
	const msg = "no mechanism driver configured: ports given a binding:host_id will end binding_failed"
	l, _ := serveLogged(t, config.Default(), listen(t))
	warned := l.lines(t, msg)
	require.Len(t, warned, 1)
	assert.Equal(t, "warn", warned[0]["@level"])
	assert.Equal(t, "[ml2] mechanism_drivers", warned[0]["option"])

	l, _ = serveLogged(t, testConfig(t), listen(t))
	assert.Empty(t, l.lines(t, msg), "fakeagent is configured")
}
