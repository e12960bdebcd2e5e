package ml2_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/mechdrivers/logger"
)

// TestMechanismDriverFailures covers catalogue C.2 32–38 and 54: Neutron's
// precommit and postcommit failure semantics.
func TestMechanismDriverFailures(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		t.Run("C32_retriable_precommit_error_retries", func(t *testing.T) {
			var n int
			flaky := &flakyDriver{fails: 2, calls: &n}
			e2 := newEnv(t, engine, withMech("flaky", flaky))
			net := e2.network(nil)
			assert.Equal(t, 3, n, "two retriable failures then success")
			assert.NotEmpty(t, net.ID)
		})
		t.Run("C33_precommit_error_wrapped", func(t *testing.T) {
			e := newEnv(t, engine)
			e.first.FailOn("CreateNetworkPrecommit", errors.New("boom"))
			before := e.snapshot()
			_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
			var mde *core.MechanismDriverError
			require.ErrorAs(t, err, &mde)
			assert.Equal(t, "create_network_precommit", mde.Method)
			assert.Equal(t, before, e.snapshot())
			assert.Empty(t, e.second.CallsTo("CreateNetworkPrecommit"), "precommit stops at the first failure")
		})
		t.Run("C34_create_network_postcommit_deletes", func(t *testing.T) {
			e := newEnv(t, engine)
			e.first.FailOn("CreateNetworkPostcommit", core.InvalidInput("Some errors"))
			before := e.snapshot()
			_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{Provider: &ml2.ProviderSegment{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 9}})
			require.Error(t, err)
			assert.Equal(t, "InvalidInput", core.TypeOf(err))
			assert.Contains(t, err.Error(), "Some errors")
			assert.Equal(t, before, e.snapshot())
			assert.False(t, e.segmentAllocated(core.SegmentKey{NetworkType: "vlan", PhysicalNetwork: "physnet1", SegmentationID: 9}))
		})
		t.Run("C35_update_network_postcommit_error_persists", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			e.first.FailOn("UpdateNetworkPostcommit", core.InvalidInput("nope"))
			_, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Name: ptr("new")})
			assert.Equal(t, "InvalidInput", core.TypeOf(err))
			assert.Len(t, e.second.CallsTo("UpdateNetworkPostcommit"), 1, "second driver still called")
			got, err := e.plugin.GetNetwork(e.ctx, n.ID)
			require.NoError(t, err)
			assert.Equal(t, "new", got.Name)
		})
		t.Run("C36_update_port_postcommit_swallowed", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			p := e.port(n.ID)
			e.first.FailOn("UpdatePortPostcommit", errors.New("driver down"))
			u, err := e.plugin.UpdatePort(e.ctx, p.ID, &ml2.PortRequest{Name: ptr("renamed")})
			require.NoError(t, err)
			assert.Equal(t, "renamed", u.Name)
			assert.Len(t, e.second.CallsTo("UpdatePortPostcommit"), 1)
		})
		t.Run("C37_delete_postcommit_swallowed", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			s := e.subnet(n.ID, "10.0.0.0/24")
			e.first.FailOn("DeleteSubnetPostcommit", errors.New("x"))
			e.first.FailOn("DeleteNetworkPostcommit", errors.New("y"))
			require.NoError(t, e.plugin.DeleteSubnet(e.ctx, s.ID))
			require.NoError(t, e.plugin.DeleteNetwork(e.ctx, n.ID))
			assert.Len(t, e.second.CallsTo("DeleteSubnetPostcommit"), 1)
			assert.Len(t, e.second.CallsTo("DeleteNetworkPostcommit"), 1)
			e.requireEmpty()
		})
		t.Run("C38_create_port_postcommit_deletes", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			e.subnet(n.ID, "10.0.0.0/29")
			e.first.FailOn("CreatePortPostcommit", core.InvalidInput("bad port"))
			before := e.snapshot()
			_, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: n.ID})
			e.requireFailsCleanly("InvalidInput", before, err)
		})
		t.Run("create_subnet_postcommit_deletes", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(nil)
			e.second.FailOn("CreateSubnetPostcommit", core.InvalidInput("no"))
			before := e.snapshot()
			_, err := e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: mustPrefix("10.1.0.0/24")})
			e.requireFailsCleanly("InvalidInput", before, err)
		})
		t.Run("C54_vlan_transparency_refused", func(t *testing.T) {
			e := newEnv(t, engine)
			e.first.VLANTransparent = true
			before := e.snapshot()
			_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{VLANTransparent: ptr(true)})
			e.requireFailsCleanly("VlanTransparencyDriverError", before, err)
			assert.Equal(t, core.KindInternal, core.KindOf(err))
			e.second.VLANTransparent = true
			n := e.network(&ml2.NetworkRequest{VLANTransparent: ptr(true)})
			assert.True(t, n.VLANTransparent)
		})
		t.Run("hooks_see_current_and_original", func(t *testing.T) {
			e := newEnv(t, engine)
			n := e.network(&ml2.NetworkRequest{Name: ptr("a")})
			_, err := e.plugin.UpdateNetwork(e.ctx, n.ID, &ml2.NetworkRequest{Name: ptr("b")})
			require.NoError(t, err)
			calls := e.first.CallsTo("UpdateNetworkPrecommit")
			require.Len(t, calls, 1)
			assert.Equal(t, "b", calls[0].Network.Name)
			assert.Equal(t, "a", calls[0].OriginalNetwork.Name)
			assert.Equal(t, []string{"CreateNetworkPrecommit", "CreateNetworkPostcommit", "UpdateNetworkPrecommit", "UpdateNetworkPostcommit"},
				methodsOf(e.first.Calls(), "Network"))
		})
	})
}

func methodsOf(calls []logger.Call, substr string) []string {
	var out []string
	for _, c := range calls {
		if c.Network != nil && c.Port == nil && c.Subnet == nil && len(c.Method) > 0 && strings.Contains(c.Method, substr) {
			out = append(out, c.Method)
		}
	}
	return out
}

// flakyDriver fails its create-network precommit with a retriable error a
// few times.
type flakyDriver struct {
	core.MechanismDriverBase
	fails int
	calls *int
}

func (f *flakyDriver) CreateNetworkPrecommit(context.Context, core.NetworkContext) error {
	*f.calls++
	if *f.calls <= f.fails {
		return fmt.Errorf("lost a race: %w", core.ErrRetry)
	}
	return nil
}
