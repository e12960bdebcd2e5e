package server_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/uuid"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/reference/api"
	"github.com/ml2go/ml2go/reference/config"
	"github.com/ml2go/ml2go/reference/server"
)

// note is the resource of the notes service.
type note struct{ ID, ProjectID, Text string }

// notes is a service plugin an embedding program registers: a
// collection kept in a table of its own, an extension, an attribute of
// ports (note, which must not be empty) and the count of the ports it
// hears of.
type notes struct {
	store core.Store
	mu    sync.Mutex
	ports int
}

func (s *notes) Name() string { return "notes" }

func (s *notes) Initialize(_ context.Context, store core.Store) error {
	s.store = store
	return nil
}

// noteTable is the notes table, the same on both engines.
const noteTable = "CREATE TABLE notes (id VARCHAR(36) PRIMARY KEY, project_id VARCHAR(255) NOT NULL, text VARCHAR(255) NOT NULL);"

func (s *notes) Schema() sqlstore.Schema {
	return sqlstore.Schema{Owner: "notes", Migrations: fstest.MapFS{
		"sqlite/0001_notes.sql":   {Data: []byte(noteTable)},
		"postgres/0001_notes.sql": {Data: []byte(noteTable)},
	}}
}

func (s *notes) Subscribe(ev *core.Events) {
	ev.Ports.AfterCommit("notes", func(context.Context, *core.Change[core.Port]) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.ports++
	})
}

func (s *notes) ExtensionDriver() core.ExtensionDriver { return notePorts{} }

// notePorts stores a port's note with it.
type notePorts struct{ core.ExtensionDriverBase }

func (notePorts) ExtensionAttributes() map[string][]string {
	return map[string][]string{"ports": {"note"}}
}

func (notePorts) ProcessCreatePort(_ context.Context, _ core.ExtensionTx, req map[string]any, p *core.Port) error {
	v, ok := req["note"]
	if !ok {
		return nil
	}
	if text, _ := v.(string); text == "" {
		return core.BadRequest("port", "a note is a non-empty string")
	}
	p.Extra = map[string]any{"note": v}
	return nil
}

// sql runs fn with the statements of a transaction of the store.
func (s *notes) sql(ctx context.Context, write bool, fn func(*sqlstore.Statements) error) error {
	run := s.store.View
	if write {
		run = s.store.Update
	}
	return run(ctx, func(tx core.Tx) error {
		st, err := sqlstore.SQL(tx)
		if err != nil {
			return err
		}
		return fn(st)
	})
}

func (s *notes) ServiceAPI() api.ServiceAPI {
	c := &api.Collection[note]{
		Name: "note", Collection: "notes",
		Attributes: map[string]api.Attribute{"id": {}, "project_id": {Post: true}, "text": {Post: true, Required: true}},
		ID:         func(n *note) string { return n.ID },
		ProjectID:  func(n *note) string { return n.ProjectID },
		View: func(v *api.View, n *note, _ api.Caller) {
			v.String("id", n.ID)
			v.String("project_id", n.ProjectID)
			v.String("text", n.Text)
		},
	}
	c.Get = func(ctx context.Context, _ api.Caller, id string) (*note, error) {
		n := &note{}
		err := s.sql(ctx, false, func(st *sqlstore.Statements) error {
			return st.QueryRow(ctx, "SELECT id, project_id, text FROM notes WHERE id = ?", id).Scan(&n.ID, &n.ProjectID, &n.Text)
		})
		if errors.Is(err, sql.ErrNoRows) {
			return nil, c.NotFound(id)
		}
		return n, err
	}
	c.List = func(ctx context.Context, _ api.Caller, _ *core.ListOptions) ([]*note, error) {
		var out []*note
		err := s.sql(ctx, false, func(st *sqlstore.Statements) error {
			rows, err := st.Query(ctx, "SELECT id, project_id, text FROM notes ORDER BY id")
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				n := &note{}
				if err := rows.Scan(&n.ID, &n.ProjectID, &n.Text); err != nil {
					return err
				}
				out = append(out, n)
			}
			return rows.Err()
		})
		return out, err
	}
	c.Create = func(ctx context.Context, caller api.Caller, b api.Body) (*note, error) {
		project, err := b.ProjectID(caller)
		if err != nil {
			return nil, err
		}
		text, err := b.String("text", 255)
		if err != nil {
			return nil, err
		}
		n := &note{ID: uuid.NewString(), ProjectID: project, Text: *text}
		return n, s.sql(ctx, true, func(st *sqlstore.Statements) error {
			_, err := st.Exec(ctx, "INSERT INTO notes (id, project_id, text) VALUES (?, ?, ?)", n.ID, n.ProjectID, n.Text)
			return err
		})
	}
	return api.ServiceAPI{
		Collections: []api.Resource{c},
		Extensions:  []api.Extension{{Name: "Notes", Alias: "notes", Description: "Notes.", Updated: "2026-01-01T00:00:00-00:00"}},
	}
}

