package sqlstore

import (
	"errors"
	"fmt"

	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ml2go/ml2go/core"
)

// PostgreSQL error codes the store retries.
const (
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
	pgUniqueViolation      = "23505"
	pgForeignKeyViolation  = "23503"
)

// retriable reports whether a transaction that failed with err should run
// again: err wraps core.ErrRetry, or is an engine error that a concurrent
// transaction caused.
//
// On PostgreSQL, unique and foreign key violations count: the store checks
// every conflict it expects (ON CONFLICT DO NOTHING, NOT EXISTS, an explicit
// lookup), so a violation can only come from a transaction that committed
// between the check and the write, and the next attempt sees it and returns
// the proper typed error. On SQLite writers are serialized, so only a busy
// or locked database is transient.
func retriable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, core.ErrRetry) {
		return true
	}
	if pe, ok := errors.AsType[*pq.Error](err); ok {
		switch string(pe.Code) {
		case pgSerializationFailure, pgDeadlockDetected, pgUniqueViolation, pgForeignKeyViolation:
			return true
		}
		return false
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// staleRevision is the error of a lost compare-and-swap on a revision
// number: another transaction updated the row since it was read.
func staleRevision(resource, id string, expected, current int64) error {
	return fmt.Errorf("sqlstore: %s %s changed concurrently (revision %d, expected %d): %w",
		resource, id, current, expected, core.ErrRetry)
}

// wrap annotates a database error with the operation that failed. Typed
// core errors and nil pass through unchanged.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}
