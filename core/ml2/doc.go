// Package ml2 is the ML2 orchestrator: the core plugin that creates, reads,
// updates and deletes networks, subnets and ports, and runs the type,
// mechanism and extension drivers around each operation with Neutron's
// semantics:
//
//   - *Precommit hooks run inside the store transaction; an error rolls the
//     whole operation back. An error wrapping core.ErrRetry makes the
//     transaction run again instead.
//   - CreateXPostcommit runs after commit; its failure deletes the new
//     resource and returns the error. So does a failure to bind a new port
//     or to extend a new resource. That delete runs the drivers' delete
//     hooks but does not depend on them: their errors are logged, and the
//     resource goes even when the driver that failed (an out-of-process
//     driver that is down) fails them too. An error from a create means
//     that nothing was created. Update and delete postcommit failures
//     are logged; every driver is still called. A failed update-network or
//     update-subnet postcommit is returned (the update stands); update-port
//     and delete failures are swallowed.
//   - A bulk create (CreateNetworks, CreateSubnets, CreatePorts) stores
//     every item, with its precommits, in one transaction, as Neutron does:
//     it is all or nothing, even if the process dies in the middle, and a
//     port bulk gets the addresses that are free when it runs. The
//     postcommits (and binding, for ports) follow item by item; when one
//     fails, every item of the bulk is deleted again as above.
//   - Port binding runs outside any transaction, level by level
//     (hierarchical binding with dynamic segments), and is committed with
//     optimistic concurrency; failed attempts are retried up to ten times
//     before binding_failed is committed.
//
// Port creates that arrive while another is being stored share a
// transaction (group commit): one quota check per project, one read per
// network (the two in one statement where the store offers
// core.NetworkUsageReader), one statement inserting every port where the
// store offers core.PortsCreator, then each port's precommits and one
// commit. A create the batch cannot store for a reason of its own, or every
// create of a batch that fails as a whole, is stored again alone, so each
// request gets its own answer; precommits may then run twice for a port, as
// on any retried transaction. A create that names its MAC address or fixed
// IPs is always stored alone, and so is one that has waited 200 ms for a
// batch (behind a precommit that hangs, say). A precommit that hangs still
// delays, until the driver's call times out, the other creates of its own
// batch, and on PostgreSQL a create that picks an address the hung
// transaction has claimed (the database makes it wait on the unique
// index).
//
// The Plugin also serves what Neutron's ML2 deployments expose next to the
// core resources: segments (the segments service plugin: CreateSegment and
// friends, which reserve through the type drivers but call no mechanism
// driver), agents (their heartbeats, the alive filter, admin updates) and
// network IP availability (address usage per network and subnet, counted
// by the store in one query).
//
// A Plugin is built from a Config naming drivers of a core.Registry and a
// core.Store; it has no package-level state.
package ml2
