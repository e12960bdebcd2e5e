package server

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Accept's retry after running out of file descriptors, and how often
// that is logged.
const (
	acceptRetryMin    = 5 * time.Millisecond
	acceptRetryMax    = time.Second
	fdErrorLogEvery   = 10 * time.Second
	reservedFDs       = 256 // for the store, drivers, Keystone, logs
	minMaxConnections = 16
)

// limitListener serves at most max connections at once. When the limit
// is reached, the keep-alive connection idle longest (one that has been
// answered and waits for its next request) is closed to make room; when
// none is idle, new connections wait in the kernel's backlog until one
// is. A new connection is not closed: its request may be on the way
// (reading it is bounded by the server's header timeout). Running out of file descriptors in
// Accept is logged as an error, at most every fdErrorLogEvery, and
// retried with a backoff instead of spinning.
//
// The server's ConnState hook must call state for the connections it
// serves.
type limitListener struct {
	net.Listener
	max int
	log hclog.Logger

	mu        sync.Mutex
	conns     map[*limitedConn]struct{}
	changed   chan struct{} // a connection closed or went idle; buffered
	closed    chan struct{}
	closeOnce sync.Once

	// fdFailures counts accept failures for want of descriptors since the
	// last log line; lastFDLog is when that was. Accept's goroutine only.
	fdFailures int
	lastFDLog  time.Time
}

// limitedConn is a connection a limitListener accepted.
type limitedConn struct {
	net.Conn
	l         *limitListener
	closeOnce sync.Once
	// Guarded by l.mu.
	idle  bool      // answered, waiting for its next request
	since time.Time // when it became idle
}

func newLimitListener(inner net.Listener, max int, log hclog.Logger) *limitListener {
	return &limitListener{
		Listener: inner,
		max:      max,
		log:      log,
		conns:    make(map[*limitedConn]struct{}, min(max, 1024)),
		changed:  make(chan struct{}, 1),
		closed:   make(chan struct{}),
	}
}

// Accept waits for a free slot, making one from a waiting connection if
// it must, then accepts a connection.
func (l *limitListener) Accept() (net.Conn, error) {
	retry := time.Duration(0)
	for {
		if err := l.slot(); err != nil {
			return nil, err
		}
		c, err := l.Listener.Accept()
		if err != nil {
			if !outOfDescriptors(err) {
				return nil, err
			}
			retry = min(max(2*retry, acceptRetryMin), acceptRetryMax)
			l.logOutOfDescriptors(err)
			if err := l.sleep(retry); err != nil {
				return nil, err
			}
			continue
		}
		lc := &limitedConn{Conn: c, l: l}
		l.mu.Lock()
		l.conns[lc] = struct{}{}
		l.mu.Unlock()
		return lc, nil
	}
}

// slot returns once fewer than max connections are open, closing the
// longest idle one when all slots are taken.
func (l *limitListener) slot() error {
	for {
		l.mu.Lock()
		if len(l.conns) < l.max {
			l.mu.Unlock()
			return nil
		}
		var victim *limitedConn
		for c := range l.conns {
			if c.idle && (victim == nil || c.since.Before(victim.since)) {
				victim = c
			}
		}
		if victim != nil {
			delete(l.conns, victim)
		}
		l.mu.Unlock()
		if victim != nil {
			_ = victim.Conn.Close()
			continue
		}
		select {
		case <-l.changed:
		case <-l.closed:
			return net.ErrClosed
		}
	}
}

// state records what the server does with a connection it serves.
func (l *limitListener) state(c net.Conn, s http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	lc.idle = s == http.StateIdle
	lc.since = time.Now()
	l.mu.Unlock()
	if lc.idle {
		l.signal()
	}
}

func (l *limitListener) signal() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

func (l *limitListener) sleep(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-l.closed:
		return net.ErrClosed
	}
}

func (l *limitListener) logOutOfDescriptors(err error) {
	l.fdFailures++
	now := time.Now()
	if !l.lastFDLog.IsZero() && now.Sub(l.lastFDLog) < fdErrorLogEvery {
		return
	}
	l.log.Error("cannot accept connections: out of file descriptors; raise the process's limit (ulimit -n) or lower [ml2go] max_connections",
		"error", err, "failures", l.fdFailures, "max_connections", l.max)
	l.fdFailures, l.lastFDLog = 0, now
}

// Close stops accepting; Accept returns net.ErrClosed.
func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// Close closes the connection and frees its slot.
func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		c.l.signal()
	})
	return err
}

// outOfDescriptors reports whether err is the process (EMFILE) or the
// system (ENFILE) running out of file descriptors.
func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// maxConnections is the connection limit configured, lowered to what
// the file descriptor limit allows beside the descriptors the server
// needs for the rest, and whether it was lowered.
func maxConnections(configured int) (int, bool) {
	limit, ok := fdLimit()
	if !ok || limit <= reservedFDs || uint64(configured) <= limit-reservedFDs {
		return configured, false
	}
	return max(int(limit-reservedFDs), minMaxConnections), true
}
