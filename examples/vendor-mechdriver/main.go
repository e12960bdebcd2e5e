// Command vendor-mechdriver is a complete out-of-process ml2go mechanism
// driver, as a vendor would ship it: "acme" binds ports of vnic_type
// direct (SR-IOV) on the compute hosts its fabric manages, on flat and
// vlan networks, and refuses networks of any other type.
//
// It is started by the ml2go host (plugins/host), never by hand:
//
//	go build -o acme-driver ./examples/vendor-mechdriver
//
// Flags (the host passes them as the driver's arguments):
//
//	-hosts host1,host2   the managed hosts (default: $ACME_HOSTS)
//
// See README.md in this directory.
package main

import (
	"flag"
	"os"

	"github.com/ml2go/ml2go/plugins/sdk"
)

// envConformance is plugins/drivertest.EnvConformance: the conformance
// kit sets it to "1" in the environment of the drivers it starts.
const envConformance = "ML2GO_DRIVERTEST"

func main() {
	hosts := flag.String("hosts", os.Getenv("ACME_HOSTS"),
		"comma-separated compute hosts whose direct ports the driver binds (default $ACME_HOSTS)")
	flag.Parse()

	// Everything logged through this logger reaches the ml2go host's log
	// under the driver's name.
	log := sdk.Logger("acme")
	d := New(Config{
		Hosts:       ParseHosts(*hosts),
		Conformance: os.Getenv(envConformance) == "1",
		Logger:      log,
	})
	sdk.ServeMechanismDriver("acme", d, sdk.WithLogger(log))
}
