// Package vmplug plays the hypervisor's part on a host for tests and
// demos of the ml2go agent dataplanes: a network namespace stands for a
// VM, and a veth pair for its tap device. Plug makes the pair with the
// host end named as Nova names a port's tap (dataplane.TapName) and the VM
// end configured as the guest would have it (eth0, the port's MAC and IP,
// up); the dataplane under test then wires the host end.
//
// The namespaces themselves are package netns's; Pinger sends ICMP echo
// requests from inside one. Everything here needs root (CAP_NET_ADMIN and
// CAP_SYS_ADMIN).
package vmplug

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
	refnetns "github.com/ml2go/ml2go/reference/netns"
)

// GuestInterface is the name of the VM end of a plugged port.
const GuestInterface = "eth0"

// VM describes the guest side of one port.
type VM struct {
	// PortID names the host device: dataplane.TapName(PortID).
	PortID string
	// MAC is the port's MAC address, given to the guest interface.
	MAC string
	// Addr is the port's fixed IP with its subnet's prefix length; an
	// invalid prefix leaves the guest without an address.
	Addr netip.Prefix
	// MTU of both ends; 0 keeps the kernel default.
	MTU int
}

// Plug creates a veth pair for vm: the host end, named
// dataplane.TapName(vm.PortID), in the namespace host is bound to, left
// down as a freshly plugged tap is until the agent wires it; the guest end
// in the namespace vmNS, named eth0, with vm's MAC, address and MTU, up
// (and the guest's loopback up). It returns the host end's name. On
// failure it removes what it made.
func Plug(ctx context.Context, host *netlink.Handle, vmNS netns.NsHandle, vm VM) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	tap := dataplane.TapName(vm.PortID)
	mac, err := net.ParseMAC(vm.MAC)
	if err != nil {
		return "", fmt.Errorf("vmplug: port %s: %w", vm.PortID, err)
	}
	if !vmNS.IsOpen() {
		return "", fmt.Errorf("vmplug: port %s: VM namespace is not open", vm.PortID)
	}
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: tap, MTU: vm.MTU},
		PeerName:         GuestInterface,
		PeerHardwareAddr: mac,
		PeerNamespace:    netlink.NsFd(vmNS),
	}
	if err := host.LinkAdd(veth); err != nil {
		return "", fmt.Errorf("vmplug: create veth %s: %w", tap, err)
	}
	if err := configureGuest(vmNS, vm); err != nil {
		if delErr := host.LinkDel(veth); delErr != nil {
			err = errors.Join(err, fmt.Errorf("remove veth %s: %w", tap, delErr))
		}
		return "", fmt.Errorf("vmplug: port %s: %w", vm.PortID, err)
	}
	return tap, nil
}

// configureGuest gives the guest end its address and brings it and the
// guest's loopback up.
func configureGuest(vmNS netns.NsHandle, vm VM) error {
	h, err := netlink.NewHandleAt(vmNS, syscall.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("open netlink in VM namespace: %w", err)
	}
	defer h.Close()
	eth, err := h.LinkByName(GuestInterface)
	if err != nil {
		return fmt.Errorf("find guest %s: %w", GuestInterface, err)
	}
	if vm.Addr.IsValid() {
		addr := &netlink.Addr{IPNet: refnetns.IPNet(vm.Addr)}
		if vm.Addr.Addr().Is6() {
			addr.Flags = syscall.IFA_F_NODAD
		}
		if err := h.AddrAdd(eth, addr); err != nil {
			return fmt.Errorf("add %s to guest %s: %w", vm.Addr, GuestInterface, err)
		}
	}
	if err := h.LinkSetUp(eth); err != nil {
		return fmt.Errorf("set guest %s up: %w", GuestInterface, err)
	}
	return refnetns.SetLoopbackUp(h)
}

// Unplug removes the veth pair of the port, as deleting the VM does. A
// port that is not plugged is not an error.
func Unplug(ctx context.Context, host *netlink.Handle, portID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tap := dataplane.TapName(portID)
	l, err := host.LinkByName(tap)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if errors.As(err, &notFound) {
			return nil
		}
		return fmt.Errorf("vmplug: find %s: %w", tap, err)
	}
	if err := host.LinkDel(l); err != nil {
		return fmt.Errorf("vmplug: remove %s: %w", tap, err)
	}
	return nil
}
