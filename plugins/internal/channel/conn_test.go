package channel

import (
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connPair returns the two ends of a unix socket connection as conns.
func connPair(t *testing.T) (a, b *conn) {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	dialed, err := net.Dial("unix", ln.Addr().String())
	require.NoError(t, err)
	a, err = newConn(dialed)
	require.NoError(t, err)
	b, err = newConn(<-accepted)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return a, b
}

func TestConnCarriesBytesBothWays(t *testing.T) {
	a, b := connPair(t)
	big := make([]byte, 1<<20) // more than a socket buffer: Write loops
	for i := range big {
		big[i] = byte(i)
	}
	go func() { _, _ = a.Write(big) }()
	got := make([]byte, len(big))
	_, err := io.ReadFull(b, got)
	require.NoError(t, err)
	assert.Equal(t, big, got)

	_, err = b.Write([]byte("pong"))
	require.NoError(t, err)
	reply := make([]byte, 4)
	_, err = io.ReadFull(a, reply)
	require.NoError(t, err)
	assert.Equal(t, "pong", string(reply))
}

func TestConnShutdownInterruptsRead(t *testing.T) {
	a, _ := connPair(t)
	done := make(chan error, 1)
	go func() {
		_, err := a.Read(make([]byte, 8))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Read returned before Shutdown: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	a.Shutdown()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, io.EOF)
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not interrupt the blocked Read")
	}
	_, err := a.Write([]byte("x"))
	assert.Error(t, err, "no writes after Shutdown")
}

func TestConnPeerCloseIsEOF(t *testing.T) {
	a, b := connPair(t)
	require.NoError(t, b.Close())
	_, err := a.Read(make([]byte, 8))
	assert.ErrorIs(t, err, io.EOF)
}

func TestConnCloseIsFinal(t *testing.T) {
	a, _ := connPair(t)
	require.NoError(t, a.Close())
	require.NoError(t, a.Close(), "a second Close does nothing")
	a.Shutdown() // after Close: does nothing, touches no descriptor
}
