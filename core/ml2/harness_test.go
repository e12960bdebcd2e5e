package ml2_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore/sqlstoretest"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/typedrivers/flat"
	"github.com/ml2go/ml2go/typedrivers/geneve"
	"github.com/ml2go/ml2go/typedrivers/gre"
	"github.com/ml2go/ml2go/typedrivers/local"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// env is a plugin configured as Neutron's ML2 unit tests are: tenant type
// local, VLAN ranges physnet1:1:100, physnet2:200:300, physnet3:400:500,
// any flat physnet, and two logger mechanism drivers.
type env struct {
	t      testing.TB
	ctx    context.Context
	plugin *ml2.Plugin
	store  core.Store
	first  *logger.Driver
	second *logger.Driver
}

type envConfig struct {
	cfg       ml2.Config
	vniRanges []string
	extra     map[string]core.MechanismDriver
	exts      map[string]core.ExtensionDriver
}

type option func(*envConfig)

func withTenantTypes(types ...string) option {
	return func(c *envConfig) { c.cfg.TenantNetworkTypes = types }
}

func withVNIRanges(r ...string) option { return func(c *envConfig) { c.vniRanges = r } }

func withConfig(f func(*ml2.Config)) option { return func(c *envConfig) { f(&c.cfg) } }

func withExtension(name string, d core.ExtensionDriver) option {
	return func(c *envConfig) {
		if c.exts == nil {
			c.exts = map[string]core.ExtensionDriver{}
		}
		c.exts[name] = d
		c.cfg.ExtensionDrivers = append(c.cfg.ExtensionDrivers, name)
	}
}

func withMech(name string, d core.MechanismDriver) option {
	return func(c *envConfig) {
		c.extra[name] = d
		c.cfg.MechanismDrivers = append(c.cfg.MechanismDrivers, name)
	}
}

// forEachEngine runs f on SQLite and, when configured, PostgreSQL.
func forEachEngine(t *testing.T, f func(t *testing.T, engine string)) {
	for _, engine := range sqlstoretest.Engines(t) {
		t.Run(engine, func(t *testing.T) { f(t, engine) })
	}
}

func newEnv(t testing.TB, engine string, opts ...option) *env {
	t.Helper()
	return newEnvOnStore(t, sqlstoretest.Open(t, engine), opts...)
}

func newEnvOnStore(t testing.TB, store core.Store, opts ...option) *env {
	t.Helper()
	e, err := buildEnv(store, opts...)
	require.NoError(t, err)
	e.t = t
	return e
}

// buildEnv wires the plugin of an env on store; e.t is left for the caller.
func buildEnv(store core.Store, opts ...option) (*env, error) {
	ctx := context.Background()
	ec := &envConfig{
		cfg:   ml2.Config{MechanismDrivers: []string{"first", "second"}},
		extra: map[string]core.MechanismDriver{},
	}
	for _, o := range opts {
		o(ec)
	}
	vlanRanges, err := vlan.ParseNetworkVLANRanges([]string{"physnet1:1:100", "physnet2:200:300", "physnet3:400:500"})
	if err != nil {
		return nil, err
	}
	vnis, err := vxlan.ParseVNIRanges(ec.vniRanges)
	if err != nil {
		return nil, err
	}
	greIDs, err := gre.ParseTunnelIDRanges([]string{"1:1000"})
	if err != nil {
		return nil, err
	}
	reg := core.NewRegistry()
	for _, d := range []core.TypeDriver{
		flat.New(flat.Config{}),
		vlan.New(vlan.Config{NetworkVLANRanges: vlanRanges}),
		vxlan.New(vxlan.Config{VNIRanges: vnis}),
		gre.New(gre.Config{TunnelIDRanges: greIDs}),
		geneve.New(geneve.Config{}),
		local.New(local.Config{}),
	} {
		if err := reg.RegisterTypeDriver(d); err != nil {
			return nil, err
		}
	}
	e := &env{ctx: ctx, store: store, first: logger.New(nil), second: logger.New(nil)}
	// Like Neutron's test drivers, the loggers bind ports without fixed IPs.
	e.first.Provides, e.second.Provides = core.ConnectivityL2, core.ConnectivityL2
	if err := reg.RegisterMechanismDriver("first", e.first); err != nil {
		return nil, err
	}
	if err := reg.RegisterMechanismDriver("second", e.second); err != nil {
		return nil, err
	}
	for name, d := range ec.extra {
		if err := reg.RegisterMechanismDriver(name, d); err != nil {
			return nil, err
		}
	}
	for name, d := range ec.exts {
		if err := reg.RegisterExtensionDriver(name, d); err != nil {
			return nil, err
		}
	}
	if e.plugin, err = ml2.New(ctx, ec.cfg, reg, store); err != nil {
		return nil, err
	}
	return e, nil
}

