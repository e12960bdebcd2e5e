package logger_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/mechdrivers/mechtest"
)

var (
	seg1 = core.Segment{ID: "seg-1", NetworkID: "net-1", NetworkType: core.TypeVLAN, PhysicalNetwork: "physnet1", SegmentationID: 100}
	seg2 = core.Segment{ID: "seg-2", NetworkID: "net-1", NetworkType: core.TypeVXLAN, SegmentationID: 1001, Index: 1}
)

// contexts returns one context of each kind, on a network with seg1 and
// seg2; the port is being bound to seg2 below a level bound to seg1.
func contexts(update bool) (*mechtest.FakeNetworkContext, *mechtest.FakeSubnetContext, *mechtest.FakePortContext) {
	net := &core.Network{Standard: core.Standard{ID: "net-1", Name: "n", Tags: []string{"t"}},
		Segments: []core.Segment{seg1, seg2}, Extra: map[string]any{"k": []any{"v"}}}
	nc := &mechtest.FakeNetworkContext{CurrentNetwork: net}
	sc := &mechtest.FakeSubnetContext{NetworkContext: nc,
		CurrentSubnet: &core.Subnet{Standard: core.Standard{ID: "sub-1", Name: "s"}, NetworkID: "net-1"}}
	pc := mechtest.NewPortContext(&core.Port{Standard: core.Standard{ID: "port-1", Name: "p"}, NetworkID: "net-1",
		FixedIPs: []core.FixedIP{{SubnetID: "sub-1"}},
		Binding:  core.PortBinding{HostID: "host1", VIFType: core.VIFTypeUnbound, Profile: map[string]any{"a": "b"}}},
		seg1, seg2)
	pc.BindSegments = []core.Segment{seg2}
	pc.Levels = []core.BoundLevel{{Driver: "upper", Segment: seg1}}
	if update {
		nc.OriginalNetwork = &core.Network{Standard: core.Standard{ID: "net-1", Name: "old"}}
		sc.OriginalSubnet = &core.Subnet{Standard: core.Standard{ID: "sub-1", Name: "old"}}
		pc.OriginalPort = &core.Port{Standard: core.Standard{ID: "port-1", Name: "old"}}
	}
	return nc, sc, pc
}

// hook is one error-returning method of the driver, called with fresh
// contexts.
type hook struct {
	method string
	kind   string // network, subnet, port, none
	update bool
	call   func(d *logger.Driver, nc core.NetworkContext, sc core.SubnetContext, pc core.PortContext) error
}

