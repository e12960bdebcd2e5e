package sqlstore

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ml2go/ml2go/core"
)

// storageFault reports whether err is a SQLite error of the storage
// under the database rather than of the transaction: an I/O error, a
// database or journal that cannot be written or opened, a full disk. A
// connection that met one may stay broken after the fault is repaired
// (SQLite keeps a journal it reopened read-only, say), so it is closed
// rather than reused.
func storageFault(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := errors.AsType[*faultError](err); ok {
		return true
	}
	se, ok := errors.AsType[*sqlite.Error](err)
	if !ok {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_FULL, sqlite3.SQLITE_PERM:
		return true
	}
	return false
}

// faultError is a storage fault seen on a connection, or found before
// opening one. It matches driver.ErrBadConn, so that database/sql closes
// the connection instead of putting it back in its pool.
type faultError struct{ err error }

func (e *faultError) Error() string        { return e.err.Error() }
func (e *faultError) Unwrap() error        { return e.err }
func (e *faultError) Is(target error) bool { return target == driver.ErrBadConn }

// checkFault marks c broken and returns err as a faultError when err is a
// storage fault; other errors are returned as they are.
func (c *cachingConn) checkFault(err error) error {
	if err == nil || !c.faults || !storageFault(err) {
		return err
	}
	c.broken = true
	if _, ok := errors.AsType[*faultError](err); ok {
		return err
	}
	return &faultError{err: err}
}

// writable returns a faultError when the SQLite file at path exists and
// cannot be opened for writing (read-only or immutable file, read-only
// file system). SQLite would open it read-only instead, and such a
// connection takes file locks and maps shared memory as a second process
// would (see the package documentation).
func writable(path string) func() error {
	return func() error {
		err := unix.Access(path, unix.W_OK)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return &faultError{err: fmt.Errorf("database file %s is not writable: %w", path, err)}
	}
}

// unavailable returns err as core's StorageUnavailable when it is a
// storage fault that no typed error explains, and err itself otherwise.
func unavailable(err error) error {
	if err == nil || !storageFault(err) {
		return err
	}
	if _, ok := errors.AsType[*core.Error](err); ok {
		return err
	}
	return core.StorageUnavailable(err)
}

// dropIdleConns closes the idle connections of a SQLite file after a
// storage fault: they may have opened while the fault lasted and be
// broken for good, and the transaction is tried again on a new one.
func (s *Store) dropIdleConns() {
	s.db.SetMaxIdleConns(0)
	s.db.SetMaxIdleConns(s.cfg.maxOpenConns)
}

// inUse explains a SQLite file that another process holds.
func inUse(err error) error {
	if se, ok := errors.AsType[*sqlite.Error](err); ok && se.Code()&0xff == sqlite3.SQLITE_BUSY {
		return fmt.Errorf("%w: another process has the database open (one process at a time may use a SQLite file; several servers share a PostgreSQL database)", err)
	}
	return err
}
