// Package core is the heart of ml2go: the network model (networks, subnets,
// ports, segments and port bindings), the contracts that type, mechanism and
// extension drivers and service plugins implement, the contexts handed to
// those drivers, the typed errors shared by every layer, the Registry
// through which drivers are named, the events through which services hear
// of changes, and the Store interface that persists it all.
//
// core knows nothing of Linux, HTTP or go-plugin. The ML2 orchestrator that
// runs drivers with Neutron's precommit/postcommit and port-binding semantics
// lives in core/ml2, address management in core/ipam, project quotas in
// core/quota and the SQL store in core/sqlstore.
//
// # Store contracts
//
// A Store runs transactions; a transaction, Tx, is the sum of small
// contracts named for what they hold: NetworkStore, SegmentStore,
// SubnetStore, PortStore, IPAllocationStore, AgentStore, HostChangeFeed,
// QuotaStore and IPUsageReader, with the SegmentAllocator that type
// drivers allocate through. Code asks for the one it needs: a quota check
// takes a QuotaStore, IP allocation an IPAllocationStore (through
// ipam.Allocations), a type driver a SegmentAllocator. Extension drivers
// get an ExtensionTx, the reads of networks, subnets, ports and segments
// (NetworkReader, SubnetReader, PortReader, SegmentReader), in process as
// out of process.
//
// Tx does not grow with services. A service plugin (ServicePlugin) keeps
// its resources in tables of its own, which its store creates and
// migrates (sqlstore.SchemaOwner), and writes them in the transaction of
// core's writes: a BeforeCommit subscriber of Events gets the change's
// Tx (Change.Tx) and runs its statements through the store's SQL seam
// (sqlstore.SQL), so that its rows commit, or roll back on a veto, with
// the change.
package core
