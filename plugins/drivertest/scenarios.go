package drivertest

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
)

// lifecycle creates, updates and deletes a network of type nt, a subnet and
// a port, and checks that every hook is called and succeeds.
func (k *kit) lifecycle(t *testing.T, nt string) {
	e := k.newEnv(t, false)
	lt := t
	var n *core.Network
	var s *core.Subnet
	var p *core.Port
	steps := []struct {
		name  string
		hooks []string
		run   func(t *testing.T, m int)
	}{
		{"create_network", []string{"CreateNetworkPrecommit", "CreateNetworkPostcommit"}, func(t *testing.T, m int) {
			var err error
			n, err = e.createNetwork(lt, nt, netName)
			e.must(t, m, err, "create a %s network", nt)
			require.Len(t, n.Segments, 1)
			assert.Equal(t, nt, n.Segments[0].NetworkType)
		}},
		{"create_subnet", []string{"CreateSubnetPrecommit", "CreateSubnetPostcommit"}, func(t *testing.T, m int) {
			var err error
			s, err = e.createSubnet(lt, n.ID, subnetName)
			e.must(t, m, err, "create a subnet")
		}},
		{"create_port", []string{"CreatePortPrecommit", "CreatePortPostcommit"}, func(t *testing.T, m int) {
			var err error
			p, err = e.createPort(lt, n.ID, portName, "", "")
			e.must(t, m, err, "create a port")
			assert.Len(t, p.FixedIPs, 1)
		}},
		{"update_network", []string{"UpdateNetworkPrecommit", "UpdateNetworkPostcommit"}, func(t *testing.T, m int) {
			got, err := e.p.UpdateNetwork(e.ctx(), n.ID, &ml2.NetworkRequest{Name: ptr(renamed)})
			e.must(t, m, err, "update the network")
			assert.Equal(t, renamed, got.Name)
		}},
		{"update_subnet", []string{"UpdateSubnetPrecommit", "UpdateSubnetPostcommit"}, func(t *testing.T, m int) {
			got, err := e.p.UpdateSubnet(e.ctx(), s.ID, &ml2.SubnetRequest{Name: ptr(renamed)})
			e.must(t, m, err, "update the subnet")
			assert.Equal(t, renamed, got.Name)
		}},
		{"update_port", []string{"UpdatePortPrecommit", "UpdatePortPostcommit"}, func(t *testing.T, m int) {
			got, err := e.p.UpdatePort(e.ctx(), p.ID, &ml2.PortRequest{Name: ptr(renamed)})
			e.must(t, m, err, "update the port")
			assert.Equal(t, renamed, got.Name)
		}},
		{"delete_port", []string{"DeletePortPrecommit", "DeletePortPostcommit"}, func(t *testing.T, m int) {
			e.must(t, m, e.p.DeletePort(e.ctx(), p.ID), "delete the port")
		}},
		{"delete_subnet", []string{"DeleteSubnetPrecommit", "DeleteSubnetPostcommit"}, func(t *testing.T, m int) {
			e.must(t, m, e.p.DeleteSubnet(e.ctx(), s.ID), "delete the subnet")
		}},
		{"delete_network", []string{"DeleteNetworkPrecommit", "DeleteNetworkPostcommit"}, func(t *testing.T, m int) {
			e.must(t, m, e.p.DeleteNetwork(e.ctx(), n.ID), "delete the network")
		}},
	}
	for _, step := range steps {
		ok := t.Run(step.name, func(t *testing.T) {
			m := e.rec.mark()
			step.run(t, m)
			e.expectHooks(t, m, step.hooks...)
		})
		if !ok {
			return // the next steps need this one
		}
	}
}

