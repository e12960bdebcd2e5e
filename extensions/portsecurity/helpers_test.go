package portsecurity_test

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"

	"github.com/ml2go/ml2go/core"
)

// safeBuffer is a bytes.Buffer that loggers may write to concurrently.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeTx is a core.ExtensionTx whose GetNetwork returns a network with the given
// Extra (or err) and records its calls; any other method panics on the
// nil embedded interface. It is safe for concurrent use.
type fakeTx struct {
	core.ExtensionTx
	extra map[string]any // the network's Extra; never modified
	err   error
	calls atomic.Int32
	last  atomic.Value // string: the last network id asked for
}

func (tx *fakeTx) GetNetwork(_ context.Context, id string) (*core.Network, error) {
	tx.calls.Add(1)
	tx.last.Store(id)
	if tx.err != nil {
		return nil, tx.err
	}
	return &core.Network{Standard: core.Standard{ID: id}, Extra: core.CloneMap(tx.extra)}, nil
}