func hooks() []hook {
	ctx := context.Background()
	return []hook{
		{"Initialize", "none", false, func(d *logger.Driver, _ core.NetworkContext, _ core.SubnetContext, _ core.PortContext) error {
			return d.Initialize(ctx)
		}},
		{"CreateNetworkPrecommit", "network", false, func(d *logger.Driver, nc core.NetworkContext, _ core.SubnetContext, _ core.PortContext) error {
			return d.CreateNetworkPrecommit(ctx, nc)
		}},
		{"CreateNetworkPostcommit", "network", false, func(d *logger.Driver, nc core.NetworkContext, _ core.SubnetContext, _ core.PortContext) error {
			return d.CreateNetworkPostcommit(ctx, nc)
		}},
		{"UpdateNetworkPrecommit", "network", true, func(d *logger.Driver, nc core.NetworkContext, _ core.SubnetContext, _ core.PortContext) error {
			return d.UpdateNetworkPrecommit(ctx, nc)
		}},
		{"UpdateNetworkPostcommit", "network", true, func(d *logger.Driver, nc core.NetworkContext, _ core.SubnetContext, _ core.PortContext) error {
			return d.UpdateNetworkPostcommit(ctx, nc)
		}},
		{"DeleteNetworkPrecommit", "network", false, func(d *logger.Driver, nc core.NetworkContext, _ core.SubnetContext, _ core.PortContext) error {
			return d.DeleteNetworkPrecommit(ctx, nc)
		}},
		{"DeleteNetworkPostcommit", "network", false, func(d *logger.Driver, nc core.NetworkContext, _ core.SubnetContext, _ core.PortContext) error {
			return d.DeleteNetworkPostcommit(ctx, nc)
		}},
		{"CreateSubnetPrecommit", "subnet", false, func(d *logger.Driver, _ core.NetworkContext, sc core.SubnetContext, _ core.PortContext) error {
			return d.CreateSubnetPrecommit(ctx, sc)
		}},
		{"CreateSubnetPostcommit", "subnet", false, func(d *logger.Driver, _ core.NetworkContext, sc core.SubnetContext, _ core.PortContext) error {
			return d.CreateSubnetPostcommit(ctx, sc)
		}},
		{"UpdateSubnetPrecommit", "subnet", true, func(d *logger.Driver, _ core.NetworkContext, sc core.SubnetContext, _ core.PortContext) error {
			return d.UpdateSubnetPrecommit(ctx, sc)
		}},
		{"UpdateSubnetPostcommit", "subnet", true, func(d *logger.Driver, _ core.NetworkContext, sc core.SubnetContext, _ core.PortContext) error {
			return d.UpdateSubnetPostcommit(ctx, sc)
		}},
		{"DeleteSubnetPrecommit", "subnet", false, func(d *logger.Driver, _ core.NetworkContext, sc core.SubnetContext, _ core.PortContext) error {
			return d.DeleteSubnetPrecommit(ctx, sc)
		}},
		{"DeleteSubnetPostcommit", "subnet", false, func(d *logger.Driver, _ core.NetworkContext, sc core.SubnetContext, _ core.PortContext) error {
			return d.DeleteSubnetPostcommit(ctx, sc)
		}},
		{"CreatePortPrecommit", "port", false, func(d *logger.Driver, _ core.NetworkContext, _ core.SubnetContext, pc core.PortContext) error {
			return d.CreatePortPrecommit(ctx, pc)
		}},
		{"CreatePortPostcommit", "port", false, func(d *logger.Driver, _ core.NetworkContext, _ core.SubnetContext, pc core.PortContext) error {
			return d.CreatePortPostcommit(ctx, pc)
		}},
		{"UpdatePortPrecommit", "port", true, func(d *logger.Driver, _ core.NetworkContext, _ core.SubnetContext, pc core.PortContext) error {
			return d.UpdatePortPrecommit(ctx, pc)
		}},
		{"UpdatePortPostcommit", "port", true, func(d *logger.Driver, _ core.NetworkContext, _ core.SubnetContext, pc core.PortContext) error {
			return d.UpdatePortPostcommit(ctx, pc)
		}},
		{"DeletePortPrecommit", "port", false, func(d *logger.Driver, _ core.NetworkContext, _ core.SubnetContext, pc core.PortContext) error {
			return d.DeletePortPrecommit(ctx, pc)
		}},
		{"DeletePortPostcommit", "port", false, func(d *logger.Driver, _ core.NetworkContext, _ core.SubnetContext, pc core.PortContext) error {
			return d.DeletePortPostcommit(ctx, pc)
		}},
		{"BindPort", "port", false, func(d *logger.Driver, _ core.NetworkContext, _ core.SubnetContext, pc core.PortContext) error {
			return d.BindPort(ctx, pc)
		}},
	}
}

func TestRecordsEveryHook(t *testing.T) {
	for _, h := range hooks() {
		t.Run(h.method, func(t *testing.T) {
			d := logger.New(nil)
			nc, sc, pc := contexts(h.update)
			require.NoError(t, h.call(d, nc, sc, pc))

			calls := d.Calls()
			require.Len(t, calls, 1)
			c := calls[0]
			assert.Equal(t, h.method, c.Method)
			assert.NoError(t, c.Err)

			switch h.kind {
			case "none":
				assert.Equal(t, logger.Call{Method: "Initialize"}, c)
			case "network":
				assert.Equal(t, nc.CurrentNetwork, c.Network)
				assert.Equal(t, nc.OriginalNetwork, c.OriginalNetwork)
				assert.Equal(t, []core.Segment{seg1, seg2}, c.Segments)
				assert.Nil(t, c.Subnet)
				assert.Nil(t, c.Port)
			case "subnet":
				assert.Equal(t, sc.CurrentSubnet, c.Subnet)
				assert.Equal(t, sc.OriginalSubnet, c.OriginalSubnet)
				assert.Equal(t, []core.Segment{seg1, seg2}, c.Segments)
				assert.Nil(t, c.Network)
				assert.Nil(t, c.Port)
			case "port":
				assert.Equal(t, pc.CurrentPort, c.Port)
				assert.Equal(t, pc.OriginalPort, c.OriginalPort)
				assert.Equal(t, []core.Segment{seg1, seg2}, c.Segments)
				assert.Equal(t, []core.BoundLevel{{Driver: "upper", Segment: seg1}}, c.BindingLevels)
				assert.Nil(t, c.Network)
				assert.Nil(t, c.Subnet)
			}
			if h.method == "BindPort" {
				assert.Equal(t, []core.Segment{seg2}, c.SegmentsToBind)
				assert.False(t, pc.Bound(), "without BindFunc nothing is bound")
			} else {
				assert.Nil(t, c.SegmentsToBind)
			}
			if h.update {
				assert.Equal(t, "old", originalName(c))
			}
		})
	}
}

func originalName(c logger.Call) string {
	switch {
	case c.OriginalNetwork != nil:
		return c.OriginalNetwork.Name
	case c.OriginalSubnet != nil:
		return c.OriginalSubnet.Name
	case c.OriginalPort != nil:
		return c.OriginalPort.Name
	}
	return ""
}

