// Package mechdrivers holds ml2go's built-in ML2 mechanism drivers and the
// pieces they share. Each driver has its own package and implements
// core.MechanismDriver:
//
//   - logger: records (and logs) every call it gets. It is the test double
//     for the orchestrator's precommit, postcommit and binding semantics,
//     with failure injection, and the annotated template for vendors
//     writing a driver of their own.
//   - agent: the base of agent-based drivers (Neutron's
//     SimpleAgentMechanismDriverBase): binds a port to the first segment
//     that a live agent of the driver's type on the port's host can reach.
//     The Open vSwitch and Linux-bridge drivers are built on it.
//   - linuxbridge and openvswitch: the server halves of the reference
//     Linux bridge and Open vSwitch drivers, binding ports to hosts whose
//     agent (ml2go-agent) is alive and reaches the segment.
//   - l2population: Neutron's L2 population: the forwarding entries each
//     host needs to reach the other hosts' ports on a tunnelled network
//     (Table), and the driver refusing a MAC change on an ACTIVE port.
//   - fakeagent: a small agent-based driver binding to "Fake agent" agents,
//     for tests and demos that need bound ports before real agents exist.
//
// Package mechtest has fakes of the driver contexts (core.PortContext,
// core.NetworkContext, core.SubnetContext) for unit-testing drivers
// without an orchestrator or a store.
//
// This package itself has no code.
package mechdrivers
