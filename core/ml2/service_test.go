package ml2_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/typedrivers/local"
)

// noteService is a service plugin that counts the networks it hears of.
type noteService struct {
	initialized core.Store
	created     int
}

func (s *noteService) Name() string { return "notes" }

func (s *noteService) Initialize(_ context.Context, store core.Store) error {
	s.initialized = store
	return nil
}

func (s *noteService) Subscribe(ev *core.Events) {
	ev.Networks.AfterCommit("notes", func(_ context.Context, c *core.Change[core.Network]) {
		if c.Action == core.ActionCreate {
			s.created++
		}
	})
}

// TestServicePlugins checks that the plugin subscribes and initializes the
// service plugins it is configured with, and only those, and that an
// unknown name stops it.
func TestServicePlugins(t *testing.T) {
	ctx := context.Background()
	build := func(names ...string) (*noteService, *ml2.Plugin, core.Store, error) {
		reg := core.NewRegistry()
		require.NoError(t, reg.RegisterTypeDriver(local.New(local.Config{})))
		svc := &noteService{}
		require.NoError(t, reg.RegisterServicePlugin(svc))
		require.Error(t, reg.RegisterServicePlugin(&noteService{}), "a second service of one name")
		store := sqlstoretest.Open(t, sqlstoretest.SQLite)
		p, err := ml2.New(ctx, ml2.Config{ServicePlugins: names}, reg, store)
		return svc, p, store, err
	}

	svc, p, store, err := build("notes")
	require.NoError(t, err)
	assert.Equal(t, store, svc.initialized)
	_, err = p.CreateNetwork(ctx, &ml2.NetworkRequest{})
	require.NoError(t, err)
	assert.Equal(t, 1, svc.created)

	svc, p, _, err = build()
	require.NoError(t, err)
	assert.Nil(t, svc.initialized, "a service that is not configured is not initialized")
	_, err = p.CreateNetwork(ctx, &ml2.NetworkRequest{})
	require.NoError(t, err)
	assert.Zero(t, svc.created, "nor subscribed")

	_, _, _, err = build("notes", "router")
	require.EqualError(t, err, `service_plugins: service plugin "router" is not registered`)
}
