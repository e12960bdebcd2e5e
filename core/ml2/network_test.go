package ml2_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

func vlanReq(physnet string, id int64) *ml2.NetworkRequest {
	return &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: "vlan", PhysicalNetwork: physnet, SegmentationID: id}}
}

// TestCreateNetworkProvider covers catalogue C.3 cases about provider
// attributes: each failing request returns its typed error and leaves the
// store as it was.
func TestCreateNetworkProvider(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		fails := []struct {
			name string
			req  *ml2.NetworkRequest
			typ  string
		}{
			{"C55_vlan_id_4095", vlanReq("physnet1", 4095), "InvalidInput"},
			{"C58_segmentation_id_only", &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{SegmentationID: 5}}, "InvalidInput"},
			{"C59_bogus_type", &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: "bogus"}}, "InvalidInput"},
			{"C63_provider_and_segments", &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: "local"},
				Segments: []ml2.ProviderSegment{{NetworkType: "local"}}}, "SegmentsSetInConjunctionWithProviders"},
			{"C64_duplicate_full_segments", &ml2.NetworkRequest{Segments: []ml2.ProviderSegment{
				{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 6},
				{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 6}}}, "SegmentsContainDuplicateEntry"},
			{"C65_two_vlans_same_physnet", &ml2.NetworkRequest{Segments: []ml2.ProviderSegment{
				{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 6},
				{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 7}}}, "NeutronDbObjectDuplicateEntry"},
			{"C65_two_partial_vlans_same_physnet", &ml2.NetworkRequest{Segments: []ml2.ProviderSegment{
				{NetworkType: "vlan", PhysicalNetwork: "physnet1"},
				{NetworkType: "vlan", PhysicalNetwork: "physnet1"}}}, "NeutronDbObjectDuplicateEntry"},
			{"C60_vxlan_without_ranges", &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: "vxlan"}}, "NoNetworkAvailable"},
			{"C69_mtu_too_big", &ml2.NetworkRequest{MTU: ptr(9000)}, "InvalidInput"},
			{"vlan_unknown_physnet", vlanReq("nope", 5), "InvalidInput"},
			{"flat_with_segmentation_id", &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: "flat", PhysicalNetwork: "f", SegmentationID: 3}}, "InvalidInput"},
			{"vxlan_with_physnet", &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: "vxlan", PhysicalNetwork: "p", SegmentationID: 3}}, "InvalidInput"},
		}
		for _, tc := range fails {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, engine)
				e.network(nil)
				before := e.snapshot()
				_, err := e.plugin.CreateNetwork(e.ctx, tc.req)
				e.requireFailsCleanly(tc.typ, before, err)
				// A failed multi-segment create keeps nothing reserved.
				assert.False(t, e.segmentAllocated(core.SegmentKey{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 6}))
			})
		}

		t.Run("C56_vlan_outside_range_then_in_use", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(vlanReq("physnet1", 1000))
			require.Len(t, n.Segments, 1)
			assert.Equal(t, int64(1000), n.Segments[0].SegmentationID)
			before := e.snapshot()
			_, err := e.plugin.CreateNetwork(e.ctx, vlanReq("physnet1", 1000))
			e.requireFailsCleanly("VlanIdInUse", before, err)
			assert.True(t, errors.Is(err, core.ErrConflict))
			// Releasing an id outside the pool forgets it; it can be taken again.
			require.NoError(t, e.plugin.DeleteNetwork(e.ctx, n.ID))
			assert.False(t, e.segmentAllocated(core.SegmentKey{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 1000}))
			e.network(vlanReq("physnet1", 1000))
		})
		t.Run("C57_partial_vlan_on_physnet2", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(vlanReq("physnet2", 0))
			id := n.Segments[0].SegmentationID
			assert.True(t, id >= 200 && id <= 300, "id %d", id)
			assert.Equal(t, "physnet2", n.Segments[0].PhysicalNetwork)
		})
		t.Run("C61_vxlan_vni_beyond_24_bits", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(&ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: "vxlan", SegmentationID: 16777216}})
			assert.Equal(t, int64(16777216), n.Segments[0].SegmentationID)
			assert.Equal(t, 1450, n.MTU)
		})
		t.Run("C62_flat_twice", func(t *testing.T) {
			e := newEnv(t, engine)
			req := &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: "flat", PhysicalNetwork: "fnet"}}
			e.network(req)
			before := e.snapshot()
			_, err := e.plugin.CreateNetwork(e.ctx, req)
			e.requireFailsCleanly("FlatNetworkInUse", before, err)
		})
		t.Run("C66_multi_provider_vlan_vxlan", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(&ml2.NetworkRequest{Segments: []ml2.ProviderSegment{
				{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 1},
				{NetworkType: "vxlan", SegmentationID: 5000}}})
			require.Len(t, n.Segments, 2)
			assert.Equal(t, "vlan", n.Segments[0].NetworkType)
			assert.Equal(t, "vxlan", n.Segments[1].NetworkType)
			assert.Equal(t, 1450, n.MTU)
			got, err := e.plugin.GetNetwork(e.ctx, n.ID)
			require.NoError(t, err)
			assert.Equal(t, n.Segments, got.Segments)
		})
		t.Run("C67_tenant_local_defaults", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(&ml2.NetworkRequest{Name: ptr("n1"), ProjectID: "P"})
			require.Len(t, n.Segments, 1)
			assert.Equal(t, "local", n.Segments[0].NetworkType)
			assert.Equal(t, 1500, n.MTU)
			assert.Equal(t, core.StatusActive, n.Status)
			assert.True(t, n.AdminStateUp)
			assert.False(t, n.Shared)
			assert.Equal(t, "P", n.ProjectID)
		})
		t.Run("C68_external_network_type", func(t *testing.T) {
			e := newEnv(t, engine, withConfig(func(c *ml2.Config) { c.ExternalNetworkType = "vlan" }))
			n := e.network(&ml2.NetworkRequest{External: ptr(true)})
			assert.Equal(t, "vlan", n.Segments[0].NetworkType)
			assert.True(t, n.External)
			e2 := newEnv(t, engine)
			n2 := e2.network(&ml2.NetworkRequest{External: ptr(true)})
			assert.Equal(t, "local", n2.Segments[0].NetworkType)
		})
		t.Run("C69_smaller_mtu_accepted", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(&ml2.NetworkRequest{MTU: ptr(1400)})
			assert.Equal(t, 1400, n.MTU)
		})
		t.Run("tenant_types_in_order", func(t *testing.T) {
			e := newEnv(t, engine, withTenantTypes("vxlan", "vlan"), withVNIRanges("10:11"))
			var types []string
			for range 4 {
				types = append(types, e.network(nil).Segments[0].NetworkType)
			}
			assert.Equal(t, []string{"vxlan", "vxlan", "vlan", "vlan"}, types)
		})
	})
}

