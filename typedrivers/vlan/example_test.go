package vlan_test

import (
	"fmt"

	"github.com/ml2go/ml2go/typedrivers/vlan"
)

func ExampleParseNetworkVLANRanges() {
	ranges, err := vlan.ParseNetworkVLANRanges([]string{"physnet1", "physnet2:200:209", "physnet2:300:309"})
	if err != nil {
		panic(err)
	}
	for _, p := range ranges {
		fmt.Println(p.PhysicalNetwork, p.Ranges)
	}

	_, err = vlan.ParseNetworkVLANRanges([]string{"physnet3:100:5000"})
	fmt.Println(err)
	// Output:
	// physnet1 [{1 4094}]
	// physnet2 [{200 209} {300 309}]
	// invalid network_vlan_ranges entry "physnet3:100:5000": 5000 is not a valid VLAN tag (1 through 4094)
}
