package agentserver

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/ml2go/ml2go/core"
)

// DefaultChangelogSize is how many changes a server remembers, in memory
// and in the store, for watches to resume from.
const DefaultChangelogSize = 16384

// concerns reports whether c may change what host carries; carries tells
// the networks it carries. A host that watches network-wide (wide) is
// concerned by every change of a network it carries: a change that names
// no host and no carriers concerns only such hosts.
func concerns(c *core.HostChange, host string, carries func(network string) bool, wide bool) bool {
	if slices.Contains(c.Hosts, host) {
		return true
	}
	return (c.Carriers || wide) && slices.ContainsFunc(c.Networks, carries)
}

// changelog is a server's copy of the store's host change feed: the
// latest changes, in feed order, read from the store by sync (so that
// changes made through other servers sharing the store are seen too), and
// a channel closed whenever new ones arrive. A revision is a change's
// number in the feed; every change after floor is remembered.
type changelog struct {
	store core.Store
	size  int

	syncMu sync.Mutex // one sync at a time

	mu      sync.Mutex
	loaded  bool
	rev     int64 // the newest change read
	floor   int64 // every change numbered after floor is in changes
	changes []core.HostChange
	wake    chan struct{}
}

func newChangelog(store core.Store, size int) *changelog {
	return &changelog{store: store, size: size, wake: make(chan struct{})}
}

// sync reads the changes the store has after the newest one known, and
// wakes the watches if there are any. The first sync reads every change
// the store keeps.
func (l *changelog) sync(ctx context.Context) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	after, loaded := l.rev, l.loaded
	l.mu.Unlock()
	var changes []core.HostChange
	var oldest int64
	err := l.store.View(ctx, func(tx core.Tx) (err error) {
		changes, oldest, err = tx.HostChanges(ctx, after)
		return err
	})
	if err != nil {
		return fmt.Errorf("agentserver: read host changes: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !loaded {
		l.loaded = true
		if oldest > 0 {
			l.floor = oldest - 1
		}
	}
	if len(changes) == 0 {
		return nil
	}
	l.changes = append(l.changes, changes...)
	if over := len(l.changes) - l.size; over > 0 {
		over = max(over, l.size/4)
		l.floor = l.changes[over-1].Seq
		l.changes = slices.Delete(l.changes, 0, over)
	}
	l.rev = l.changes[len(l.changes)-1].Seq
	close(l.wake)
	l.wake = make(chan struct{})
	return nil
}

// current returns the newest change read.
func (l *changelog) current() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rev
}

// token is the revision string of rev.
func token(rev int64) string { return strconv.FormatInt(rev, 10) }

// parse returns the change number of a revision; ok is false for "".
func parse(tok string) (rev int64, ok bool, err error) {
	if tok == "" {
		return 0, false, nil
	}
	rev, err = strconv.ParseInt(tok, 10, 64)
	if err != nil || rev < 0 {
		return 0, false, fmt.Errorf("malformed revision %q", tok)
	}
	return rev, true, nil
}

// since returns the ports and networks changed for host, which carries the
// networks carries says (and watches network-wide if wide), after rev, the current revision, and a channel
// closed at the next change. ok is false when the changes after rev are
// no longer all remembered, or rev is newer than any change known (the
// feed was reset), so that only the whole state will do.
func (l *changelog) since(host string, carries func(string) bool, wide bool, rev int64) (ports, networks []string, cur int64, ok bool, wake <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur, wake = l.rev, l.wake
	if rev > cur || rev < l.floor {
		return nil, nil, cur, false, wake
	}
	i, _ := slices.BinarySearchFunc(l.changes, rev+1, func(c core.HostChange, r int64) int {
		switch {
		case c.Seq < r:
			return -1
		case c.Seq > r:
			return 1
		}
		return 0
	})
	for _, c := range l.changes[i:] {
		if concerns(&c, host, carries, wide) {
			ports = append(ports, c.Ports...)
			networks = append(networks, c.Networks...)
		}
	}
	return ports, networks, cur, true, wake
}
