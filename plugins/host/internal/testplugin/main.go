// Command testplugin is the out-of-process driver binary of plugins/host's
// tests. It serves the three kinds of driver at once, as a vendor's binary
// may.
//
// Its mechanism driver is the logger driver, with misbehaviour triggered
// by the name of the resource:
//
//   - "invalid": a create or update precommit returns core.InvalidInput;
//   - "sleep": a create or update precommit sleeps 3s, ignoring its
//     deadline;
//   - "panic": a create or update precommit panics (the process dies);
//   - "postfail": CreateNetworkPostcommit and CreatePortPostcommit return
//     a typed conflict, AcmeBackendConflict;
//   - "postpanic": CreateNetworkPostcommit and CreatePortPostcommit panic
//     (the process dies between a create's commit and its undo).
//
// It binds ports of vnic_type normal on the first segment offered, with
// vif_type "other". A port whose binding profile has "dynamic_physnet" is
// bound hierarchically: level 0 allocates a dynamic VLAN segment on that
// physnet and continues binding on it; level 1 binds it.
//
// Its type driver is a tunnel driver like vxlan, with the VNI ranges of
// ML2GO_TESTPLUGIN_VNI_RANGES (default "100:102"), for the network type
// ML2GO_TESTPLUGIN_NETWORK_TYPE (default "vxlan"); see typeDriver.
//
// Its extension driver, see extDriver, adds a color to networks and ports.
// ML2GO_TESTPLUGIN_EXT_ALIASES, when set, replaces its API extension
// aliases (comma-separated; empty for none).
//
// ML2GO_TESTPLUGIN_API_VERSIONS (comma-separated) overrides the API
// versions the drivers advertise; ML2GO_TESTPLUGIN_INIT_LOG names a file
// to which Initialize (of any kind) appends a line with the process id;
// ML2GO_TESTPLUGIN_QUIET=1 silences the logger driver's per-call logs;
// ML2GO_TESTPLUGIN_KINDS (comma-separated "mechanism", "type",
// "extension") limits the kinds of driver served.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/plugins/internal/wire"
	"github.com/ml2go/ml2go/plugins/sdk"
	"github.com/ml2go/ml2go/typedrivers/tunnel"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

type driver struct {
	*logger.Driver
}

// logInit appends the process id to the init log, if any.
func logInit() error {
	path := os.Getenv("ML2GO_TESTPLUGIN_INIT_LOG")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, os.Getpid())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Initialize appends to the init log, if any, then initializes the logger.
func (d driver) Initialize(ctx context.Context) error {
	if err := logInit(); err != nil {
		return err
	}
	return d.Driver.Initialize(ctx)
}

func misbehave(name string) error {
	switch name {
	case "invalid":
		return core.InvalidInput("the test plugin refuses %q", name)
	case "sleep":
		time.Sleep(3 * time.Second)
	case "panic":
		panic("test plugin asked to panic")
	}
	return nil
}

// postfail is the error of a create postcommit for a resource named
// "postfail"; one named "postpanic" panics.
func postfail(name string) error {
	switch name {
	case "postfail":
		return core.Typed(core.KindConflict, "AcmeBackendConflict", "the test plugin's backend refuses %q", name)
	case "postpanic":
		panic("test plugin asked to panic in a create postcommit")
	}
	return nil
}

func (d driver) CreateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	if err := misbehave(nc.Current().Name); err != nil {
		return err
	}
	return d.Driver.CreateNetworkPrecommit(ctx, nc)
}

func (d driver) CreateNetworkPostcommit(ctx context.Context, nc core.NetworkContext) error {
	if err := postfail(nc.Current().Name); err != nil {
		return err
	}
	return d.Driver.CreateNetworkPostcommit(ctx, nc)
}

func (d driver) UpdateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	if err := misbehave(nc.Current().Name); err != nil {
		return err
	}
	return d.Driver.UpdateNetworkPrecommit(ctx, nc)
}

func (d driver) CreateSubnetPrecommit(ctx context.Context, sc core.SubnetContext) error {
	if err := misbehave(sc.Current().Name); err != nil {
		return err
	}
	return d.Driver.CreateSubnetPrecommit(ctx, sc)
}

