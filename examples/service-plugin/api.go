package main

import (
	"context"
	"database/sql"
	"errors"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/reference/api"
)

// ServiceAPI serves the log, read only, at /v2.0/port_logs: a project
// sees the entries of its ports, admins all of them.
func (s *portLog) ServiceAPI() api.ServiceAPI {
	c := &api.Collection[entry]{
		Name: "port_log", Collection: "port_logs",
		Attributes: map[string]api.Attribute{"id": {}, "port_id": {}, "project_id": {}, "action": {}},
		ID:         func(e *entry) string { return e.ID },
		ProjectID:  func(e *entry) string { return e.ProjectID },
		View: func(v *api.View, e *entry, _ api.Caller) {
			v.String("id", e.ID)
			v.String("port_id", e.PortID)
			v.String("project_id", e.ProjectID)
			v.String("action", e.Action)
		},
	}
	const columns = "SELECT id, port_id, project_id, action FROM portlog_entries"
	c.Get = func(ctx context.Context, _ api.Caller, id string) (*entry, error) {
		var e entry
		err := s.view(ctx, func(st *sqlstore.Statements) error {
			return st.QueryRow(ctx, columns+" WHERE id = ?", id).Scan(&e.ID, &e.PortID, &e.ProjectID, &e.Action)
		})
		if errors.Is(err, sql.ErrNoRows) {
			return nil, c.NotFound(id)
		}
		return &e, err
	}
	c.List = func(ctx context.Context, _ api.Caller, opts *core.ListOptions) ([]*entry, error) {
		if len(opts.Filters) > 0 || len(opts.Sorts) > 0 || opts.Limit > 0 {
			return nil, core.InvalidInput("port_logs are listed whole, without filters, sorting or pages")
		}
		query, args := columns+" ORDER BY id", []any{}
		if opts.ProjectScope != "" {
			query, args = columns+" WHERE project_id = ? ORDER BY id", []any{opts.ProjectScope}
		}
		var out []*entry
		err := s.view(ctx, func(st *sqlstore.Statements) error {
			rows, err := st.Query(ctx, query, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var e entry
				if err := rows.Scan(&e.ID, &e.PortID, &e.ProjectID, &e.Action); err != nil {
					return err
				}
				out = append(out, &e)
			}
			return rows.Err()
		})
		return out, err
	}
	return api.ServiceAPI{
		Collections: []api.Resource{c},
		Extensions: []api.Extension{{Name: "Port log", Alias: "port-log",
			Description: "Lists every change of a port.", Updated: "2026-01-01T00:00:00-00:00"}},
	}
}

// view runs fn in a read-only transaction of the store.
func (s *portLog) view(ctx context.Context, fn func(*sqlstore.Statements) error) error {
	return s.store.View(ctx, func(tx core.Tx) error {
		st, err := sqlstore.SQL(tx)
		if err != nil {
			return err
		}
		return fn(st)
	})
}
