package transport

import (
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestLogLevelRoundTrip(t *testing.T) {
	for _, lvl := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn, hclog.Error, hclog.Off} {
		v := LogLevelEnvVar(hclog.New(&hclog.LoggerOptions{Level: lvl}))
		t.Setenv(LogLevelEnv, v[len(LogLevelEnv)+1:])
		if got := LogLevel(); got != lvl {
			t.Errorf("%v: announced %q, driver logs at %v", lvl, v, got)
		}
	}
	if v := LogLevelEnvVar(hclog.NewNullLogger()); v != "" {
		t.Errorf("a logger without a level announces %q", v)
	}
	t.Setenv(LogLevelEnv, "")
	if got := LogLevel(); got != hclog.Trace {
		t.Errorf("nothing announced: driver logs at %v, want trace", got)
	}
}
