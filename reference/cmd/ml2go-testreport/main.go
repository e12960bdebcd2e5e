// Command ml2go-testreport runs go test and reports what it did in go
// test's own words, plus what it did not do: every skipped test with the
// reason it gave.
//
//	ml2go-testreport -race -count=1 ./...
//
// Its arguments are go test's. It runs go test -json with them and prints
// what go test prints without -v: each package's "ok", "FAIL" or "?"
// line, the output of failed tests ("--- FAIL: ..."), build errors and
// panics. Before go test's last line it lists the skipped tests, grouped
// by package and reason. Its exit status is go test's.
//
// When ML2GO_TEST_POSTGRES_DSN is set, it first checks that the
// PostgreSQL server it names answers, and stops with exit status 2 and
// what to set if not, rather than run a suite whose store tests would all
// fail.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"

	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs go test -json with args in the current directory, writes the
// report to stdout and go test's standard error to stderr, and returns
// the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if dsn := os.Getenv(sqlstoretest.EnvPostgresDSN); dsn != "" {
		if err := sqlstoretest.CheckPostgres(context.Background(), dsn); err != nil {
			fmt.Fprintf(stderr, "ml2go-testreport: %v\n", err)
			return 2
		}
	}

	// An interrupt reaches go test too (same process group); keep reading
	// until it has said what it has to say.
	signal.Ignore(os.Interrupt)

	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Stdin = os.Stdin
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintf(stderr, "ml2go-testreport: %v\n", err)
		return 2
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "ml2go-testreport: %v\n", err)
		return 2
	}
	r := NewReport(stdout)
	readErr := r.Read(out)
	waitErr := cmd.Wait()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(waitErr, &exit):
		code = exit.ExitCode()
		if code < 0 { // killed by a signal
			code = 1
		}
	case waitErr != nil:
		fmt.Fprintf(stderr, "ml2go-testreport: %v\n", waitErr)
		code = 2
	}
	if readErr != nil {
		fmt.Fprintf(stderr, "ml2go-testreport: reading go test's output: %v\n", readErr)
		if code == 0 {
			code = 2
		}
	}
	r.Finish()
	return code
}