// bindPort checks port binding, with and without usable segments.
func (k *kit) bindPort(t *testing.T) {
	e := k.newEnv(t, false)
	cfg := k.cfg
	for _, b := range cfg.binds {
		t.Run(fmt.Sprintf("bound/%s/%s", b.vnicType, b.networkType), func(t *testing.T) {
			t.Run("on_create", func(t *testing.T) {
				n := e.network(t, b.networkType, netName)
				e.subnet(t, n.ID, subnetName)
				m := e.rec.mark()
				p := e.port(t, n.ID, portName, cfg.host, b.vnicType)
				e.expectBound(t, m, p, n)
			})
			t.Run("on_update", func(t *testing.T) {
				n := e.network(t, b.networkType, netName)
				e.subnet(t, n.ID, subnetName)
				p := e.port(t, n.ID, portName, "", b.vnicType)
				require.Equal(t, core.VIFTypeUnbound, p.Binding.VIFType, "a port without a host is not bound")
				m := e.rec.mark()
				p, err := e.p.UpdatePort(e.ctx(), p.ID, &ml2.PortRequest{HostID: ptr(cfg.host)})
				e.must(t, m, err, "set the port's host")
				e.expectBound(t, m, p, n)
			})
		})
	}

	claimed := cfg.claimedVNICs()
	probeVNICs := claimed
	if len(probeVNICs) == 0 {
		probeVNICs = []string{core.VNICNormal}
	}
	for _, vnic := range probeVNICs {
		t.Run("no_segments_offered/"+vnic, func(t *testing.T) { e.bindWithoutSegments(t, vnic) })
	}
	for _, nt := range cfg.networkTypes {
		for _, vnic := range claimed {
			if cfg.bindsOn(vnic, nt) {
				continue
			}
			t.Run(fmt.Sprintf("unusable_segments/%s/%s", vnic, nt), func(t *testing.T) { e.expectNotBound(t, nt, vnic) })
		}
	}
	if i := slices.IndexFunc(vnicTypes, func(v string) bool { return !slices.Contains(claimed, v) }); i >= 0 {
		vnic := vnicTypes[i]
		t.Run("unclaimed_vnic_type/"+vnic, func(t *testing.T) { e.expectNotBound(t, cfg.baseType(), vnic) })
	}
}

// expectBound checks that p, on n, was bound by the driver and that the
// binding was committed.
func (e *env) expectBound(t *testing.T, m int, p *core.Port, n *core.Network) {
	t.Helper()
	b := p.Binding
	if b.VIFType == core.VIFTypeUnbound || b.VIFType == core.VIFTypeBindingFailed || b.VIFType == "" {
		t.Fatalf("port of vnic_type %q on host %q on a %s network ended with binding:vif_type %q: "+
			"the driver did not bind it (BindPort must call SetBinding on one of SegmentsToBind)%s",
			b.VNICType, b.HostID, n.Segments[0].NetworkType, b.VIFType, e.failures(m))
	}
	require.NotEmpty(t, b.Levels, "a bound port has binding levels")
	assert.Equal(t, DriverName, b.Levels[0].Driver, "level 0 is bound by the driver under test")
	assert.Equal(t, n.Segments[0].ID, b.Levels[0].SegmentID, "level 0 is bound to the network's segment")
	e.expectHooks(t, m, "BindPort", "UpdatePortPrecommit", "UpdatePortPostcommit")
	stored, err := e.p.GetPort(e.ctx(), p.ID)
	require.NoError(t, err)
	assert.Equal(t, b, stored.Binding, "the binding is stored")
}

// expectNotBound creates a port of vnic on a network of type nt, which the
// driver did not declare it binds, and checks that it ends binding_failed.
func (e *env) expectNotBound(t *testing.T, nt, vnic string) {
	n := e.network(t, nt, netName)
	e.subnet(t, n.ID, subnetName)
	m := e.rec.mark()
	p := e.port(t, n.ID, portName, e.k.cfg.host, vnic)
	assert.Equal(t, core.VIFTypeBindingFailed, p.Binding.VIFType,
		"a port of vnic_type %q on a %s network, which the driver does not declare it binds (drivertest.Binds), "+
			"ends binding_failed", vnic, nt)
	assert.Empty(t, p.Binding.Levels)
	for _, c := range e.rec.since(m) {
		if c.method == "BindPort" && c.err != nil {
			t.Errorf("BindPort returned an error for a port it cannot bind; it should leave the port alone and return nil: %v", c.err)
			break
		}
	}
	if !slices.ContainsFunc(e.rec.since(m), func(c call) bool { return c.method == "BindPort" }) {
		t.Error("BindPort was not called")
	}
}

// bindWithoutSegments calls BindPort directly with no candidate segment.
func (e *env) bindWithoutSegments(t *testing.T, vnic string) {
	var agents []core.Agent
	for _, a := range e.k.cfg.agents {
		agents = append(agents, *a)
	}
	port := &core.Port{
		Standard:  core.Standard{ID: "drivertest-port-id", Name: portName},
		NetworkID: "drivertest-net-id",
		Status:    core.StatusDown,
		FixedIPs:  []core.FixedIP{{SubnetID: "drivertest-subnet-id"}},
		Binding: core.PortBinding{
			HostID: e.k.cfg.host, VNICType: vnic, VIFType: core.VIFTypeUnbound, VIFDetails: map[string]any{},
		},
	}
	pc := mechtest.NewPortContext(port)
	pc.Agents = agents
	err := protect("BindPort", func() error { return e.raw.BindPort(e.ctx(), pc) })
	require.NoError(t, err, "BindPort with no segment to bind must return nil")
	assert.False(t, pc.Bound(), "BindPort bound a port without any segment to bind: %+v", pc.SetBindings)
	assert.Empty(t, pc.ContinueBindings, "BindPort continued a binding without any segment to bind")
}

