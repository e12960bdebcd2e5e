package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

func TestOpenDSN(t *testing.T) {
	for _, dsn := range []string{
		"", "memory", "mysql://db", "sqlite://", "sqlite://x.db?cache=shared", "sqlite:///no/such/dir/x.db",
	} {
		t.Run(dsn, func(t *testing.T) {
			s, err := sqlstore.Open(ctx, dsn)
			require.Error(t, err)
			require.Nil(t, s)
		})
	}
	t.Run("relative path", func(t *testing.T) {
		t.Chdir(t.TempDir())
		s := openDSN(t, "sqlite://relative.db")
		require.Equal(t, "sqlite", s.Engine())
		createNetwork(t, s, network("n1", "p1"))
	})
}

// TestReopen: data survives, and migrations are applied once however
// often, and however concurrently, the database is opened.
func TestReopen(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		if e.name == "sqlite" {
			t.Skip("an in-memory database does not outlive its store")
		}
		dsn := e.dsn(t)
		var wg sync.WaitGroup
		stores := make([]*sqlstore.Store, 4)
		errs := make([]error, len(stores))
		for i := range stores {
			wg.Go(func() { stores[i], errs[i] = sqlstore.Open(ctx, dsn) })
		}
		wg.Wait()
		for i, s := range stores {
			require.NoError(t, errs[i])
			defer s.Close()
		}
		createNetwork(t, stores[0], network("n1", "p1"))
		for _, s := range stores {
			require.NoError(t, s.Close())
		}
		for range 3 {
			s := openDSN(t, dsn)
			require.Equal(t, "net-n1", getNetwork(t, s, "n1").Name)
			require.NoError(t, s.Close())
		}
	})
}

func TestEngine(t *testing.T) {
	for _, e := range sqlstoretest.Engines(t) {
		require.Equal(t, e, sqlstoretest.Open(t, e).Engine())
	}
}

func TestUpdateRetries(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		t.Run("until success", func(t *testing.T) {
			calls := 0
			err := s.Update(ctx, func(tx core.Tx) error {
				calls++
				// Effects of failed attempts are rolled back.
				require.NoError(t, tx.CreateNetwork(ctx, network("retry", "p1")))
				if calls < 4 {
					return fmt.Errorf("lost a race: %w", core.ErrRetry)
				}
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, 4, calls)
			getNetwork(t, s, "retry")
		})
		t.Run("typed errors are not retried", func(t *testing.T) {
			calls := 0
			err := s.Update(ctx, func(tx core.Tx) error {
				calls++
				_, err := tx.GetNetwork(ctx, "nope")
				return fmt.Errorf("wrapped: %w", err)
			})
			require.Equal(t, 1, calls)
			require.ErrorIs(t, err, core.ErrNotFound)
			require.ErrorIs(t, err, core.NetworkNotFound("x"))
			require.Equal(t, "NetworkNotFound", core.TypeOf(err))
			require.Equal(t, core.KindNotFound, core.KindOf(err))
		})
		t.Run("context cancelled while waiting", func(t *testing.T) {
			c, cancel := context.WithCancel(ctx)
			calls := 0
			err := s.Update(c, func(tx core.Tx) error {
				calls++
				cancel()
				return core.ErrRetry
			})
			require.ErrorIs(t, err, context.Canceled)
			require.Equal(t, 1, calls)
		})
	})
	t.Run("bounded", func(t *testing.T) {
		s := sqlstoretest.Open(t, sqlstoretest.SQLite, sqlstore.WithMaxRetries(3))
		calls := 0
		err := s.Update(ctx, func(tx core.Tx) error { calls++; return core.ErrRetry })
		require.ErrorIs(t, err, core.ErrRetry)
		require.Equal(t, 3, calls)

		s = sqlstoretest.Open(t, sqlstoretest.SQLite)
		calls = 0
		start := time.Now()
		err = s.Update(ctx, func(tx core.Tx) error { calls++; return core.ErrRetry })
		require.ErrorIs(t, err, core.ErrRetry)
		require.Equal(t, sqlstore.DefaultMaxAttempts, calls)
		require.Less(t, time.Since(start), 10*time.Second)
	})
}

