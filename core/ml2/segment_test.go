package ml2_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

func vlanKey(physnet string, id int64) core.SegmentKey {
	return core.SegmentKey{NetworkType: core.TypeVLAN, PhysicalNetwork: physnet, SegmentationID: id}
}

// TestCreateSegment covers the segments service plugin's create: the type
// driver validates and reserves the segment as for a provider network.
func TestCreateSegment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("two_vxlan_segments", func(t *testing.T) {
			// Segments without a physical network may repeat a type, as in
			// Neutron, where NULL physical networks differ.
			e := newEnv(t, engine, withTenantTypes("vxlan"), withVNIRanges("1:100"))
			n := e.network(nil)
			seg, err := e.plugin.CreateSegment(e.ctx, &ml2.SegmentRequest{NetworkID: n.ID, NetworkType: core.TypeVXLAN,
				SegmentationID: ptr(int64(555))})
			require.NoError(t, err)
			assert.Equal(t, int64(555), seg.SegmentationID)
			net, err := e.plugin.GetNetwork(e.ctx, n.ID)
			require.NoError(t, err)
			assert.Len(t, net.Segments, 2)
		})
		t.Run("partial_vlan_then_release_and_retake", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(vlanReq("physnet1", 10))
			seg, err := e.plugin.CreateSegment(e.ctx, &ml2.SegmentRequest{NetworkID: n.ID, NetworkType: core.TypeVLAN,
				PhysicalNetwork: "physnet2", Name: ptr("s2"), Description: ptr("second")})
			require.NoError(t, err)
			assert.NotEmpty(t, seg.ID)
			assert.Equal(t, n.ID, seg.NetworkID)
			assert.Equal(t, "physnet2", seg.PhysicalNetwork)
			assert.True(t, seg.SegmentationID >= 200 && seg.SegmentationID <= 300, "id %d", seg.SegmentationID)
			assert.Equal(t, 1, seg.Index)
			assert.False(t, seg.Dynamic)
			assert.Equal(t, "s2", seg.Name)
			assert.Equal(t, "second", seg.Description)
			assert.False(t, seg.CreatedAt.IsZero())
			assert.True(t, e.segmentAllocated(vlanKey("physnet2", seg.SegmentationID)))
			// No mechanism driver hears of it.
			assert.Empty(t, e.first.CallsTo("UpdateNetworkPrecommit"))

			got, err := e.plugin.GetSegment(e.ctx, seg.ID)
			require.NoError(t, err)
			assert.Equal(t, seg, got)
			net, err := e.plugin.GetNetwork(e.ctx, n.ID)
			require.NoError(t, err)
			require.Len(t, net.Segments, 2)
			assert.Equal(t, *seg, net.Segments[1])
			assert.Equal(t, n.MTU, net.MTU, "the MTU is not recomputed")
			assert.Greater(t, net.RevisionNumber, n.RevisionNumber, "a new segment changes the network")

			require.NoError(t, e.plugin.DeleteSegment(e.ctx, seg.ID))
			assert.False(t, e.segmentAllocated(vlanKey("physnet2", seg.SegmentationID)))
			_, err = e.plugin.GetSegment(e.ctx, seg.ID)
			assert.Equal(t, "SegmentNotFound", core.TypeOf(err))
			// The released VLAN can be taken again.
			again, err := e.plugin.CreateSegment(e.ctx, &ml2.SegmentRequest{NetworkID: n.ID, NetworkType: core.TypeVLAN,
				PhysicalNetwork: "physnet2", SegmentationID: ptr(seg.SegmentationID)})
			require.NoError(t, err)
			assert.Equal(t, seg.SegmentationID, again.SegmentationID)
			assert.Equal(t, 1, again.Index)
		})
		t.Run("explicit_ids_of_several_types", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil) // local
			for i, req := range []*ml2.SegmentRequest{
				{NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet3", SegmentationID: ptr(int64(4000))},
				{NetworkType: core.TypeVXLAN, SegmentationID: ptr(int64(5000))},
				{NetworkType: core.TypeGRE, SegmentationID: ptr(int64(7))},
				{NetworkType: core.TypeFlat, PhysicalNetwork: "fnet"},
			} {
				req.NetworkID = n.ID
				seg, err := e.plugin.CreateSegment(e.ctx, req)
				require.NoError(t, err, req.NetworkType)
				assert.Equal(t, i+1, seg.Index)
				assert.Equal(t, deref(req.SegmentationID), seg.SegmentationID)
				assert.True(t, e.segmentAllocated(core.SegmentKey{NetworkType: req.NetworkType,
					PhysicalNetwork: req.PhysicalNetwork, SegmentationID: seg.SegmentationID}), req.NetworkType)
			}
			// Deleting the network releases them all.
			require.NoError(t, e.plugin.DeleteNetwork(e.ctx, n.ID))
			assert.False(t, e.segmentAllocated(vlanKey("physnet3", 4000)))
			assert.False(t, e.segmentAllocated(core.SegmentKey{NetworkType: core.TypeGRE, SegmentationID: 7}))
			assert.False(t, e.segmentAllocated(core.SegmentKey{NetworkType: core.TypeFlat, PhysicalNetwork: "fnet"}))
			e.requireEmpty()
		})

		fails := []struct {
			name string
			req  func(netID string) *ml2.SegmentRequest
			typ  string
		}{
			{"network_not_found", func(string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: "bogus", NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet3"}
			}, "NetworkNotFound"},
			{"network_id_missing", func(string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkType: core.TypeVLAN}
			}, "InvalidInput"},
			{"network_type_missing", func(id string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: id}
			}, "InvalidInput"},
			{"unknown_type", func(id string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: id, NetworkType: "bogus"}
			}, "InvalidInput"},
			{"vlan_4095", func(id string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: id, NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet3", SegmentationID: ptr(int64(4095))}
			}, "InvalidInput"},
			{"segmentation_id_zero", func(id string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: id, NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet3", SegmentationID: ptr(int64(0))}
			}, "InvalidInput"},
			{"vlan_unknown_physnet", func(id string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: id, NetworkType: core.TypeVLAN, PhysicalNetwork: "nope", SegmentationID: ptr(int64(5))}
			}, "InvalidInput"},
			{"flat_with_segmentation_id", func(id string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: id, NetworkType: core.TypeFlat, PhysicalNetwork: "f", SegmentationID: ptr(int64(3))}
			}, "InvalidInput"},
			{"vlan_in_use", func(id string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: id, NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet2", SegmentationID: ptr(int64(250))}
			}, "VlanIdInUse"},
			{"tunnel_in_use", func(id string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: id, NetworkType: core.TypeGRE, SegmentationID: ptr(int64(5))}
			}, "TunnelIdInUse"},
			{"flat_in_use", func(id string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: id, NetworkType: core.TypeFlat, PhysicalNetwork: "fnet"}
			}, "FlatNetworkInUse"},
			{"vxlan_without_ranges", func(id string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: id, NetworkType: core.TypeVXLAN}
			}, "NoNetworkAvailable"},
			{"duplicate_type_and_physnet", func(id string) *ml2.SegmentRequest {
				return &ml2.SegmentRequest{NetworkID: id, NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet1", SegmentationID: ptr(int64(20))}
			}, "NeutronDbObjectDuplicateEntry"},
			{"duplicate_after_driver_picks_physnet", func(id string) *ml2.SegmentRequest {
				// The VLAN driver picks physnet1, which the network has.
				return &ml2.SegmentRequest{NetworkID: id, NetworkType: core.TypeVLAN}
			}, "NeutronDbObjectDuplicateEntry"},
		}
		for _, tc := range fails {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, engine)
				n := e.network(vlanReq("physnet1", 10))
				e.network(vlanReq("physnet2", 250))
				e.network(&ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: core.TypeGRE, SegmentationID: 5}})
				e.network(&ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: core.TypeFlat, PhysicalNetwork: "fnet"}})
				before := e.snapshot()
				_, err := e.plugin.CreateSegment(e.ctx, tc.req(n.ID))
				e.requireFailsCleanly(tc.typ, before, err)
				assert.False(t, e.segmentAllocated(vlanKey("physnet1", 20)))
				assert.False(t, e.segmentAllocated(vlanKey("physnet3", 4095)))
				// The failed partial VLAN left nothing reserved: the whole
				// first range is still free but for VLAN 10.
				for id := int64(1); id <= 100; id++ {
					if id != 10 && e.segmentAllocated(vlanKey("physnet1", id)) {
						t.Fatalf("VLAN %d on physnet1 left allocated", id)
					}
				}
			})
		}
	})
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func TestUpdateSegment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("name_and_description", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(vlanReq("physnet1", 10))
			seg := n.Segments[0]
			u, err := e.plugin.UpdateSegment(e.ctx, seg.ID, &ml2.SegmentRequest{Name: ptr("new"), Description: ptr("d")})
			require.NoError(t, err)
			assert.Equal(t, "new", u.Name)
			assert.Equal(t, "d", u.Description)
			assert.Equal(t, seg.RevisionNumber+1, u.RevisionNumber)
			assert.Equal(t, seg.SegmentationID, u.SegmentationID)
			got, err := e.plugin.GetSegment(e.ctx, seg.ID)
			require.NoError(t, err)
			assert.Equal(t, u, got)
			net, err := e.plugin.GetNetwork(e.ctx, n.ID)
			require.NoError(t, err)
			assert.Equal(t, *u, net.Segments[0])
			assert.Greater(t, net.RevisionNumber, n.RevisionNumber)

			// Only what is given changes.
			u, err = e.plugin.UpdateSegment(e.ctx, seg.ID, &ml2.SegmentRequest{Description: ptr("")})
			require.NoError(t, err)
			assert.Equal(t, "new", u.Name)
			assert.Equal(t, "", u.Description)
		})
		for _, tc := range []struct {
			attr string
			req  *ml2.SegmentRequest
		}{
			{"network_id", &ml2.SegmentRequest{NetworkID: "x"}},
			{"network_type", &ml2.SegmentRequest{Name: ptr("n"), NetworkType: core.TypeVLAN}},
			{"physical_network", &ml2.SegmentRequest{PhysicalNetwork: "physnet1"}},
			{"segmentation_id", &ml2.SegmentRequest{SegmentationID: ptr(int64(10))}},
		} {
			t.Run("read_only_"+tc.attr, func(t *testing.T) {
				e := newEnv(t, engine)
				n := e.network(vlanReq("physnet1", 10))
				before := e.snapshot()
				_, err := e.plugin.UpdateSegment(e.ctx, n.Segments[0].ID, tc.req)
				e.requireFailsCleanly("HTTPBadRequest", before, err)
				assert.Equal(t, "Cannot update read-only attribute "+tc.attr, err.Error())
				assert.Equal(t, core.KindBadRequest, core.KindOf(err))
			})
		}
		t.Run("not_found", func(t *testing.T) {
			e := newEnv(t, engine)
			_, err := e.plugin.UpdateSegment(e.ctx, "bogus", &ml2.SegmentRequest{Name: ptr("x")})
			assert.Equal(t, "SegmentNotFound", core.TypeOf(err))
			assert.Equal(t, "Segment bogus could not be found.", err.Error())
		})
	})
}

