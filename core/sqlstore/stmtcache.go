package sqlstore

import (
	"container/list"
	"context"
	"database/sql/driver"
)

// stmtCacheSize bounds the statements each connection keeps prepared. The
// store runs a few dozen distinct statements; listings with varying
// filters add some more.
const stmtCacheSize = 256

// cachingConnector hands out connections that prepare each statement with
// arguments once and run it from then on as a prepared statement: on
// PostgreSQL one round trip instead of parse-and-plan every time, on
// SQLite no re-compilation. Statements without arguments (migrations,
// pragmas) run as before.
//
// On a SQLite file, connections also watch for storage faults (see
// storageFault): a connection that met one is closed rather than reused,
// and precheck refuses to open one while the file cannot be written.
type cachingConnector struct {
	inner    driver.Connector
	faults   bool
	precheck func() error
}

// Connect implements driver.Connector.
func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if c.precheck != nil {
		if err := c.precheck(); err != nil {
			return nil, err
		}
	}
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: conn, size: stmtCacheSize, stmts: map[string]*list.Element{}, lru: list.New(), faults: c.faults}, nil
}

// Driver implements driver.Connector.
func (c cachingConnector) Driver() driver.Driver { return c.inner.Driver() }

// dsnConnector is the connector of a driver that has none of its own.
type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// newConnector returns the caching connector of a target.
func newConnector(tgt target) (driver.Connector, error) {
	drv, dsn := tgt.driverImpl(), tgt.source
	var inner driver.Connector = dsnConnector{drv: drv, dsn: dsn}
	if dc, ok := drv.(driver.DriverContext); ok {
		var err error
		if inner, err = dc.OpenConnector(dsn); err != nil {
			return nil, err
		}
	}
	c := cachingConnector{inner: inner}
	if tgt.path != "" {
		c.faults, c.precheck = true, writable(tgt.path)
	}
	return c, nil
}

// cachingConn is one connection with its prepared statements, least
// recently used first in lru. database/sql uses a connection from one
// goroutine at a time, so it needs no lock.
type cachingConn struct {
	driver.Conn
	size  int                      // most statements kept
	stmts map[string]*list.Element // of *cachedStmt
	lru   *list.List
	// faults is whether storage faults break the connection (a SQLite
	// file); broken is whether one did.
	faults, broken bool
}

type cachedStmt struct {
	query string
	stmt  driver.Stmt
}

// The interfaces database/sql looks for on a connection.
var (
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.NamedValueChecker  = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
)

// prepared returns the connection's prepared statement for query,
// preparing it the first time.
func (c *cachingConn) prepared(ctx context.Context, query string) (driver.Stmt, error) {
	if e, ok := c.stmts[query]; ok {
		c.lru.MoveToBack(e)
		return e.Value.(*cachedStmt).stmt, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err // checked by PrepareContext
	}
	if c.lru.Len() >= c.size {
		old := c.lru.Remove(c.lru.Front()).(*cachedStmt)
		delete(c.stmts, old.query)
		_ = old.stmt.Close()
	}
	c.stmts[query] = c.lru.PushBack(&cachedStmt{query: query, stmt: st})
	return st, nil
}

// QueryContext implements driver.QueryerContext.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 {
		if q, ok := c.Conn.(driver.QueryerContext); ok {
			rows, err := q.QueryContext(ctx, query, args)
			return rows, c.checkFault(err)
		}
		return nil, driver.ErrSkip
	}
	st, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	q, ok := st.(driver.StmtQueryContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, err := q.QueryContext(ctx, args)
	return rows, c.checkFault(err)
}

// ExecContext implements driver.ExecerContext.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		if e, ok := c.Conn.(driver.ExecerContext); ok {
			res, err := e.ExecContext(ctx, query, args)
			return res, c.checkFault(err)
		}
		return nil, driver.ErrSkip
	}
	st, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	e, ok := st.(driver.StmtExecContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	res, err := e.ExecContext(ctx, args)
	return res, c.checkFault(err)
}

// PrepareContext implements driver.ConnPrepareContext.
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err := p.PrepareContext(ctx, query)
		return st, c.checkFault(err)
	}
	st, err := c.Prepare(query)
	return st, c.checkFault(err)
}

// BeginTx implements driver.ConnBeginTx.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		t, err := b.BeginTx(ctx, opts)
		return t, c.checkFault(err)
	}
	t, err := c.Begin() //nolint:staticcheck // the fallback database/sql uses too
	return t, c.checkFault(err)
}

// Ping implements driver.Pinger.
func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return c.checkFault(p.Ping(ctx))
	}
	return nil
}

// CheckNamedValue implements driver.NamedValueChecker.
func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// ResetSession implements driver.SessionResetter; a connection that a
// storage fault broke is not reused.
func (c *cachingConn) ResetSession(ctx context.Context) error {
	if c.broken {
		return driver.ErrBadConn
	}
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

// IsValid implements driver.Validator: false once a storage fault broke
// the connection.
func (c *cachingConn) IsValid() bool {
	if c.broken {
		return false
	}
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Close closes the prepared statements, then the connection.
func (c *cachingConn) Close() error {
	for e := c.lru.Front(); e != nil; e = e.Next() {
		_ = e.Value.(*cachedStmt).stmt.Close()
	}
	c.stmts, c.lru = nil, list.New()
	return c.Conn.Close()
}
