package ml2_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/mechdrivers/logger"
	"github.com/ml2go/ml2go/typedrivers/vlan"
)

// Example builds a plugin with the VLAN type driver and the logger
// mechanism driver on an in-memory SQLite store, then creates a tenant
// network, a subnet and a port.
func Example() {
	ctx := context.Background()
	ranges, _ := vlan.ParseNetworkVLANRanges([]string{"physnet1:100:100"})
	reg := core.NewRegistry()
	_ = reg.RegisterTypeDriver(vlan.New(vlan.Config{NetworkVLANRanges: ranges}))
	calls := logger.New(nil)
	_ = reg.RegisterMechanismDriver("logger", calls)

	store, err := sqlstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		panic(err)
	}
	defer store.Close()
	plugin, err := ml2.New(ctx, ml2.Config{
		TenantNetworkTypes: []string{"vlan"},
		MechanismDrivers:   []string{"logger"},
	}, reg, store)
	if err != nil {
		panic(err)
	}

	net, _ := plugin.CreateNetwork(ctx, &ml2.NetworkRequest{})
	seg := net.Segments[0]
	fmt.Println(seg.NetworkType, seg.PhysicalNetwork, seg.SegmentationID, net.MTU)

	sub, _ := plugin.CreateSubnet(ctx, &ml2.SubnetRequest{
		NetworkID: net.ID, IPVersion: 4, CIDR: netip.MustParsePrefix("192.168.56.0/24"),
	})
	fmt.Println(sub.CIDR, sub.GatewayIP, sub.AllocationPools[0].Start, sub.AllocationPools[0].End)

	dhcp := core.DeviceOwnerDHCP
	port, _ := plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: net.ID, DeviceOwner: &dhcp})
	fmt.Println(port.Status, port.FixedIPs[0].IPAddress)

	// The only VLAN is taken: the next tenant network has none left.
	_, err = plugin.CreateNetwork(ctx, &ml2.NetworkRequest{})
	fmt.Println(core.TypeOf(err))
	fmt.Println(calls.Methods())
	// Output:
	// vlan physnet1 100 1500
	// 192.168.56.0/24 192.168.56.1 192.168.56.2 192.168.56.254
	// DOWN 192.168.56.2
	// NoNetworkAvailable
	// [Initialize CreateNetworkPrecommit CreateNetworkPostcommit CreateSubnetPrecommit CreateSubnetPostcommit CreatePortPrecommit CreatePortPostcommit]
}