func TestDeleteSegment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("with_subnet", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(vlanReq("physnet1", 10))
			s := e.subnet(n.ID, "10.0.0.0/24", func(r *ml2.SubnetRequest) { r.SegmentID = ptr(n.Segments[0].ID) })
			before := e.snapshot()
			err := e.plugin.DeleteSegment(e.ctx, n.Segments[0].ID)
			e.requireFailsCleanly("SegmentInUse", before, err)
			assert.Equal(t, "Segment '"+n.Segments[0].ID+"' cannot be deleted: The segment is still associated with subnet(s) "+
				s.ID+".", err.Error())
			assert.Equal(t, core.KindConflict, core.KindOf(err))
			assert.True(t, e.segmentAllocated(vlanKey("physnet1", 10)))
		})
		t.Run("with_bound_port", func(t *testing.T) {
			e := newEnv(t, engine)
			e.first.BindFunc = bindOnHost("h1", "ovs", "")
			n := e.network(vlanReq("physnet1", 10))
			e.port(n.ID, onHost("h1"), func(r *ml2.PortRequest) { r.DeviceOwner = ptr("compute:nova") })
			e.port(n.ID, onHost("h1"), func(r *ml2.PortRequest) { r.DeviceOwner = ptr(core.DeviceOwnerDHCP) })
			e.port(n.ID) // unbound ports do not count
			before := e.snapshot()
			err := e.plugin.DeleteSegment(e.ctx, n.Segments[0].ID)
			e.requireFailsCleanly("SegmentInUse", before, err)
			assert.Contains(t, err.Error(), "The segment is still bound with 2 port(s)")
		})
		t.Run("bound_dhcp_port_is_deleted", func(t *testing.T) {
			e := newEnv(t, engine)
			e.first.BindFunc = bindOnHost("h1", "ovs", "")
			n := e.network(vlanReq("physnet1", 10))
			dhcp := e.port(n.ID, onHost("h1"), func(r *ml2.PortRequest) { r.DeviceOwner = ptr(core.DeviceOwnerDHCP) })
			other := e.port(n.ID)
			require.NoError(t, e.plugin.DeleteSegment(e.ctx, n.Segments[0].ID))
			_, err := e.plugin.GetPort(e.ctx, dhcp.ID)
			assert.Equal(t, "PortNotFound", core.TypeOf(err))
			_, err = e.plugin.GetPort(e.ctx, other.ID)
			assert.NoError(t, err)
			// The last segment of a network may go.
			net, err := e.plugin.GetNetwork(e.ctx, n.ID)
			require.NoError(t, err)
			assert.Empty(t, net.Segments)
			assert.Greater(t, net.RevisionNumber, n.RevisionNumber)
			assert.False(t, e.segmentAllocated(vlanKey("physnet1", 10)))
		})
		t.Run("not_found", func(t *testing.T) {
			e := newEnv(t, engine)
			e.network(nil)
			before := e.snapshot()
			e.requireFailsCleanly("SegmentNotFound", before, e.plugin.DeleteSegment(e.ctx, "bogus"))
		})
	})
}

