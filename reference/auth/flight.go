package auth

import (
	"context"
	"sync"
)

// group runs one call at a time per key and hands its result to every caller
// that asks for the same key meanwhile: the callers of a token nobody has
// validated yet cost Keystone one validation.
type group[K comparable, V any] struct {
	mu      sync.Mutex
	flights map[K]*flight[V]
}

type flight[V any] struct {
	done chan struct{}
	val  V
	err  error
	// abandoned: the call failed because its own caller went away; the
	// waiters, whose requests are still alive, try again.
	abandoned bool
}

// do returns cached() when it reports a value, else the result of fn, run
// once for all the callers of key that arrive while it runs. fn must make
// its result visible to cached before it returns, so that no caller arriving
// afterwards runs it again. fn runs with the context of the caller that
// started it; a waiter whose ctx ends stops waiting with ctx's error.
func (g *group[K, V]) do(ctx context.Context, key K, cached func() (V, bool), fn func(context.Context) (V, error)) (V, error) {
	for {
		g.mu.Lock()
		if v, ok := cached(); ok {
			g.mu.Unlock()
			return v, nil
		}
		if f, ok := g.flights[key]; ok {
			g.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				var zero V
				return zero, ctx.Err()
			}
			if f.abandoned && ctx.Err() == nil {
				continue
			}
			return f.val, f.err
		}
		f := &flight[V]{done: make(chan struct{})}
		if g.flights == nil {
			g.flights = make(map[K]*flight[V])
		}
		g.flights[key] = f
		g.mu.Unlock()
		g.run(ctx, key, f, fn)
		return f.val, f.err
	}
}

// run calls fn for f, then releases f's waiters, even if fn panics (they
// try again: the panic goes on up the leader's stack).
func (g *group[K, V]) run(ctx context.Context, key K, f *flight[V], fn func(context.Context) (V, error)) {
	normal := false
	defer func() {
		if !normal {
			f.abandoned = true
		}
		g.mu.Lock()
		delete(g.flights, key)
		g.mu.Unlock()
		close(f.done)
	}()
	f.val, f.err = fn(ctx)
	f.abandoned = f.err != nil && ctx.Err() != nil
	normal = true
}
