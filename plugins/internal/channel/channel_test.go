package channel_test

import (
	"context"
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/internal/channel"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	pb "github.com/ml2go/ml2go/plugins/proto/mechdriver/v1"
)

// driver is a mechanism-driver service whose behaviour the port's host
// picks.
type driver struct {
	pb.UnimplementedMechanismDriverServer
	mu        sync.Mutex
	deadlines []bool // whether each CreatePortPrecommit had a deadline
}

func (d *driver) Describe(_ context.Context, req *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	return &pb.DescribeResponse{Name: "test", ApiVersions: req.HostApiVersions, Connectivity: "l2"}, nil
}

func (d *driver) CreatePortPrecommit(ctx context.Context, m *pb.PortContext) (*pb.Empty, error) {
	_, ok := ctx.Deadline()
	d.mu.Lock()
	d.deadlines = append(d.deadlines, ok)
	d.mu.Unlock()
	switch m.Host {
	case "invalid":
		return nil, wire.ToStatus(core.InvalidInput("no port on %s", m.Host))
	case "sleep":
		time.Sleep(300 * time.Millisecond)
	case "plain":
		return nil, status.Error(codes.PermissionDenied, "not here")
	}
	return &pb.Empty{}, nil
}

// serve starts a channel server for a driver and returns its socket.
func serve(t *testing.T, d *driver) (string, *channel.Server) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "calls.sock")
	s, err := channel.Listen(path)
	require.NoError(t, err)
	gs := grpc.NewServer()
	pb.RegisterMechanismDriverServer(channel.Registrar(gs, s), d)
	assert.Contains(t, gs.GetServiceInfo(), "ml2go.mechdriver.v1.MechanismDriver", "registered on gRPC too")
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		require.NoError(t, s.Close())
		require.NoError(t, <-done)
		_, err := os.Stat(path)
		assert.ErrorIs(t, err, os.ErrNotExist, "Close removes the socket")
	})
	return path, s
}

