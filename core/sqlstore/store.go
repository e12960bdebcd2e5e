package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jmoiron/sqlx"

	"github.com/ml2go/ml2go/core"
)

// Back-off between attempts of a retried transaction: the first wait is
// about backoffBase, doubling up to backoffMax, each with jitter.
const (
	backoffBase = time.Millisecond
	backoffMax  = 128 * time.Millisecond
)

// Store is a core.Store over SQLite or PostgreSQL. It is safe for
// concurrent use; several Stores may share a database, in one or several
// processes on PostgreSQL, in one process on a SQLite file.
type Store struct {
	db     *sqlx.DB
	engine engine
	cfg    config
	log    hclog.Logger
	// writers serializes this Store's write transactions on a SQLite
	// file, so that they queue in Go rather than in SQLite's busy handler.
	writers chan struct{}
	// gapHints remembers where AllocateSegment's last gap search ended,
	// by segment type and physical network (see segmentHints).
	gapHints segmentHints
	// schemas are the migrations of the schemas given WithSchemas, for
	// the store's engine.
	schemas []ownedMigrations
}

var _ core.Store = (*Store)(nil)

// Open opens the database named by dsn (see the package documentation for
// the forms accepted) and applies the migrations it lacks: core's, then
// those of the schemas given WithSchemas.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	tgt, err := parseDSN(dsn, cfg.busyTimeout)
	if err != nil {
		return nil, err
	}
	schemas, err := loadSchemas(cfg.schemas, tgt.engine)
	if err != nil {
		return nil, err
	}
	if tgt.engine == engineSQLite {
		reserveHeap()
	}
	connector, err := newConnector(tgt)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", tgt.redacted, err)
	}
	db := sqlx.NewDb(sql.OpenDB(connector), tgt.driver)
	s := &Store{db: db, engine: tgt.engine, cfg: cfg, log: cfg.logger, schemas: schemas}
	switch {
	case tgt.memory:
		// Every connection to ":memory:" is a database of its own: keep
		// exactly one, forever.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	default:
		db.SetMaxOpenConns(cfg.maxOpenConns)
		db.SetMaxIdleConns(cfg.maxOpenConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
		if tgt.engine == engineSQLite {
			s.writers = make(chan struct{}, 1)
		}
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlstore: connect to %s: %w", tgt.redacted, inUse(err))
	}
	if tgt.engine == engineSQLite && !tgt.memory {
		if err := s.enableWAL(ctx); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("sqlstore: %s: %w", tgt.redacted, err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// enableWAL puts a SQLite file in WAL mode, which lasts: readers then never
// block the writer nor the writer them. Switching needs an exclusive lock
// that SQLite does not wait for, so it is retried while other connections
// (opening the same new file, say) are in the way.
func (s *Store) enableWAL(ctx context.Context) error {
	deadline := time.Now().Add(s.cfg.busyTimeout)
	for attempt := 1; ; attempt++ {
		var mode string
		err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return fmt.Errorf("cannot use WAL journal mode (got %q)", mode)
		case !retriable(err) || time.Now().After(deadline):
			return fmt.Errorf("set WAL journal mode: %w", inUse(err))
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
}

// Engine returns "sqlite" or "postgres".
func (s *Store) Engine() string { return s.engine.String() }

// Close releases the store's connections.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in a read-write transaction and commits if fn returns nil.
// It runs fn again, with jittered exponential back-off, when the attempt
// fails with a retriable error (see the package documentation), at most
// the configured number of times in all.
func (s *Store) Update(ctx context.Context, fn func(tx core.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.run(ctx, false, fn)
		if err == nil || !retriable(err) {
			return err
		}
		if attempt >= s.cfg.maxAttempts {
			return fmt.Errorf("sqlstore: transaction failed %d times: %w", attempt, err)
		}
		s.log.Debug("retrying transaction", "attempt", attempt, "error", err)
		if werr := sleep(ctx, backoff(attempt)); werr != nil {
			return fmt.Errorf("sqlstore: %w while retrying: %w", werr, err)
		}
	}
}

// View runs fn in a read-only transaction: a consistent snapshot.
func (s *Store) View(ctx context.Context, fn func(tx core.Tx) error) error {
	return s.run(ctx, true, fn)
}

// run runs fn in one transaction.
func (s *Store) run(ctx context.Context, readOnly bool, fn func(tx core.Tx) error) (err error) {
	if !readOnly && s.writers != nil {
		select {
		case s.writers <- struct{}{}:
			defer func() { <-s.writers }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.engine == engineSQLite {
		err := s.runSQLite(ctx, readOnly, fn)
		if storageFault(err) && s.writers != nil {
			// The connection is closed; idle ones may be as broken,
			// and a new one works if the fault is gone.
			s.dropIdleConns()
			err = s.runSQLite(ctx, readOnly, fn)
		}
		return unavailable(err)
	}
	opts := &sql.TxOptions{ReadOnly: readOnly}
	if readOnly {
		opts.Isolation = sql.LevelRepeatableRead
	}
	stx, err := s.db.BeginTxx(ctx, opts)
	if err != nil {
		return wrap("begin transaction", err)
	}
	done := false
	defer func() {
		if !done {
			_ = stx.Rollback()
		}
	}()
	if err := fn(&tx{s: s, q: stx, readOnly: readOnly}); err != nil {
		return err
	}
	done = true
	return wrap("commit", stx.Commit())
}

// runSQLite runs fn in one SQLite transaction, begun and ended with
// statements on a connection of its own rather than through a sql.Tx.
//
// SQLite runs in process and its statements take microseconds, so they
// run detached from ctx's cancellation (see tx.stmtContext): database/sql
// would otherwise start a goroutine to watch the context of every
// transaction and every query, and the driver one for every statement,
// and each start wakes an idle thread, which costs more than the
// statement itself on a small virtual machine. A canceled ctx still
// fails the transaction's next statement and is never committed. BEGIN
// IMMEDIATE may wait for another process's write lock, as long as the
// busy timeout.
func (s *Store) runSQLite(ctx context.Context, readOnly bool, fn func(tx core.Tx) error) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return wrap("begin transaction", err)
	}
	begin := "BEGIN IMMEDIATE"
	if readOnly {
		begin = "BEGIN"
	}
	bg := context.WithoutCancel(ctx)
	if _, err := conn.ExecContext(bg, begin); err != nil {
		_ = conn.Close()
		return wrap("begin transaction", err)
	}
	// open is whether the transaction still needs its ROLLBACK; fn may
	// panic.
	open := true
	defer func() {
		if open {
			if _, err := conn.ExecContext(bg, "ROLLBACK"); err != nil {
				// The connection may still be inside the transaction:
				// database/sql drops it rather than reuse it.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}
		if storageFault(err) {
			// A fault that a query's rows met, which the connection
			// did not see: drop it too.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	}()
	if err := fn(&tx{s: s, q: conn, ctx: ctx, detached: bg, readOnly: readOnly}); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return wrap("commit", err)
	}
	if _, err := conn.ExecContext(bg, "COMMIT"); err != nil {
		return wrap("commit", err)
	}
	open = false
	return nil
}

// backoff is the jittered wait before attempt+1.
func backoff(attempt int) time.Duration {
	d := backoffMax
	if attempt < 8 {
		d = min(backoffBase<<(attempt-1), backoffMax)
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// now is the current time as the store records it: UTC, whole seconds.
func (s *Store) now() time.Time {
	return s.cfg.now().UTC().Truncate(time.Second)
}
