package quota_test

import (
	"context"
	"fmt"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/quota"
	"github.com/ml2go/ml2go/core/sqlstore"
)

// Example limits a project to one network and checks creates against it,
// as the API layer does before calling the plugin.
func Example() {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		panic(err)
	}
	defer store.Close()
	q := quota.New(store, nil)

	limits, _ := q.Update(ctx, "demo", quota.Limits{"network": 1})
	fmt.Println("networks:", limits["network"], "ports:", limits["port"])

	fmt.Println(q.Check(ctx, "demo", map[string]int{"network": 1}))
	_ = store.Update(ctx, func(tx core.Tx) error {
		return tx.CreateNetwork(ctx, &core.Network{Standard: core.Standard{ProjectID: "demo"}})
	})
	err = q.Check(ctx, "demo", map[string]int{"network": 1})
	fmt.Println(core.TypeOf(err)+":", err)
	// Output:
	// networks: 1 ports: 500
	// <nil>
	// OverQuota: Quota exceeded for resources: ['network'].
}

// ExampleQuotas_Details shows a project's usage next to its limits.
func ExampleQuotas_Details() {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		panic(err)
	}
	defer store.Close()
	q := quota.New(store, quota.Limits{"port": 50})
	_ = store.Update(ctx, func(tx core.Tx) error {
		n := &core.Network{Standard: core.Standard{ProjectID: "demo"}}
		if err := tx.CreateNetwork(ctx, n); err != nil {
			return err
		}
		return tx.CreatePort(ctx, &core.Port{Standard: core.Standard{ProjectID: "demo"}, NetworkID: n.ID,
			MACAddress: "fa:16:3e:00:00:01"})
	})
	details, _ := q.Details(ctx, "demo")
	for _, r := range []string{"network", "port", "router"} {
		d := details[r]
		fmt.Printf("%s: limit %d, used %d, reserved %d\n", r, d.Limit, d.Used, d.Reserved)
	}
	// Output:
	// network: limit 100, used 1, reserved 0
	// port: limit 50, used 1, reserved 0
	// router: limit 10, used 0, reserved 0
}

// ExampleQuotas_Delete returns a project to the default limits.
func ExampleQuotas_Delete() {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		panic(err)
	}
	defer store.Close()
	q := quota.New(store, nil)
	_, _ = q.Update(ctx, "demo", quota.Limits{"router": -1})
	all, _ := q.List(ctx)
	fmt.Println(len(all), all["demo"]["router"])
	_ = q.Delete(ctx, "demo")
	limits, _ := q.Get(ctx, "demo")
	fmt.Println(limits["router"])
	err = q.Delete(ctx, "demo")
	fmt.Println(core.TypeOf(err))
	// Output:
	// 1 -1
	// 10
	// TenantQuotaNotFound
}
