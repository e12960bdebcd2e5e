package main

import (
	"context"
	"testing/fstest"

	"github.com/google/uuid"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

// entry is one row of the port log.
type entry struct{ ID, PortID, ProjectID, Action string }

// portLog is a service plugin that logs every port change in a table of
// its own, in the transaction of the change.
type portLog struct{ store core.Store }

func (s *portLog) Name() string { return "portlog" }

func (s *portLog) Initialize(_ context.Context, store core.Store) error {
	s.store = store
	return nil
}

// Schema is the service's table, the same on both engines.
func (s *portLog) Schema() sqlstore.Schema {
	const table = `CREATE TABLE portlog_entries (id VARCHAR(36) PRIMARY KEY,
		port_id VARCHAR(36) NOT NULL, project_id VARCHAR(255) NOT NULL, action VARCHAR(16) NOT NULL);`
	return sqlstore.Schema{Owner: "portlog", Migrations: fstest.MapFS{
		"sqlite/0001_entries.sql":   {Data: []byte(table)},
		"postgres/0001_entries.sql": {Data: []byte(table)},
	}}
}

// Subscribe writes a row for each port change before it commits: a row
// that cannot be written fails the change, and a change that rolls back
// takes its row with it.
func (s *portLog) Subscribe(ev *core.Events) {
	ev.Ports.BeforeCommit("portlog", func(ctx context.Context, c *core.Change[core.Port]) error {
		st, err := sqlstore.SQL(c.Tx)
		if err != nil {
			return err
		}
		id, err := uuid.NewV7() // ordered by time
		if err != nil {
			return err
		}
		p := c.Current()
		_, err = st.Exec(ctx, "INSERT INTO portlog_entries (id, port_id, project_id, action) VALUES (?, ?, ?, ?)",
			id.String(), p.ID, p.ProjectID, string(c.Action))
		return err
	})
}
