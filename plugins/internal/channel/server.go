package channel

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Server serves the unary methods of the services registered with it on
// the channel. Register services through Registrar, so that they are
// served on gRPC too.
type Server struct {
	ln        net.Listener
	path      string
	connected atomic.Bool // a client has connected

	mu      sync.Mutex
	methods map[string]method
	conns   map[*conn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// method is one registered unary method.
type method struct {
	impl any
	desc grpc.MethodDesc
}

// Interface guard.
var _ grpc.ServiceRegistrar = (*Server)(nil)

// Listen listens on the unix socket path. Register the services, then
// call Serve.
func Listen(path string) (*Server, error) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	return &Server{ln: ln, path: path, methods: map[string]method{}, conns: map[*conn]struct{}{}}, nil
}

// RegisterService registers the unary methods of a service; streams are
// left to gRPC. Calls of a method that is not registered yet fail with
// Unimplemented.
func (s *Server) RegisterService(desc *grpc.ServiceDesc, impl any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range desc.Methods {
		s.methods["/"+desc.ServiceName+"/"+m.MethodName] = method{impl: impl, desc: m}
	}
}

// Serve accepts connections until Close, serving each on a goroutine of
// its own. It returns nil after Close.
func (s *Server) Serve() error {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			return err
		}
		c, err := newConn(nc)
		if err != nil {
			continue // that client alone is refused
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.connected.Store(true)
		go s.serveConn(c)
	}
}

// Connected reports whether a client has connected since Listen: whether
// the other side uses the channel. A connection counts from when Serve
// accepts it, before its first call is served.
func (s *Server) Connected() bool { return s.connected.Load() }

// Close stops accepting, closes the connections, waits for the calls in
// progress and removes the socket.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Shutdown()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

// serveConn runs the calls of one connection, one after the other, until
// it fails or closes.
func (s *Server) serveConn(c *conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = c.Close()
	}()
	r := bufio.NewReaderSize(c, 16<<10)
	var in, out []byte
	for {
		frame, err := readFrame(r, &in)
		if err != nil {
			return
		}
		req, err := parseRequest(frame)
		if err != nil {
			return
		}
		resp, st := s.call(req)
		out, err = appendResponse(out[:0], resp, st)
		if err != nil {
			// The answer is too large to send: send that instead.
			out, err = appendResponse(out[:0], nil, status.New(codes.ResourceExhausted, err.Error()).Proto())
			if err != nil {
				return
			}
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// call runs one method and returns its answer or its status.
func (s *Server) call(req request) (proto.Message, *spb.Status) {
	s.mu.Lock()
	m, ok := s.methods[req.method]
	s.mu.Unlock()
	if !ok {
		return nil, status.Newf(codes.Unimplemented, "unknown method %s", req.method).Proto()
	}
	ctx := context.Background()
	if req.deadline != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Unix(0, req.deadline))
		defer cancel()
	}
	dec := func(v any) error {
		msg, ok := v.(proto.Message)
		if !ok {
			return status.Errorf(codes.Internal, "channel: %T is not a protobuf message", v)
		}
		if err := proto.Unmarshal(req.payload, msg); err != nil {
			return status.Errorf(codes.Internal, "channel: decode %s request: %v", req.method, err)
		}
		return nil
	}
	resp, err := m.desc.Handler(m.impl, ctx, dec, nil)
	if err != nil {
		return nil, status.Convert(err).Proto()
	}
	msg, ok := resp.(proto.Message)
	if !ok {
		return nil, status.Newf(codes.Internal, "channel: %s answered %T, not a protobuf message", req.method, resp).Proto()
	}
	return msg, nil
}

// Registrar returns a registrar that registers a service both on gRPC and
// on the channel. s may be nil: the registrar is then gRPC's alone.
func Registrar(g grpc.ServiceRegistrar, s *Server) grpc.ServiceRegistrar {
	if s == nil {
		return g
	}
	return both{g, s}
}

type both struct{ a, b grpc.ServiceRegistrar }

func (r both) RegisterService(desc *grpc.ServiceDesc, impl any) {
	r.a.RegisterService(desc, impl)
	r.b.RegisterService(desc, impl)
}
