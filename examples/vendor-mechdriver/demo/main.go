// Command demo loads the ACME driver binary the way an embedding program
// (or, once wired, ml2go-server) does — host.Load, then the registry —
// and binds a port with it: a vlan network, a subnet, and a port of
// vnic_type direct on a managed host, printed with its binding. It also
// shows the driver refusing a vxlan network.
//
//	go build -o acme-driver ./examples/vendor-mechdriver
//	go run ./examples/vendor-mechdriver/demo -driver ./acme-driver
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/plugins/host"
	"github.com/ml2go/ml2go/typedrivers/flat"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

func main() {
	driver := flag.String("driver", "./acme-driver", "path of the ACME driver binary")
	hostName := flag.String("host", "compute-1", "the compute host of the port (one the driver manages)")
	flag.Parse()
	if err := run(context.Background(), *driver, *hostName); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, driver, hostName string) error {
	log := hclog.New(&hclog.LoggerOptions{Name: "demo", Level: hclog.Info, Output: os.Stderr})

	// The driver runs in its own process, supervised by the host side.
	acme, err := host.Load(ctx, host.Config{
		Name:    "acme",
		Command: driver,
		Args:    []string{"-hosts", hostName},
		Logger:  log,
	})
	if err != nil {
		return err
	}
	defer acme.Close()

	ranges, err := vlan.ParseNetworkVLANRanges([]string{"physnet1:100:199"})
	if err != nil {
		return err
	}
	vnis, err := vxlan.ParseVNIRanges([]string{"1:1000"})
	if err != nil {
		return err
	}
	reg := core.NewRegistry()
	for _, d := range []core.TypeDriver{
		flat.New(flat.Config{Logger: log}),
		vlan.New(vlan.Config{NetworkVLANRanges: ranges, Logger: log}),
		vxlan.New(vxlan.Config{VNIRanges: vnis, Logger: log}),
	} {
		if err := reg.RegisterTypeDriver(d); err != nil {
			return err
		}
	}
	// An out-of-process driver registers like a built-in one.
	if err := reg.RegisterMechanismDriver("acme", acme); err != nil {
		return err
	}
	store, err := sqlstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		return err
	}
	defer store.Close()
	plugin, err := ml2.New(ctx, ml2.Config{
		TenantNetworkTypes: []string{core.TypeVLAN},
		MechanismDrivers:   []string{"acme"},
		Logger:             log,
	}, reg, store)
	if err != nil {
		return err
	}

	_, err = plugin.CreateNetwork(ctx, &ml2.NetworkRequest{
		Name: ptr("overlay"), Provider: &ml2.ProviderSegment{NetworkType: core.TypeVXLAN},
	})
	fmt.Printf("vxlan network refused: %v (type %s)\n\n", err, core.TypeOf(err))

	net, err := plugin.CreateNetwork(ctx, &ml2.NetworkRequest{Name: ptr("sriov-net")})
	if err != nil {
		return err
	}
	if _, err := plugin.CreateSubnet(ctx, &ml2.SubnetRequest{
		NetworkID: net.ID, IPVersion: 4, CIDR: netip.MustParsePrefix("192.168.60.0/24"),
	}); err != nil {
		return err
	}
	port, err := plugin.CreatePort(ctx, &ml2.PortRequest{
		NetworkID: net.ID, Name: ptr("vm-1-vf"), HostID: ptr(hostName), VNICType: ptr(core.VNICDirect),
	})
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(map[string]any{
		"port":            port.ID,
		"status":          port.Status,
		"binding:host_id": port.Binding.HostID,
		"binding:vnic":    port.Binding.VNICType,
		"binding:vif":     port.Binding.VIFType,
		"vif_details":     port.Binding.VIFDetails,
		"levels":          port.Binding.Levels,
	}, "", "  ")
	fmt.Printf("bound port:\n%s\n\n", out)
	h := acme.Health()
	fmt.Printf("driver health: %s, pid %d, API v%d, %d restarts\n\n", h.State, h.PID, h.APIVersion, h.Restarts)
	return nil
}

func ptr[T any](v T) *T { return &v }
