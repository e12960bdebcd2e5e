// Package ipam is ml2go's IP address management. It validates subnet
// requests and fills in Neutron's defaults (gateway, allocation pools),
// checks requested fixed IPs, allocates free addresses from a subnet's
// allocation pools, derives EUI-64 addresses for SLAAC and DHCPv6-stateless
// subnets, and parses and generates MAC addresses.
//
// ipam keeps no state and has no database code. Allocation runs over the
// small Allocations interface, which core.IPAllocationStore (and so
// core.Tx) satisfies, so it is exactly as
// safe across processes and replicas as the store's unique (subnet, address)
// constraint: a lost race is a false from AllocateIP, and the search runs
// again. The cost of an allocation grows with the number of allocated
// addresses it reads, never with the size of a pool, so an IPv6 /64 costs no
// more than an IPv4 /24.
//
// Errors are core's typed errors carrying Neutron's exception names
// (InvalidInput, InvalidAllocationPool, OutOfBoundsAllocationPool,
// OverlappingAllocationPools, GatewayConflictWithAllocationPools,
// InvalidIpForSubnet, ...) and messages close to Neutron's, so the API layer
// maps them without knowing ipam. Failures Neutron reports from its
// attribute validators (a duplicate DNS server, a host route destination
// with host bits, an invalid MAC address) carry the type HTTPBadRequest and
// Neutron's "Invalid input for <attr>. Reason: <why>." message.
package ipam
