package channel

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// conn is one end of a channel connection, read and written with blocking
// system calls on its own file descriptor rather than through Go's network
// poller.
//
// A call is a strict ping-pong between two processes that are mostly idle
// in between. Through the poller, each message wakes the receiver's thread
// from epoll, which then hands the reading goroutine to a processor; with
// a blocking read the kernel wakes the reading thread itself, and the
// goroutine runs on the processor it kept. On a small virtual machine,
// where a wake-up crosses the hypervisor, that saves tens of microseconds
// a message.
//
// Reads and writes go through package syscall, whose calls tell the race
// detector that what was written before a write happens before what is
// read after a read, as Go's network I/O does.
//
// A blocked Read or Write is interrupted by Shutdown; Close releases the
// descriptor once nothing uses it. Both are safe to call from any
// goroutine and more than once.
type conn struct {
	mu     sync.Mutex
	fd     int
	closed bool
}

// Interface guard.
var _ io.ReadWriter = (*conn)(nil)

// newConn takes over c, a unix socket connection: it duplicates the
// descriptor, closes c and makes the duplicate blocking.
func newConn(c net.Conn) (*conn, error) {
	defer c.Close()
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, errors.New("channel: not a unix socket connection")
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	// O_NONBLOCK belongs to the open file the two descriptors share; c
	// is closed (deferred) without reading or writing again.
	if err := unix.SetNonblock(fd, false); err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	return &conn{fd: fd}, nil
}

// Read reads into p, blocking until some bytes arrive; it returns io.EOF
// when the peer has closed or the connection was shut down.
func (c *conn) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(c.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Write writes all of p, blocking as needed.
func (c *conn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := syscall.Write(c.fd, p[written:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

// Shutdown ends both directions of the connection: blocked and later
// reads return io.EOF and writes fail. It does nothing once closed, so a
// late Shutdown never touches a descriptor number the process has reused.
func (c *conn) Shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		_ = unix.Shutdown(c.fd, unix.SHUT_RDWR)
	}
}

// Close releases the descriptor. The caller makes sure that no Read or
// Write is in progress: Shutdown first, and wait for them, when one may be.
func (c *conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return unix.Close(c.fd)
}
