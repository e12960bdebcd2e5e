package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenCache(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	key := func(b byte) tokenKey { return tokenKey{b} }
	ident := func(id string) *Context { return &Context{UserID: id} }

	c := newTokenCache(2)
	c.add(key(1), ident("a"), t0.Add(time.Minute))
	c.add(key(2), ident("b"), t0.Add(time.Hour))

	tests := []struct {
		name   string
		key    tokenKey
		now    time.Time
		want   string // "" for a miss
		length int    // entries afterwards
	}{
		{"hit", key(1), t0, "a", 2},
		{"unknown", key(3), t0, "", 2},
		{"at the deadline: dropped", key(1), t0.Add(time.Minute), "", 1},
		{"other still there", key(2), t0.Add(time.Minute), "b", 1},
	}
	for _, tt := range tests {
		got, ok := c.get(tt.key, tt.now)
		if tt.want == "" {
			assert.False(t, ok, tt.name)
		} else if assert.True(t, ok, tt.name) {
			assert.Equal(t, tt.want, got.UserID, tt.name)
		}
		assert.Equal(t, tt.length, c.len(), tt.name)
	}

	// Least recently used first out.
	c.add(key(3), ident("c"), t0.Add(time.Hour))
	_, _ = c.get(key(2), t0)
	c.add(key(4), ident("d"), t0.Add(time.Hour))
	_, ok := c.get(key(3), t0)
	assert.False(t, ok, "c was the least recently used")
	_, ok = c.get(key(2), t0)
	assert.True(t, ok)
	c.add(key(2), ident("b2"), t0.Add(time.Hour))
	got, _ := c.get(key(2), t0)
	assert.Equal(t, "b2", got.UserID, "add replaces")
	assert.Equal(t, 2, c.len())

	off := newTokenCache(0)
	off.add(key(1), ident("a"), t0.Add(time.Hour))
	_, ok = off.get(key(1), t0)
	assert.False(t, ok, "a cache of size 0 holds nothing")
}

func TestGroupPanickingLeader(t *testing.T) {
	var g group[string, int]
	miss := func() (int, bool) { return 0, false }
	started, unblock := make(chan struct{}), make(chan struct{})

	leaderDone := make(chan any, 1)
	go func() {
		defer func() { leaderDone <- recover() }()
		_, _ = g.do(context.Background(), "k", miss, func(context.Context) (int, error) {
			close(started)
			<-unblock
			panic("boom")
		})
	}()
	<-started

	var wg sync.WaitGroup
	var got int
	var err error
	waiting := make(chan struct{})
	var once sync.Once
	wg.Go(func() {
		// Once cached has run, the waiter finds the leader's flight.
		checked := func() (int, bool) { once.Do(func() { close(waiting) }); return 0, false }
		got, err = g.do(context.Background(), "k", checked, func(context.Context) (int, error) { return 42, nil })
	})
	<-waiting
	close(unblock)
	assert.Equal(t, "boom", <-leaderDone, "the panic goes on up the leader's stack")
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, 42, got, "the waiter ran the call itself")
}

func TestGroupSharesErrors(t *testing.T) {
	var g group[string, int]
	miss := func() (int, bool) { return 0, false }
	boom := errors.New("boom")
	started, unblock := make(chan struct{}), make(chan struct{})
	calls := 0
	fn := func(context.Context) (int, error) {
		calls++
		close(started)
		<-unblock
		return 0, boom
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { _, errs[0] = g.do(context.Background(), "k", miss, fn) })
	<-started
	waiting := make(chan struct{})
	checked := func() (int, bool) { close(waiting); return 0, false }
	wg.Go(func() { _, errs[1] = g.do(context.Background(), "k", checked, fn) })
	<-waiting // the second caller finds the first one's flight
	close(unblock)
	wg.Wait()
	assert.Equal(t, 1, calls)
	assert.Equal(t, []error{boom, boom}, errs)
}

func TestAcceptsJSON(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"application/json", true},
		{"Application/JSON; charset=utf-8", true},
		{"text/html, application/*;q=0.1", true},
		{"application/json;q=0", false},
		{"application/json; q=0.000", false},
		{"application/json;q=0.5", true},
		{"*/*", false},
		{"text/plain", false},
		{"", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, acceptsJSON([]string{tt.accept}), tt.accept)
	}
}