// failCase is one precommit whose failure must roll the operation back.
type failCase struct {
	op     string // subtest name, the API operation
	method string // the failing hook
	// prepare creates what the operation needs, naming the resource it
	// acts on target (for deletes), and returns the operation and its
	// retry once the failure is gone.
	prepare func(t *testing.T, target string) (op, retry func() error)
}

// precommitErrors checks that a typed error from each precommit fails the
// API operation with that error and rolls it back.
func (k *kit) precommitErrors(t *testing.T) {
	e := k.newEnv(t, false)
	nt := k.cfg.baseType()
	cases := []failCase{
		{"create_network", "CreateNetworkPrecommit", func(t *testing.T, target string) (func() error, func() error) {
			create := func(name string) func() error {
				return func() error { _, err := e.createNetwork(t, nt, name); return err }
			}
			return create(target), create(netName)
		}},
		{"update_network", "UpdateNetworkPrecommit", func(t *testing.T, target string) (func() error, func() error) {
			n := e.network(t, nt, netName)
			return func() error { return e.rename(kindNetwork, n.ID, target) },
				func() error { return e.rename(kindNetwork, n.ID, renamed) }
		}},
		{"delete_network", "DeleteNetworkPrecommit", func(t *testing.T, target string) (func() error, func() error) {
			n := e.network(t, nt, target)
			return func() error { return e.remove(kindNetwork, n.ID) }, e.renameAndRemove(kindNetwork, n.ID, target)
		}},
		{"create_subnet", "CreateSubnetPrecommit", func(t *testing.T, target string) (func() error, func() error) {
			n := e.network(t, nt, netName)
			create := func(name string) func() error {
				return func() error { _, err := e.createSubnet(t, n.ID, name); return err }
			}
			return create(target), create(subnetName)
		}},
		{"update_subnet", "UpdateSubnetPrecommit", func(t *testing.T, target string) (func() error, func() error) {
			n := e.network(t, nt, netName)
			s := e.subnet(t, n.ID, subnetName)
			return func() error { return e.rename(kindSubnet, s.ID, target) },
				func() error { return e.rename(kindSubnet, s.ID, renamed) }
		}},
		{"delete_subnet", "DeleteSubnetPrecommit", func(t *testing.T, target string) (func() error, func() error) {
			n := e.network(t, nt, netName)
			s := e.subnet(t, n.ID, target)
			return func() error { return e.remove(kindSubnet, s.ID) }, e.renameAndRemove(kindSubnet, s.ID, target)
		}},
		{"create_port", "CreatePortPrecommit", func(t *testing.T, target string) (func() error, func() error) {
			n := e.network(t, nt, netName)
			e.subnet(t, n.ID, subnetName)
			create := func(name string) func() error {
				return func() error { _, err := e.createPort(t, n.ID, name, "", ""); return err }
			}
			return create(target), create(portName)
		}},
		{"update_port", "UpdatePortPrecommit", func(t *testing.T, target string) (func() error, func() error) {
			n := e.network(t, nt, netName)
			e.subnet(t, n.ID, subnetName)
			p := e.port(t, n.ID, portName, "", "")
			return func() error { return e.rename(kindPort, p.ID, target) },
				func() error { return e.rename(kindPort, p.ID, renamed) }
		}},
		{"delete_port", "DeletePortPrecommit", func(t *testing.T, target string) (func() error, func() error) {
			n := e.network(t, nt, netName)
			e.subnet(t, n.ID, subnetName)
			p := e.port(t, n.ID, target, "", "")
			return func() error { return e.remove(kindPort, p.ID) }, e.renameAndRemove(kindPort, p.ID, target)
		}},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) { e.failPrecommit(t, c) })
	}
}

// renameAndRemove returns a function that deletes a resource named
// target, renaming it first if target is a failure-convention name.
func (e *env) renameAndRemove(kind, id, target string) func() error {
	return func() error {
		if target == FailDeletePrecommit {
			if err := e.rename(kind, id, renamed); err != nil {
				return fmt.Errorf("rename it away from %q first: %w", target, err)
			}
		}
		return e.remove(kind, id)
	}
}

