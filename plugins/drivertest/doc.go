// Package drivertest is the conformance kit of ml2go drivers: Run checks
// mechanism drivers, RunTypeDriver type drivers and RunExtensionDriver
// extension drivers (see their documentation for what they check). A
// vendor runs it from go test against its driver, in-process or as the
// binary it ships:
//
//	func TestConformance(t *testing.T) {
//		drivertest.Run(t, func(t *testing.T) core.MechanismDriver { return acme.New(acme.Config{...}) },
//			drivertest.NetworkTypes(core.TypeVLAN, core.TypeFlat),
//			drivertest.Binds(core.VNICDirect, core.TypeVLAN),
//			drivertest.Binds(core.VNICDirect, core.TypeFlat))
//	}
//
//	func TestConformanceBinary(t *testing.T) {
//		bin := drivertest.Build(t, ".") // or the path of a binary built elsewhere
//		drivertest.Run(t, drivertest.Binary(t, bin, "-hosts", drivertest.DefaultHost), ...)
//	}
//
// Run drives the driver through a real ML2 orchestrator (core/ml2) on an
// in-memory SQLite store with the flat, vlan, vxlan and local type drivers,
// exactly as the server would, and checks the contract of
// core.MechanismDriver. Each part of the contract is a subtest, so that a
// failure names what the driver got wrong:
//
//   - lifecycle/<network_type>/...: a network of each type the driver
//     accepts, a subnet and a port are created, updated and deleted; every
//     operation succeeds and each of the eighteen precommit and postcommit
//     hooks is called and returns nil.
//   - bind_port/bound/<vnic_type>/<network_type>/{on_create,on_update}:
//     for each Binds declaration, a port of that VNIC type on the binding
//     host, on a network of that type, ends bound by the driver (a real
//     vif_type, binding level 0 is the driver on the network's segment)
//     whether the host is given at creation or by a later update.
//   - bind_port/no_segments_offered/<vnic_type>: BindPort called directly
//     with no candidate segment must neither bind nor fail nor panic.
//   - bind_port/unusable_segments/<vnic_type>/<network_type> and
//     bind_port/unclaimed_vnic_type/<vnic_type>: a port the driver did not
//     declare it binds ends binding_failed, and the API call still
//     succeeds. BindPort must return nil when it does not bind.
//   - precommit_errors/<operation>: when the driver fails a precommit
//     hook with a typed core error, the API-level operation fails with that
//     error (same Neutron type, kind and message) and the store is left
//     exactly as it was; afterwards the driver still works.
//   - postcommit_retry/<resource>: each postcommit hook is called a second
//     time with the same context right after it succeeded, as a retry
//     would; the second call must succeed too (postcommits must be
//     idempotent).
//
// Each top-level subtest gets a fresh driver from the factory and a fresh
// store. In the binary case the kit also fails the test if the driver
// process had to be restarted (it crashed or panicked) during a subtest.
//
// # Asking the driver to fail
//
// The precommit_errors checks need the driver to fail on demand. The kit
// uses the first of these that the driver supports:
//
//  1. FailureInjector: an in-process driver (or a test wrapper around it)
//     with a FailOn(method, err) method, such as mechdrivers/logger. The
//     kit calls FailOn("CreateNetworkPrecommit", err) with a typed error,
//     runs the operation, then FailOn(method, nil).
//  2. The naming convention, which also works across the process
//     boundary: a driver returns a typed *core.Error (core.InvalidInput,
//     for example) from Create*Precommit when the resource is named
//     FailCreatePrecommit ("drivertest-fail-create-precommit"), from
//     Update*Precommit when the updated resource is named
//     FailUpdatePrecommit, and from Delete*Precommit when the resource
//     being deleted is named FailDeletePrecommit. The same names apply to
//     networks, subnets and ports. The kit first calls the hook directly
//     with such a resource to learn the error the driver returns, then
//     checks that the API operation fails with it.
//
// A driver should honour the convention only when asked to: Binary starts
// the driver with EnvConformance=1 in its environment, and the driver
// checks it (see examples/vendor-mechdriver).
//
// Type and extension drivers are run the same way:
//
//	drivertest.RunTypeDriver(t, drivertest.TypeDriverBinary(t, bin), drivertest.TenantPool(3))
//	drivertest.RunExtensionDriver(t, drivertest.ExtensionDriverBinary(t, bin),
//		drivertest.Request(drivertest.ResourcePorts, map[string]any{"acme_qos": "gold"}, nil))
//
// # Resources the kit creates
//
// Networks are created with provider attributes: flat and vlan networks
// on PhysicalNetwork (vlan ids 100-199), vxlan networks with a VNI from
// 1-1000, and local networks. At most one network exists at a time. Ports
// to bind name the binding host DefaultHost, unless Host says otherwise; an
// agent-based driver needs Agents to report its agent on that host.
package drivertest
