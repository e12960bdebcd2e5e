package config_test

import (
	"fmt"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/reference/config"
)

func Example() {
	// As neutron-server --config-file neutron.conf --config-file ml2_conf.ini.
	cfg, err := config.Load("testdata/neutron.conf", "testdata/ml2_conf.ini")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("listen on", cfg.Addr(), "with", cfg.AuthStrategy)
	dsn, _ := cfg.DatabaseDSN("/var/lib/ml2go")
	fmt.Println("database", dsn)

	drivers, err := cfg.TypeDrivers(hclog.NewNullLogger())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range drivers {
		fmt.Println("type driver", d.Type())
	}
	fmt.Println("tenant network types", cfg.ML2().TenantNetworkTypes)
	fmt.Println("first ignored option:", cfg.Ignored[0])

	// A bad value names where it is.
	_, err = config.Load("testdata/neutron.conf", "testdata/bad_ml2_conf.ini")
	fmt.Println(err)
	// Output:
	// listen on 192.0.2.10:9696 with keystone
	// database postgres://neutron:NEUTRON_DBPASS@db.example.net:5432/neutron?sslmode=require
	// type driver flat
	// type driver vlan
	// type driver vxlan
	// tenant network types [vxlan vlan]
	// first ignored option: testdata/neutron.conf:14: [DEFAULT] rpc_workers
	// testdata/bad_ml2_conf.ini:6: [ml2_type_vlan] network_vlan_ranges: "physnet1:200:100": end of VLAN range is less than start of VLAN range
}

func ExampleConnectionDSN() {
	for _, conn := range []string{
		"sqlite:////var/lib/neutron/neutron.sqlite",
		"sqlite:///neutron.sqlite",
		"postgresql+psycopg2://neutron:secret@db/neutron",
		"mysql+pymysql://neutron:secret@db/neutron",
	} {
		dsn, err := config.ConnectionDSN(conn)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(dsn)
	}
	// Output:
	// sqlite:///var/lib/neutron/neutron.sqlite
	// sqlite://neutron.sqlite
	// postgres://neutron:secret@db/neutron
	// error: MySQL is not supported: use postgresql:// or sqlite://
}