// TestUpdateNetwork covers C.3 74–76 and ordinary attribute updates.
func TestUpdateNetwork(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("C74_vlan_segmentation_id", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(vlanReq("physnet1", 10))
			u, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{SegmentationID: 11}})
			require.NoError(t, err)
			assert.Equal(t, int64(11), u.Segments[0].SegmentationID)
			assert.True(t, e.segmentAllocated(core.SegmentKey{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 11}))
			assert.False(t, e.segmentAllocated(core.SegmentKey{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 10}))
		})
		t.Run("C75_physnet_change_refused", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(vlanReq("physnet1", 10))
			before := e.snapshot()
			_, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{PhysicalNetwork: "physnet2"}})
			e.requireFailsCleanly("InvalidInput", before, err)
			assert.Contains(t, err.Error(), "Plugin does not support updating")
			_, err = e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{PhysicalNetwork: "physnet1"}})
			require.NoError(t, err)
		})
		t.Run("C76_gre_segmentation_id", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(&ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: "gre", SegmentationID: 5}})
			before := e.snapshot()
			_, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{SegmentationID: 6}})
			e.requireFailsCleanly("InvalidInput", before, err)
			assert.Contains(t, err.Error(), "Only VLAN type networks can be updated")
		})
		t.Run("attributes_and_revision", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(&ml2.NetworkRequest{Name: ptr("a")})
			u, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Name: ptr("b"), Description: ptr("d"), AdminStateUp: ptr(false)})
			require.NoError(t, err)
			assert.Equal(t, "b", u.Name)
			assert.Equal(t, "d", u.Description)
			assert.False(t, u.AdminStateUp)
			assert.Greater(t, u.RevisionNumber, n.RevisionNumber)
			got, err := e.plugin.GetNetwork(e.ctx, n.ID)
			require.NoError(t, err)
			assert.Equal(t, u.RevisionNumber, got.RevisionNumber)
			assert.Equal(t, "b", got.Name)
		})
		t.Run("C158_if_match", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			before := e.snapshot()
			_, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Name: ptr("x"), IfRevision: ptr(n.RevisionNumber + 1)})
			e.requireFailsCleanly("RevisionNumberConstraintFailed", before, err)
			assert.True(t, errors.Is(err, core.ErrPreconditionFailed))
			_, err = e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Name: ptr("x"), IfRevision: ptr(n.RevisionNumber)})
			require.NoError(t, err)
		})
		t.Run("mtu_update", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			u, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{MTU: ptr(1300)})
			require.NoError(t, err)
			assert.Equal(t, 1300, u.MTU)
			before := e.snapshot()
			_, err = e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{MTU: ptr(1600)})
			e.requireFailsCleanly("InvalidInput", before, err)
		})
		t.Run("C80_unshare_with_foreign_port", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(&ml2.NetworkRequest{ProjectID: "owner", Shared: ptr(true)})
			e.port(n.ID, func(r *ml2.PortRequest) { r.ProjectID = "other" })
			before := e.snapshot()
			_, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Shared: ptr(false)})
			e.requireFailsCleanly("InvalidSharedSetting", before, err)
		})
		t.Run("not_found", func(t *testing.T) {
			e := newEnv(t, engine)
			_, err := e.plugin.UpdateNetwork(e.ctx, "bogus-id", &ml2.NetworkRequest{Name: ptr("x")})
			assert.Equal(t, "NetworkNotFound", core.TypeOf(err))
		})
	})
}

