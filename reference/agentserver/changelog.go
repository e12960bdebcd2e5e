package agentserver

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// DefaultChangelogSize is how many changes a server remembers for watches
// to resume from.
const DefaultChangelogSize = 16384

// change is one change of what some hosts must carry.
type change struct {
	rev int64
	// hosts are the hosts whose ports changed.
	hosts    []string
	ports    []string
	networks []string
	// carriers says that the change also concerns every host carrying
	// one of the networks: its L2 population entries or its settings
	// changed.
	carriers bool
}

// concerns reports whether c may change what host carries; carries
// tells the networks it carries.
func (c *change) concerns(host string, carries func(network string) bool) bool {
	if slices.Contains(c.hosts, host) {
		return true
	}
	return c.carriers && slices.ContainsFunc(c.networks, carries)
}

// changelog numbers the changes of a server process and remembers the
// latest of them, so that a watch can ask what changed since a revision.
// A revision is the process's epoch and a counter: a revision of another
// epoch (the server restarted, or it is another replica) or older than the
// oldest remembered change cannot be resumed from.
type changelog struct {
	epoch string
	size  int

	mu      sync.Mutex
	rev     int64
	changes []change // ascending rev, at most size
	wake    chan struct{}
}

func newChangelog(size int) *changelog {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &changelog{epoch: hex.EncodeToString(b), size: size, wake: make(chan struct{})}
}

// publish records c and wakes every watch.
func (l *changelog) publish(c change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rev++
	c.rev = l.rev
	if len(l.changes) == l.size {
		l.changes = slices.Delete(l.changes, 0, l.size/4)
	}
	l.changes = append(l.changes, c)
	close(l.wake)
	l.wake = make(chan struct{})
}

// token is the revision string of rev.
func (l *changelog) token(rev int64) string { return l.epoch + "-" + strconv.FormatInt(rev, 10) }

// parse returns the counter of a revision of this epoch; ok is false for
// "" and for revisions of another epoch.
func (l *changelog) parse(token string) (rev int64, ok bool, err error) {
	if token == "" {
		return 0, false, nil
	}
	epoch, n, found := strings.Cut(token, "-")
	if !found {
		return 0, false, fmt.Errorf("malformed revision %q", token)
	}
	rev, err = strconv.ParseInt(n, 10, 64)
	if err != nil || rev < 0 {
		return 0, false, fmt.Errorf("malformed revision %q", token)
	}
	return rev, epoch == l.epoch, nil
}

// since returns the ports and networks changed for host, which carries the
// networks carries says, after rev, the
// current revision, and a channel closed at the next change. ok is false
// when the changes after rev are no longer all remembered (or rev is in
// the future: a confused client), so that only the whole state will do.
func (l *changelog) since(host string, carries func(string) bool, rev int64) (ports, networks []string, cur int64, ok bool, wake <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur, wake = l.rev, l.wake
	if rev > cur {
		return nil, nil, cur, false, wake
	}
	if rev == cur {
		return nil, nil, cur, true, wake
	}
	// The change numbered rev+1 must still be remembered.
	if len(l.changes) == 0 || l.changes[0].rev > rev+1 {
		return nil, nil, cur, false, wake
	}
	i, _ := slices.BinarySearchFunc(l.changes, rev+1, func(c change, r int64) int {
		switch {
		case c.rev < r:
			return -1
		case c.rev > r:
			return 1
		}
		return 0
	})
	for _, c := range l.changes[i:] {
		if c.concerns(host, carries) {
			ports = append(ports, c.ports...)
			networks = append(networks, c.networks...)
		}
	}
	return ports, networks, cur, true, wake
}
