// Package core is the heart of ml2go: the network model (networks, subnets,
// ports, segments and port bindings), the contracts that type, mechanism and
// extension drivers implement, the contexts handed to those drivers, the typed
// errors shared by every layer, the Registry through which drivers are named,
// and the Store interface that persists it all.
//
// core knows nothing of Linux, HTTP or go-plugin. The ML2 orchestrator that
// runs drivers with Neutron's precommit/postcommit and port-binding semantics
// lives in core/ml2, address management in core/ipam, project quotas in
// core/quota and the SQL store in core/sqlstore.
package core