func TestRecordsDeepCopies(t *testing.T) {
	ctx := context.Background()
	d := logger.New(nil)
	nc, sc, pc := contexts(true)
	require.NoError(t, d.UpdateNetworkPostcommit(ctx, nc))
	require.NoError(t, d.CreateSubnetPrecommit(ctx, sc))
	require.NoError(t, d.UpdatePortPrecommit(ctx, pc))
	require.NoError(t, d.BindPort(ctx, pc))

	// The orchestrator changes its values after the calls...
	nc.CurrentNetwork.Name = "changed"
	nc.CurrentNetwork.Tags[0] = "changed"
	nc.CurrentNetwork.Segments[0].SegmentationID = 999
	nc.CurrentNetwork.Extra["k"].([]any)[0] = "changed"
	nc.OriginalNetwork.Name = "changed"
	sc.CurrentSubnet.Name = "changed"
	pc.CurrentPort.Binding.Profile["a"] = "changed"
	pc.CurrentPort.FixedIPs[0].SubnetID = "changed"
	pc.Levels[0].Driver = "changed"
	pc.BindSegments[0].ID = "changed"

	// ... which the log does not see.
	calls := d.Calls()
	require.Len(t, calls, 4)
	n := calls[0]
	assert.Equal(t, "n", n.Network.Name)
	assert.Equal(t, []string{"t"}, n.Network.Tags)
	assert.Equal(t, int64(100), n.Network.Segments[0].SegmentationID)
	assert.Equal(t, []any{"v"}, n.Network.Extra["k"])
	assert.Equal(t, "old", n.OriginalNetwork.Name)
	assert.Equal(t, "s", calls[1].Subnet.Name)
	for _, c := range calls[2:] {
		assert.Equal(t, "b", c.Port.Binding.Profile["a"])
		assert.Equal(t, "sub-1", c.Port.FixedIPs[0].SubnetID)
		assert.Equal(t, "upper", c.BindingLevels[0].Driver)
	}
	assert.Equal(t, "seg-2", calls[3].SegmentsToBind[0].ID)

	// Nor do changes made to what Calls returned.
	calls[0].Network.Name = "changed"
	calls[0].Segments[0].ID = "changed"
	calls[2].Port.Binding.Profile["a"] = "changed"
	again := d.Calls()
	assert.Equal(t, "n", again[0].Network.Name)
	assert.Equal(t, "seg-1", again[0].Segments[0].ID)
	assert.Equal(t, "b", again[2].Port.Binding.Profile["a"])
}

func TestFailOn(t *testing.T) {
	for _, h := range hooks() {
		t.Run(h.method, func(t *testing.T) {
			d := logger.New(nil)
			boom := core.InvalidInput("Some errors")
			d.FailOn(h.method, boom)

			nc, sc, pc := contexts(h.update)
			err := h.call(d, nc, sc, pc)
			require.ErrorIs(t, err, boom)
			c := d.CallsTo(h.method)
			require.Len(t, c, 1, "a failing call is recorded too")
			assert.Equal(t, boom, c[0].Err)

			// Other hooks are unaffected.
			for _, other := range hooks() {
				if other.method != h.method {
					nc, sc, pc := contexts(other.update)
					assert.NoError(t, other.call(d, nc, sc, pc), other.method)
				}
			}

			d.FailOn(h.method, nil)
			nc, sc, pc = contexts(h.update)
			assert.NoError(t, h.call(d, nc, sc, pc))
		})
	}
}

func TestFailOnUnknownMethodPanics(t *testing.T) {
	d := logger.New(nil)
	assert.PanicsWithValue(t, `logger: FailOn: unknown method "create_port_postcommit"`, func() {
		d.FailOn("create_port_postcommit", errors.New("x"))
	})
	assert.Panics(t, func() { d.FailOn("CheckVLANTransparency", errors.New("x")) })
}

