package ml2_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
)

// bindOnHost binds the first offered segment when the port is on host,
// with the given status.
func bindOnHost(host, vifType, status string) func(context.Context, core.PortContext) error {
	return func(_ context.Context, pc core.PortContext) error {
		if pc.Host() != host || len(pc.SegmentsToBind()) == 0 {
			return nil
		}
		pc.SetBinding(pc.SegmentsToBind()[0].ID, vifType, map[string]any{"port_filter": false}, status)
		return nil
	}
}

func onHost(host string) func(*ml2.PortRequest) {
	return func(r *ml2.PortRequest) { r.HostID = ptr(host) }
}

// TestPortBinding covers catalogue C.2 39–49.
func TestPortBinding(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("C42_empty_host_unbound", func(t *testing.T) {
			e := newEnv(t, engine)
			e.first.BindFunc = bindOnHost("h1", "ovs", "")
			n := e.network(nil)
			p := e.port(n.ID, onHost(""))
			assert.Equal(t, core.VIFTypeUnbound, p.Binding.VIFType)
			assert.Equal(t, core.StatusDown, p.Status)
			assert.Empty(t, e.first.CallsTo("BindPort"))
		})
		t.Run("C43_bound_ovs", func(t *testing.T) {
			e := newEnv(t, engine)
			e.first.BindFunc = bindOnHost("h1", "ovs", "")
			n := e.network(nil)
			p := e.port(n.ID, onHost("h1"))
			assert.Equal(t, "ovs", p.Binding.VIFType)
			assert.Equal(t, map[string]any{"port_filter": false}, p.Binding.VIFDetails)
			assert.Equal(t, core.StatusDown, p.Status)
			require.Len(t, p.Binding.Levels, 1)
			assert.Equal(t, core.BindingLevel{Level: 0, Driver: "first", SegmentID: n.Segments[0].ID}, p.Binding.Levels[0])
			got, err := e.plugin.GetPort(e.ctx, p.ID)
			require.NoError(t, err)
			assert.Equal(t, p.Binding, got.Binding)
			// Binding ran update_port hooks with the result.
			upd := e.second.CallsTo("UpdatePortPrecommit")
			require.NotEmpty(t, upd)
			assert.Equal(t, "ovs", upd[len(upd)-1].Port.Binding.VIFType)
		})
		t.Run("C44_status_from_binding", func(t *testing.T) {
			e := newEnv(t, engine)
			e.second.BindFunc = bindOnHost("h1", "ovs", core.StatusActive)
			n := e.network(nil)
			p := e.port(n.ID, onHost("h1"))
			assert.Equal(t, core.StatusActive, p.Status)
			assert.Equal(t, "second", p.Binding.Levels[0].Driver)
		})
		t.Run("C45_every_driver_fails", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			p := e.port(n.ID, onHost("nowhere"))
			assert.Equal(t, core.VIFTypeBindingFailed, p.Binding.VIFType)
			assert.Empty(t, p.Binding.VIFDetails)
			assert.Equal(t, core.StatusDown, p.Status)
			assert.Len(t, e.first.CallsTo("BindPort"), 10, "ten attempts")
			// A later trigger binds it.
			e.first.BindFunc = bindOnHost("nowhere", "ovs", "")
			b, err := e.plugin.BindPort(e.ctx, p.ID)
			require.NoError(t, err)
			assert.Equal(t, "ovs", b.Binding.VIFType)
		})
		t.Run("C46_hierarchical_dynamic_segment", func(t *testing.T) {
			e := newEnv(t, engine, withTenantTypes("gre"))
			e.first.BindFunc = func(ctx context.Context, pc core.PortContext) error {
				for _, s := range pc.SegmentsToBind() {
					if s.NetworkType != "gre" {
						continue
					}
					dyn, err := pc.AllocateDynamicSegment(ctx, core.Segment{NetworkType: "vlan", PhysicalNetwork: "physnet1"})
					if err != nil {
						return err
					}
					pc.ContinueBinding(s.ID, []core.Segment{dyn})
					return nil
				}
				return nil
			}
			e.second.BindFunc = func(_ context.Context, pc core.PortContext) error {
				for _, s := range pc.SegmentsToBind() {
					if s.NetworkType == "vlan" {
						pc.SetBinding(s.ID, "bridge", map[string]any{"vlan": s.SegmentationID}, "")
					}
				}
				return nil
			}
			n := e.network(nil)
			p := e.port(n.ID, onHost("h1"))
			assert.Equal(t, "bridge", p.Binding.VIFType)
			require.Len(t, p.Binding.Levels, 2)
			assert.Equal(t, "first", p.Binding.Levels[0].Driver)
			assert.Equal(t, "second", p.Binding.Levels[1].Driver)
			assert.Equal(t, n.Segments[0].ID, p.Binding.Levels[0].SegmentID)
			// The dynamic segment is not part of the network's segments.
			got, err := e.plugin.GetNetwork(e.ctx, n.ID)
			require.NoError(t, err)
			require.Len(t, got.Segments, 1)
			assert.Equal(t, "gre", got.Segments[0].NetworkType)
			// A second port reuses the dynamic segment.
			p2 := e.port(n.ID, onHost("h2"))
			assert.Equal(t, p.Binding.Levels[1].SegmentID, p2.Binding.Levels[1].SegmentID)
			// The bottom segment seen by update hooks is the VLAN one.
			calls := e.second.CallsTo("UpdatePortPostcommit")
			require.NotEmpty(t, calls)
			levels := calls[len(calls)-1].BindingLevels
			require.Len(t, levels, 2)
			assert.Equal(t, "vlan", levels[1].Segment.NetworkType)
			assert.True(t, levels[1].Segment.Dynamic)
		})
		t.Run("C39_loop_prevention", func(t *testing.T) {
			e := newEnv(t, engine)
			e.first.BindFunc = func(_ context.Context, pc core.PortContext) error {
				segs := pc.SegmentsToBind()
				pc.ContinueBinding(segs[0].ID, segs)
				return nil
			}
			e.second.BindFunc = bindOnHost("h1", "ovs", "")
			n := e.network(nil)
			p := e.port(n.ID, onHost("h1"))
			assert.Equal(t, "ovs", p.Binding.VIFType)
			require.Len(t, p.Binding.Levels, 2)
			assert.Equal(t, []string{"first", "second"}, []string{p.Binding.Levels[0].Driver, p.Binding.Levels[1].Driver})
			assert.Len(t, e.first.CallsTo("BindPort"), 1, "first is skipped at level 1")
		})
		t.Run("C40_no_fixed_ips_needs_l2_driver", func(t *testing.T) {
			e := newEnv(t, engine)
			e.first.BindFunc = bindOnHost("h1", "ovs", "")
			e.first.Provides, e.second.Provides = core.ConnectivityLegacy, core.ConnectivityL3
			n := e.network(nil) // no subnets: the port has no fixed IPs
			p := e.port(n.ID, onHost("h1"))
			assert.Equal(t, core.VIFTypeBindingFailed, p.Binding.VIFType)
			assert.Empty(t, e.first.CallsTo("BindPort"))
			e2 := newEnv(t, engine)
			e2.first.BindFunc = bindOnHost("h1", "ovs", "")
			e2.first.Provides = core.ConnectivityL2
			p2 := e2.port(e2.network(nil).ID, onHost("h1"))
			assert.Equal(t, "ovs", p2.Binding.VIFType)
		})
		t.Run("C47_host_change_resets_binding", func(t *testing.T) {
			e := newEnv(t, engine)
			e.first.BindFunc = func(_ context.Context, pc core.PortContext) error {
				if strings.HasPrefix(pc.Host(), "h") {
					pc.SetBinding(pc.SegmentsToBind()[0].ID, "ovs", map[string]any{"host": pc.Host()}, core.StatusActive)
				}
				return nil
			}
			n := e.network(nil)
			e.subnet(n.ID, "10.0.0.0/24")
			p := e.port(n.ID, onHost("h1"))
			require.Equal(t, core.StatusActive, p.Status)
			same, err := e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{HostID: ptr("h1")})
			require.NoError(t, err)
			assert.Equal(t, p.Binding, same.Binding, "same host: nothing changes")
			u, err := e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{HostID: ptr("x2")})
			require.NoError(t, err)
			assert.Equal(t, core.VIFTypeBindingFailed, u.Binding.VIFType)
			assert.Equal(t, core.StatusDown, u.Status)
			u, err = e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{HostID: ptr("h2")})
			require.NoError(t, err)
			assert.Equal(t, map[string]any{"host": "h2"}, u.Binding.VIFDetails)
		})
		t.Run("C48_profile_too_large", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			p := e.port(n.ID)
			big := map[string]any{"k": strings.Repeat("x", 4096)}
			before := e.snapshot()
			_, err := e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{Profile: &big})
			e.requireFailsCleanly("InvalidInput", before, err)
			_, err = e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID, Profile: &big})
			e.requireFailsCleanly("InvalidInput", before, err)
		})
		t.Run("C49_mac_change_on_bound_port", func(t *testing.T) {
			e := newEnv(t, engine)
			e.first.BindFunc = bindOnHost("h1", "ovs", "")
			n := e.network(nil)
			e.subnet(n.ID, "10.0.0.0/24")
			bound := e.port(n.ID, onHost("h1"))
			before := e.snapshot()
			_, err := e.plugin.UpdatePort(e.ctx, bound.ID, &ml2.PortRequest{MACAddress: ptr("fa:16:3e:00:00:01")})
			e.requireFailsCleanly("PortBound", before, err)
			free := e.port(n.ID)
			u, err := e.plugin.UpdatePort(e.ctx, free.ID, &ml2.PortRequest{MACAddress: ptr("FA:16:3E:00:00:01")})
			require.NoError(t, err)
			assert.Equal(t, "fa:16:3e:00:00:01", u.MACAddress)
		})
	})
}

