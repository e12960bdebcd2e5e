package vxlan_test

import (
	"context"
	"fmt"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers/allocfake"
	"github.com/ml2go/ml2go/typedrivers/vxlan"
)

func Example() {
	ctx := context.Background()
	ranges, err := vxlan.ParseVNIRanges([]string{"1000:1000"})
	if err != nil {
		panic(err)
	}
	d := vxlan.New(vxlan.Config{VNIRanges: ranges})
	if err := d.Initialize(ctx); err != nil {
		panic(err)
	}

	// In a server the allocator is the store transaction (core.Tx).
	alloc := allocfake.New()

	tenant, _ := d.AllocateTenantSegment(ctx, alloc)
	fmt.Printf("tenant: %s %d mtu %d\n", tenant.NetworkType, tenant.SegmentationID, tenant.MTU)

	exhausted, _ := d.AllocateTenantSegment(ctx, alloc)
	fmt.Println("pool exhausted:", exhausted == nil)

	provider, _ := d.ReserveProviderSegment(ctx, alloc, core.Segment{NetworkType: core.TypeVXLAN, SegmentationID: 5000})
	fmt.Printf("provider: %s %d mtu %d\n", provider.NetworkType, provider.SegmentationID, provider.MTU)

	_, err = d.ReserveProviderSegment(ctx, alloc, core.Segment{NetworkType: core.TypeVXLAN, SegmentationID: 5000})
	fmt.Println(core.TypeOf(err))
	// Output:
	// tenant: vxlan 1000 mtu 1450
	// pool exhausted: true
	// provider: vxlan 5000 mtu 1450
	// TunnelIdInUse
}
