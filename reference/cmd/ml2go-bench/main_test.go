package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunPostgresUnreachable: a PostgreSQL that does not answer stops the
// command before it measures anything, saying what to do.
func TestRunPostgresUnreachable(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    options
	}{
		{"default_engines", options{engines: "sqlite,postgres", postgres: "postgres://postgres:s3cret@127.0.0.1:1/test?sslmode=disable"}},
		{"postgres_only", options{engines: "postgres", enginesSet: true, postgres: "host=127.0.0.1 port=1 user=postgres password=s3cret sslmode=disable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "does not answer")
			assert.Contains(t, err.Error(), "connection refused")
			assert.Contains(t, err.Error(), "-postgres '' or -engines sqlite to measure SQLite only")
			assert.NotContains(t, err.Error(), "s3cret")
		})
	}
}
