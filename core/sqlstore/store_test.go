package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
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