// failPrecommit runs one failCase.
func (e *env) failPrecommit(t *testing.T, c failCase) {
	inj, injecting := e.raw.(FailureInjector)
	phase := phaseOf(c.method)
	target := "drivertest-target"
	if !injecting {
		target = failName(phase)
	}
	op, retry := c.prepare(t, target)

	var want error
	disarm := func() {}
	if injecting {
		want = core.InvalidInput("drivertest injected a failure of %s", c.method)
		inj.FailOn(c.method, want)
		disarm = func() { inj.FailOn(c.method, nil) }
		t.Cleanup(disarm)
	} else {
		want = e.probe(t, c.method, target)
	}

	before := e.snapshot(t)
	m := e.rec.mark()
	err := op()
	disarm()
	if err == nil {
		t.Fatalf("%s succeeded although %s failed: the operation must fail with the driver's error", c.op, c.method)
	}
	if !slices.ContainsFunc(e.rec.since(m), func(cl call) bool { return cl.method == c.method && cl.err != nil }) {
		t.Fatalf("%s failed, but not because %s did: %v", c.op, c.method, err)
	}
	assert.Equal(t, core.TypeOf(want), core.TypeOf(err), "the API error has the driver's Neutron type; error: %v", err)
	assert.Equal(t, core.KindOf(want), core.KindOf(err), "the API error has the driver's kind (HTTP status); error: %v", err)
	assert.Contains(t, err.Error(), want.Error(), "the API error carries the driver's message")
	assert.Equal(t, before, e.snapshot(t), "the store is unchanged after %s failed", c.method)

	m = e.rec.mark()
	e.must(t, m, retry(), "after refusing %s, the driver must accept the same operation on a resource not named for failure", c.op)
}

// phaseOf returns "Create", "Update" or "Delete".
func phaseOf(method string) string {
	for _, p := range []string{"Create", "Update", "Delete"} {
		if len(method) > len(p) && method[:len(p)] == p {
			return p
		}
	}
	panic("drivertest: no phase in " + method)
}

// failName returns the failure-convention name of phase.
func failName(phase string) string {
	switch phase {
	case "Create":
		return FailCreatePrecommit
	case "Update":
		return FailUpdatePrecommit
	}
	return FailDeletePrecommit
}

// probe calls method directly with a resource named name, as the failure
// convention asks, and returns the typed error the driver answers.
func (e *env) probe(t *testing.T, method, name string) error {
	t.Helper()
	nt := e.k.cfg.baseType()
	seg := core.Segment{ID: "drivertest-probe-segment", NetworkID: "drivertest-probe-net", NetworkType: nt}
	switch nt {
	case core.TypeVLAN:
		seg.PhysicalNetwork, seg.SegmentationID = PhysicalNetwork, 100
	case core.TypeFlat:
		seg.PhysicalNetwork = PhysicalNetwork
	case core.TypeVXLAN:
		seg.SegmentationID = 1
	}
	net := &core.Network{
		Standard:     core.Standard{ID: seg.NetworkID, Name: netName, ProjectID: "default"},
		AdminStateUp: true, Status: core.StatusActive, MTU: 1500, Segments: []core.Segment{seg},
	}
	sub := &core.Subnet{
		Standard:  core.Standard{ID: "drivertest-probe-subnet", Name: subnetName, ProjectID: "default"},
		NetworkID: net.ID, IPVersion: 4, CIDR: netip.MustParsePrefix(subnetCIDR),
	}
	port := &core.Port{
		Standard:  core.Standard{ID: "drivertest-probe-port", Name: portName, ProjectID: "default"},
		NetworkID: net.ID, Status: core.StatusDown, AdminStateUp: true,
		Binding: core.PortBinding{VNICType: core.VNICNormal, VIFType: core.VIFTypeUnbound, VIFDetails: map[string]any{}},
	}
	phase := phaseOf(method)
	// The *For functions return a context whose resource is named name;
	// for an update, renamed from its original.
	ncFor := func() *mechtest.FakeNetworkContext {
		cur := net.Clone()
		cur.Name = name
		nc := &mechtest.FakeNetworkContext{CurrentNetwork: cur}
		if phase == "Update" {
			nc.OriginalNetwork = net
		}
		return nc
	}
	nc := &mechtest.FakeNetworkContext{CurrentNetwork: net}
	scFor := func() *mechtest.FakeSubnetContext {
		cur := sub.Clone()
		cur.Name = name
		sc := &mechtest.FakeSubnetContext{CurrentSubnet: cur, NetworkContext: nc}
		if phase == "Update" {
			sc.OriginalSubnet = sub
		}
		return sc
	}
	pcFor := func() *mechtest.FakePortContext {
		cur := port.Clone()
		cur.Name = name
		pc := mechtest.NewPortContext(cur)
		pc.NetworkContext = nc
		if phase == "Update" {
			pc.OriginalPort = port
		}
		return pc
	}
	d := e.raw
	ctx := e.ctx()
	hooks := map[string]func() error{
		"CreateNetworkPrecommit": func() error { return d.CreateNetworkPrecommit(ctx, ncFor()) },
		"UpdateNetworkPrecommit": func() error { return d.UpdateNetworkPrecommit(ctx, ncFor()) },
		"DeleteNetworkPrecommit": func() error { return d.DeleteNetworkPrecommit(ctx, ncFor()) },
		"CreateSubnetPrecommit":  func() error { return d.CreateSubnetPrecommit(ctx, scFor()) },
		"UpdateSubnetPrecommit":  func() error { return d.UpdateSubnetPrecommit(ctx, scFor()) },
		"DeleteSubnetPrecommit":  func() error { return d.DeleteSubnetPrecommit(ctx, scFor()) },
		"CreatePortPrecommit":    func() error { return d.CreatePortPrecommit(ctx, pcFor()) },
		"UpdatePortPrecommit":    func() error { return d.UpdatePortPrecommit(ctx, pcFor()) },
		"DeletePortPrecommit":    func() error { return d.DeletePortPrecommit(ctx, pcFor()) },
	}
	err := protect(method, hooks[method])
	if err == nil {
		t.Fatalf("%s did not fail for a resource named %q. To let the kit test error propagation, the driver must "+
			"either implement drivertest.FailureInjector or return a typed core error for resources named by "+
			"the failure convention (see the drivertest package documentation)", method, name)
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%s failed with an untyped error (%T: %v): return a *core.Error, such as core.InvalidInput, "+
			"so that the client gets the right HTTP status", method, err, err)
	}
	return err
}