// TestConcurrentUpdates: read-modify-write transactions on one row from
// many goroutines all succeed, the losers of each compare-and-swap being
// retried.
func TestConcurrentUpdates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		s := e.open(t)
		createNetwork(t, s, network("n1", "p1"))
		const writers = 16
		var attempts atomic.Int64
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				err := s.Update(ctx, func(tx core.Tx) error {
					attempts.Add(1)
					n, err := tx.GetNetwork(ctx, "n1")
					if err != nil {
						return err
					}
					n.Description += fmt.Sprintf("[%d]", i)
					return tx.UpdateNetwork(ctx, n)
				})
				if err != nil {
					t.Errorf("update %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		n := getNetwork(t, s, "n1")
		require.Equal(t, int64(writers), n.RevisionNumber)
		for i := range writers {
			require.Contains(t, n.Description, fmt.Sprintf("[%d]", i), "no update is lost")
		}
		t.Logf("%d attempts for %d updates", attempts.Load(), writers)
	})
}

// TestTransactionEnds: a transaction that fails, panics or whose context
// ends is rolled back, and the store's connections stay usable (an
// in-memory SQLite database has only one).
func TestTransactionEnds(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		absent := func(t *testing.T, id string) {
			t.Helper()
			err := s.View(ctx, func(tx core.Tx) error { _, err := tx.GetNetwork(ctx, id); return err })
			require.ErrorIs(t, err, core.ErrNotFound, "network %s was committed", id)
		}
		boom := errors.New("boom")
		for _, tc := range []struct {
			name string
			// fn runs in the transaction, with its context, after it
			// created a network; cancel ends that context.
			fn func(ctx context.Context, tx core.Tx, cancel func()) error
			// wantErr is the error returned, when one is expected;
			// a statement's error after its context ended depends on
			// the engine.
			wantErr error
		}{
			{"error", func(context.Context, core.Tx, func()) error { return boom }, boom},
			{"canceled before commit", func(_ context.Context, _ core.Tx, cancel func()) error { cancel(); return nil }, context.Canceled},
			{"canceled before a write", func(ctx context.Context, tx core.Tx, cancel func()) error {
				cancel()
				return tx.CreateNetwork(ctx, network("other", "p1"))
			}, nil},
			{"canceled before a read", func(ctx context.Context, tx core.Tx, cancel func()) error {
				cancel()
				_, err := tx.GetNetwork(ctx, "other")
				return err
			}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c, cancel := context.WithCancel(ctx)
				defer cancel()
				id := strings.ReplaceAll(tc.name, " ", "-")
				err := s.Update(c, func(tx core.Tx) error {
					if err := tx.CreateNetwork(c, network(id, "p1")); err != nil {
						return err
					}
					return tc.fn(c, tx, cancel)
				})
				require.Error(t, err)
				if tc.wantErr != nil {
					require.ErrorIs(t, err, tc.wantErr)
				}
				absent(t, id)
				absent(t, "other")
			})
		}
		t.Run("panic", func(t *testing.T) {
			require.PanicsWithValue(t, "driver bug", func() {
				_ = s.Update(ctx, func(tx core.Tx) error {
					require.NoError(t, tx.CreateNetwork(ctx, network("panicked", "p1")))
					panic("driver bug")
				})
			})
			absent(t, "panicked")
		})
		// Every connection is usable: the next transactions neither
		// fail nor see what the others left.
		for i := range 4 {
			createNetwork(t, s, network(fmt.Sprintf("after-%d", i), "p1"))
		}
	})
}

func TestView(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		createNetwork(t, s, network("n1", "p1"))
		boom := errors.New("boom")
		calls := 0
		err := s.View(ctx, func(tx core.Tx) error { calls++; return fmt.Errorf("%w: %w", boom, core.ErrRetry) })
		require.ErrorIs(t, err, boom)
		require.Equal(t, 1, calls, "View does not retry")

		// Readers run concurrently with each other and with a writer.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				err := s.View(ctx, func(tx core.Tx) error {
					_, err := tx.GetNetwork(ctx, "n1")
					return err
				})
				if err != nil {
					t.Errorf("view: %v", err)
				}
			})
		}
		wg.Go(func() {
			err := s.Update(ctx, func(tx core.Tx) error { return tx.CreateNetwork(ctx, network("n2", "p1")) })
			if err != nil {
				t.Errorf("update: %v", err)
			}
		})
		wg.Wait()
	})
}
