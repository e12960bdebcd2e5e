package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

var (
	binDir  string
	binOnce sync.Once
	binPath string
	binErr  error
)

// TestMain gives the package's tests a directory for the binary they
// build, removed when they end.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ml2go-server-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// serverBinary builds ml2go-server once for the package's tests.
func serverBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binPath = filepath.Join(binDir, "ml2go-server")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("build ml2go-server: %w\n%s", err, out)
		}
	})
	require.NoError(t, binErr)
	return binPath
}

// serverProcess is an ml2go-server child process.
type serverProcess struct {
	cmd *exec.Cmd
	url string
	out *bytes.Buffer
}

// startServer runs ml2go-server on the database of dsn and waits until it
// answers.
func startServer(t *testing.T, dsn string) *serverProcess {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	conn := strings.Replace(dsn, "sqlite://", "sqlite:///", 1)
	conn = strings.Replace(conn, "postgres://", "postgresql://", 1)
	conf := filepath.Join(t.TempDir(), "neutron.conf")
	require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf(`[DEFAULT]
bind_host = 127.0.0.1
bind_port = %d
[database]
connection = %s
[ml2]
type_drivers = local
tenant_network_types = local
[quotas]
default_quota = -1
quota_port = -1
`, port, conn)), 0o600))
	p := &serverProcess{url: "http://127.0.0.1:" + strconv.Itoa(port), out: &bytes.Buffer{}}
	p.cmd = exec.Command(serverBinary(t), "--config-file", conf)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/")
		if err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("ml2go-server did not answer: %v\n%s", err, p.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the server with SIGKILL and waits for it.
func (p *serverProcess) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// post sends a JSON body and decodes the answer into out (when not nil).
func (p *serverProcess) post(path string, body, out any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	resp, err := http.Post(p.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// portCount counts the ports of a network.
func (p *serverProcess) portCount(t *testing.T, netID string) int {
	t.Helper()
	resp, err := http.Get(p.url + "/v2.0/ports?fields=id&network_id=" + netID)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct{ Ports []struct{ ID string } }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return len(body.Ports)
}

// TestBulkCreateSurvivesKill kills the server with SIGKILL while it stores
// a bulk of ports, at several moments, and checks after a restart that each
// bulk is there whole or not at all, and whole if it was answered 201.
func TestBulkCreateSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs ml2go-server; not in -short")
	}
	const size = 2000
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			dsn := sqlstoretest.DSN(t, engine)
			ports := make([]map[string]any, size)
			for _, delay := range []time.Duration{30 * time.Millisecond, 150 * time.Millisecond, 400 * time.Millisecond, 1200 * time.Millisecond} {
				srv := startServer(t, dsn)
				var net struct{ Network struct{ ID string } }
				status, err := srv.post("/v2.0/networks", map[string]any{"network": map[string]any{"name": "bulk"}}, &net)
				require.NoError(t, err)
				require.Equal(t, http.StatusCreated, status)
				status, err = srv.post("/v2.0/subnets", map[string]any{"subnet": map[string]any{
					"network_id": net.Network.ID, "ip_version": 4, "cidr": "10.20.0.0/20"}}, nil)
				require.NoError(t, err)
				require.Equal(t, http.StatusCreated, status)
				for i := range ports {
					ports[i] = map[string]any{"network_id": net.Network.ID}
				}
				answered := make(chan int, 1)
				go func() {
					status, _ := srv.post("/v2.0/ports", map[string]any{"ports": ports}, nil)
					answered <- status
				}()
				time.Sleep(delay)
				srv.kill()
				status = <-answered

				srv = startServer(t, dsn)
				n := srv.portCount(t, net.Network.ID)
				assert.Contains(t, []int{0, size}, n, "killed after %v: %d of the bulk's %d ports", delay, n, size)
				if status == http.StatusCreated {
					assert.Equal(t, size, n, "answered 201, killed after %v", delay)
				}
				t.Logf("killed after %v: answer %d, %d ports stored", delay, status, n)
				srv.kill()
			}
		})
	}
}