// TestAgentBinding binds through the fake agent-based driver, and covers
// C.2 53: a revived agent gets its host's failed ports bound.
func TestAgentBinding(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		fa := fakeagent.New(fakeagent.Config{})
		e := newEnv(t, engine, withMech("fake", fa), withTenantTypes("vxlan"), withVNIRanges("100:199"),
			withConfig(func(c *ml2.Config) { c.AgentDownTime = time.Hour }))
		n := e.network(nil)
		e.subnet(n.ID, "10.0.0.0/24")
		p := e.port(n.ID, onHost("compute-1"))
		assert.Equal(t, core.VIFTypeBindingFailed, p.Binding.VIFType, "no agent yet")

		state, err := e.plugin.ReportAgentState(e.ctx, &core.Agent{AgentType: fakeagent.AgentType, Host: "compute-1",
			AdminStateUp: true, Configurations: map[string]any{"tunnel_types": []any{"vxlan"}}})
		require.NoError(t, err)
		assert.Equal(t, ml2.AgentNew, state)
		b, err := e.plugin.BindPort(e.ctx, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "ovs", b.Binding.VIFType)
		assert.Equal(t, "fake", b.Binding.Levels[0].Driver)

		state, err = e.plugin.ReportAgentState(e.ctx, &core.Agent{AgentType: fakeagent.AgentType, Host: "compute-1", AdminStateUp: true})
		require.NoError(t, err)
		assert.Equal(t, ml2.AgentAlive, state)
	})
}

