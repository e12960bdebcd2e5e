package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
)

// notesV1 is a schema with one table referring to ports.
var notesV1 = fstest.MapFS{
	"sqlite/0001_port_notes.sql": {Data: []byte(`CREATE TABLE port_notes (
    port_id TEXT NOT NULL PRIMARY KEY REFERENCES ports (id) ON DELETE CASCADE,
    note    TEXT NOT NULL
)`)},
	"postgres/0001_port_notes.sql": {Data: []byte(`CREATE TABLE port_notes (
    port_id TEXT NOT NULL PRIMARY KEY REFERENCES ports (id) ON DELETE CASCADE,
    note    TEXT NOT NULL
)`)},
}

// withFile returns a copy of fsys with the file added.
func withFile(fsys fstest.MapFS, name, data string) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range fsys {
		out[k] = v
	}
	out[name] = &fstest.MapFile{Data: []byte(data)}
	return out
}

// serviceMigrations returns what service_migrations records, as
// "owner/name" in the order applied.
func serviceMigrations(t *testing.T, s *sqlstore.Store) []string {
	t.Helper()
	var out []string
	require.NoError(t, s.View(context.Background(), func(tx core.Tx) error {
		q, err := sqlstore.SQL(tx)
		require.NoError(t, err)
		rows, err := q.Query(context.Background(), `SELECT owner, name FROM service_migrations ORDER BY applied_at, owner, version`)
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

// TestSchemaRefused checks that Open refuses a schema it cannot apply
// before it touches the database: the SQLite file is not even created.
func TestSchemaRefused(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		schemas []sqlstore.Schema
		want    string
	}{
		{"core's name", []sqlstore.Schema{{Owner: "core", Migrations: notesV1}}, `schema owner "core" is core's own`},
		{"no owner", []sqlstore.Schema{{Migrations: notesV1}}, `schema owner "": want a lower-case name`},
		{"odd owner", []sqlstore.Schema{{Owner: "Notes; DROP", Migrations: notesV1}}, `schema owner "Notes; DROP": want a lower-case name`},
		{"twice", []sqlstore.Schema{{Owner: "notes", Migrations: notesV1}, {Owner: "notes", Migrations: notesV1}}, `schema owner "notes" given twice`},
		{"no migrations", []sqlstore.Schema{{Owner: "notes"}}, `schema notes: no migrations`},
		{"empty", []sqlstore.Schema{{Owner: "notes", Migrations: fstest.MapFS{}}}, `schema notes: no migrations in sqlite/ and postgres/`},
		{"postgres lacks one", []sqlstore.Schema{{Owner: "notes", Migrations: withFile(notesV1, "sqlite/0002_more.sql", "SELECT 1")}},
			`schema notes: migration 0002_more.sql is in sqlite/ but not in postgres/`},
		{"sqlite lacks one", []sqlstore.Schema{{Owner: "notes", Migrations: withFile(notesV1, "postgres/0002_more.sql", "SELECT 1")}},
			`schema notes: migration 0002_more.sql is in postgres/ but not in sqlite/`},
		{"unnumbered", []sqlstore.Schema{{Owner: "notes", Migrations: withFile(withFile(notesV1, "sqlite/more.sql", ""), "postgres/more.sql", "")}},
			`schema notes: migration sqlite/more.sql: name must start with a positive number`},
		{"numbered twice", []sqlstore.Schema{{Owner: "notes", Migrations: withFile(withFile(notesV1, "sqlite/0001_more.sql", ""), "postgres/0001_more.sql", "")}},
			`schema notes: sqlite: two migrations numbered 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := sqlstoretest.DSN(t, sqlstoretest.SQLite)
			s, err := sqlstore.Open(ctx, dsn, sqlstore.WithSchemas(tt.schemas...))
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), tt.want)
			_, statErr := os.Stat(strings.TrimPrefix(dsn, "sqlite://"))
			assert.True(t, errors.Is(statErr, os.ErrNotExist), "the database was not created: %v", statErr)
		})
	}
}

// TestSchemaMigratesExistingDatabase opens a database made before the
// schemas existed: their migrations apply after core's, in the order
// given, and keep its data; a migration added later applies alone, and
// reopening applies nothing twice.
func TestSchemaMigratesExistingDatabase(t *testing.T) {
	ctx := context.Background()
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			dsn := sqlstoretest.DSN(t, engine)
			clock := time.Unix(1000, 0)
			now := func() time.Time { return clock }
			open := func(schemas ...sqlstore.Schema) *sqlstore.Store {
				s, err := sqlstore.Open(ctx, dsn, sqlstore.WithClock(now), sqlstore.WithSchemas(schemas...))
				require.NoError(t, err)
				return s
			}

			s := open()
			require.NoError(t, s.Update(ctx, func(tx core.Tx) error {
				if err := tx.CreateNetwork(ctx, &core.Network{Standard: core.Standard{ID: "n1", ProjectID: "p"}}); err != nil {
					return err
				}
				return tx.CreatePort(ctx, &core.Port{Standard: core.Standard{ID: "p1", ProjectID: "p"}, NetworkID: "n1", MACAddress: "fa:16:3e:00:00:01"})
			}))
			require.NoError(t, s.Close())

			// The second schema's table refers to the first's: the order
			// given is the order applied.
			tags := func(extra ...string) sqlstore.Schema {
				ddl := `CREATE TABLE note_tags (port_id TEXT NOT NULL REFERENCES port_notes (port_id) ON DELETE CASCADE, tag TEXT NOT NULL)`
				fs := fstest.MapFS{
					"sqlite/0001_note_tags.sql":   {Data: []byte(ddl)},
					"postgres/0001_note_tags.sql": {Data: []byte(ddl)},
				}
				for _, e := range extra {
					fs = withFile(fs, e, `CREATE INDEX note_tags_tag ON note_tags (tag)`)
				}
				return sqlstore.Schema{Owner: "note-tags", Migrations: fs}
			}
			notes := sqlstore.Schema{Owner: "notes", Migrations: notesV1}
			s = open(notes, tags())
			assert.Equal(t, []string{"note-tags/0001_note_tags", "notes/0001_port_notes"}, serviceMigrations(t, s), "recorded by owner")
			require.NoError(t, s.Update(ctx, func(tx core.Tx) error {
				p, err := tx.GetPort(ctx, "p1")
				require.NoError(t, err, "core's rows are kept")
				q, err := sqlstore.SQL(tx)
				require.NoError(t, err)
				_, err = q.Exec(ctx, `INSERT INTO port_notes (port_id, note) VALUES (?, ?)`, p.ID, "hello")
				require.NoError(t, err)
				_, err = q.Exec(ctx, `INSERT INTO note_tags (port_id, tag) VALUES (?, ?)`, p.ID, "t")
				return err
			}))
			require.NoError(t, s.Close())

			clock = clock.Add(time.Hour)
			s = open(notes, tags("sqlite/0002_tag_index.sql", "postgres/0002_tag_index.sql"))
			got := serviceMigrations(t, s)
			assert.Equal(t, []string{"note-tags/0001_note_tags", "notes/0001_port_notes", "note-tags/0002_tag_index"}, got,
				"only the new migration applies")
			require.NoError(t, s.Close())

			clock = clock.Add(time.Hour)
			s = open(notes, tags("sqlite/0002_tag_index.sql", "postgres/0002_tag_index.sql"))
			defer s.Close()
			assert.Equal(t, got, serviceMigrations(t, s), "nothing applies twice")
			require.NoError(t, s.View(ctx, func(tx core.Tx) error {
				q, err := sqlstore.SQL(tx)
				require.NoError(t, err)
				var note string
				require.NoError(t, q.QueryRow(ctx, `SELECT note FROM port_notes WHERE port_id = ?`, "p1").Scan(&note))
				assert.Equal(t, "hello", note)
				return nil
			}))
		})
	}
}

// TestSchemaConcurrentOpens opens one new database from several stores at
// once: each schema migration applies once, and every store opens.
func TestSchemaConcurrentOpens(t *testing.T) {
	ctx := context.Background()
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			dsn := sqlstoretest.DSN(t, engine)
			const n = 4
			stores := make([]*sqlstore.Store, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					stores[i], errs[i] = sqlstore.Open(ctx, dsn, sqlstore.WithSchemas(sqlstore.Schema{Owner: "notes", Migrations: notesV1}))
				})
			}
			wg.Wait()
			for i := range n {
				require.NoError(t, errs[i])
				defer stores[i].Close()
			}
			assert.Equal(t, []string{"notes/0001_port_notes"}, serviceMigrations(t, stores[0]))
		})
	}
}

// TestSQL checks a service's statements: they run in the transaction of
// core's writes and roll back with them, a unique violation is
// DuplicateEntry without the transaction being run again, a write in a
// View is refused, and a core.Tx of another store has no Statements.
func TestSQL(t *testing.T) {
	ctx := context.Background()
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			s := sqlstoretest.Open(t, engine, sqlstore.WithSchemas(sqlstore.Schema{Owner: "notes", Migrations: notesV1}))
			createPort := func(tx core.Tx, id string) {
				require.NoError(t, tx.CreatePort(ctx, &core.Port{Standard: core.Standard{ID: id, ProjectID: "p"}, NetworkID: "n1",
					MACAddress: "fa:16:3e:00:00:" + id[1:]}))
			}
			note := func(tx core.Tx, id, text string) error {
				q, err := sqlstore.SQL(tx)
				require.NoError(t, err)
				assert.Equal(t, engine, q.Engine())
				_, err = q.Exec(ctx, `INSERT INTO port_notes (port_id, note) VALUES (?, ?)`, id, text)
				return err
			}
			notes := func() map[string]string {
				out := map[string]string{}
				require.NoError(t, s.View(ctx, func(tx core.Tx) error {
					q, err := sqlstore.SQL(tx)
					require.NoError(t, err)
					rows, err := q.Query(ctx, `SELECT port_id, note FROM port_notes`)
					require.NoError(t, err)
					defer rows.Close()
					for rows.Next() {
						var id, n string
						require.NoError(t, rows.Scan(&id, &n))
						out[id] = n
					}
					return rows.Err()
				}))
				return out
			}
			require.NoError(t, s.Update(ctx, func(tx core.Tx) error {
				return tx.CreateNetwork(ctx, &core.Network{Standard: core.Standard{ID: "n1", ProjectID: "p"}})
			}))

			require.NoError(t, s.Update(ctx, func(tx core.Tx) error {
				createPort(tx, "p1")
				return note(tx, "p1", "one")
			}))
			assert.Equal(t, map[string]string{"p1": "one"}, notes())

			veto := errors.New("veto")
			err := s.Update(ctx, func(tx core.Tx) error {
				createPort(tx, "p2")
				require.NoError(t, note(tx, "p2", "two"))
				return veto
			})
			require.ErrorIs(t, err, veto)
			assert.Equal(t, map[string]string{"p1": "one"}, notes(), "the note rolled back with the port")

			runs := 0
			err = s.Update(ctx, func(tx core.Tx) error {
				runs++
				return note(tx, "p1", "again")
			})
			assert.Equal(t, "NeutronDbObjectDuplicateEntry", core.TypeOf(err), "error: %v", err)
			assert.Equal(t, core.KindConflict, core.KindOf(err))
			assert.Contains(t, err.Error(), "duplicate port_notes: for attribute(s) [port_id]")
			assert.Equal(t, 1, runs, "a duplicate is not retried")
			assert.Equal(t, map[string]string{"p1": "one"}, notes())

			err = s.View(ctx, func(tx core.Tx) error { return note(tx, "p1", "read-only") })
			require.ErrorContains(t, err, "read-only transaction")
			assert.Equal(t, map[string]string{"p1": "one"}, notes())

			require.NoError(t, s.Update(ctx, func(tx core.Tx) error {
				q, err := sqlstore.SQL(tx)
				require.NoError(t, err)
				var n string
				require.ErrorIs(t, q.QueryRow(ctx, `SELECT note FROM port_notes WHERE port_id = ?`, "nope").Scan(&n), sql.ErrNoRows)
				return tx.DeletePort(ctx, "p1")
			}))
			assert.Empty(t, notes(), "the note goes with its port")

			var other struct{ core.Tx }
			q, err := sqlstore.SQL(other)
			assert.Nil(t, q)
			require.EqualError(t, err, "sqlstore: struct { core.Tx } is not a transaction of a sqlstore.Store")
		})
	}
}
