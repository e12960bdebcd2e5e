package vmplug

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// namespaceDir is where named network namespaces are bind-mounted, as by
// `ip netns add` and netns.NewNamed.
const namespaceDir = "/run/netns"

// Namespace is a named network namespace (visible to `ip netns`) standing
// for a VM or a host in a test or demo.
type Namespace struct {
	// Name is the namespace's name under /var/run/netns.
	Name string

	ns netns.NsHandle
	h  *netlink.Handle
}

// NewNamespace creates the named network namespace with its loopback up.
// The caller's thread stays in its own namespace.
func NewNamespace(name string) (*Namespace, error) {
	ns, err := inNewThread(func() (netns.NsHandle, error) { return netns.NewNamed(name) })
	if err != nil {
		return nil, fmt.Errorf("vmplug: create namespace %s: %w", name, err)
	}
	n := &Namespace{Name: name, ns: ns}
	n.h, err = netlink.NewHandleAt(ns, syscall.NETLINK_ROUTE)
	if err == nil {
		err = setLoopbackUp(n.h)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("vmplug: namespace %s: %w", name, err), n.Delete())
	}
	return n, nil
}

// inNewThread runs create on a thread of its own, switches that thread
// back to the namespace it started in, and lets the thread die if it
// cannot: no other goroutine ever runs in the new namespace by accident.
func inNewThread(create func() (netns.NsHandle, error)) (netns.NsHandle, error) {
	type result struct {
		ns  netns.NsHandle
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread unless the thread is back home: a goroutine
		// that exits locked takes its thread with it.
		orig, err := netns.Get()
		if err != nil {
			done <- result{netns.None(), fmt.Errorf("get current namespace: %w", err)}
			return
		}
		defer orig.Close()
		ns, err := create()
		if setErr := netns.Set(orig); setErr != nil {
			done <- result{ns, errors.Join(err, fmt.Errorf("return to original namespace: %w", setErr))}
			return
		}
		runtime.UnlockOSThread()
		done <- result{ns, err}
	}()
	r := <-done
	return r.ns, r.err
}

// NsHandle is the namespace's file handle, for netlink.NewHandleAt or Plug.
// It stays valid until Delete.
func (n *Namespace) NsHandle() netns.NsHandle { return n.ns }

// Netlink is a netlink handle bound to the namespace. It stays valid until
// Delete.
func (n *Namespace) Netlink() *netlink.Handle { return n.h }

// Do runs f on a thread that is inside the namespace, for code that opens
// sockets or otherwise acts in the caller's namespace: a socket keeps the
// namespace it was opened in. f must not start goroutines that expect to
// run there.
func (n *Namespace) Do(f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			done <- fmt.Errorf("vmplug: get current namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(n.ns); err != nil {
			done <- fmt.Errorf("vmplug: enter namespace %s: %w", n.Name, err)
			return
		}
		ferr := f()
		if err := netns.Set(orig); err != nil {
			// Leave the thread locked: it dies with this goroutine.
			done <- errors.Join(ferr, fmt.Errorf("vmplug: leave namespace %s: %w", n.Name, err))
			return
		}
		runtime.UnlockOSThread()
		done <- ferr
	}()
	return <-done
}

// Delete closes the namespace's handles and removes its name; the kernel
// destroys it, with every link inside (and the far end of any veth pair
// leading into it), once nothing else holds it open. Deleting twice is
// harmless.
func (n *Namespace) Delete() error {
	if n.h != nil {
		n.h.Close()
		n.h = nil
	}
	var errs []error
	if n.ns.IsOpen() {
		if err := n.ns.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close namespace %s: %w", n.Name, err))
		}
	}
	// As netns.DeleteNamed, but also removing a name whose mount never
	// happened (a creation that failed half-way).
	path := filepath.Join(namespaceDir, n.Name)
	if err := syscall.Unmount(path, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
		errs = append(errs, fmt.Errorf("unmount namespace %s: %w", n.Name, err))
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove namespace %s: %w", n.Name, err))
	}
	if len(errs) > 0 {
		return fmt.Errorf("vmplug: %w", errors.Join(errs...))
	}
	return nil
}

// Connect joins namespaces a and b with a veth pair named dev on both
// sides, gives a's end addrA and b's end addrB (either may be invalid: no
// address) and brings both up: the physical network between two
// hypervisors in a test.
func Connect(a, b *Namespace, dev string, addrA, addrB netip.Prefix) error {
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: dev},
		PeerName:      dev,
		PeerNamespace: netlink.NsFd(b.ns),
	}
	if err := a.h.LinkAdd(veth); err != nil {
		return fmt.Errorf("vmplug: connect %s and %s: %w", a.Name, b.Name, err)
	}
	for _, end := range []struct {
		ns   *Namespace
		addr netip.Prefix
	}{{a, addrA}, {b, addrB}} {
		l, err := end.ns.h.LinkByName(dev)
		if err != nil {
			return fmt.Errorf("vmplug: connect: find %s in %s: %w", dev, end.ns.Name, err)
		}
		if end.addr.IsValid() {
			if err := end.ns.h.AddrAdd(l, &netlink.Addr{IPNet: prefixToIPNet(end.addr)}); err != nil {
				return fmt.Errorf("vmplug: connect: address %s in %s: %w", end.addr, end.ns.Name, err)
			}
		}
		if err := end.ns.h.LinkSetUp(l); err != nil {
			return fmt.Errorf("vmplug: connect: set %s up in %s: %w", dev, end.ns.Name, err)
		}
	}
	return nil
}
