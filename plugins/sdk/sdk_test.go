package sdk

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/ml2go/ml2go/plugins/internal/channel"
	pb "github.com/ml2go/ml2go/plugins/proto/mechdriver/v1"
)

// fakeHost serves HostCallbacks and records the segments SetBinding was
// called with.
type fakeHost struct {
	pb.UnimplementedHostCallbacksServer
	mu    sync.Mutex
	bound []string
}

func (h *fakeHost) SetBinding(_ context.Context, req *pb.SetBindingRequest) (*pb.Empty, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bound = append(h.bound, req.SegmentId)
	return &pb.Empty{}, nil
}

func (h *fakeHost) calls() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bound...)
}

// serveHost serves h on the host's end of a call channel, as plugins/host
// does, and returns the socket's path.
func serveHost(t *testing.T, h *fakeHost) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "1-host.sock")
	s, err := channel.Listen(path)
	require.NoError(t, err)
	pb.RegisterHostCallbacksServer(channel.Registrar(grpc.NewServer(), s), h)
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		require.NoError(t, s.Close())
		require.NoError(t, <-done)
	})
	return path
}

// TestHostConnUsesTheHostChannel: a driver's connection to the host's
// callbacks is made on the call channel when the host names its socket
// and it answers, whatever the broker id, with no broker at all; without
// a socket, or when nothing listens on it, the connection falls back to
// the broker (absent here, hence the error).
func TestHostConnUsesTheHostChannel(t *testing.T) {
	h := &fakeHost{}
	served := serveHost(t, h)
	for _, tc := range []struct {
		name      string
		path      string
		brokerID  uint32
		onChannel bool
	}{
		{"channel", served, 7, true},
		{"channel_without_broker_id", served, 0, true},
		{"no_socket_named", "", 7, false},
		{"nothing_listens", filepath.Join(t.TempDir(), "none.sock"), 7, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newHostConn(nil, tc.path, nil, pb.NewHostCallbacksClient)
			err := c.connect(tc.brokerID)
			if !tc.onChannel {
				require.Error(t, err, "no broker to fall back to")
				assert.Contains(t, err.Error(), "host callbacks unavailable")
				_, err = c.client()
				require.Error(t, err, "and a callback cannot be made")
				return
			}
			require.NoError(t, err)
			before := len(h.calls())
			cl, err := c.client()
			require.NoError(t, err)
			_, err = cl.SetBinding(t.Context(), &pb.SetBindingRequest{CallId: 1, SegmentId: tc.name})
			require.NoError(t, err)
			assert.Equal(t, []string{tc.name}, h.calls()[before:], "the callback reached the host on the channel")

			c.mu.Lock()
			c.setID(tc.brokerID + 1) // the host announced another broker service
			c.mu.Unlock()
			again, err := c.client()
			require.NoError(t, err)
			assert.Same(t, cl, again, "the channel does not depend on the broker id")
		})
	}
}