// TestDeleteNetwork covers C.3 77, 78 and 81.
func TestDeleteNetwork(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("C77_user_port_blocks", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			p := e.port(n.ID, func(r *ml2.PortRequest) { r.DeviceOwner = ptr("compute:nova") })
			before := e.snapshot()
			err := e.plugin.DeleteNetwork(e.ctx, n.ID)
			e.requireFailsCleanly("NetworkInUse", before, err)
			assert.Contains(t, err.Error(), n.ID)
			assert.Contains(t, err.Error(), p.ID)
		})
		t.Run("C78_only_dhcp_port", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/24")
			e.port(n.ID, func(r *ml2.PortRequest) { r.DeviceOwner = ptr(core.DeviceOwnerDHCP) })
			require.NoError(t, e.plugin.DeleteNetwork(e.ctx, n.ID))
			_, err := e.plugin.GetSubnet(e.ctx, s.ID)
			assert.Equal(t, "SubnetNotFound", core.TypeOf(err))
			e.requireEmpty()
		})
		t.Run("releases_segments", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(vlanReq("physnet1", 42))
			key := core.SegmentKey{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 42}
			require.True(t, e.segmentAllocated(key))
			require.NoError(t, e.plugin.DeleteNetwork(e.ctx, n.ID))
			assert.False(t, e.segmentAllocated(key))
			assert.Len(t, e.first.CallsTo("DeleteNetworkPrecommit"), 1)
			assert.Len(t, e.first.CallsTo("DeleteNetworkPostcommit"), 1)
		})
		t.Run("C81_not_found", func(t *testing.T) {
			e := newEnv(t, engine)
			_, err := e.plugin.GetNetwork(e.ctx, "bogus-id")
			require.Error(t, err)
			assert.Equal(t, "NetworkNotFound", core.TypeOf(err))
			assert.Equal(t, "Network bogus-id could not be found.", err.Error())
			assert.Equal(t, "NetworkNotFound", core.TypeOf(e.plugin.DeleteNetwork(e.ctx, "bogus-id")))
		})
	})
}
