// Package ovs is the Open vSwitch dataplane of the ml2go host agent: it
// programs a host's OVS the way Neutron's OVS agent lays it out, with L2
// population, through ovs-vsctl and ovs-ofctl driven
// by github.com/digitalocean/go-openvswitch.
//
// Layout. Every port's device (made by the hypervisor) is a port of the
// integration bridge (br-int) with an access VLAN tag: the local VLAN of
// its network on this host (1..4094, independent of the segmentation id),
// or the dead VLAN 4095 while the port is administratively down or its
// network cannot be carried here. The local VLAN and the port's binding
// are recorded in the Port's other_config (net_uuid, network_type,
// physical_network, segmentation_id, tag) so that a restarted agent finds
// its allocations in OVSDB. Flat and vlan networks leave through the
// bridge their physical network is mapped to, over a patch pair
// int-<bridge>/phy-<bridge>, with flows translating the local VLAN to the
// segment's (or stripping it for flat) and back. Tunnelled networks leave
// through the tunnel bridge (br-tun), joined by the patch pair
// patch-tun/patch-int: it holds one tunnel port "<type>-<hex address>"
// per remote endpoint that some network floods to (from L2 population),
// and Neutron's br-tun tables map local VLANs to VNIs and back, send
// known unicast MACs to their endpoint and flood the rest to all of the
// network's endpoints.
//
// Convergence. Apply keeps no state between calls: it reads OVSDB and the
// flow tables, works out what the desired state needs, and changes only
// what differs, counting each change in Result.Writes. Flows are compared
// by table, priority and match after both sides go through the same
// canonical rendering; differing flows are replaced in one atomic bundle
// per bridge and flows already right are never touched, so a second
// Apply, or a new Dataplane on a wired host, makes no change and does not
// disturb traffic. The agent owns the integration and tunnel bridges'
// flow tables entirely; on physical bridges it owns only flows carrying
// FlowCookie. It removes only what it made: VIF ports it tagged (external
// id iface-id), tunnel ports of br-tun and its patch ports; devices are
// left on the host.
package ovs
