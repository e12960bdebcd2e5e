package core

import (
	"context"
	"fmt"
	"sync"
)

// Action is what a Change did to its resource.
type Action string

// The actions of a Change.
const (
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
)

// Change is one create, update or delete of a resource of type T, as the
// subscribers of its Topic see it.
type Change[T any] struct {
	Action Action
	// Old is the resource before an update or a delete; nil on create.
	Old *T
	// New is the resource after a create or an update; nil on delete.
	New *T
	// Tx is the transaction of the change while it is being made (before
	// commit): a subscriber reads and writes its own rows through it, so
	// that they commit or roll back with the change. It is nil after
	// commit.
	Tx Tx
}

// Current is the resource as the change leaves it: New, or Old on delete.
func (c *Change[T]) Current() *T {
	if c.New != nil {
		return c.New
	}
	return c.Old
}

// Events is the typed registry of the core resources' events, through
// which service plugins and the server's own parts (the agent change
// feed, L2 population) hear of changes without posing as mechanism
// drivers. A Registry holds one (Registry.Events); the orchestrator
// publishes every change of a network, subnet, port or segment to it.
//
// Ordering guarantees, for every change:
//
//   - BeforeCommit subscribers run inside the change's transaction, after
//     its rows are written (before they are deleted, on delete) and before
//     the mechanism drivers' precommits, one after the other in the order
//     they subscribed. The first error vetoes the change: the transaction
//     rolls back, the later subscribers and the precommits are not called,
//     and the error (typed core errors keep their type) is the
//     operation's. A transaction that runs again (a retried conflict)
//     calls them again: they must have effects only through Change.Tx.
//   - AfterCommit subscribers run after the commit and after the mechanism
//     drivers' postcommits, on the caller's goroutine, in the order they
//     subscribed. They cannot fail the change. A create is published after
//     commit once its postcommits succeeded; when it is undone afterwards
//     (its binding failed, say), its delete follows as a change of its own.
//   - Changes that a transaction's BeforeCommit subscribers saw and that
//     rolled back are never published after commit.
//
// The undo of a failed create publishes its delete before commit too, but
// a veto does not stop it: the error is logged and the resource goes.
//
// Subscribing is safe at any time and concurrently with publishing; a
// subscriber added while a change is being published may or may not see
// it. The zero Events is ready to use.
type Events struct {
	Networks Topic[Network]
	Subnets  Topic[Subnet]
	Ports    Topic[Port]
	Segments Topic[Segment]
}

// Subscriber is implemented by a driver that hears of changes through
// Events, besides or instead of its hooks. The orchestrator built from a
// Registry calls Subscribe once, with the registry's Events, for each
// configured mechanism and extension driver that implements it, before it
// serves anything; a service plugin is subscribed the same way by what
// assembles it.
type Subscriber interface {
	Subscribe(events *Events)
}

// BeforeCommitFunc is a subscriber that runs inside a change's transaction
// and may veto it by returning an error.
type BeforeCommitFunc[T any] func(ctx context.Context, c *Change[T]) error

// AfterCommitFunc is a subscriber that runs after a change committed.
type AfterCommitFunc[T any] func(ctx context.Context, c *Change[T])

// Topic holds the subscribers to the changes of one resource type. The
// zero Topic is ready to use.
type Topic[T any] struct {
	mu     sync.RWMutex
	before []named[BeforeCommitFunc[T]]
	after  []named[AfterCommitFunc[T]]
}

// named is a subscriber with the name it subscribed under.
type named[F any] struct {
	name string
	fn   F
}

// BeforeCommit subscribes fn, under name (for errors and logs), to the
// topic's changes before they commit.
func (t *Topic[T]) BeforeCommit(name string, fn BeforeCommitFunc[T]) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.before = append(t.before, named[BeforeCommitFunc[T]]{name, fn})
}

// AfterCommit subscribes fn, under name, to the topic's changes once they
// committed.
func (t *Topic[T]) AfterCommit(name string, fn AfterCommitFunc[T]) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.after = append(t.after, named[AfterCommitFunc[T]]{name, fn})
}

// PublishBeforeCommit calls the BeforeCommit subscribers with c, whose Tx
// must be set, and returns the first error, wrapped with the subscriber's
// name. The orchestrator calls it; so may a service plugin that changes a
// core resource itself.
func (t *Topic[T]) PublishBeforeCommit(ctx context.Context, c *Change[T]) error {
	t.mu.RLock()
	subs := t.before
	t.mu.RUnlock()
	for _, s := range subs {
		if err := s.fn(ctx, c); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// PublishAfterCommit calls the AfterCommit subscribers with c, whose Tx is
// cleared first.
func (t *Topic[T]) PublishAfterCommit(ctx context.Context, c *Change[T]) {
	t.mu.RLock()
	subs := t.after
	t.mu.RUnlock()
	if len(subs) == 0 {
		return
	}
	c.Tx = nil
	for _, s := range subs {
		s.fn(ctx, c)
	}
}

// Subscribed reports whether the topic has any subscriber, so that a
// publisher can skip building a change nobody reads.
func (t *Topic[T]) Subscribed() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.before) > 0 || len(t.after) > 0
}
