// Package netns creates, enters and removes named Linux network
// namespaces: the agent's reconcilers use it for the namespaces they own
// (a DHCP server's, a router's), and the tests and demos for the
// namespaces that stand for hosts and VMs.
//
// Names are those of `ip netns`: a namespace named n is bind-mounted at
// /run/netns/n, so `ip netns exec n ...` works on it and it outlives the
// process that made it until Delete. Code runs inside a namespace on an
// OS thread locked for the purpose (Do), which never goes back to the Go
// scheduler in a namespace that is not its own. Everything here needs
// root (CAP_NET_ADMIN and CAP_SYS_ADMIN).
package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Dir is where named network namespaces are bind-mounted, as by `ip netns
// add`.
const Dir = "/run/netns"

// Namespace is a named network namespace.
type Namespace struct {
	// Name is the namespace's name under Dir.
	Name string

	ns netns.NsHandle
	h  *netlink.Handle
}

// New creates the named network namespace with its loopback up. The
// caller's thread stays in its own namespace. A namespace of that name
// that already exists is an error.
func New(ctx context.Context, name string) (*Namespace, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	ns, err := inNewThread(func() (netns.NsHandle, error) { return netns.NewNamed(name) })
	if err != nil {
		if ns.IsOpen() {
			_ = ns.Close()
		}
		err = fmt.Errorf("netns: create %s: %w", name, err)
		if errors.Is(err, os.ErrExist) {
			return nil, err // another's: leave it be
		}
		return nil, errors.Join(err, unmount(name))
	}
	n := &Namespace{Name: name, ns: ns}
	n.h, err = netlink.NewHandleAt(ns, syscall.NETLINK_ROUTE)
	if err == nil {
		err = SetLoopbackUp(n.h)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("netns: %s: %w", name, err), n.Delete())
	}
	return n, nil
}

// Open opens the existing named namespace (made by New, `ip netns add` or
// another process). Close releases it and leaves the namespace in place;
// Delete removes it.
func Open(ctx context.Context, name string) (*Namespace, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	ns, err := netns.GetFromPath(filepath.Join(Dir, name))
	if err != nil {
		return nil, fmt.Errorf("netns: open %s: %w", name, err)
	}
	h, err := netlink.NewHandleAt(ns, syscall.NETLINK_ROUTE)
	if err != nil {
		_ = ns.Close()
		return nil, fmt.Errorf("netns: open %s: netlink: %w", name, err)
	}
	return &Namespace{Name: name, ns: ns, h: h}, nil
}

// Exists reports whether a namespace of that name is mounted under Dir.
func Exists(name string) bool {
	if checkName(name) != nil {
		return false
	}
	ns, err := netns.GetFromPath(filepath.Join(Dir, name))
	if err != nil {
		return false
	}
	_ = ns.Close()
	return true
}

// checkName refuses names that are not one path element.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name || len(name) > 255 {
		return fmt.Errorf("netns: invalid namespace name %q", name)
	}
	return nil
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

// NsHandle is the namespace's file handle, for netlink.NewHandleAt or
// moving links into it. It stays valid until Close or Delete.
func (n *Namespace) NsHandle() netns.NsHandle { return n.ns }

// Netlink is a netlink handle bound to the namespace. It stays valid
// until Close or Delete.
func (n *Namespace) Netlink() *netlink.Handle { return n.h }

// Do runs f on a thread that is inside the namespace, for code that opens
// sockets or otherwise acts in the caller's namespace: a socket keeps the
// namespace it was opened in, and a process started there runs there. f
// must not start goroutines that expect to run in the namespace.
func (n *Namespace) Do(f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			done <- fmt.Errorf("netns: get current namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(n.ns); err != nil {
			done <- fmt.Errorf("netns: enter %s: %w", n.Name, err)
			return
		}
		ferr := f()
		if err := netns.Set(orig); err != nil {
			// Leave the thread locked: it dies with this goroutine.
			done <- errors.Join(ferr, fmt.Errorf("netns: leave %s: %w", n.Name, err))
			return
		}
		runtime.UnlockOSThread()
		done <- ferr
	}()
	return <-done
}

