package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/ml2go/ml2go/core"
)

// agentRow is the shape of an agent row, read by agentFromRow in this
// order.
var agentRow = newShape("a",
	"id", "agent_type", "agent_binary", "topic", "host", "availability_zone", "admin_state_up",
	"description", "configurations", "created_at", "started_at", "heartbeat_at")

// agentFromRow decodes one agent row.
func agentFromRow(r rowReader, maps mapCache) *core.Agent {
	return &core.Agent{
		ID: r.str(), AgentType: r.str(), Binary: r.str(), Topic: r.str(), Host: r.str(),
		AvailabilityZone: r.str(), AdminStateUp: r.bool(), Description: r.str(),
		Configurations: r.jsonMap(maps), CreatedAt: fromUnix(r.int()), StartedAt: fromUnix(r.int()),
		HeartbeatAt: fromUnix(r.int()),
	}
}

// agentState is what the row decides of an upserted agent.
type agentState struct {
	id, description  string
	created, started sqlInt
	adminUp          sqlBool
}

// agentReturning lists agentState's columns.
const agentReturning = ` RETURNING id, description, created_at, started_at, admin_state_up`

func (st *agentState) dest() []any {
	return []any{&st.id, &st.description, &st.created, &st.started, &st.adminUp}
}

// fill copies st into a.
func (st *agentState) fill(a *core.Agent) {
	a.ID, a.AdminStateUp, a.Description = st.id, bool(st.adminUp), st.description
	a.CreatedAt, a.StartedAt = fromUnix(int64(st.created)), fromUnix(int64(st.started))
}

// maxUpsertRounds bounds UpsertAgent's update-or-insert loop, which only
// repeats when the row appears or disappears concurrently.
const maxUpsertRounds = 4

// UpsertAgent creates the agent identified by (AgentType, Host), or
// refreshes its heartbeat, configurations, topic, binary, availability zone
// and, when a.StartedAt is set, start time. It fills a's ID, CreatedAt,
// StartedAt, AdminStateUp and Description from the row; created reports a
// new row. A new agent takes a.ID if set, a.AdminStateUp and
// a.Description.
func (t *tx) UpsertAgent(ctx context.Context, a *core.Agent) (bool, error) {
	config, err := encodeMap(a.Configurations)
	if err != nil {
		return false, err
	}
	started, heartbeat := unixTime(a.StartedAt), unixTime(a.HeartbeatAt)
	for range maxUpsertRounds {
		var st agentState
		err := t.queryRow(ctx, `UPDATE agents SET heartbeat_at = ?, configurations = ?, topic = ?, agent_binary = ?,
			availability_zone = ?, started_at = CASE WHEN CAST(? AS BIGINT) = 0 THEN started_at ELSE ? END
			WHERE agent_type = ? AND host = ?
			`+agentReturning,
			heartbeat, config, a.Topic, a.Binary, a.AvailabilityZone, started, started, a.AgentType, a.Host).Scan(st.dest()...)
		if err == nil {
			st.fill(a)
			return false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, wrap("update agent", err)
		}
		id := uuid.NewString()
		now := t.s.now().Unix()
		err = t.queryRow(ctx, `INSERT INTO agents (id, agent_type, agent_binary, topic, host, availability_zone,
			admin_state_up, description, configurations, created_at, started_at, heartbeat_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`+agentReturning,
			id, a.AgentType, a.Binary, a.Topic, a.Host, a.AvailabilityZone, a.AdminStateUp, a.Description, config,
			now, started, heartbeat).Scan(st.dest()...)
		if err == nil {
			st.fill(a)
			return true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, wrap("insert agent", err)
		}
		// A concurrent transaction inserted the agent: update it.
	}
	return false, fmt.Errorf("sqlstore: upsert agent %s on %s: row keeps changing: %w", a.AgentType, a.Host, core.ErrRetry)
}

