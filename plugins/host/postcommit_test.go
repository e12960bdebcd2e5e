package host_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
)

// allocated reports whether the store holds the segment allocation key.
func (e *env) allocated(key core.SegmentKey) bool {
	e.t.Helper()
	var ok bool
	require.NoError(e.t, e.plugin.Store().View(e.ctx, func(tx core.Tx) error {
		var err error
		ok, err = tx.SegmentAllocated(e.ctx, key)
		return err
	}))
	return ok
}

// TestCreatePostcommitFailureDeletesTheResource: when the out-of-process
// driver's create_network_postcommit or create_port_postcommit fails, the
// orchestrator deletes what it just committed (the network and its
// segment's allocation, the port and its address) and the API call fails
// with the driver's typed error, as in Neutron.
func TestCreatePostcommitFailureDeletesTheResource(t *testing.T) {
	e := newEnv(t, load(t))
	vlan150 := core.SegmentKey{NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet1", SegmentationID: 150}
	n, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr("good")})
	require.NoError(t, err)
	_, err = e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: mustPrefix("10.0.0.0/24")})
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		create func(name string) error
		after  func(t *testing.T)
	}{
		{
			name: "create_network_postcommit",
			create: func(name string) error {
				_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Name: ptr(name),
					Provider: &ml2.ProviderSegment{NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet1", SegmentationID: 150}})
				return err
			},
			after: func(t *testing.T) {
				assert.False(t, e.allocated(vlan150), "the deleted network's VLAN is released")
			},
		},
		{
			name: "create_port_postcommit",
			create: func(name string) error {
				_, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID, Name: ptr(name)})
				return err
			},
			after: func(t *testing.T) {
				var allocs []core.IPAllocation
				require.NoError(t, e.plugin.Store().View(e.ctx, func(tx core.Tx) error {
					var err error
					allocs, err = tx.SubnetAllocations(e.ctx, n.Subnets[0])
					return err
				}))
				assert.Empty(t, allocs, "the deleted port's address is released")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err = e.plugin.GetNetwork(e.ctx, n.ID)
			require.NoError(t, err)
			before := e.snapshot()
			err := tc.create("postfail")
			require.Error(t, err)
			assert.Equal(t, "AcmeBackendConflict", core.TypeOf(err), "error: %v", err)
			assert.Equal(t, core.KindConflict, core.KindOf(err))
			assert.ErrorIs(t, err, core.ErrConflict)
			assert.Contains(t, err.Error(), `the test plugin's backend refuses "postfail"`)
			assert.Equal(t, before, e.snapshot(), "the resource was deleted")
			tc.after(t)

			require.NoError(t, tc.create("fine"), "the same create succeeds when the postcommit does")
			assert.Equal(t, 0, e.driver.Health().Restarts)
		})
	}
}