// TestServicePluginsConfigured checks that a service of Options.Registry
// named in [DEFAULT] service_plugins is served: its table is made when
// the store opens, its collection served, its extension listed, its
// attribute of ports accepted and its events heard; "segments" is
// accepted beside it.
func TestServicePluginsConfigured(t *testing.T) {
	reg := core.NewRegistry()
	svc := &notes{}
	require.NoError(t, reg.RegisterServicePlugin(svc))
	cfg := loadConfig(t, "[DEFAULT]\nservice_plugins = segments,notes\n")
	srv, err := server.New(context.Background(), cfg, server.Options{DataDir: t.TempDir(), Registry: reg})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	do := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}

	status, body := do("POST", "/v2.0/notes", `{"note": {"text": "hello"}}`)
	require.Equal(t, http.StatusCreated, status, body)
	id := body["note"].(map[string]any)["id"].(string)
	status, body = do("GET", "/v2.0/notes/"+id, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "hello", body["note"].(map[string]any)["text"])
	status, body = do("GET", "/v2.0/notes", "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Len(t, body["notes"], 1)
	status, _ = do("GET", "/v2.0/extensions/notes", "")
	assert.Equal(t, http.StatusOK, status)
	status, _ = do("GET", "/v2.0/extensions/segment", "")
	assert.Equal(t, http.StatusOK, status, "segments is core's")

	status, body = do("POST", "/v2.0/networks", `{"network": {}}`)
	require.Equal(t, http.StatusCreated, status, body)
	netID := body["network"].(map[string]any)["id"].(string)
	status, body = do("POST", "/v2.0/ports", `{"port": {"network_id": "`+netID+`", "note": "mine"}}`)
	require.Equal(t, http.StatusCreated, status, body)
	assert.Equal(t, "mine", body["port"].(map[string]any)["note"])
	status, body = do("POST", "/v2.0/ports", `{"port": {"network_id": "`+netID+`", "note": ""}}`)
	require.Equal(t, http.StatusBadRequest, status, body)
	status, body = do("GET", "/v2.0/ports", "")
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, body["ports"], 1, "the refused port was not created")
	svc.mu.Lock()
	defer svc.mu.Unlock()
	assert.Equal(t, 1, svc.ports, "subscribed to core's events")
}

// TestServicePluginUnknown checks that a name of service_plugins that is
// no service stops start-up with a message naming the option.
func TestServicePluginUnknown(t *testing.T) {
	cfg := loadConfig(t, "[DEFAULT]\nbind_port = 9797\nservice_plugins = segments, router\n")
	_, err := server.New(context.Background(), cfg, server.Options{DataDir: t.TempDir()})
	var ce *config.Error
	require.ErrorAs(t, err, &ce)
	assert.True(t, errors.Is(err, config.ErrUnknownServicePlugin))
	assert.Equal(t, "DEFAULT", ce.Section)
	assert.Equal(t, "service_plugins", ce.Option)
	assert.Equal(t, "router", ce.Value)
	assert.Regexp(t, `ml2_conf\.ini:3: \[DEFAULT\] service_plugins: "router": unknown service plugin \(known: segments\)$`, err.Error())
}
