package auth

import (
	"container/list"
	"sync"
	"time"
)

// tokenCache holds validated identities until a deadline each, the least
// recently used dropped first once it holds max entries. Keys are hashes of
// tokens, so that the cache holds no usable credential.
type tokenCache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // of *cacheEntry, most recently used first
	entries map[tokenKey]*list.Element
}

type tokenKey [32]byte

type cacheEntry struct {
	key   tokenKey
	ident *Context
	until time.Time
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, order: list.New(), entries: make(map[tokenKey]*list.Element)}
}

// get returns the identity cached for key, unless its deadline has passed at
// now.
func (c *tokenCache) get(key tokenKey, now time.Time) (*Context, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.until) {
		c.order.Remove(el)
		delete(c.entries, key)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.ident, true
}

// add caches ident for key until the deadline until.
func (c *tokenCache) add(key tokenKey, ident *Context, until time.Time) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		el.Value = &cacheEntry{key: key, ident: ident, until: until}
		c.order.MoveToFront(el)
		return
	}
	for c.order.Len() >= c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).key)
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, ident: ident, until: until})
}

// len returns the number of entries, expired ones included.
func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
