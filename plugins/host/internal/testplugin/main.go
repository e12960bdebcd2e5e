// Command testplugin is the out-of-process mechanism driver of plugins/host's
// tests: the logger driver served with plugins/sdk, with misbehaviour
// triggered by the name of the resource in a create or update precommit:
//
//   - "invalid": the hook returns core.InvalidInput;
//   - "sleep": the hook sleeps 3s, ignoring its deadline;
//   - "panic": the hook panics (the process dies).
//
// It binds ports of vnic_type normal on the first segment offered, with
// vif_type "other". A port whose binding profile has "dynamic_physnet" is
// bound hierarchically: level 0 allocates a dynamic VLAN segment on that
// physnet and continues binding on it; level 1 binds it.
//
// ML2GO_TESTPLUGIN_API_VERSIONS (comma-separated) overrides the API
// versions the driver advertises; ML2GO_TESTPLUGIN_INIT_LOG names a file
// to which Initialize appends a line with the process id;
// ML2GO_TESTPLUGIN_QUIET=1 silences the logger driver's per-call logs.
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
)

type driver struct {
	*logger.Driver
}

// Initialize appends to the init log, if any, then initializes the logger.
func (d driver) Initialize(ctx context.Context) error {
	if path := os.Getenv("ML2GO_TESTPLUGIN_INIT_LOG"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(f, os.Getpid())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
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

func (d driver) CreateNetworkPrecommit(ctx context.Context, nc core.NetworkContext) error {
	if err := misbehave(nc.Current().Name); err != nil {
		return err
	}
	return d.Driver.CreateNetworkPrecommit(ctx, nc)
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
	sdk.ServeMechanismDriver("testplugin", driver{Driver: l}, sdk.WithLogger(log))
}