func ptr[T any](v T) *T { return &v }

func (e *env) network(req *ml2.NetworkRequest) *core.Network {
	e.t.Helper()
	if req == nil {
		req = &ml2.NetworkRequest{}
	}
	n, err := e.plugin.CreateNetwork(e.ctx, req)
	require.NoError(e.t, err)
	return n
}

func (e *env) subnet(netID, cidr string, mod ...func(*ml2.SubnetRequest)) *core.Subnet {
	e.t.Helper()
	p := netip.MustParsePrefix(cidr)
	v := 4
	if p.Addr().Is6() {
		v = 6
	}
	req := &ml2.SubnetRequest{NetworkID: netID, IPVersion: v, CIDR: p}
	for _, m := range mod {
		m(req)
	}
	s, err := e.plugin.CreateSubnet(e.ctx, req)
	require.NoError(e.t, err)
	return s
}

func (e *env) port(netID string, mod ...func(*ml2.PortRequest)) *core.Port {
	e.t.Helper()
	req := &ml2.PortRequest{NetworkID: netID}
	for _, m := range mod {
		m(req)
	}
	p, err := e.plugin.CreatePort(e.ctx, req)
	require.NoError(e.t, err)
	return p
}

// snapshot is everything a failed operation must leave unchanged.
type snapshot struct {
	Networks []*core.Network
	Subnets  []*core.Subnet
	Ports    []*core.Port
	// Segments include dynamic ones.
	Segments []*core.Segment
	Agents   []*core.Agent
}

func (e *env) snapshot() snapshot {
	e.t.Helper()
	var s snapshot
	var err error
	s.Networks, err = e.plugin.ListNetworks(e.ctx, nil)
	require.NoError(e.t, err)
	s.Subnets, err = e.plugin.ListSubnets(e.ctx, nil)
	require.NoError(e.t, err)
	s.Ports, err = e.plugin.ListPorts(e.ctx, nil)
	require.NoError(e.t, err)
	s.Segments, err = e.plugin.ListSegments(e.ctx, nil)
	require.NoError(e.t, err)
	s.Agents, err = e.plugin.ListAgents(e.ctx, nil)
	require.NoError(e.t, err)
	return s
}

// requireUnchanged checks that err is of the given Neutron type and that the
// store is as before.
func (e *env) requireFailsCleanly(typ string, before snapshot, err error) {
	e.t.Helper()
	require.Error(e.t, err)
	require.Equal(e.t, typ, core.TypeOf(err), "error: %v", err)
	require.Equal(e.t, before, e.snapshot())
}

func (e *env) segmentAllocated(key core.SegmentKey) bool {
	e.t.Helper()
	var ok bool
	require.NoError(e.t, e.store.View(e.ctx, func(tx core.Tx) (err error) {
		ok, err = tx.SegmentAllocated(e.ctx, key)
		return err
	}))
	return ok
}

func ips(p *core.Port) []string {
	out := make([]string, len(p.FixedIPs))
	for i, f := range p.FixedIPs {
		out[i] = f.IPAddress.String()
	}
	return out
}

// requireEmpty checks that no network, subnet or port is left.
func (e *env) requireEmpty() {
	e.t.Helper()
	s := e.snapshot()
	require.Empty(e.t, s.Networks)
	require.Empty(e.t, s.Subnets)
	require.Empty(e.t, s.Ports)
}
