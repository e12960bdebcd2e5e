package core_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// forbiddenDeps are what core and its packages never import, directly or
// not: the services, the binaries and their parts, the go-plugin bridge,
// and Linux's netlink. A vendor embedding core pulls in none of them.
var forbiddenDeps = []string{"/serviceplugins", "/reference", "/plugins", "netlink", "hashicorp/go-plugin"}

// forbiddenDep returns what of forbiddenDeps the import path pkg holds.
func forbiddenDep(pkg string) (string, bool) {
	for _, f := range forbiddenDeps {
		if strings.Contains(pkg, f) {
			return f, true
		}
	}
	return "", false
}

func TestForbiddenDep(t *testing.T) {
	tests := []struct {
		pkg  string
		want bool
	}{
		{"github.com/ml2go/ml2go/core/sqlstore", false},
		{"github.com/ml2go/ml2go/typedrivers/vxlan", false},
		{"github.com/hashicorp/go-hclog", false},
		{"github.com/ml2go/ml2go/serviceplugins/router", true},
		{"github.com/ml2go/ml2go/reference/api", true},
		{"github.com/ml2go/ml2go/plugins/host", true},
		{"github.com/vishvananda/netlink/nl", true},
		{"github.com/hashicorp/go-plugin", true},
	}
	for _, tt := range tests {
		_, got := forbiddenDep(tt.pkg)
		assert.Equal(t, tt.want, got, tt.pkg)
	}
}

// TestCoreDeps checks that what `go list -deps ./core/...` lists holds
// nothing of forbiddenDeps.
func TestCoreDeps(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go tool is not on PATH: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/ml2go/ml2go/core/...").Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("go list: %v: %s", err, ee.Stderr)
	}
	require.NoError(t, err)
	pkgs := strings.Fields(string(out))
	require.Contains(t, pkgs, "github.com/ml2go/ml2go/core/sqlstore", "the listing covers core's packages")
	for _, pkg := range pkgs {
		if f, bad := forbiddenDep(pkg); bad {
			t.Errorf("core depends on %s (%s)", pkg, f)
		}
	}
}
