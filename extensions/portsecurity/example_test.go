package portsecurity_test

import (
	"context"
	"fmt"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ml2"
	"github.com/ml2go/ml2go/core/sqlstore"
	"github.com/ml2go/ml2go/extensions/portsecurity"
	"github.com/ml2go/ml2go/typedrivers/local"
)

// mapTx is a core.ExtensionTx that only reads networks, from a map.
type mapTx struct {
	core.ExtensionTx
	networks map[string]*core.Network
}

func (tx mapTx) GetNetwork(_ context.Context, id string) (*core.Network, error) {
	n, ok := tx.networks[id]
	if !ok {
		return nil, core.NetworkNotFound(id)
	}
	return n, nil
}

// Example calls the driver's hooks directly, as the ML2 orchestrator does,
// with a transaction that reads networks from a map.
func Example() {
	ctx := context.Background()
	tx := mapTx{networks: map[string]*core.Network{}}
	d := portsecurity.New(nil)

	// A network created with port security off.
	n := &core.Network{Standard: core.Standard{ID: "net-1"}}
	if err := d.ProcessCreateNetwork(ctx, tx, map[string]any{portsecurity.Attribute: false}, n); err != nil {
		panic(err)
	}
	tx.networks[n.ID] = n

	create := func(owner string, req map[string]any) {
		p := &core.Port{NetworkID: n.ID, DeviceOwner: owner}
		if err := d.ProcessCreatePort(ctx, tx, req, p); err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("owner %q: %v\n", owner, portsecurity.Enabled(p.Extra))
	}
	create("compute:nova", nil)                                                // inherits the network's value
	create("compute:nova", map[string]any{portsecurity.Attribute: true})       // asks for it
	create(core.DeviceOwnerDHCP, map[string]any{portsecurity.Attribute: true}) // trusted: forced off
	create("", map[string]any{portsecurity.Attribute: "yes"})                  // not a boolean
	// Output:
	// owner "compute:nova": false
	// owner "compute:nova": true
	// owner "network:dhcp": false
	// error: Invalid input for operation: 'yes' cannot be converted to boolean for port_security_enabled.
}

// ExampleNew registers the driver with an ML2 plugin on an in-memory SQLite
// store; ports created without the attribute inherit their network's value.
func ExampleNew() {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		panic(err)
	}
	defer store.Close()

	reg := core.NewRegistry()
	if err := reg.RegisterTypeDriver(local.New(local.Config{})); err != nil {
		panic(err)
	}
	if err := reg.RegisterExtensionDriver(portsecurity.Name, portsecurity.New(nil)); err != nil {
		panic(err)
	}
	plugin, err := ml2.New(ctx, ml2.Config{ExtensionDrivers: []string{portsecurity.Name}}, reg, store)
	if err != nil {
		panic(err)
	}
	fmt.Println("aliases:", plugin.ExtensionAliases())

	n, err := plugin.CreateNetwork(ctx, &ml2.NetworkRequest{
		Extensions: map[string]any{portsecurity.Attribute: false},
	})
	if err != nil {
		panic(err)
	}
	p, err := plugin.CreatePort(ctx, &ml2.PortRequest{NetworkID: n.ID})
	if err != nil {
		panic(err)
	}
	fmt.Println("network:", n.Extra[portsecurity.Attribute], "port:", p.Extra[portsecurity.Attribute])
	// Output:
	// aliases: [port-security]
	// network: false port: false
}
