package ml2_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

// TestRequestTextNoStoreHolds: an embedder's request holding a NUL
// character or bytes that are not UTF-8 in any string attribute is
// InvalidInput, the same on every engine, and stores nothing.
func TestRequestTextNoStoreHolds(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		net := e.network(&ml2.NetworkRequest{Name: ptr("n")})
		sub := e.subnet(net.ID, "10.0.0.0/24")
		port := e.port(net.ID)
		_, err := e.plugin.ReportAgentState(e.ctx, &core.Agent{Host: "h1", AgentType: "Open vSwitch agent"})
		require.NoError(t, err)
		seg := e.snapshot().Segments[0]
		const nul, bad = "a\x00b", "a\xffb"
		for _, c := range []struct {
			name string
			call func() error
		}{
			{"network name NUL", func() error {
				_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr(nul)})
				return err
			}},
			{"network project not UTF-8", func() error {
				_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{ProjectID: bad})
				return err
			}},
			{"bulk network, second tags NUL", func() error {
				_, err := e.plugin.CreateNetworks(e.ctx, []*ml2.NetworkRequest{{}, {Tags: []string{nul}}})
				return err
			}},
			{"network provider physnet NUL", func() error {
				_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: "flat", PhysicalNetwork: nul}})
				return err
			}},
			{"network update description not UTF-8", func() error {
				_, err := e.plugin.UpdateNetwork(e.ctx, net.ID, &ml2.NetworkRequest{Description: ptr(bad)})
				return err
			}},
			{"network extension value NUL", func() error {
				_, err := e.plugin.UpdateNetwork(e.ctx, net.ID, &ml2.NetworkRequest{Extensions: map[string]any{"x": []any{nul}}})
				return err
			}},
			{"subnet name NUL", func() error {
				_, err := e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: net.ID, IPVersion: 4, Name: ptr(nul)})
				return err
			}},
			{"subnet update service type not UTF-8", func() error {
				_, err := e.plugin.UpdateSubnet(e.ctx, sub.ID, &ml2.SubnetRequest{ServiceTypes: &[]string{bad}})
				return err
			}},
			{"port device_id NUL", func() error {
				_, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: net.ID, DeviceID: ptr(nul)})
				return err
			}},
			{"bulk port, second name not UTF-8", func() error {
				_, err := e.plugin.CreatePorts(e.ctx, []*ml2.PortRequest{{NetworkID: net.ID}, {NetworkID: net.ID, Name: ptr(bad)}})
				return err
			}},
			{"port profile key NUL", func() error {
				_, err := e.plugin.UpdatePort(e.ctx, port.ID, &ml2.PortRequest{Profile: &map[string]any{nul: "v"}})
				return err
			}},
			{"port profile nested value NUL", func() error {
				_, err := e.plugin.UpdatePort(e.ctx, port.ID, &ml2.PortRequest{Profile: &map[string]any{"k": map[string][]string{"x": {nul}}}})
				return err
			}},
			{"port host not UTF-8", func() error {
				_, err := e.plugin.UpdatePort(e.ctx, port.ID, &ml2.PortRequest{HostID: ptr(bad)})
				return err
			}},
			{"segment name NUL", func() error {
				_, err := e.plugin.UpdateSegment(e.ctx, seg.ID, &ml2.SegmentRequest{Name: ptr(nul)})
				return err
			}},
			{"segment create name NUL", func() error {
				_, err := e.plugin.CreateSegment(e.ctx, &ml2.SegmentRequest{NetworkID: net.ID, NetworkType: "vlan", PhysicalNetwork: "physnet1", Name: ptr(nul)})
				return err
			}},
			{"agent report host NUL", func() error {
				_, err := e.plugin.ReportAgentState(e.ctx, &core.Agent{Host: nul, AgentType: "Open vSwitch agent"})
				return err
			}},
			{"agent report configurations not UTF-8", func() error {
				_, err := e.plugin.ReportAgentState(e.ctx, &core.Agent{Host: "h2", AgentType: "Open vSwitch agent",
					Configurations: map[string]any{"bridge_mappings": map[string]any{bad: "br"}}})
				return err
			}},
			{"agent update description NUL", func() error {
				_, err := e.plugin.UpdateAgent(e.ctx, e.snapshot().Agents[0].ID, &ml2.AgentRequest{Description: ptr(nul)})
				return err
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := e.snapshot()
				e.t = t
				defer func() { e.t = t }()
				e.requireFailsCleanly("InvalidInput", before, c.call())
			})
		}
		// A device no port's id or host can match is no port.
		for _, id := range []string{nul, bad} {
			p, err := e.plugin.UpdatePortStatus(e.ctx, id, core.StatusActive, "")
			require.NoError(t, err)
			require.Nil(t, p)
		}
		p, err := e.plugin.UpdatePortStatus(e.ctx, port.ID[:11], core.StatusActive, nul)
		require.NoError(t, err)
		require.Nil(t, p)
	})
}