// GetAgent returns one agent.
func (t *tx) GetAgent(ctx context.Context, id string) (*core.Agent, error) {
	var a *core.Agent
	err := t.eachRow(ctx, `SELECT `+t.s.rowExpr(agentRow)+` FROM agents a WHERE a.id = ?`, []any{id},
		func(r rowReader) error {
			a = agentFromRow(r, mapCache{})
			return nil
		})
	if err != nil {
		return nil, wrap("get agent", err)
	}
	if a == nil {
		return nil, core.AgentNotFound(id)
	}
	return a, nil
}

// UpdateAgent writes AdminStateUp and Description.
func (t *tx) UpdateAgent(ctx context.Context, a *core.Agent) error {
	changed, err := t.execCount(ctx, `UPDATE agents SET admin_state_up = ?, description = ? WHERE id = ?`,
		a.AdminStateUp, a.Description, a.ID)
	if err != nil {
		return wrap("update agent", err)
	}
	if changed == 0 {
		return core.AgentNotFound(a.ID)
	}
	return nil
}

// DeleteAgent deletes an agent.
func (t *tx) DeleteAgent(ctx context.Context, id string) error {
	deleted, err := t.execCount(ctx, `DELETE FROM agents WHERE id = ?`, id)
	if err != nil {
		return wrap("delete agent", err)
	}
	if deleted == 0 {
		return core.AgentNotFound(id)
	}
	return nil
}

// ListAgents lists agents; filtering, sorting and pagination happen in
// SQL.
func (t *tx) ListAgents(ctx context.Context, opts *core.ListOptions) ([]*core.Agent, error) {
	q, err := t.buildList(ctx, &agentSpec, t.s.rowExpr(agentRow), opts)
	if err != nil {
		return nil, err
	}
	out := []*core.Agent{}
	maps := mapCache{}
	err = t.eachRow(ctx, q.sql, q.args, func(r rowReader) error {
		out = append(out, agentFromRow(r, maps))
		return nil
	})
	if err != nil {
		return nil, wrap("list agents", err)
	}
	if q.reverse {
		slices.Reverse(out)
	}
	return out, nil
}

// agentSpec lists agents.
var agentSpec = listSpec{
	from:  "agents a",
	alias: "a",
	attrs: map[string]attr{
		"id":                  {col: "a.id", filter: true, sort: true},
		"agent_type":          {col: "a.agent_type", filter: true, sort: true},
		"host":                {col: "a.host", filter: true, sort: true},
		"binary":              {col: "a.agent_binary", filter: true, sort: true},
		"topic":               {col: "a.topic", filter: true, sort: true},
		"admin_state_up":      {col: "a.admin_state_up", kind: kindBool, filter: true, sort: true},
		"availability_zone":   {col: "a.availability_zone", filter: true, sort: true},
		"description":         {col: "a.description", filter: true, sort: true},
		"created_at":          {col: "a.created_at", kind: kindInt, sort: true},
		"started_at":          {col: "a.started_at", kind: kindInt, sort: true},
		"heartbeat_timestamp": {col: "a.heartbeat_at", kind: kindInt, sort: true},
	},
	groups: []filterGroup{
		{keys: []string{filterHeartbeatAfter}, build: heartbeatFilter(filterHeartbeatAfter, ">")},
		{keys: []string{filterHeartbeatBefore}, build: heartbeatFilter(filterHeartbeatBefore, "<")},
	},
	notFound: core.AgentNotFound,
}

// Names of the agent filters on the last heartbeat (see core.ListOptions).
const (
	filterHeartbeatAfter  = "heartbeat_after"
	filterHeartbeatBefore = "heartbeat_before"
)

// heartbeatFilter matches agents whose last heartbeat compares with op to
// one of the key's values, Unix times in seconds.
func heartbeatFilter(key, op string) func(w *where, values map[string][]string) error {
	return func(w *where, values map[string][]string) error {
		converted, err := convertValues(key, kindInt, values[key])
		if err != nil {
			return err
		}
		if len(converted) == 0 {
			w.add("1 = 0")
			return nil
		}
		conds := make([]string, len(converted))
		for i := range converted {
			conds[i] = "a.heartbeat_at " + op + " ?"
		}
		w.add("("+strings.Join(conds, " OR ")+")", converted...)
		return nil
	}
}
