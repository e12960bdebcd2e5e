package server

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fdLimitedListener fails its first accepts as a process out of file
// descriptors does, then accepts pipes.
type fdLimitedListener struct {
	mu       sync.Mutex
	failures int
	errno    syscall.Errno
}

func (l *fdLimitedListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failures > 0 {
		l.failures--
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", l.errno)}
	}
	c, _ := net.Pipe()
	return c, nil
}
func (l *fdLimitedListener) Close() error   { return nil }
func (l *fdLimitedListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// TestAcceptOutOfDescriptors: running out of file descriptors is logged
// as an error, once for a burst of failures, and Accept retries instead
// of failing the server.
func TestAcceptOutOfDescriptors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE} {
		t.Run(errno.Error(), func(t *testing.T) {
			var out bytes.Buffer
			log := hclog.New(&hclog.LoggerOptions{Output: &out, Level: hclog.Info})
			l := newLimitListener(&fdLimitedListener{failures: 4, errno: errno}, 10, log)
			c, err := l.Accept()
			require.NoError(t, err)
			defer c.Close()
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			require.Len(t, lines, 1, out.String())
			assert.Contains(t, lines[0], "[ERROR]")
			assert.Contains(t, lines[0], "out of file descriptors")
			assert.Contains(t, lines[0], errno.Error())
		})
	}
}

// TestLimitListener: at the limit, the connection idle longest is closed
// for a new one; a busy or new connection is not.
func TestLimitListener(t *testing.T) {
	l := newLimitListener(&fdLimitedListener{}, 3, hclog.NewNullLogger())
	var conns []net.Conn
	for range 3 {
		c, err := l.Accept()
		require.NoError(t, err)
		conns = append(conns, c)
	}
	l.state(conns[0], http.StateActive)
	l.state(conns[0], http.StateNew)
	l.state(conns[1], http.StateIdle)
	l.state(conns[2], http.StateIdle)
	l.mu.Lock()
	conns[1].(*limitedConn).since = conns[2].(*limitedConn).since.Add(-time.Second)
	l.mu.Unlock()
	c, err := l.Accept()
	require.NoError(t, err)
	l.mu.Lock()
	_, kept0 := l.conns[conns[0].(*limitedConn)]
	_, kept1 := l.conns[conns[1].(*limitedConn)]
	_, kept2 := l.conns[conns[2].(*limitedConn)]
	n := len(l.conns)
	l.mu.Unlock()
	assert.True(t, kept0, "new")
	assert.False(t, kept1, "idle longest: closed")
	assert.True(t, kept2)
	assert.Equal(t, 3, n)
	_, err = conns[1].Write([]byte("x"))
	assert.ErrorIs(t, err, io.ErrClosedPipe)
	require.NoError(t, c.Close())
	require.NoError(t, conns[1].Close(), "the server closing it again")
	l.mu.Lock()
	assert.Len(t, l.conns, 2)
	l.mu.Unlock()
}
