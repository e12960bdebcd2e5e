// Package transport holds the gRPC settings both sides of ml2go's
// out-of-process driver protocol use on go-plugin's connection. They are
// tuned for what that connection carries: small unary calls, one at a time
// per port operation, over a unix socket to a process on the same machine,
// where the cost of a call is its latency.
package transport

import (
	"os"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
)

// LogLevelEnv is the environment variable in which the host tells a driver
// process the level of the logger that receives the driver's logs. The
// driver's logger (sdk.Logger) then drops below that level what the host
// would drop anyway, instead of encoding it, writing it to its standard
// error and having the host read, parse and discard it on every call.
const LogLevelEnv = "ML2GO_PLUGIN_LOG_LEVEL"

// LogLevelEnvVar returns the LogLevelEnv setting for a host logger, or ""
// when its level is unknown (a logger that does not track one reports
// NoLevel): the driver then logs at every level.
func LogLevelEnvVar(l hclog.Logger) string {
	lvl := l.GetLevel()
	if lvl == hclog.NoLevel || lvl < hclog.Trace || lvl > hclog.Off {
		return ""
	}
	return LogLevelEnv + "=" + lvl.String()
}

// LogLevel returns the level the host announced in LogLevelEnv, or
// hclog.Trace when it announced none.
func LogLevel() hclog.Level {
	if lvl := hclog.LevelFromString(os.Getenv(LogLevelEnv)); lvl != hclog.NoLevel {
		return lvl
	}
	return hclog.Trace
}

// window is the initial HTTP/2 stream and connection flow-control window.
// Setting it explicitly (to at least HTTP/2's 64 KiB default) turns off
// gRPC's dynamic window, whose bandwidth-delay-product estimator answers
// data with a PING and so adds a write and a wake-up of the peer to every
// call; a fixed window of 1 MiB is far more than a driver call carries.
const window = 1 << 20

// DialOptions are the host's options for its connection to a driver.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithInitialWindowSize(window),
		grpc.WithInitialConnWindowSize(window),
	}
}

// ServerOptions are the options of the driver's gRPC server.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.InitialWindowSize(window),
		grpc.InitialConnWindowSize(window),
		// Serve calls on goroutines that live as long as the server: a
		// new goroutine per call would start on a small stack and grow it
		// on every call while decoding the request.
		grpc.NumStreamWorkers(streamWorkers),
	}
}

// streamWorkers is the number of the server's call goroutines; calls
// beyond it get a goroutine of their own, as without workers.
const streamWorkers = 8