func (d driver) CreatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	if err := misbehave(pc.Current().Name); err != nil {
		return err
	}
	return d.Driver.CreatePortPrecommit(ctx, pc)
}

func (d driver) CreatePortPostcommit(ctx context.Context, pc core.PortContext) error {
	if err := postfail(pc.Current().Name); err != nil {
		return err
	}
	return d.Driver.CreatePortPostcommit(ctx, pc)
}

func (d driver) UpdatePortPrecommit(ctx context.Context, pc core.PortContext) error {
	if err := misbehave(pc.Current().Name); err != nil {
		return err
	}
	return d.Driver.UpdatePortPrecommit(ctx, pc)
}

func bind(ctx context.Context, pc core.PortContext) error {
	port := pc.Current()
	segs := pc.SegmentsToBind()
	if port.Binding.VNICType != core.VNICNormal || len(segs) == 0 {
		return nil
	}
	physnet, _ := port.Binding.Profile["dynamic_physnet"].(string)
	if physnet != "" && len(pc.BindingLevels()) == 0 {
		dyn, err := pc.AllocateDynamicSegment(ctx, core.Segment{NetworkType: core.TypeVLAN, PhysicalNetwork: physnet})
		if err != nil {
			return err
		}
		pc.ContinueBinding(segs[0].ID, []core.Segment{dyn})
		return nil
	}
	pc.SetBinding(segs[0].ID, core.VIFTypeOther, map[string]any{"bound_by": "testplugin"}, core.StatusActive)
	return nil
}

// typeDriver is a tunnel type driver, logging its initialization.
type typeDriver struct {
	*tunnel.Driver
}

// Initialize appends to the init log, if any, then initializes the
// tunnel driver.
func (d typeDriver) Initialize(ctx context.Context) error {
	if err := logInit(); err != nil {
		return err
	}
	return d.Driver.Initialize(ctx)
}

func newTypeDriver() (typeDriver, error) {
	ranges := os.Getenv("ML2GO_TESTPLUGIN_VNI_RANGES")
	if ranges == "" {
		ranges = "100:102"
	}
	vnis, err := vxlan.ParseVNIRanges(strings.Split(ranges, ","))
	if err != nil {
		return typeDriver{}, err
	}
	nt := os.Getenv("ML2GO_TESTPLUGIN_NETWORK_TYPE")
	if nt == "" {
		nt = core.TypeVXLAN
	}
	spec := tunnel.Spec{NetworkType: nt, RangesOption: "vni_ranges", MaxID: vxlan.MaxVNI, Overhead: vxlan.Overhead}
	return typeDriver{tunnel.New(spec, tunnel.Config{Ranges: vnis})}, nil
}

func main() {
	if v := os.Getenv("ML2GO_TESTPLUGIN_API_VERSIONS"); v != "" {
		wire.TestAPIVersions = []uint32{}
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.ParseUint(f, 10, 32)
			if err != nil {
				panic(err)
			}
			wire.TestAPIVersions = append(wire.TestAPIVersions, uint32(n))
		}
	}
	log := sdk.Logger("testplugin")
	l := logger.New(log)
	if os.Getenv("ML2GO_TESTPLUGIN_QUIET") != "" {
		l = logger.New(nil)
	}
	l.Provides = core.ConnectivityL2
	l.BindFunc = bind
	td, err := newTypeDriver()
	if err != nil {
		log.Error("type driver", "error", err)
		os.Exit(1)
	}
	kinds := os.Getenv("ML2GO_TESTPLUGIN_KINDS")
	if kinds == "" {
		kinds = "mechanism,type,extension"
	}
	opts := []sdk.Option{sdk.WithLogger(log)}
	for k := range strings.SplitSeq(kinds, ",") {
		switch k {
		case "mechanism":
			opts = append(opts, sdk.WithMechanismDriver(driver{Driver: l}))
		case "type":
			opts = append(opts, sdk.WithTypeDriver(td))
		case "extension":
			opts = append(opts, sdk.WithExtensionDriver(&extDriver{}))
		}
	}
	sdk.Serve("testplugin", opts...)
}
