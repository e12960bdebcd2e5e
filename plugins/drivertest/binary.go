package drivertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/host"
)

// EnvConformance is set to "1" in the environment of the driver processes
// Binary starts. A driver honours the failure convention (see the package
// documentation) only when it is set, so that production deployments
// never fail on a resource's name.
const EnvConformance = "ML2GO_DRIVERTEST"

// supervised is what each kind of *host driver has.
type supervised interface {
	Health() host.Health
	Close() error
}

// binary returns a factory that loads the driver binary at path with
// args through load, as the server does.
func binary[D supervised](t *testing.T, path string, args []string, load func(context.Context, host.Config) (D, error)) func(t *testing.T) D {
	t.Helper()
	if fi, err := os.Stat(path); err != nil {
		t.Fatalf("drivertest: driver binary: %v", err)
	} else if fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("drivertest: driver binary %s is not an executable file", path)
	}
	return func(t *testing.T) D {
		t.Helper()
		d, err := load(context.Background(), host.Config{
			Name:           DriverName,
			Command:        path,
			Args:           args,
			Env:            []string{EnvConformance + "=1"},
			Logger:         testLogger(t, "host", hclog.Info),
			CallTimeout:    opTimeout,
			RestartBackoff: 50 * time.Millisecond,
		})
		if err != nil {
			t.Fatalf("drivertest: load the driver binary %s: %v", path, err)
		}
		t.Cleanup(func() {
			h := d.Health()
			_ = d.Close()
			if h.Restarts > 0 {
				t.Errorf("the driver process was restarted %d times during the test (it crashed, panicked "+
					"or was killed); last error: %v", h.Restarts, h.LastError)
			}
		})
		return d
	}
}

// Binary returns a factory for Run that starts the mechanism driver binary
// at path with args through plugins/host.Load, exactly as the server does,
// with EnvConformance=1 in its environment. Each driver process is stopped
// when its subtest ends; the subtest fails if the process had to be
// restarted meanwhile (it crashed, panicked or was killed). The host's and
// the driver's logs go to t.Log.
func Binary(t *testing.T, path string, args ...string) func(t *testing.T) core.MechanismDriver {
	t.Helper()
	f := binary(t, path, args, host.Load)
	return func(t *testing.T) core.MechanismDriver { return f(t) }
}

// TypeDriverBinary is Binary for RunTypeDriver: it starts the type driver
// the binary serves, through plugins/host.LoadTypeDriver.
func TypeDriverBinary(t *testing.T, path string, args ...string) func(t *testing.T) core.TypeDriver {
	t.Helper()
	f := binary(t, path, args, host.LoadTypeDriver)
	return func(t *testing.T) core.TypeDriver { return f(t) }
}

// ExtensionDriverBinary is Binary for RunExtensionDriver: it starts the
// extension driver the binary serves, through
// plugins/host.LoadExtensionDriver.
func ExtensionDriverBinary(t *testing.T, path string, args ...string) func(t *testing.T) core.ExtensionDriver {
	t.Helper()
	f := binary(t, path, args, host.LoadExtensionDriver)
	return func(t *testing.T) core.ExtensionDriver { return f(t) }
}

// Build builds the main package pkg (a path or import path, relative to
// the test's directory: "." for the package under test) with go build into
// a temporary directory, and returns the binary's path. It is for the
// tests of a driver binary; the go command must be on PATH.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "driver")
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("drivertest: go build %s: %v\n%s", pkg, err, b)
	}
	return out
}
