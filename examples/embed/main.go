// Command embed shows how a vendor embeds ml2go: it builds a registry with
// the flat, vlan and vxlan type drivers, the logger mechanism driver and a
// fake agent-based driver, opens an in-memory SQLite store, and walks the
// seed workflow — a network, a subnet 192.168.56.0/24, and a port bound to a
// host — printing each result.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/mechdrivers/fakeagent"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/typedrivers/flat"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	log := hclog.New(&hclog.LoggerOptions{Name: "embed", Level: hclog.Warn})

	// Type drivers take their configuration as typed values; the parsers
	// accept Neutron's ml2_conf.ini syntax.
	vlanRanges, err := vlan.ParseNetworkVLANRanges([]string{"physnet1:100:199"})
	if err != nil {
		return err
	}
	vnis, err := vxlan.ParseVNIRanges([]string{"1:16777215"})
	if err != nil {
		return err
	}
	reg := core.NewRegistry()
	for _, d := range []core.TypeDriver{
		flat.New(flat.Config{FlatNetworks: []string{"*"}, Logger: log}),
		vlan.New(vlan.Config{NetworkVLANRanges: vlanRanges, Logger: log}),
		vxlan.New(vxlan.Config{VNIRanges: vnis, Logger: log}),
	} {
		if err := reg.RegisterTypeDriver(d); err != nil {
			return err
		}
	}
	if err := reg.RegisterMechanismDriver("logger", logger.New(log)); err != nil {
		return err
	}
	if err := reg.RegisterMechanismDriver("fakeagent", fakeagent.New(fakeagent.Config{Logger: log})); err != nil {
		return err
	}

	store, err := sqlstore.Open(ctx, "sqlite://:memory:", sqlstore.WithLogger(log))
	if err != nil {
		return err
	}
	defer store.Close()

	plugin, err := ml2.New(ctx, ml2.Config{
		TenantNetworkTypes: []string{core.TypeVXLAN},
		MechanismDrivers:   []string{"logger", "fakeagent"},
		Logger:             log,
	}, reg, store)
	if err != nil {
		return err
	}

	// A host agent reports in, so that ports on its host can be bound.
	if _, err := plugin.ReportAgentState(ctx, &core.Agent{
		AgentType: fakeagent.AgentType, Binary: "fake-agent", Host: "compute-1", AdminStateUp: true,
		Configurations: map[string]any{"tunnel_types": []any{"vxlan"}},
	}); err != nil {
		return err
	}

	name := "demo"
	net, err := plugin.CreateNetwork(ctx, &ml2.NetworkRequest{ProjectID: "demo-project", Name: &name})
	if err != nil {
		return err
	}
	if err := show("network", net); err != nil {
		return err
	}

	sub, err := plugin.CreateSubnet(ctx, &ml2.SubnetRequest{
		ProjectID: "demo-project", NetworkID: net.ID, IPVersion: 4,
		CIDR: netip.MustParsePrefix("192.168.56.0/24"),
	})
	if err != nil {
		return err
	}
	if err := show("subnet", sub); err != nil {
		return err
	}

	host := "compute-1"
	port, err := plugin.CreatePort(ctx, &ml2.PortRequest{
		ProjectID: "demo-project", NetworkID: net.ID, HostID: &host,
		DeviceOwner: ptr("compute:nova"), DeviceID: ptr("vm-1"),
	})
	if err != nil {
		return err
	}
	return show("port", port)
}

func ptr[T any](v T) *T { return &v }

// show prints v as indented JSON under the heading kind.
func show(kind string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	fmt.Printf("%s:\n%s\n\n", kind, b)
	return nil
}
