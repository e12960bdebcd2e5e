package sqlstoretest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refused are DSNs of a server that does not answer: nothing listens on
// port 1 of the loopback address.
var refused = []struct {
	name, dsn string
}{
	{"url", "postgres://postgres:s3cret@127.0.0.1:1/test?sslmode=disable"},
	{"key_value", "host=127.0.0.1 port=1 user=postgres password=s3cret dbname=test sslmode=disable"},
}

// assertHint checks that msg says the server does not answer and what to
// set, without the password.
func assertHint(t *testing.T, msg string) {
	t.Helper()
	assert.Contains(t, msg, "PostgreSQL at "+EnvPostgresDSN+"=")
	assert.Contains(t, msg, "connection refused")
	assert.Contains(t, msg, "set "+EnvPostgresDSN+"= (empty) to run the tests on SQLite only")
	assert.Contains(t, msg, "start it")
	assert.NotContains(t, msg, "s3cret")
}

func TestCheckPostgresUnreachable(t *testing.T) {
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPostgres(context.Background(), tc.dsn)
			require.Error(t, err)
			assertHint(t, err.Error())
		})
	}
}

func TestCheckPostgresReachable(t *testing.T) {
	dsn := os.Getenv(EnvPostgresDSN)
	if dsn == "" {
		t.Skipf("%s is not set", EnvPostgresDSN)
	}
	require.NoError(t, CheckPostgres(context.Background(), dsn))
}

// fatalTB records the message of Fatalf and ends the goroutine that
// called it, as testing.T does.
type fatalTB struct {
	testing.TB
	fatal string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestDSNUnreachable: a test that needs the PostgreSQL of EnvPostgresDSN
// fails, when it does not answer, with what to set, every time.
func TestDSNUnreachable(t *testing.T) {
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvPostgresDSN, tc.dsn)
			for range 2 {
				f := &fatalTB{TB: t}
				done := make(chan string)
				go func() {
					defer func() { done <- f.fatal }()
					DSN(f, Postgres)
				}()
				msg := <-done
				require.NotEmpty(t, msg, "DSN did not fail")
				assert.Contains(t, msg, "sqlstoretest: ")
				assertHint(t, msg)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		name, dsn, want string
	}{
		{"url_password", "postgres://u:pw@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"url_password_param", "postgresql://u@h/db?password=pw", "postgresql://u@h/db?password=xxxxx"},
		{"url_none", "postgres://u@h/db", "postgres://u@h/db"},
		{"kv_password", "host=h password=pw dbname=db", "host=h password=xxxxx dbname=db"},
		{"kv_first", "password=pw host=h", "password=xxxxx host=h"},
		{"kv_quoted", `host=h password='p w\'x' dbname=db`, "host=h password=xxxxx dbname=db"},
		{"kv_spaced", "host=h password = pw dbname=db", "host=h password=xxxxx dbname=db"},
		{"kv_none", "host=h dbname=db", "host=h dbname=db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, redact(tc.dsn))
		})
	}
}