// TestRevivedAgentRebinds covers C.2 53: when an agent reports after being
// silent longer than AgentDownTime, its host's binding_failed ports are
// bound again.
func TestRevivedAgentRebinds(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, withMech("fake", fakeagent.New(fakeagent.Config{})),
			withConfig(func(c *ml2.Config) { c.AgentDownTime = time.Nanosecond }))
		n := e.network(nil)
		e.subnet(n.ID, "10.0.0.0/24")
		p := e.port(n.ID, onHost("compute-1"))
		require.Equal(t, core.VIFTypeBindingFailed, p.Binding.VIFType)
		other := e.port(n.ID, onHost("compute-2"))

		agent := func(host string) *core.Agent {
			return &core.Agent{AgentType: fakeagent.AgentType, Host: host, AdminStateUp: true}
		}
		state, err := e.plugin.ReportAgentState(e.ctx, agent("compute-1"))
		require.NoError(t, err)
		require.Equal(t, ml2.AgentNew, state)
		time.Sleep(time.Millisecond)
		state, err = e.plugin.ReportAgentState(e.ctx, agent("compute-1"))
		require.NoError(t, err)
		require.Equal(t, ml2.AgentRevived, state)

		got, err := e.plugin.GetPort(e.ctx, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "ovs", got.Binding.VIFType)
		got, err = e.plugin.GetPort(e.ctx, other.ID)
		require.NoError(t, err)
		assert.Equal(t, core.VIFTypeBindingFailed, got.Binding.VIFType, "other hosts are left alone")
	})
}

// TestBindingFailureReason: a port that ends binding_failed because
// drivers returned errors from BindPort says which, and why, in
// binding:vif_details; one bound by another driver, or rebound later,
// does not.
func TestBindingFailureReason(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.first.FailOn("BindPort", core.Typed(core.KindUnavailable, "MechanismDriverUnavailable", "driver first is down"))
		e.second.BindFunc = bindOnHost("h1", "ovs", "")
		n := e.network(nil)

		bound := e.port(n.ID, onHost("h1"))
		assert.Equal(t, "ovs", bound.Binding.VIFType)
		assert.NotContains(t, bound.Binding.VIFDetails, ml2.BindingFailureKey)

		failed := e.port(n.ID, onHost("nowhere"))
		assert.Equal(t, core.VIFTypeBindingFailed, failed.Binding.VIFType)
		want := map[string]any{ml2.BindingFailureKey: map[string]any{"first": "driver first is down"}}
		assert.Equal(t, want, failed.Binding.VIFDetails)
		got, err := e.plugin.GetPort(e.ctx, failed.ID)
		require.NoError(t, err)
		assert.Equal(t, want, got.Binding.VIFDetails, "stored")

		e.first.FailOn("BindPort", nil)
		rebound, err := e.plugin.UpdatePort(e.ctx, failed.ID, &ml2.PortRequest{HostID: ptr("h1")})
		require.NoError(t, err)
		assert.Equal(t, "ovs", rebound.Binding.VIFType)
		assert.NotContains(t, rebound.Binding.VIFDetails, ml2.BindingFailureKey)
	})
}