// TestIDsAndFiltersNoStoreHolds: an embedder's read, update or delete of
// an id holding a NUL character or bytes that are not UTF-8 is the
// resource's NotFound, and a listing filtered, sorted or paged by such
// text is InvalidInput, the same on every engine, changing nothing.
func TestIDsAndFiltersNoStoreHolds(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		net := e.network(&ml2.NetworkRequest{Name: ptr("n")})
		e.subnet(net.ID, "10.0.0.0/24")
		e.port(net.ID)
		before := e.snapshot()
		for _, id := range []string{"a\x00b", "a\xffb"} {
			for _, c := range []struct {
				typ  string
				call func() error
			}{
				{"NetworkNotFound", func() error { _, err := e.plugin.GetNetwork(e.ctx, id); return err }},
				{"NetworkNotFound", func() error {
					_, err := e.plugin.UpdateNetwork(e.ctx, id, &ml2.NetworkRequest{Name: ptr("x")})
					return err
				}},
				{"NetworkNotFound", func() error { return e.plugin.DeleteNetwork(e.ctx, id) }},
				{"SubnetNotFound", func() error { _, err := e.plugin.GetSubnet(e.ctx, id); return err }},
				{"SubnetNotFound", func() error { return e.plugin.DeleteSubnet(e.ctx, id) }},
				{"PortNotFound", func() error { _, err := e.plugin.GetPort(e.ctx, id); return err }},
				{"PortNotFound", func() error {
					_, err := e.plugin.UpdatePort(e.ctx, id, &ml2.PortRequest{Name: ptr("x")})
					return err
				}},
				{"PortNotFound", func() error { return e.plugin.DeletePort(e.ctx, id) }},
				{"SegmentNotFound", func() error { _, err := e.plugin.GetSegment(e.ctx, id); return err }},
				{"SegmentNotFound", func() error { return e.plugin.DeleteSegment(e.ctx, id) }},
				{"AgentNotFound", func() error { _, err := e.plugin.GetAgent(e.ctx, id); return err }},
				{"AgentNotFound", func() error { return e.plugin.DeleteAgent(e.ctx, id) }},
				{"InvalidInput", func() error {
					_, err := e.plugin.ListPorts(e.ctx, &core.ListOptions{Filters: map[string][]string{"name": {id}}})
					return err
				}},
				{"InvalidInput", func() error {
					_, err := e.plugin.ListNetworks(e.ctx, &core.ListOptions{Marker: id, Limit: 1})
					return err
				}},
				{"InvalidInput", func() error {
					_, err := e.plugin.ListSubnets(e.ctx, &core.ListOptions{Filters: map[string][]string{id: {"x"}}})
					return err
				}},
				{"InvalidInput", func() error {
					return e.plugin.StreamPorts(e.ctx, &core.ListOptions{Filters: map[string][]string{"device_id": {id}}}, func(*core.Port) bool { return true })
				}},
				{"InvalidInput", func() error {
					_, err := e.plugin.ListSegments(e.ctx, &core.ListOptions{Sorts: []core.SortKey{{Field: id}}})
					return err
				}},
				{"InvalidInput", func() error {
					_, err := e.plugin.ListAgents(e.ctx, &core.ListOptions{Filters: map[string][]string{"host": {id}}})
					return err
				}},
			} {
				e.requireFailsCleanly(c.typ, before, c.call())
			}
		}
	})
}
