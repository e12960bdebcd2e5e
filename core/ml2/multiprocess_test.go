package ml2_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

// Child processes of the multi-process tests are this test binary started
// with these variables set; TestMain runs their part instead of the tests.
const (
	envChildRole    = "ML2GO_TEST_CHILD_ROLE" // "networks" or "ports"
	envChildDSN     = "ML2GO_TEST_CHILD_DSN"
	envChildNetwork = "ML2GO_TEST_CHILD_NETWORK"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(envChildRole); role != "" {
		if err := runChild(role); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childResult is what a child prints: what it got and the error types of
// what failed.
type childResult struct {
	Got    []string
	Errors []string
}

// runChild creates, from 16 goroutines, 64 vxlan tenant networks or 32 ports
// on a store shared with another process, and prints a childResult.
func runChild(role string) error {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, os.Getenv(envChildDSN))
	if err != nil {
		return err
	}
	defer store.Close()
	e, err := buildEnv(store, withTenantTypes("vxlan"), withVNIRanges("1000:1099"))
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var res childResult
	record := func(got string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			res.Errors = append(res.Errors, core.TypeOf(err)+": "+err.Error())
			return
		}
		res.Got = append(res.Got, got)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch role {
			case "networks":
				for range 4 {
					n, err := e.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{})
					if err == nil {
						record(fmt.Sprint(n.Segments[0].SegmentationID), nil)
					} else {
						record("", err)
					}
				}
			case "ports":
				for range 2 {
					p, err := e.plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: os.Getenv(envChildNetwork)})
					if err == nil {
						record(p.FixedIPs[0].IPAddress.String(), nil)
					} else {
						record("", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// runChildren runs two children on dsn and merges their results.
func runChildren(t *testing.T, role, dsn, network string) childResult {
	t.Helper()
	type out struct {
		res childResult
		err error
	}
	outs := make(chan out, 2)
	for range 2 {
		go func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envChildRole+"="+role, envChildDSN+"="+dsn, envChildNetwork+"="+network)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var r childResult
			if err == nil {
				err = json.Unmarshal(stdout.Bytes(), &r)
			}
			if err != nil {
				err = fmt.Errorf("%w: %s", err, stderr.String())
			}
			outs <- out{r, err}
		}()
	}
	var merged childResult
	for range 2 {
		o := <-outs
		require.NoError(t, o.err)
		merged.Got = append(merged.Got, o.res.Got...)
		merged.Errors = append(merged.Errors, o.res.Errors...)
	}
	return merged
}

// TestTwoProcesses runs the concurrency checks with two server processes
// sharing one database: 128 network creates from a 100-VNI range, and 64
// port creates on a /26, split between the processes. It runs on
// PostgreSQL only, the engine processes share: a SQLite file belongs to
// the process that opened it (sqlstore locks others out so that it maps
// no file; its TestSecondProcess checks the refusal).
func TestTwoProcesses(t *testing.T) {
	if os.Getenv(sqlstoretest.EnvPostgresDSN) == "" {
		t.Skipf("processes share only PostgreSQL, and %s is not set", sqlstoretest.EnvPostgresDSN)
	}
	engine := sqlstoretest.Postgres
	t.Run("networks", func(t *testing.T) {
		res := runChildren(t, "networks", sqlstoretest.DSN(t, engine), "")
		assert.Len(t, res.Got, 100)
		assert.ElementsMatch(t, unique(res.Got), res.Got, "a VNI was handed out twice")
		assert.Len(t, res.Errors, 28)
		for _, e := range res.Errors {
			assert.Regexp(t, "^NoNetworkAvailable: ", e)
		}
	})
	t.Run("ports", func(t *testing.T) {
		dsn := sqlstoretest.DSN(t, engine)
		store, err := sqlstore.Open(context.Background(), dsn)
		require.NoError(t, err)
		e := newEnvOnStore(t, store)
		n := e.network(nil)
		e.subnet(n.ID, "10.9.0.0/26")
		require.NoError(t, store.Close())
		res := runChildren(t, "ports", dsn, n.ID)
		assert.Len(t, res.Got, 61)
		assert.ElementsMatch(t, unique(res.Got), res.Got, "an address was handed out twice")
		assert.Len(t, res.Errors, 3)
		for _, e := range res.Errors {
			assert.Regexp(t, "^IpAddressGenerationFailure: ", e)
		}
	})
}

func unique(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