func TestBindFunc(t *testing.T) {
	ctx := context.Background()
	d := logger.New(nil)
	var seen []core.Segment
	d.BindFunc = func(_ context.Context, pc core.PortContext) error {
		seen = pc.SegmentsToBind()
		seg := pc.SegmentsToBind()[0]
		pc.SetBinding(seg.ID, core.VIFTypeOVS, map[string]any{"port_filter": false}, core.StatusActive)
		return nil
	}
	_, _, pc := contexts(false)
	require.NoError(t, d.BindPort(ctx, pc))
	assert.Equal(t, []core.Segment{seg2}, seen)
	assert.Equal(t, []mechtest.Binding{{SegmentID: "seg-2", VIFType: core.VIFTypeOVS,
		VIFDetails: map[string]any{"port_filter": false}, Status: core.StatusActive}}, pc.SetBindings)
	// The call is recorded as the context was before binding.
	assert.Equal(t, core.VIFTypeUnbound, d.CallsTo("BindPort")[0].Port.Binding.VIFType)

	// BindFunc's error is returned and recorded.
	bindErr := errors.New("backend unreachable")
	d.BindFunc = func(context.Context, core.PortContext) error { return bindErr }
	_, _, pc = contexts(false)
	require.ErrorIs(t, d.BindPort(ctx, pc), bindErr)
	assert.Equal(t, bindErr, d.CallsTo("BindPort")[1].Err)

	// An injected failure wins: BindFunc is not called.
	called := false
	d.BindFunc = func(context.Context, core.PortContext) error { called = true; return nil }
	injected := errors.New("injected")
	d.FailOn("BindPort", injected)
	_, _, pc = contexts(false)
	require.ErrorIs(t, d.BindPort(ctx, pc), injected)
	assert.False(t, called)
	assert.False(t, pc.Bound())
}

func TestResetCallsToMethods(t *testing.T) {
	ctx := context.Background()
	d := logger.New(nil)
	assert.Empty(t, d.Calls())
	nc, _, pc := contexts(false)
	boom := errors.New("boom")
	d.FailOn("CreatePortPostcommit", boom)
	require.NoError(t, d.CreateNetworkPrecommit(ctx, nc))
	require.NoError(t, d.CreatePortPrecommit(ctx, pc))
	require.Error(t, d.CreatePortPostcommit(ctx, pc))
	require.NoError(t, d.CreateNetworkPostcommit(ctx, nc))

	assert.Equal(t, []string{"CreateNetworkPrecommit", "CreatePortPrecommit", "CreatePortPostcommit",
		"CreateNetworkPostcommit"}, d.Methods())
	assert.Len(t, d.CallsTo("CreatePortPrecommit"), 1)
	assert.Empty(t, d.CallsTo("DeletePortPrecommit"))

	d.Reset()
	assert.Empty(t, d.Calls())
	assert.Empty(t, d.Methods())
	// Failures survive Reset.
	assert.ErrorIs(t, d.CreatePortPostcommit(ctx, pc), boom)
	assert.Equal(t, []string{"CreatePortPostcommit"}, d.Methods())
}

func TestConnectivityAndVLANTransparency(t *testing.T) {
	d := logger.New(nil)
	assert.Equal(t, core.ConnectivityLegacy, d.Connectivity())
	d.Provides = core.ConnectivityL2
	assert.Equal(t, core.ConnectivityL2, d.Connectivity())

	nc, _, _ := contexts(false)
	assert.False(t, d.CheckVLANTransparency(context.Background(), nc))
	d.VLANTransparent = true
	assert.True(t, d.CheckVLANTransparency(context.Background(), nc))
	calls := d.CallsTo("CheckVLANTransparency")
	require.Len(t, calls, 2)
	assert.Equal(t, "net-1", calls[0].Network.ID)
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	d := logger.New(hclog.New(&hclog.LoggerOptions{Output: &bytes.Buffer{}, Level: hclog.Off}))
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				nc, _, pc := contexts(false)
				_ = d.CreateNetworkPrecommit(ctx, nc)
				_ = d.BindPort(ctx, pc)
				if i%10 == 0 {
					d.FailOn("CreateNetworkPrecommit", errors.New("x"))
					d.FailOn("CreateNetworkPrecommit", nil)
					_ = d.Calls()
					_ = d.CallsTo("BindPort")
				}
			}
		}()
	}
	wg.Wait()
	assert.Len(t, d.Calls(), workers*each*2)
	assert.Len(t, d.CallsTo("BindPort"), workers*each)
}

func TestLogsCalls(t *testing.T) {
	var buf bytes.Buffer
	d := logger.New(hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Info, DisableTime: true}))
	nc, sc, pc := contexts(true)
	ctx := context.Background()
	d.FailOn("UpdatePortPostcommit", errors.New("boom"))
	require.NoError(t, d.CreateNetworkPrecommit(ctx, nc))
	require.NoError(t, d.CreateSubnetPostcommit(ctx, sc))
	require.Error(t, d.UpdatePortPostcommit(ctx, pc))
	require.NoError(t, d.BindPort(ctx, pc))

	out := buf.String()
	for _, want := range []string{
		`[INFO]  CreateNetworkPrecommit called: network=net-1 update=true segments=["seg-1:vlan:physnet1:100", "seg-2:vxlan::1001"]`,
		"[INFO]  CreateSubnetPostcommit called: subnet=sub-1 network=net-1 update=true",
		"[INFO]  UpdatePortPostcommit called: port=port-1 network=net-1 host=host1 vif_type=unbound update=true",
		"error=boom",
		`segments_to_bind=["seg-2:vxlan::1001"]`,
	} {
		assert.Contains(t, out, want)
	}
}
