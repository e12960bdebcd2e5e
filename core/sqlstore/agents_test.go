package sqlstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

func TestAgents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		clk := newClock()
		s := e.open(t, sqlstore.WithClock(clk.Now))
		started := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		beat := started.Add(time.Minute)
		a := &core.Agent{
			AgentType: "Open vSwitch agent", Binary: "neutron-openvswitch-agent", Topic: "N/A", Host: "h1",
			AvailabilityZone: "nova", AdminStateUp: true, Description: "first",
			Configurations: map[string]any{"tunnel_types": []any{"vxlan"}}, StartedAt: started, HeartbeatAt: beat,
		}
		var created bool
		update(t, s, func(tx core.Tx) (err error) { created, err = tx.UpsertAgent(ctx, a); return err })
		require.True(t, created)
		require.NotEmpty(t, a.ID)
		require.Equal(t, clk.Stored(), a.CreatedAt)
		id, createdAt := a.ID, a.CreatedAt

		var got *core.Agent
		view(t, s, func(tx core.Tx) (err error) { got, err = tx.GetAgent(ctx, id); return err })
		require.Equal(t, a, got)

		// An admin disables it; a later report refreshes the state but
		// keeps what the admin set and, without a start time, the old one.
		got.AdminStateUp, got.Description = false, "disabled"
		update(t, s, func(tx core.Tx) error { return tx.UpdateAgent(ctx, got) })
		clk.Advance(time.Hour)
		report := &core.Agent{
			AgentType: a.AgentType, Host: "h1", Binary: "new-binary", Topic: "t2", AvailabilityZone: "az2",
			AdminStateUp: true, Configurations: map[string]any{"x": "y"}, HeartbeatAt: beat.Add(time.Hour),
		}
		update(t, s, func(tx core.Tx) (err error) { created, err = tx.UpsertAgent(ctx, report); return err })
		require.False(t, created)
		require.Equal(t, id, report.ID)
		require.Equal(t, createdAt, report.CreatedAt)
		require.False(t, report.AdminStateUp, "the row decides admin_state_up")
		require.Equal(t, "disabled", report.Description)
		require.Equal(t, started, report.StartedAt)
		view(t, s, func(tx core.Tx) (err error) { got, err = tx.GetAgent(ctx, id); return err })
		require.Equal(t, report, got)

		// A restart reports a new start time.
		restart := *report
		restart.StartedAt = beat.Add(2 * time.Hour)
		update(t, s, func(tx core.Tx) (err error) { created, err = tx.UpsertAgent(ctx, &restart); return err })
		require.False(t, created)
		require.Equal(t, beat.Add(2*time.Hour), restart.StartedAt)

		// Another host or type is another agent.
		other := &core.Agent{AgentType: a.AgentType, Host: "h2", AdminStateUp: true}
		update(t, s, func(tx core.Tx) (err error) { created, err = tx.UpsertAgent(ctx, other); return err })
		require.True(t, created)
		require.NotEqual(t, id, other.ID)
		// Reusing a value for another host makes another agent too.
		h2 := other.ID
		other.Host = "h3"
		update(t, s, func(tx core.Tx) (err error) { created, err = tx.UpsertAgent(ctx, other); return err })
		require.True(t, created)
		require.NotEqual(t, h2, other.ID)

		update(t, s, func(tx core.Tx) error {
			requireType(t, tx.UpdateAgent(ctx, &core.Agent{ID: "nope"}), "AgentNotFound")
			requireType(t, tx.DeleteAgent(ctx, "nope"), "AgentNotFound")
			_, err := tx.GetAgent(ctx, "nope")
			requireType(t, err, "AgentNotFound")
			return tx.DeleteAgent(ctx, id)
		})
		view(t, s, func(tx core.Tx) error {
			_, err := tx.GetAgent(ctx, id)
			requireType(t, err, "AgentNotFound")
			return nil
		})
	})
}