// Start starts cmd inside the namespace, as `ip netns exec` would (the
// process's network namespace only: its mounts are the caller's). Wait
// for it, or kill it, as for any exec.Cmd.
func (n *Namespace) Start(cmd *exec.Cmd) error {
	// A forked child starts in the namespace of the thread that forked
	// it: fork from the thread Do puts inside.
	if err := n.Do(cmd.Start); err != nil {
		return fmt.Errorf("netns: start %s in %s: %w", cmd.Path, n.Name, err)
	}
	return nil
}

// Run runs the named program with args inside the namespace until it
// exits or ctx ends, and returns what it wrote to stdout and stderr. A
// program that exits non-zero is an error that carries its output.
func (n *Namespace) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out outBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := n.Start(cmd); err != nil {
		return nil, err
	}
	if err := cmd.Wait(); err != nil {
		return out.b, fmt.Errorf("netns: %s in %s: %w: %s", name, n.Name, err, out.b)
	}
	return out.b, nil
}

// outBuffer collects a command's output (os/exec writes it from one
// goroutine when Stdout and Stderr are the same writer).
type outBuffer struct{ b []byte }

func (o *outBuffer) Write(p []byte) (int, error) { o.b = append(o.b, p...); return len(p), nil }

// Close releases the namespace's handles and leaves the namespace in
// place. Closing twice is harmless.
func (n *Namespace) Close() error {
	if n.h != nil {
		n.h.Close()
		n.h = nil
	}
	if n.ns.IsOpen() {
		if err := n.ns.Close(); err != nil {
			return fmt.Errorf("netns: close %s: %w", n.Name, err)
		}
	}
	return nil
}

// Delete closes the namespace's handles and removes its name; the kernel
// destroys it, with every link inside (and the far end of any veth pair
// leading into it), once nothing else holds it open (a process or a
// socket in it). Deleting twice is harmless.
func (n *Namespace) Delete() error {
	return errors.Join(n.Close(), unmount(n.Name))
}

// unmount removes the name of a namespace, as netns.DeleteNamed, but also
// a name whose mount never happened (a creation that failed half-way).
func unmount(name string) error {
	var errs []error
	path := filepath.Join(Dir, name)
	if err := syscall.Unmount(path, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
		errs = append(errs, fmt.Errorf("unmount %s: %w", name, err))
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove %s: %w", name, err))
	}
	if len(errs) > 0 {
		return fmt.Errorf("netns: %w", errors.Join(errs...))
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
		return fmt.Errorf("netns: connect %s and %s: %w", a.Name, b.Name, err)
	}
	for _, end := range []struct {
		ns   *Namespace
		addr netip.Prefix
	}{{a, addrA}, {b, addrB}} {
		l, err := end.ns.h.LinkByName(dev)
		if err != nil {
			return fmt.Errorf("netns: connect: find %s in %s: %w", dev, end.ns.Name, err)
		}
		if end.addr.IsValid() {
			if err := end.ns.h.AddrAdd(l, &netlink.Addr{IPNet: IPNet(end.addr)}); err != nil {
				return fmt.Errorf("netns: connect: address %s in %s: %w", end.addr, end.ns.Name, err)
			}
		}
		if err := end.ns.h.LinkSetUp(l); err != nil {
			return fmt.Errorf("netns: connect: set %s up in %s: %w", dev, end.ns.Name, err)
		}
	}
	return nil
}

// IPNet converts p to the net.IPNet netlink expects, keeping the address
// (not only the network) and unmapping IPv4-mapped IPv6 addresses.
func IPNet(p netip.Prefix) *net.IPNet {
	a := p.Addr().Unmap()
	return &net.IPNet{IP: net.IP(a.AsSlice()), Mask: net.CIDRMask(p.Bits(), a.BitLen())}
}

// SetLoopbackUp brings up lo in the namespace h is bound to.
func SetLoopbackUp(h *netlink.Handle) error {
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find lo: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	return nil
}
