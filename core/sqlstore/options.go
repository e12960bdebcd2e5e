package sqlstore

import (
	"time"

	"github.com/hashicorp/go-hclog"
)

// Default settings of a Store.
const (
	// DefaultMaxAttempts is how many times Update runs a transaction that
	// keeps failing with a retriable error.
	DefaultMaxAttempts = 20
	// DefaultMaxOpenConns caps a PostgreSQL pool and a file SQLite pool.
	DefaultMaxOpenConns = 10
	// DefaultBusyTimeout is how long SQLite waits for another process's
	// lock before reporting the database busy.
	DefaultBusyTimeout = 5 * time.Second
)

// Option configures Open.
type Option func(*config)

type config struct {
	logger       hclog.Logger
	maxAttempts  int
	maxOpenConns int
	busyTimeout  time.Duration
	now          func() time.Time
	schemas      []Schema
}

func defaultConfig() config {
	return config{
		logger:       hclog.NewNullLogger(),
		maxAttempts:  DefaultMaxAttempts,
		maxOpenConns: DefaultMaxOpenConns,
		busyTimeout:  DefaultBusyTimeout,
		now:          time.Now,
	}
}

// WithLogger sets the logger for migrations and retries (default: none).
func WithLogger(l hclog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithMaxRetries sets how many times in all Update runs a transaction that
// fails with a retriable error (default DefaultMaxAttempts); n < 1 means 1.
func WithMaxRetries(n int) Option {
	return func(c *config) { c.maxAttempts = max(n, 1) }
}

// WithMaxOpenConns caps the connection pool (default DefaultMaxOpenConns).
// An in-memory SQLite database always has exactly one connection.
func WithMaxOpenConns(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxOpenConns = n
		}
	}
}

// WithBusyTimeout sets how long SQLite waits for a lock held by another
// process before the transaction fails as busy (and is retried).
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.busyTimeout = d
		}
	}
}

// WithClock replaces time.Now as the source of created_at, updated_at and
// migration times, for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}
