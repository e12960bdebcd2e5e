package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

// module writes a module of two packages to a temporary directory and
// makes it the current one: pass, whose tests pass or skip, and fail,
// whose test fails.
func module(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.22\n",
		"pass/pass_test.go": `package pass
import "testing"
func TestOK(t *testing.T) { t.Log("noise") }
func TestSkip(t *testing.T) { t.Skip("Open vSwitch is not running") }
`,
		"fail/fail_test.go": `package fail
import "testing"
func TestFail(t *testing.T) { t.Error("boom") }
`,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	t.Chdir(dir)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestRun: the report keeps go test's exit status and last line, and
// lists the skipped tests with their reason.
func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pkgs     []string
		code     int
		last     string
		contains []string
	}{
		{"pass", []string{"./pass"}, 0, "ok  \texample.com/m/pass", []string{
			"SKIPPED: 1 test in 1 package\nexample.com/m/pass\n    pass_test.go:4: Open vSwitch is not running\n        TestSkip\n",
		}},
		{"fail", []string{"./..."}, 1, "FAIL", []string{
			"--- FAIL: TestFail", "fail_test.go:3: boom", "FAIL\texample.com/m/fail", "ok  \texample.com/m/pass", "TestSkip",
		}},
		{"no_such_package", []string{"./nothing"}, 1, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			module(t)
			t.Setenv(sqlstoretest.EnvPostgresDSN, "")
			var stdout, stderr strings.Builder
			code := run(append([]string{"-count=1"}, tc.pkgs...), &stdout, &stderr)
			assert.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
			if tc.last != "" {
				assert.True(t, strings.HasPrefix(lastLine(stdout.String()), tc.last), "last line of:\n%s", &stdout)
			}
			for _, c := range tc.contains {
				assert.Contains(t, stdout.String(), c)
			}
			assert.NotContains(t, stdout.String(), "=== RUN")
			assert.NotContains(t, stdout.String(), "noise")
		})
	}
}

// TestRunPostgresUnreachable: with a PostgreSQL that does not answer, the
// report says what to set and runs no test.
func TestRunPostgresUnreachable(t *testing.T) {
	module(t)
	t.Setenv(sqlstoretest.EnvPostgresDSN, "postgres://postgres@127.0.0.1:1/test?sslmode=disable")
	var stdout, stderr strings.Builder
	code := run([]string{"./..."}, &stdout, &stderr)
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout.String())
	assert.Contains(t, stderr.String(), "set "+sqlstoretest.EnvPostgresDSN+"= (empty) to run the tests on SQLite only")
}
