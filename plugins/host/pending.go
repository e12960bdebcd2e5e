package host

import (
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// pending routes a driver's callbacks to the host-side value of the call
// they belong to (a port context, a transaction's allocator, a
// transaction), while that call is in progress. Calls are named by ids the
// registry hands out.
type pending[T any] struct {
	next  atomic.Uint64
	mu    sync.Mutex
	calls map[uint64]*pendingCall[T]
}

// pendingCall is a call in progress. mu serializes the driver's callbacks:
// the values they act on (an orchestrator's context, a transaction) are
// not safe for concurrent use.
type pendingCall[T any] struct {
	mu   sync.Mutex
	v    T
	done bool
}

func newPending[T any]() *pending[T] {
	return &pending[T]{calls: map[uint64]*pendingCall[T]{}}
}

// register makes v reachable under a new id until the returned function
// is called; that function waits for a callback in progress to finish, so
// that v is not used after the call returns.
func (s *pending[T]) register(v T) (uint64, func()) {
	id := s.next.Add(1)
	c := &pendingCall[T]{v: v}
	s.mu.Lock()
	s.calls[id] = c
	s.mu.Unlock()
	return id, func() {
		s.mu.Lock()
		delete(s.calls, id)
		s.mu.Unlock()
		c.mu.Lock()
		c.done = true
		c.mu.Unlock()
	}
}

// with runs f on the value of call id, or fails when that call is over.
func (s *pending[T]) with(id uint64, what string, f func(v T) error) error {
	s.mu.Lock()
	c := s.calls[id]
	s.mu.Unlock()
	if c == nil {
		return status.Errorf(codes.FailedPrecondition, "no %s call %d in progress", what, id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return status.Errorf(codes.FailedPrecondition, "%s call %d is over", what, id)
	}
	return f(c.v)
}
