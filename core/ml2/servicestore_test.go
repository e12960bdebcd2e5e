package ml2_test

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/typedrivers/local"
)

// portNotesFiles holds the test service's migrations.
//
//go:embed testdata/portnotes
var portNotesFiles embed.FS

// portNotes is a service plugin with a table of its own, port_notes: on
// every port create it writes the port's note, its name, in the port's
// transaction.
type portNotes struct{}

var (
	_ core.ServicePlugin   = portNotes{}
	_ core.Subscriber      = portNotes{}
	_ sqlstore.SchemaOwner = portNotes{}
	_ core.ServicePlugin   = vetoPorts{}
	_ core.Subscriber      = vetoPorts{}
)

// errNoteVetoed is vetoPorts' veto.
var errNoteVetoed = errors.New("vetoed")

// portNotesMigrationsName is how service_migrations records the test
// service's migration.
const portNotesMigrationsName = "port-notes/0001_port_notes"

func (portNotes) Name() string                                 { return "port-notes" }
func (portNotes) Initialize(context.Context, core.Store) error { return nil }

func (portNotes) Schema() sqlstore.Schema {
	sub, err := fs.Sub(portNotesFiles, "testdata/portnotes")
	if err != nil {
		panic(err)
	}
	return sqlstore.Schema{Owner: "port-notes", Migrations: sub}
}

func (portNotes) Subscribe(ev *core.Events) {
	ev.Ports.BeforeCommit("port-notes", func(ctx context.Context, c *core.Change[core.Port]) error {
		if c.Action != core.ActionCreate {
			return nil
		}
		q, err := sqlstore.SQL(c.Tx)
		if err != nil {
			return err
		}
		_, err = q.Exec(ctx, `INSERT INTO port_notes (port_id, note) VALUES (?, ?)`, c.New.ID, c.New.Name)
		return err
	})
}

// vetoPorts is a service plugin that vetoes the creation of ports named
// "veto".
type vetoPorts struct{}

func (vetoPorts) Name() string                                 { return "veto" }
func (vetoPorts) Initialize(context.Context, core.Store) error { return nil }

func (vetoPorts) Subscribe(ev *core.Events) {
	ev.Ports.BeforeCommit("veto", func(_ context.Context, c *core.Change[core.Port]) error {
		if c.Action == core.ActionCreate && c.New.Name == "veto" {
			return errNoteVetoed
		}
		return nil
	})
}

// notesEnv is an ML2 plugin with the logger mechanism driver and the
// given services, on a store opened at dsn with the schemas of those that
// own one.
type notesEnv struct {
	store  *sqlstore.Store
	plugin *ml2.Plugin
	mech   *logger.Driver
}

func openNotesEnv(t *testing.T, dsn string, services ...core.ServicePlugin) *notesEnv {
	t.Helper()
	ctx := context.Background()
	var schemas []sqlstore.Schema
	var names []string
	reg := core.NewRegistry()
	require.NoError(t, reg.RegisterTypeDriver(local.New(local.Config{})))
	mech := logger.New(nil)
	require.NoError(t, reg.RegisterMechanismDriver("logger", mech))
	for _, s := range services {
		require.NoError(t, reg.RegisterServicePlugin(s))
		names = append(names, s.Name())
		if o, ok := s.(sqlstore.SchemaOwner); ok {
			schemas = append(schemas, o.Schema())
		}
	}
	store, err := sqlstore.Open(ctx, dsn, sqlstore.WithSchemas(schemas...))
	require.NoError(t, err)
	p, err := ml2.New(ctx, ml2.Config{MechanismDrivers: []string{"logger"}, ServicePlugins: names}, reg, store)
	require.NoError(t, err)
	return &notesEnv{store: store, plugin: p, mech: mech}
}

// notes returns port_notes, by port id.
func (e *notesEnv) notes(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	require.NoError(t, e.store.View(ctx, func(tx core.Tx) error {
		q, err := sqlstore.SQL(tx)
		require.NoError(t, err)
		rows, err := q.Query(ctx, `SELECT port_id, note FROM port_notes`)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var id, note string
			require.NoError(t, rows.Scan(&id, &note))
			out[id] = note
		}
		return rows.Err()
	}))
	return out
}