// postcommitRetry calls every postcommit twice and checks that the second
// call succeeds.
func (k *kit) postcommitRetry(t *testing.T) {
	e := k.newEnv(t, true)
	nt := k.cfg.baseType()
	vnic := k.cfg.bindVNIC(nt)
	host := ""
	if vnic != "" {
		host = k.cfg.host
	}
	t.Run("network", func(t *testing.T) {
		m := e.rec.mark()
		n := e.network(t, nt, netName)
		e.must(t, m, e.rename(kindNetwork, n.ID, renamed), "update the network")
		e.must(t, m, e.remove(kindNetwork, n.ID), "delete the network")
		e.expectRetried(t, m, "CreateNetworkPostcommit", "UpdateNetworkPostcommit", "DeleteNetworkPostcommit")
	})
	t.Run("subnet", func(t *testing.T) {
		n := e.network(t, nt, netName)
		m := e.rec.mark()
		s := e.subnet(t, n.ID, subnetName)
		e.must(t, m, e.rename(kindSubnet, s.ID, renamed), "update the subnet")
		e.must(t, m, e.remove(kindSubnet, s.ID), "delete the subnet")
		e.expectRetried(t, m, "CreateSubnetPostcommit", "UpdateSubnetPostcommit", "DeleteSubnetPostcommit")
	})
	t.Run("port", func(t *testing.T) {
		n := e.network(t, nt, netName)
		e.subnet(t, n.ID, subnetName)
		m := e.rec.mark()
		p := e.port(t, n.ID, portName, host, vnic)
		e.must(t, m, e.rename(kindPort, p.ID, renamed), "update the port")
		e.must(t, m, e.remove(kindPort, p.ID), "delete the port")
		e.expectRetried(t, m, "CreatePortPostcommit", "UpdatePortPostcommit", "DeletePortPostcommit")
	})
}

// expectRetried checks that each of methods was called twice in a row
// since mark m, successfully.
func (e *env) expectRetried(t *testing.T, m int, methods ...string) {
	t.Helper()
	calls := e.rec.since(m)
	for _, method := range methods {
		n := 0
		for _, c := range calls {
			if c.method != method || !c.retried {
				continue
			}
			n++
			if c.retryErr != nil {
				t.Errorf("%s failed when called a second time with the same context: %v", method, c.retryErr)
			}
		}
		if n == 0 {
			t.Errorf("%s was not called", method)
		}
	}
}
