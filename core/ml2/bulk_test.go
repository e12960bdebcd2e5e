package ml2_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/quota"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/mechdrivers/logger"
)

// TestBulkCreateIsOneTransaction checks that a bulk whose last item fails
// in its transaction (precommit, validation in the store, exhaustion)
// leaves nothing of the items before it, on every resource.
func TestBulkCreateIsOneTransaction(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		cases := []struct {
			name  string
			typ   string
			setup func(e *env, netID string) []ml2.FixedIPRequest
			bulk  func(e *env, netID string, fixed []ml2.FixedIPRequest) error
		}{
			{"networks, last precommit fails", "MechanismDriverError", nil,
				func(e *env, _ string, _ []ml2.FixedIPRequest) error {
					_, err := e.plugin.CreateNetworks(e.ctx, []*ml2.NetworkRequest{{Name: ptr("a")}, {Name: ptr("b")}, {Name: ptr(refused)}})
					return err
				}},
			{"subnets, last overlaps", "InvalidInput", nil,
				func(e *env, netID string, _ []ml2.FixedIPRequest) error {
					_, err := e.plugin.CreateSubnets(e.ctx, []*ml2.SubnetRequest{
						{NetworkID: netID, IPVersion: 4, CIDR: netip.MustParsePrefix("10.1.0.0/24")},
						{NetworkID: netID, IPVersion: 4, CIDR: netip.MustParsePrefix("10.2.0.0/24")},
						{NetworkID: netID, IPVersion: 4, CIDR: netip.MustParsePrefix("10.1.0.0/25")},
					})
					return err
				}},
			{"ports, last address taken", "IpAddressAlreadyAllocated",
				func(e *env, netID string) []ml2.FixedIPRequest {
					s := e.subnet(netID, "10.9.0.0/24")
					fixed := []ml2.FixedIPRequest{{SubnetID: s.ID, IPAddress: netip.MustParseAddr("10.9.0.7")}}
					e.port(netID, func(r *ml2.PortRequest) { r.FixedIPs = &fixed })
					return fixed
				},
				func(e *env, netID string, fixed []ml2.FixedIPRequest) error {
					_, err := e.plugin.CreatePorts(e.ctx, []*ml2.PortRequest{
						{NetworkID: netID}, {NetworkID: netID}, {NetworkID: netID, FixedIPs: &fixed},
					})
					return err
				}},
			{"ports, last precommit fails", "MechanismDriverError",
				func(e *env, netID string) []ml2.FixedIPRequest { e.subnet(netID, "10.9.0.0/24"); return nil },
				func(e *env, netID string, _ []ml2.FixedIPRequest) error {
					_, err := e.plugin.CreatePorts(e.ctx, []*ml2.PortRequest{
						{NetworkID: netID}, {NetworkID: netID, Name: ptr(refused)},
					})
					return err
				}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, engine, withMech("picky", picky{logger.New(nil)}))
				n := e.network(nil)
				var fixed []ml2.FixedIPRequest
				if tc.setup != nil {
					fixed = tc.setup(e, n.ID)
				}
				before := e.snapshot()
				err := tc.bulk(e, n.ID, fixed)
				require.Error(t, err)
				assert.Equal(t, tc.typ, errorType(err), "error: %v", err)
				assert.Equal(t, before, e.snapshot())
			})
		}
	})
}

// errorType is err's Neutron type, or MechanismDriverError.
func errorType(err error) string {
	var me *core.MechanismDriverError
	if errors.As(err, &me) {
		return "MechanismDriverError"
	}
	return core.TypeOf(err)
}

// refused is the name of the resources picky refuses in their create
// precommit.
const refused = "refused"

// picky is a mechanism driver whose create precommits fail for resources
// named refused.
type picky struct{ *logger.Driver }

func (d picky) CreateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	if nc.Current().Name == refused {
		return errors.New("network refused")
	}
	return d.Driver.CreateNetworkPrecommit(ctx, nc)
}

func (d picky) CreatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	if pc.Current().Name == refused {
		return errors.New("port refused")
	}
	return d.Driver.CreatePortPrecommit(ctx, pc)
}

// TestBulkCreateSucceedsWhileAddressesAreFree checks that concurrent bulks
// near exhaustion get the addresses that are free when they run: every
// bulk that fits succeeds, and one that cannot fit fails with nothing left
// of it.
func TestBulkCreateSucceedsWhileAddressesAreFree(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		n := e.network(nil)
		// 192.0.2.0/27: 29 usable addresses beside the gateway.
		e.subnet(n.ID, "192.0.2.0/27")
		bulk := func(k int) []*ml2.PortRequest {
			reqs := make([]*ml2.PortRequest, k)
			for i := range reqs {
				reqs[i] = &ml2.PortRequest{NetworkID: n.ID}
			}
			return reqs
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.plugin.CreatePorts(e.ctx, bulk(7))
			}()
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "bulk %d", i)
		}
		ports, err := e.plugin.ListPorts(e.ctx, nil)
		require.NoError(t, err)
		require.Len(t, ports, 28)

		before := e.snapshot()
		_, err = e.plugin.CreatePorts(e.ctx, bulk(2))
		e.requireFailsCleanly("IpAddressGenerationFailure", before, err)
		_, err = e.plugin.CreatePorts(e.ctx, bulk(1))
		require.NoError(t, err)
	})
}