// ports returns the names of the ports, by id.
func (e *notesEnv) ports(t *testing.T) map[string]string {
	t.Helper()
	ps, err := e.plugin.ListPorts(context.Background(), nil)
	require.NoError(t, err)
	out := map[string]string{}
	for _, p := range ps {
		out[p.ID] = p.Name
	}
	return out
}

// serviceMigrations returns what service_migrations records.
func (e *notesEnv) serviceMigrations(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	require.NoError(t, e.store.View(ctx, func(tx core.Tx) error {
		q, err := sqlstore.SQL(tx)
		require.NoError(t, err)
		rows, err := q.Query(ctx, `SELECT owner, name FROM service_migrations ORDER BY owner, version`)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var owner, name string
			require.NoError(t, rows.Scan(&owner, &name))
			out = append(out, owner+"/"+name)
		}
		return rows.Err()
	}))
	return out
}

// TestServiceRowsInCoreTransaction checks the service seam of the store:
// a service's row and the port it is about are written in one
// transaction, and roll back together when a later subscriber or a
// mechanism driver's precommit vetoes the create.
func TestServiceRowsInCoreTransaction(t *testing.T) {
	ctx := context.Background()
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			e := openNotesEnv(t, sqlstoretest.DSN(t, engine), portNotes{}, vetoPorts{})
			defer e.store.Close()
			n, err := e.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{Name: ptr("n")})
			require.NoError(t, err)

			p, err := e.plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: n.ID, Name: ptr("one")})
			require.NoError(t, err)
			assert.Equal(t, map[string]string{p.ID: "one"}, e.notes(t), "the service's row commits with the port")
			assert.Equal(t, map[string]string{p.ID: "one"}, e.ports(t))

			_, err = e.plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: n.ID, Name: ptr("veto")})
			require.ErrorIs(t, err, errNoteVetoed, "a later subscriber's veto")
			assert.Equal(t, map[string]string{p.ID: "one"}, e.notes(t), "the row rolled back")
			assert.Equal(t, map[string]string{p.ID: "one"}, e.ports(t), "with the port")

			e.mech.FailOn("CreatePortPrecommit", core.InvalidInput("no"))
			_, err = e.plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: n.ID, Name: ptr("precommit")})
			require.Error(t, err)
			assert.Equal(t, "InvalidInput", core.TypeOf(err), "a precommit's veto: %v", err)
			assert.Equal(t, map[string]string{p.ID: "one"}, e.notes(t), "the row rolled back")
			assert.Equal(t, map[string]string{p.ID: "one"}, e.ports(t), "with the port")
			e.mech.FailOn("CreatePortPrecommit", nil)

			require.NoError(t, e.plugin.DeletePort(ctx, p.ID))
			assert.Empty(t, e.notes(t), "the row goes with its port")
		})
	}
}

// TestServiceSchemaOnExistingDatabase adds the service to a deployment
// whose database was made before it: its table is created on the next
// start, core's rows are kept, and a later start applies nothing again.
func TestServiceSchemaOnExistingDatabase(t *testing.T) {
	ctx := context.Background()
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			dsn := sqlstoretest.DSN(t, engine)
			e := openNotesEnv(t, dsn)
			n, err := e.plugin.CreateNetwork(ctx, &ml2.NetworkRequest{Name: ptr("n")})
			require.NoError(t, err)
			old, err := e.plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: n.ID, Name: ptr("old")})
			require.NoError(t, err)
			require.NoError(t, e.store.Close())

			e = openNotesEnv(t, dsn, portNotes{})
			assert.Equal(t, []string{portNotesMigrationsName}, e.serviceMigrations(t))
			assert.Equal(t, map[string]string{old.ID: "old"}, e.ports(t), "core's rows are kept")
			assert.Empty(t, e.notes(t))
			p, err := e.plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: n.ID, Name: ptr("new")})
			require.NoError(t, err)
			assert.Equal(t, map[string]string{p.ID: "new"}, e.notes(t))
			require.NoError(t, e.store.Close())

			e = openNotesEnv(t, dsn, portNotes{})
			defer e.store.Close()
			assert.Equal(t, []string{portNotesMigrationsName}, e.serviceMigrations(t), "nothing applied twice")
			assert.Equal(t, map[string]string{p.ID: "new"}, e.notes(t))
			assert.Equal(t, map[string]string{old.ID: "old", p.ID: "new"}, e.ports(t))
		})
	}
}