func TestListSegments(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		n1 := e.network(vlanReq("physnet1", 10))
		n2 := e.network(vlanReq("physnet2", 210))
		extra, err := e.plugin.CreateSegment(e.ctx, &ml2.SegmentRequest{NetworkID: n1.ID, NetworkType: core.TypeGRE,
			SegmentationID: ptr(int64(9)), Name: ptr("g")})
		require.NoError(t, err)
		ids := func(opts *core.ListOptions) []string {
			t.Helper()
			segs, err := e.plugin.ListSegments(e.ctx, opts)
			require.NoError(t, err)
			out := []string{}
			for _, s := range segs {
				out = append(out, s.ID)
			}
			return out
		}
		all := ids(nil)
		assert.ElementsMatch(t, []string{n1.Segments[0].ID, n2.Segments[0].ID, extra.ID}, all)
		assert.ElementsMatch(t, []string{n1.Segments[0].ID, extra.ID},
			ids(&core.ListOptions{Filters: map[string][]string{"network_id": {n1.ID}}}))
		assert.Equal(t, []string{extra.ID}, ids(&core.ListOptions{Filters: map[string][]string{"name": {"g"}}}))
		assert.Equal(t, []string{n2.Segments[0].ID, n1.Segments[0].ID, extra.ID},
			ids(&core.ListOptions{Sorts: []core.SortKey{{Field: "segmentation_id", Desc: true}}}))
		assert.Equal(t, []string{n2.Segments[0].ID}, ids(&core.ListOptions{Filters: map[string][]string{
			"network_type": {"vlan"}, "physical_network": {"physnet2"}, "segmentation_id": {"210"}}}))
		_, err = e.plugin.ListSegments(e.ctx, &core.ListOptions{Filters: map[string][]string{"mtu": {"1500"}}})
		assert.Equal(t, "HTTPBadRequest", core.TypeOf(err))
	})
}