// TestFailedCreateLeavesNothing checks that a create whose postcommit,
// binding or extension fails after its commit is undone even when the
// failing driver also fails the undo's delete hooks (an out-of-process
// driver that is down): an error answer means nothing was created.
func TestFailedCreateLeavesNothing(t *testing.T) {
	down := errors.New("driver is not running")
	forEachEngine(t, func(t *testing.T, engine string) {
		cases := []struct {
			name  string
			fail  []string
			setup func(e *env) string
			run   func(e *env, netID string) error
		}{
			{"network postcommit", []string{"CreateNetworkPostcommit", "DeleteNetworkPrecommit", "DeleteNetworkPostcommit"},
				func(e *env) string { return "" },
				func(e *env, _ string) error {
					_, err := e.plugin.CreateNetwork(e.ctx, &ml2.NetworkRequest{})
					return err
				}},
			{"network bulk postcommit", []string{"CreateNetworkPostcommit", "DeleteNetworkPrecommit"},
				func(e *env) string { return "" },
				func(e *env, _ string) error {
					_, err := e.plugin.CreateNetworks(e.ctx, []*ml2.NetworkRequest{{}, {}})
					return err
				}},
			{"subnet postcommit", []string{"CreateSubnetPostcommit", "DeleteSubnetPrecommit", "DeleteSubnetPostcommit"},
				func(e *env) string { return e.network(nil).ID },
				func(e *env, netID string) error {
					_, err := e.plugin.CreateSubnet(e.ctx, &ml2.SubnetRequest{NetworkID: netID, IPVersion: 4, CIDR: netip.MustParsePrefix("10.0.0.0/24")})
					return err
				}},
			{"port postcommit", []string{"CreatePortPostcommit", "DeletePortPrecommit", "DeletePortPostcommit"},
				func(e *env) string { n := e.network(nil); e.subnet(n.ID, "10.0.0.0/24"); return n.ID },
				func(e *env, netID string) error {
					_, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: netID})
					return err
				}},
			{"port bulk postcommit", []string{"CreatePortPostcommit", "DeletePortPrecommit"},
				func(e *env) string { n := e.network(nil); e.subnet(n.ID, "10.0.0.0/24"); return n.ID },
				func(e *env, netID string) error {
					_, err := e.plugin.CreatePorts(e.ctx, []*ml2.PortRequest{{NetworkID: netID}, {NetworkID: netID}})
					return err
				}},
			{"port binding commit", []string{"UpdatePortPrecommit", "DeletePortPrecommit"},
				func(e *env) string { n := e.network(nil); e.subnet(n.ID, "10.0.0.0/24"); return n.ID },
				func(e *env, netID string) error {
					_, err := e.plugin.CreatePort(e.ctx, &ml2.PortRequest{NetworkID: netID, HostID: ptr("host-1")})
					return err
				}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, engine)
				e.second.BindFunc = bindFirstSegment
				netID := tc.setup(e)
				before := e.snapshot()
				for _, m := range tc.fail {
					e.first.FailOn(m, down)
				}
				err := tc.run(e, netID)
				require.Error(t, err)
				require.ErrorIs(t, err, down)
				for _, m := range tc.fail {
					e.first.FailOn(m, nil)
				}
				assert.Equal(t, before, e.snapshot())
			})
		}
	})
}

// bindFirstSegment binds a port to its first segment.
func bindFirstSegment(_ context.Context, pc core.PortContext) error {
	segs := pc.SegmentsToBind()
	if len(segs) == 0 {
		return fmt.Errorf("no segment")
	}
	pc.SetBinding(segs[0].ID, "ovs", map[string]any{}, core.StatusActive)
	return nil
}

// TestBulkCreateQuota checks a bulk against its project's quota as a
// whole: one that would exceed it is OverQuota and creates nothing, one
// that fits it exactly succeeds.
func TestBulkCreateQuota(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		store := sqlstoretest.Open(t, engine)
		q := quota.New(store, quota.Limits{"network": 2, "subnet": 2, "port": 3})
		e := newEnvOnStore(t, store, withConfig(func(c *ml2.Config) { c.Quotas = q }))

		before := e.snapshot()
		_, err := e.plugin.CreateNetworks(e.ctx, []*ml2.NetworkRequest{{}, {}, {}})
		e.requireFailsCleanly("OverQuota", before, err)
		nets, err := e.plugin.CreateNetworks(e.ctx, []*ml2.NetworkRequest{{}, {}})
		require.NoError(t, err)
		n := nets[0]

		before = e.snapshot()
		subnet := func(cidr string) *ml2.SubnetRequest {
			return &ml2.SubnetRequest{NetworkID: n.ID, IPVersion: 4, CIDR: netip.MustParsePrefix(cidr)}
		}
		_, err = e.plugin.CreateSubnets(e.ctx, []*ml2.SubnetRequest{subnet("10.0.0.0/24"), subnet("10.0.1.0/24"), subnet("10.0.2.0/24")})
		e.requireFailsCleanly("OverQuota", before, err)
		_, err = e.plugin.CreateSubnets(e.ctx, []*ml2.SubnetRequest{subnet("10.0.0.0/24"), subnet("10.0.1.0/24")})
		require.NoError(t, err)

		before = e.snapshot()
		reqs := []*ml2.PortRequest{{NetworkID: n.ID}, {NetworkID: n.ID}, {NetworkID: n.ID}, {NetworkID: n.ID}}
		_, err = e.plugin.CreatePorts(e.ctx, reqs)
		e.requireFailsCleanly("OverQuota", before, err)
		ports, err := e.plugin.CreatePorts(e.ctx, reqs[:3])
		require.NoError(t, err)
		assert.Len(t, ports, 3)
	})
}
