// Command ml2go-bench measures the reference server through its HTTP API,
// over loopback: port creates per second from one client and from several
// at once, and the latency of listing 1,000 and 10,000 ports. It runs the
// server in-process on SQLite (a file in a temporary directory) and, when
// given a PostgreSQL DSN (-postgres, or ML2GO_TEST_POSTGRES_DSN), on a
// fresh schema of that database, dropped afterwards.
//
//	go run ./reference/cmd/ml2go-bench
//	go run ./reference/cmd/ml2go-bench -postgres 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	_ "github.com/lib/pq" // the admin connection that creates the schema

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/reference/server"
)

// options are the command's flags.
type options struct {
	postgres    string
	sequential  int
	concurrent  int
	clients     int
	listSizes   []int
	listRepeats int
	cpuProfile  string
	engines     string
	enginesSet  bool // -engines was given
}

func main() {
	var o options
	flag.StringVar(&o.postgres, "postgres", os.Getenv("ML2GO_TEST_POSTGRES_DSN"), "PostgreSQL DSN (empty: SQLite only)")
	flag.IntVar(&o.sequential, "sequential", 1000, "port creates from one client")
	flag.IntVar(&o.concurrent, "concurrent", 2000, "port creates from all clients together")
	flag.IntVar(&o.clients, "clients", 8, "concurrent clients")
	sizes := flag.String("list", "1000,10000", "listing sizes, in ports")
	flag.IntVar(&o.listRepeats, "list-repeats", 10, "listings timed at each size")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.StringVar(&o.engines, "engines", "sqlite,postgres", "engines to measure (postgres needs a DSN)")
	flag.Parse()
	flag.Visit(func(f *flag.Flag) { o.enginesSet = o.enginesSet || f.Name == "engines" })
	for s := range strings.SplitSeq(*sizes, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(s), &n); err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "ml2go-bench: bad -list size %q\n", s)
			os.Exit(2)
		}
		o.listSizes = append(o.listSizes, n)
	}
	slices.Sort(o.listSizes)
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "ml2go-bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	var engines []string
	for e := range strings.SplitSeq(o.engines, ",") {
		switch e = strings.TrimSpace(e); {
		case e == "sqlite", e == "postgres" && o.postgres != "":
			engines = append(engines, e)
		case e == "postgres" && o.enginesSet:
			return errors.New("postgres needs a DSN: -postgres or ML2GO_TEST_POSTGRES_DSN")
		case e != "postgres": // by default, PostgreSQL only when there is a DSN
			return fmt.Errorf("unknown engine %q", e)
		}
	}
	if slices.Contains(engines, "postgres") {
		if err := pingPostgres(o.postgres); err != nil {
			return err
		}
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("%-9s %22s %22s", "engine", "creates/s sequential", fmt.Sprintf("creates/s %d clients", o.clients))
	for _, n := range o.listSizes {
		fmt.Printf(" %22s", fmt.Sprintf("list %d (p50/p90)", n))
	}
	fmt.Println()
	for _, engine := range engines {
		if err := bench(engine, o); err != nil {
			return fmt.Errorf("%s: %w", engine, err)
		}
	}
	return nil
}

