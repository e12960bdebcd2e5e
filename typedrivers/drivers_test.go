package typedrivers_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
	"github.com/ml2go/ml2go/typedrivers/flat"
	"github.com/ml2go/ml2go/typedrivers/geneve"
	"github.com/ml2go/ml2go/typedrivers/gre"
	"github.com/ml2go/ml2go/typedrivers/local"
	"github.com/ml2go/ml2go/typedrivers/vlan"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

// drivers builds one driver of every type with the same MTU options.
func drivers(mtu typedrivers.MTUConfig) []core.TypeDriver {
	return []core.TypeDriver{
		flat.New(flat.Config{MTU: mtu}),
		vlan.New(vlan.Config{NetworkVLANRanges: vlan.Ranges{{PhysicalNetwork: "physnet1"}, {PhysicalNetwork: "physnet2"}}, MTU: mtu}),
		vxlan.New(vxlan.Config{MTU: mtu}),
		gre.New(gre.Config{MTU: mtu}),
		geneve.New(geneve.Config{MTU: mtu}),
		local.New(local.Config{}),
	}
}

func TestTypes(t *testing.T) {
	var types []string
	for _, d := range drivers(typedrivers.MTUConfig{}) {
		require.NoError(t, d.Initialize(context.Background()))
		types = append(types, d.Type())
	}
	assert.Equal(t, []string{core.TypeFlat, core.TypeVLAN, core.TypeVXLAN, core.TypeGRE, core.TypeGeneve, core.TypeLocal}, types)
}

// TestMTUTable checks every driver's MTU against Neutron's: the defaults
// and the cases Neutron's unit tests pin.
func TestMTUTable(t *testing.T) {
	mtus := map[string]int{"physnet1": 1450, "physnet2": 1400}
	const none = typedrivers.NoGlobalPhysnetMTU
	tests := []struct {
		name    string
		cfg     typedrivers.MTUConfig
		physnet string
		// want is by type: flat, vlan, vxlan, gre, geneve, local.
		want [6]int
	}{
		{"defaults", typedrivers.MTUConfig{}, "physnet1", [6]int{1500, 1500, 1450, 1458, 1450, 0}},
		{"defaults_ipv6", typedrivers.MTUConfig{OverlayIPVersion: 6}, "physnet1", [6]int{1500, 1500, 1430, 1438, 1430, 0}},
		{"C26_g1475_p1400_physnet1", typedrivers.MTUConfig{GlobalPhysnetMTU: 1475, PathMTU: 1400, PhysicalNetworkMTUs: mtus},
			"physnet1", [6]int{1450, 1450, 1400 - 50, 1400 - 42, 1400 - 50, 0}},
		{"C26_g1375_p1400_physnet1", typedrivers.MTUConfig{GlobalPhysnetMTU: 1375, PathMTU: 1400, PhysicalNetworkMTUs: mtus},
			"physnet1", [6]int{1375, 1375, 1375 - 50, 1375 - 42, 1375 - 50, 0}},
		{"g0_p1400_physnet1", typedrivers.MTUConfig{GlobalPhysnetMTU: none, PathMTU: 1400, PhysicalNetworkMTUs: mtus},
			"physnet1", [6]int{1450, 1450, 1350, 1358, 1350, 0}},
		{"g0_p1425_physnet2", typedrivers.MTUConfig{GlobalPhysnetMTU: none, PathMTU: 1425, PhysicalNetworkMTUs: mtus},
			"physnet2", [6]int{1400, 1400, 1375, 1383, 1375, 0}},
		{"C27_all_sources_unset", typedrivers.MTUConfig{GlobalPhysnetMTU: none}, "physnet1", [6]int{0, 0, 0, 0, 0, 0}},
		{"C24_g1500_p1475", typedrivers.MTUConfig{GlobalPhysnetMTU: 1500, PathMTU: 1475}, "physnet1",
			[6]int{1500, 1500, 1425, 1433, 1425, 0}},
		{"C24_g1500_p1475_ipv6", typedrivers.MTUConfig{GlobalPhysnetMTU: 1500, PathMTU: 1475, OverlayIPVersion: 6}, "physnet1",
			[6]int{1500, 1500, 1405, 1413, 1405, 0}},
		{"g1450_p1475", typedrivers.MTUConfig{GlobalPhysnetMTU: 1450, PathMTU: 1475}, "physnet1",
			[6]int{1450, 1450, 1400, 1408, 1400, 0}},
		{"g0_p1450", typedrivers.MTUConfig{GlobalPhysnetMTU: none, PathMTU: 1450}, "physnet1",
			[6]int{0, 0, 1400, 1408, 1400, 0}},
		{"C25_g1500_p0", typedrivers.MTUConfig{GlobalPhysnetMTU: 1500}, "physnet1",
			[6]int{1500, 1500, 1450, 1458, 1450, 0}},
	}
	for _, tt := range tests {
		for i, d := range drivers(tt.cfg) {
			t.Run(fmt.Sprintf("%s/%s", tt.name, d.Type()), func(t *testing.T) {
				require.NoError(t, d.Initialize(context.Background()))
				assert.Equal(t, tt.want[i], d.MTU(tt.physnet))
			})
		}
	}
}
