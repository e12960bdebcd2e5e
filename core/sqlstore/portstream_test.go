package sqlstore_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/sqlstore"
)

// seedStreamPorts creates n ports on networks a and b (every third on b),
// each with an address, every fifth with a binding level and every
// seventh with a tag, in one transaction.
func seedStreamPorts(t *testing.T, s *sqlstore.Store, n int) {
	t.Helper()
	for _, id := range []string{"a", "b"} {
		createNetwork(t, s, network(id, "p1"))
		createSubnet(t, s, subnet("sub-"+id, id, "10.0.0.0/16"))
	}
	update(t, s, func(tx core.Tx) error {
		for i := range n {
			netID := "a"
			if i%3 == 0 {
				netID = "b"
			}
			p := port(fmt.Sprintf("port-%05d", i), netID, fmt.Sprintf("fa:16:3e:00:%02x:%02x", i>>8, i&0xff))
			p.Name = fmt.Sprintf("name-%d", i%11)
			p.Binding.VIFDetails = map[string]any{"port_filter": true}
			p.Extra = map[string]any{"port_security_enabled": i%2 == 0}
			if i%5 == 0 {
				p.Binding.Levels = []core.BindingLevel{{Level: 0, Driver: "d", SegmentID: "s"}}
			}
			if i%7 == 0 {
				p.Tags = []string{"seventh"}
			}
			if err := tx.CreatePort(ctx, p); err != nil {
				return err
			}
			ip := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
			if _, err := tx.AllocateIP(ctx, core.IPAllocation{SubnetID: "sub-" + netID, NetworkID: netID, PortID: p.ID, IP: ip}); err != nil {
				return err
			}
		}
		return nil
	})
}

// streamed collects what StreamPorts yields, up to stop ports (0: all).
func streamed(t *testing.T, s *sqlstore.Store, opts *core.ListOptions, stop int) ([]core.Port, error) {
	t.Helper()
	var out []core.Port
	err := s.View(ctx, func(tx core.Tx) error {
		return tx.(core.PortStreamer).StreamPorts(ctx, opts, func(p *core.Port) bool {
			out = append(out, *p)
			return stop == 0 || len(out) < stop
		})
	})
	return out, err
}

// TestStreamPorts: StreamPorts yields what ListPorts returns, whatever the
// options, across pages of rows.
func TestStreamPorts(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		seedStreamPorts(t, s, 2600)
		byName := []core.SortKey{{Field: "name", Desc: true}}
		for _, c := range []struct {
			name string
			opts *core.ListOptions
		}{
			{"nil", nil},
			{"all", &core.ListOptions{}},
			{"network", &core.ListOptions{Filters: map[string][]string{"network_id": {"b"}}}},
			{"sorted", &core.ListOptions{Sorts: byName}},
			{"sorted page", &core.ListOptions{Sorts: byName, Limit: 1500, Marker: "port-00042"}},
			{"limit across pages", &core.ListOptions{Limit: 1999}},
			{"limit of a page", &core.ListOptions{Limit: 1000}},
			{"marker", &core.ListOptions{Marker: "port-00500", Limit: 1200}},
			{"id ascending", &core.ListOptions{Sorts: []core.SortKey{{Field: "id"}}, Marker: "port-00007"}},
			{"id descending", &core.ListOptions{Sorts: []core.SortKey{{Field: "id", Desc: true}}, Limit: 1700}},
			{"reverse", &core.ListOptions{Limit: 1200, Marker: "port-02000", PageReverse: true}},
			{"scope", &core.ListOptions{ProjectScope: "p1", Limit: 1100}},
			{"tags", &core.ListOptions{Filters: map[string][]string{"tags": {"seventh"}}}},
			{"fields", &core.ListOptions{Fields: []string{"id", "fixed_ips"}}},
		} {
			t.Run(c.name, func(t *testing.T) {
				var want []*core.Port
				view(t, s, func(tx core.Tx) (err error) { want, err = tx.ListPorts(ctx, c.opts); return err })
				require.NotEmpty(t, want)
				got, err := streamed(t, s, c.opts, 0)
				require.NoError(t, err)
				require.Len(t, got, len(want))
				for i := range want {
					require.Equal(t, *want[i], got[i], "port %d", i)
				}
			})
		}
		t.Run("stop", func(t *testing.T) {
			got, err := streamed(t, s, nil, 1003)
			require.NoError(t, err)
			require.Len(t, got, 1003)
			require.Equal(t, "port-01002", got[1002].ID)
		})
		t.Run("errors come first", func(t *testing.T) {
			for _, c := range []struct {
				opts *core.ListOptions
				typ  string
			}{
				{&core.ListOptions{Marker: "nope"}, "PortNotFound"},
				{&core.ListOptions{Filters: map[string][]string{"bogus": {"x"}}}, "HTTPBadRequest"},
				{&core.ListOptions{Sorts: []core.SortKey{{Field: "bogus"}}}, "HTTPBadRequest"},
			} {
				got, err := streamed(t, s, c.opts, 0)
				require.Error(t, err)
				require.Empty(t, got)
				require.NotEmpty(t, core.TypeOf(err))
			}
		})
	})
}

// TestListPortsFields: a listing asked for some attributes reads only
// what they are made of; the id always.
func TestListPortsFields(t *testing.T) {
	storeTest(t, func(t *testing.T, s *sqlstore.Store) {
		seedStreamPorts(t, s, 10)
		list := func(fields ...string) *core.Port {
			var ports []*core.Port
			view(t, s, func(tx core.Tx) (err error) {
				ports, err = tx.ListPorts(ctx, &core.ListOptions{Fields: fields, Limit: 1})
				return err
			})
			require.Len(t, ports, 1)
			return ports[0]
		}
		full := list()
		require.NotEmpty(t, full.Name)
		require.NotEmpty(t, full.FixedIPs)
		require.NotEmpty(t, full.Binding.Levels)
		require.NotEmpty(t, full.Tags)
		require.NotEmpty(t, full.Extra)

		// Columns come whole on SQLite, where a row is one cell; the
		// details, maps and tags are read on both engines only when asked.
		p := list("id")
		require.Equal(t, full.ID, p.ID)
		require.Nil(t, p.FixedIPs)
		require.Nil(t, p.Binding.Levels)
		require.Nil(t, p.Binding.VIFDetails)
		require.Nil(t, p.Extra)
		require.Nil(t, p.Tags)
		if s.Engine() == "postgres" {
			require.Equal(t, &core.Port{Standard: core.Standard{ID: full.ID}}, p)
		}
		p = list("name", "fixed_ips")
		require.Equal(t, full.Name, p.Name)
		require.Equal(t, full.FixedIPs, p.FixedIPs)
		require.Nil(t, p.Binding.VIFDetails)
		require.Nil(t, p.Binding.Levels)
		p = list("binding:vif_details", "tags")
		require.Equal(t, full.Binding.VIFDetails, p.Binding.VIFDetails)
		require.Equal(t, full.Binding.Levels, p.Binding.Levels)
		require.Equal(t, full.Tags, p.Tags)
		require.Nil(t, p.FixedIPs)
		// Another attribute is an extension driver's: the extra column.
		p = list("port_security_enabled")
		require.Equal(t, full.Extra, p.Extra)
		require.Nil(t, p.FixedIPs)
	})
}
