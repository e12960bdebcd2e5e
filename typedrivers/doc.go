// Package typedrivers holds ml2go's built-in ML2 type drivers and the pieces
// they share.
//
// Each network type has its own package, and each package's Driver
// implements core.TypeDriver:
//
//   - flat: one untagged network per physical network (flat_networks).
//   - vlan: 802.1Q networks on physical networks (network_vlan_ranges).
//   - vxlan, gre, geneve: overlay networks, thin wrappers around the
//     shared implementation in package tunnel (vni_ranges,
//     tunnel_id_ranges).
//   - local: networks confined to one host, with no segmentation at all.
//
// This package holds what they share: MTUConfig, which computes segment
// MTUs the way Neutron does (global_physnet_mtu, path_mtu,
// physical_network_mtus, overlay_ip_version), ParsePhysnetMTUs, and the
// typed errors returned for malformed configuration. Package allocfake is an
// in-memory core.SegmentAllocator for tests.
//
// # Allocation state
//
// Drivers are stateless: their ranges come from configuration and every
// allocation lives in the store, reached through the core.SegmentAllocator
// handed to each call inside the caller's transaction. Only allocated ids
// are stored, so unlike Neutron there is no start-up synchronisation of
// allocation tables, and its cost does not depend on the size of the
// configured ranges. When ranges change between restarts:
//
//   - ids already allocated stay allocated, whether inside or outside the
//     new ranges, until their network is deleted;
//   - ids outside the new ranges are never handed out to tenants again once
//     released (an administrator may still reserve them explicitly);
//   - ids newly inside the ranges are free unless reserved.
//
// This is Neutron's behaviour for ranges that move, with one deliberate
// difference: when a VLAN physical network is removed from the
// configuration, Neutron deletes all its allocation rows, allocated ones
// included, whereas ml2go keeps allocated VLANs until their networks are
// deleted (new VLAN networks on that physical network are refused, since it
// is no longer configured).
//
// Drivers are immutable once built and safe for concurrent use.
package typedrivers
