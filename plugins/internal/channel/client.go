package channel

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// maxIdle is the number of idle connections a Client keeps; calls beyond
// it in parallel dial connections that are closed after their call.
const maxIdle = 16

// Client is the host's end of a driver's channel: a
// grpc.ClientConnInterface for the generated clients, making each unary
// call on a connection of its own while the call lasts. It is safe for
// concurrent use.
type Client struct {
	path string

	mu     sync.Mutex
	idle   []*clientConn
	closed bool
}

// Interface guard.
var _ grpc.ClientConnInterface = (*Client)(nil)

// clientConn is one connection with its buffers.
type clientConn struct {
	c   *conn
	r   *bufio.Reader
	out []byte
	in  []byte
}

// Dial connects to the channel on the unix socket path. An error wrapping
// os.ErrNotExist or a refused connection means no driver listens there:
// the driver does not offer the channel.
func Dial(path string) (*Client, error) {
	c := &Client{path: path}
	cc, err := c.dial()
	if err != nil {
		return nil, err
	}
	c.idle = append(c.idle, cc)
	return c, nil
}

// Unsupported reports whether err, from Dial, means that nothing listens
// on the path.
func Unsupported(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED)
}

func (c *Client) dial() (*clientConn, error) {
	nc, err := net.Dial("unix", c.path)
	if err != nil {
		return nil, err
	}
	cn, err := newConn(nc)
	if err != nil {
		return nil, err
	}
	return &clientConn{c: cn, r: bufio.NewReaderSize(cn, 16<<10)}, nil
}

// get returns an idle connection or a new one.
func (c *Client) get() (*clientConn, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, net.ErrClosed
	}
	if n := len(c.idle); n > 0 {
		cc := c.idle[n-1]
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		return cc, nil
	}
	c.mu.Unlock()
	return c.dial()
}

// put returns a healthy connection to the idle ones.
func (c *Client) put(cc *clientConn) {
	c.mu.Lock()
	if !c.closed && len(c.idle) < maxIdle {
		c.idle = append(c.idle, cc)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	_ = cc.c.Close()
}

// Close closes the idle connections; calls in progress finish, and later
// calls fail with Unavailable.
func (c *Client) Close() error {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.closed = nil, true
	c.mu.Unlock()
	for _, cc := range idle {
		_ = cc.c.Close()
	}
	return nil
}

// Invoke makes a unary call. Its error is a gRPC status error: the
// driver's own, or Unavailable or DeadlineExceeded (or Canceled) when the
// call could not be completed. Call options are ignored.
func (c *Client) Invoke(ctx context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	if err := ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	in, ok := args.(proto.Message)
	if !ok {
		return status.Errorf(codes.Internal, "channel: %T is not a protobuf message", args)
	}
	out, ok := reply.(proto.Message)
	if !ok {
		return status.Errorf(codes.Internal, "channel: %T is not a protobuf message", reply)
	}
	cc, err := c.get()
	if err != nil {
		return status.Errorf(codes.Unavailable, "channel: %v", err)
	}
	var deadline int64
	d, hasDeadline := ctx.Deadline()
	if hasDeadline {
		deadline = d.UnixNano()
	}
	var stop func() bool
	if ctx.Done() != nil {
		// The deadline or a cancellation interrupts the exchange by
		// shutting the connection down.
		stop = context.AfterFunc(ctx, cc.c.Shutdown)
	}
	appErr, ioErr := cc.roundTrip(method, deadline, in, out)
	if stop != nil && !stop() {
		// The context ended during the call and the connection is, or
		// is about to be, shut down: it is not reused. An answer that
		// came in time stands.
		_ = cc.c.Close()
		if ioErr == nil {
			return appErr
		}
		return status.FromContextError(ctx.Err()).Err()
	}
	if ioErr != nil {
		_ = cc.c.Close()
		return status.Errorf(codes.Unavailable, "channel: %v", ioErr)
	}
	c.put(cc)
	return appErr
}

// NewStream is not supported: the protocol's streams, if any, go over
// gRPC.
func (c *Client) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unimplemented, "channel: streams are not carried")
}

// roundTrip sends one request and reads its answer into out. appErr is
// the driver's status; ioErr means the connection is no longer usable.
func (cc *clientConn) roundTrip(method string, deadline int64, in, out proto.Message) (appErr, ioErr error) {
	var err error
	cc.out, err = appendRequest(cc.out[:0], method, deadline, in)
	if err != nil {
		return status.Errorf(codes.ResourceExhausted, "%v", err), nil
	}
	if _, err := cc.c.Write(cc.out); err != nil {
		return nil, err
	}
	frame, err := readFrame(cc.r, &cc.in)
	if err != nil {
		return nil, err
	}
	payload, st, err := parseResponse(frame)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return status.ErrorProto(st), nil
	}
	if err := proto.Unmarshal(payload, out); err != nil {
		return status.Errorf(codes.Internal, "channel: decode %s answer: %v", method, err), nil
	}
	return nil, nil
}