// bench runs every measurement on one engine.
func bench(engine string, o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := config.Default()
	cfg.VXLAN.VNIRanges = []core.SegmentRange{{Min: 1, Max: 1000}}
	dataDir, err := os.MkdirTemp("", "ml2go-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	if engine == "postgres" {
		conn, drop, err := freshSchema(o.postgres)
		if err != nil {
			return err
		}
		defer drop()
		cfg.Database.Connection = conn
	}
	srv, err := server.New(ctx, cfg, server.Options{DataDir: dataDir})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	c := &client{base: "http://" + ln.Addr().String() + "/v2.0/", http: &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: o.clients * 2},
	}}
	// The benchmark's project may have as many ports as it likes.
	if err := c.call("PUT", "quotas/"+projectID, `{"quota":{"port":-1,"network":-1,"subnet":-1}}`, nil); err != nil {
		return err
	}
	var net struct{ Network struct{ ID string } }
	if err := c.call("POST", "networks", `{"network":{"name":"bench"}}`, &net); err != nil {
		return err
	}
	netID := net.Network.ID
	if err := c.call("POST", "subnets", `{"subnet":{"network_id":"`+netID+`","ip_version":4,"cidr":"10.0.0.0/16"}}`, nil); err != nil {
		return err
	}
	body := `{"port":{"network_id":"` + netID + `"}}`
	create := func() error { return c.call("POST", "ports", body, nil) }
	created := 0
	// grow creates ports up to n, from all clients.
	grow := func(n int) error {
		if n <= created {
			return nil
		}
		_, err := concurrently(o.clients, n-created, create)
		created = n
		return err
	}

	seq := time.Now()
	for range o.sequential {
		if err := create(); err != nil {
			return err
		}
	}
	seqRate := float64(o.sequential) / time.Since(seq).Seconds()
	created += o.sequential

	// Listings at each size, with the concurrent creates run when the
	// port count reaches the smallest listing size.
	lists := make([]string, 0, len(o.listSizes))
	var concRate float64
	for i, size := range o.listSizes {
		if err := grow(size); err != nil {
			return err
		}
		if size < created {
			lists = append(lists, fmt.Sprintf("(%d made)", created))
			continue
		}
		l, err := c.listLatency(size, o.listRepeats)
		if err != nil {
			return err
		}
		lists = append(lists, l)
		if i == 0 {
			d, err := concurrently(o.clients, o.concurrent, create)
			if err != nil {
				return err
			}
			concRate = float64(o.concurrent) / d.Seconds()
			created += o.concurrent
		}
	}
	fmt.Printf("%-9s %22.0f %22.0f", engine, seqRate, concRate)
	for _, l := range lists {
		fmt.Printf(" %22s", l)
	}
	fmt.Println()
	return nil
}

// listLatency lists every port repeats times and returns the median and
// 90th percentile of the time to receive the whole response. The first
// listing is decoded to check its length.
func (c *client) listLatency(size, repeats int) (string, error) {
	var out struct{ Ports []json.RawMessage }
	if err := c.call("GET", "ports", "", &out); err != nil {
		return "", err
	}
	if len(out.Ports) != size {
		return "", fmt.Errorf("listed %d ports, want %d", len(out.Ports), size)
	}
	var times []time.Duration
	for range repeats {
		start := time.Now()
		if err := c.call("GET", "ports", "", nil); err != nil {
			return "", err
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	return fmt.Sprintf("%s/%s", ms(times[len(times)/2]), ms(times[len(times)*9/10])), nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// projectID is the noauth project that owns what the benchmark creates.
const projectID = "fake_project_id"

// concurrently runs n calls of fn from clients goroutines and returns how
// long they took.
func concurrently(clients, n int, fn func() error) (time.Duration, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan struct{}, n)
	)
	for range n {
		next <- struct{}{}
	}
	close(next)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for range next {
				if err := fn(); err != nil {
					mu.Lock()
					first = errors.Join(first, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), first
}

// client calls the API.
type client struct {
	base string
	http *http.Client
}

// call sends a request and decodes a 2xx answer into out (when not nil).
func (c *client) call(method, path, body string, out any) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 && out == nil {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	return json.Unmarshal(raw, out)
}

// pingPostgres checks, before any measurement, that the PostgreSQL server
// of dsn answers, and says what to do if not.
func pingPostgres(dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err == nil {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = db.PingContext(ctx)
	}
	if err != nil {
		return fmt.Errorf("the PostgreSQL of -postgres (default: ML2GO_TEST_POSTGRES_DSN) does not answer: %w; "+
			"start it, or pass -postgres '' or -engines sqlite to measure SQLite only", err)
	}
	return nil
}

// freshSchema creates an empty schema in the database of dsn and returns
// the [database] connection that uses it, and a function dropping it.
func freshSchema(dsn string) (string, func(), error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "ml2go_bench_" + hex.EncodeToString(b)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		_ = db.Close()
		return "", nil, err
	}
	drop := func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		_ = db.Close()
	}
	u, err := url.Parse(dsn)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	u.Scheme = "postgresql"
	return u.String(), drop, nil
}
