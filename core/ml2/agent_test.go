package ml2_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

// addAgent stores an agent whose last heartbeat was ago.
func (e *env) addAgent(host string, ago time.Duration) *core.Agent {
	e.t.Helper()
	a := &core.Agent{AgentType: "Open vSwitch agent", Binary: "neutron-openvswitch-agent", Host: host,
		AdminStateUp: true, HeartbeatAt: time.Now().Add(-ago)}
	require.NoError(e.t, e.store.Update(e.ctx, func(tx core.Tx) error { _, err := tx.UpsertAgent(e.ctx, a); return err }))
	return a
}

func TestAgents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("get_update_delete", func(t *testing.T) {
			e := newEnv(t, engine)
			a := e.addAgent("h1", 0)
			got, err := e.plugin.GetAgent(e.ctx, a.ID)
			require.NoError(t, err)
			assert.Equal(t, "h1", got.Host)
			assert.True(t, got.AdminStateUp)

			u, err := e.plugin.UpdateAgent(e.ctx, a.ID, &ml2.AgentRequest{AdminStateUp: ptr(false), Description: ptr("maintenance")})
			require.NoError(t, err)
			assert.False(t, u.AdminStateUp)
			assert.Equal(t, "maintenance", u.Description)
			got, err = e.plugin.GetAgent(e.ctx, a.ID)
			require.NoError(t, err)
			assert.Equal(t, u, got)

			// Only what is given changes.
			u, err = e.plugin.UpdateAgent(e.ctx, a.ID, &ml2.AgentRequest{AdminStateUp: ptr(true)})
			require.NoError(t, err)
			assert.True(t, u.AdminStateUp)
			assert.Equal(t, "maintenance", u.Description)

			require.NoError(t, e.plugin.DeleteAgent(e.ctx, a.ID))
			_, err = e.plugin.GetAgent(e.ctx, a.ID)
			assert.Equal(t, "AgentNotFound", core.TypeOf(err))
			// Its next report registers it again.
			state, err := e.plugin.ReportAgentState(e.ctx, &core.Agent{AgentType: a.AgentType, Host: "h1", AdminStateUp: true})
			require.NoError(t, err)
			assert.Equal(t, ml2.AgentNew, state)
		})
		t.Run("not_found", func(t *testing.T) {
			e := newEnv(t, engine)
			e.addAgent("h1", 0)
			before := e.snapshot()
			_, err := e.plugin.GetAgent(e.ctx, "bogus")
			assert.Equal(t, "AgentNotFound", core.TypeOf(err))
			assert.Equal(t, "Agent bogus could not be found.", err.Error())
			_, err = e.plugin.UpdateAgent(e.ctx, "bogus", &ml2.AgentRequest{AdminStateUp: ptr(false)})
			e.requireFailsCleanly("AgentNotFound", before, err)
			e.requireFailsCleanly("AgentNotFound", before, e.plugin.DeleteAgent(e.ctx, "bogus"))
			assert.ErrorIs(t, err, core.ErrNotFound)
		})
		t.Run("alive_filter", func(t *testing.T) {
			e := newEnv(t, engine, withConfig(func(c *ml2.Config) { c.AgentDownTime = time.Minute }))
			assert.Equal(t, time.Minute, e.plugin.AgentDownTime())
			e.addAgent("fresh", 0)
			e.addAgent("recent", 50*time.Second)
			e.addAgent("stale", 2*time.Minute)
			e.addAgent("ancient", 24*time.Hour)
			hosts := func(filters map[string][]string) []string {
				t.Helper()
				agents, err := e.plugin.ListAgents(e.ctx, &core.ListOptions{Filters: filters, Sorts: []core.SortKey{{Field: "host"}}})
				require.NoError(t, err)
				out := []string{}
				now := time.Now()
				for _, a := range agents {
					out = append(out, a.Host)
					// The filter agrees with Agent.Alive.
					if v := filters["alive"]; len(v) == 1 {
						assert.Equal(t, v[0] == "true" || v[0] == "True", a.Alive(now, e.plugin.AgentDownTime()), a.Host)
					}
				}
				return out
			}
			for _, tc := range []struct {
				name    string
				filters map[string][]string
				want    []string
			}{
				{"alive", map[string][]string{"alive": {"true"}}, []string{"fresh", "recent"}},
				{"alive_capitalized", map[string][]string{"alive": {"True"}}, []string{"fresh", "recent"}},
				{"dead", map[string][]string{"alive": {"false"}}, []string{"ancient", "stale"}},
				{"both", map[string][]string{"alive": {"true", "false"}}, []string{"ancient", "fresh", "recent", "stale"}},
				{"with_other_filter", map[string][]string{"alive": {"false"}, "host": {"stale", "fresh"}}, []string{"stale"}},
				{"none", nil, []string{"ancient", "fresh", "recent", "stale"}},
			} {
				t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, hosts(tc.filters)) })
			}
			filters := map[string][]string{"alive": {"true"}}
			_ = hosts(filters)
			assert.Equal(t, map[string][]string{"alive": {"true"}}, filters, "the caller's filters are left alone")
			_, err := e.plugin.ListAgents(e.ctx, &core.ListOptions{Filters: map[string][]string{"alive": {"maybe"}}})
			assert.Equal(t, "InvalidInput", core.TypeOf(err))
			_, err = e.plugin.ListAgents(e.ctx, &core.ListOptions{Filters: map[string][]string{"bogus": {"1"}}})
			assert.Equal(t, "HTTPBadRequest", core.TypeOf(err))
		})
	})
}
