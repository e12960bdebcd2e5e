package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRun checks that the program logs the port's create and update,
// in order, and serves the log.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	require.Regexp(t, regexp.MustCompile(`^port [0-9a-f-]{36}: create\nport [0-9a-f-]{36}: update\n$`), out.String())
}

// TestReadmeSnippet checks that the README's 30-line service is the code
// of portlog.go, line for line.
func TestReadmeSnippet(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)\n## The service, in 30 lines\n.*?```go\n(.*?)```").FindSubmatch(readme)
	require.NotNil(t, m, "README.md has no Go block under its 30-line service")
	src, err := os.ReadFile("portlog.go")
	require.NoError(t, err)
	for _, line := range strings.Split(string(m[1]), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			require.Contains(t, string(src), line, "README line not in portlog.go")
		}
	}
}
