// Package e2e holds the end-to-end tests of the reference L2: a real
// ml2go server, one ml2go agent per "host" (a network namespace, joined to
// the others by a veth underlay), and "VMs" (namespaces plugged in as a
// hypervisor would) pinging each other through the dataplane the agents
// programmed. It has no code of its own; the tests need root.
package e2e