func dial(t *testing.T, path string) *channel.Client {
	t.Helper()
	c, err := channel.Dial(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestCallsRoundTrip(t *testing.T) {
	d := &driver{}
	path, _ := serve(t, d)
	rpc := pb.NewMechanismDriverClient(dial(t, path))
	ctx := t.Context()

	desc, err := rpc.Describe(ctx, &pb.DescribeRequest{HostApiVersions: []uint32{1, 2}})
	require.NoError(t, err)
	assert.Equal(t, "test", desc.Name)
	assert.Equal(t, []uint32{1, 2}, desc.ApiVersions)
	assert.Equal(t, "l2", desc.Connectivity)

	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err = rpc.CreatePortPrecommit(ctx, &pb.PortContext{Host: "h"})
	require.NoError(t, err)
	_, err = rpc.CreatePortPrecommit(t.Context(), &pb.PortContext{Host: "h"})
	require.NoError(t, err)
	assert.Equal(t, []bool{true, false}, d.deadlines, "the caller's deadline reaches the driver")
}

func TestConnected(t *testing.T) {
	path, s := serve(t, &driver{})
	assert.False(t, s.Connected(), "nobody connected yet")
	_, err := pb.NewMechanismDriverClient(dial(t, path)).Describe(t.Context(), &pb.DescribeRequest{})
	require.NoError(t, err)
	assert.True(t, s.Connected(), "a connection whose call was served")
}

func TestErrorsKeepTheirStatus(t *testing.T) {
	path, _ := serve(t, &driver{})
	rpc := pb.NewMechanismDriverClient(dial(t, path))
	ctx := t.Context()

	_, err := rpc.CreatePortPrecommit(ctx, &pb.PortContext{Host: "invalid"})
	derr, ok := wire.FromStatus(err)
	require.True(t, ok, "a typed error survives: %v", err)
	assert.Equal(t, core.KindBadRequest, core.KindOf(derr))
	assert.Contains(t, derr.Error(), "no port on invalid")

	_, err = rpc.CreatePortPrecommit(ctx, &pb.PortContext{Host: "plain"})
	assert.Equal(t, codes.PermissionDenied, status.Code(err))
	assert.Equal(t, "not here", status.Convert(err).Message())

	_, err = rpc.BindPort(ctx, &pb.BindPortRequest{})
	assert.Equal(t, codes.Unimplemented, status.Code(err), "a method the driver does not implement")

	err = dial(t, path).Invoke(ctx, "/no.Such/Method", &pb.Empty{}, &pb.Empty{})
	assert.Equal(t, codes.Unimplemented, status.Code(err), "a method nobody registered")

	_, err = rpc.CreatePortPrecommit(ctx, &pb.PortContext{Host: "h"})
	assert.NoError(t, err, "errors leave the connection usable")
}

func TestDeadlineAndCancellation(t *testing.T) {
	path, _ := serve(t, &driver{})
	rpc := pb.NewMechanismDriverClient(dial(t, path))

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := rpc.CreatePortPrecommit(ctx, &pb.PortContext{Host: "sleep"})
	assert.Equal(t, codes.DeadlineExceeded, status.Code(err), "%v", err)

	ctx, cancel = context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = rpc.CreatePortPrecommit(ctx, &pb.PortContext{Host: "sleep"})
	assert.Equal(t, codes.Canceled, status.Code(err), "%v", err)

	_, err = rpc.CreatePortPrecommit(ctx, &pb.PortContext{Host: "h"})
	assert.Equal(t, codes.Canceled, status.Code(err), "a canceled context sends nothing")

	_, err = rpc.CreatePortPrecommit(t.Context(), &pb.PortContext{Host: "h"})
	assert.NoError(t, err, "later calls get a fresh connection")
}

func TestConcurrentCalls(t *testing.T) {
	d := &driver{}
	path, _ := serve(t, d)
	rpc := pb.NewMechanismDriverClient(dial(t, path))
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 20 {
				_, err := rpc.CreatePortPrecommit(t.Context(), &pb.PortContext{Host: "h"})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.Len(t, d.deadlines, 32*20)
}

func TestUnavailable(t *testing.T) {
	_, err := channel.Dial(filepath.Join(t.TempDir(), "none.sock"))
	require.Error(t, err)
	assert.True(t, channel.Unsupported(err), "nothing listens: %v", err)

	path, s := serve(t, &driver{})
	c := dial(t, path)
	rpc := pb.NewMechanismDriverClient(c)
	require.NoError(t, s.Close())
	_, err = rpc.CreatePortPrecommit(t.Context(), &pb.PortContext{Host: "h"})
	assert.Equal(t, codes.Unavailable, status.Code(err), "%v", err)

	require.NoError(t, c.Close())
	_, err = rpc.CreatePortPrecommit(t.Context(), &pb.PortContext{Host: "h"})
	assert.Equal(t, codes.Unavailable, status.Code(err), "a closed client: %v", err)

	_, err = c.NewStream(t.Context(), &grpc.StreamDesc{}, "/x/y")
	assert.Equal(t, codes.Unimplemented, status.Code(err))
}

func TestMalformedFramesCloseTheConnection(t *testing.T) {
	path, _ := serve(t, &driver{})
	for name, frame := range map[string][]byte{
		"garbage":   append(binary.BigEndian.AppendUint32(nil, 3), 0xff, 0xff, 0xff),
		"too large": binary.BigEndian.AppendUint32(nil, channel.MaxMessage+1),
	} {
		t.Run(name, func(t *testing.T) {
			nc, err := net.Dial("unix", path)
			require.NoError(t, err)
			defer nc.Close()
			_, err = nc.Write(frame)
			require.NoError(t, err)
			require.NoError(t, nc.SetReadDeadline(time.Now().Add(5*time.Second)))
			var b [1]byte
			_, err = nc.Read(b[:])
			assert.Error(t, err, "the server hangs up")
		})
	}
	_, err := pb.NewMechanismDriverClient(dial(t, path)).CreatePortPrecommit(t.Context(), &pb.PortContext{Host: "h"})
	assert.NoError(t, err, "and serves other connections")
}

func TestRegistrarWithoutChannel(t *testing.T) {
	gs := grpc.NewServer()
	pb.RegisterMechanismDriverServer(channel.Registrar(gs, nil), &driver{})
	assert.Contains(t, gs.GetServiceInfo(), "ml2go.mechdriver.v1.MechanismDriver")
}
