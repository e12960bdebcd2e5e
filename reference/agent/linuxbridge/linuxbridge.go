// Package linuxbridge is the Linux bridge dataplane of the ml2go host
// agent: it programs a host's kernel over netlink the way Neutron's Linux
// bridge agent lays it out.
//
// Every network gets a bridge "brq<network id[:11]>". Its uplink depends
// on the segment: a VXLAN device "vxlan-<VNI>" (unicast mode: learning off,
// forwarding entries from L2 population), the mapped physical interface
// (flat), a VLAN sub-interface "<iface>.<vlan>" of it (vlan), or nothing
// (local). Each port's device ("tap<port id[:11]>", made by the
// hypervisor) is enslaved to its network's bridge and set up or down with
// the port's admin state.
//
// Apply converges: it reads the links, forwarding and neighbour entries the
// host has, and changes only what differs from the desired state. The
// Dataplane keeps no state between calls, so a new value (an agent
// restart) on a host already wired changes nothing. What this agent made
// is recognised by name: bridges "brq" + 11 characters, "vxlan-<VNI>"
// devices, VLAN sub-interfaces named after a mapped interface and enslaved
// to such a bridge, and tap devices enslaved to such a bridge. Nothing else
// is ever touched.
package linuxbridge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
)

// DefaultVXLANPort is the UDP destination port of VXLAN devices when
// Config.VXLANPort is 0: the IANA port. (The kernel's own default, 8472,
// is the pre-standard Linux one, so the port is always set explicitly.)
const DefaultVXLANPort = 4789

// dumpRetries bounds how often a netlink dump interrupted by a concurrent
// change is repeated before Apply gives up.
const dumpRetries = 5

// Config is the agent configuration the dataplane needs (Neutron's
// [linux_bridge] and [vxlan] sections).
type Config struct {
	// PhysicalInterfaceMappings maps a physical network name to the host
	// interface that carries it (physical_interface_mappings).
	PhysicalInterfaceMappings map[string]string
	// LocalIP is the address of this host's tunnel endpoint (local_ip);
	// required when EnableVXLAN is set.
	LocalIP netip.Addr
	// VXLANPort is the UDP destination port of VXLAN traffic (udp_dstport);
	// 0 means DefaultVXLANPort.
	VXLANPort int
	// EnableVXLAN allows vxlan networks (enable_vxlan). They run in
	// unicast mode: flooding and forwarding come from L2 population.
	EnableVXLAN bool
	// ARPResponder makes VXLAN devices answer ARP and neighbour
	// solicitations locally from the L2 population entries
	// (arp_responder).
	ARPResponder bool
}

// Option adjusts a Dataplane made by New.
type Option func(*Dataplane)

// WithLogger sets the logger; the default discards everything.
func WithLogger(l hclog.Logger) Option {
	return func(d *Dataplane) {
		if l != nil {
			d.log = l
		}
	}
}

// WithHandle makes the Dataplane program the network namespace h is bound
// to (see netlink.NewHandleAt) instead of the caller's. The caller keeps
// ownership: Close does not close h.
func WithHandle(h *netlink.Handle) Option {
	return func(d *Dataplane) {
		if h != nil {
			d.h = h
			d.ownHandle = false
		}
	}
}

// Dataplane is the Linux bridge implementation of dataplane.Dataplane. It
// is safe for concurrent use; Applies run one at a time.
type Dataplane struct {
	cfg       Config
	log       hclog.Logger
	h         *netlink.Handle
	ownHandle bool

	mu     sync.Mutex
	closed bool
}

var _ dataplane.Dataplane = (*Dataplane)(nil)

// New returns a Dataplane for the given configuration. Without WithHandle
// it opens a netlink handle in the caller's network namespace.
func New(cfg Config, opts ...Option) (*Dataplane, error) {
	if cfg.VXLANPort == 0 {
		cfg.VXLANPort = DefaultVXLANPort
	}
	if cfg.VXLANPort < 1 || cfg.VXLANPort > 65535 {
		return nil, fmt.Errorf("linuxbridge: VXLAN port %d out of range 1-65535", cfg.VXLANPort)
	}
	if cfg.EnableVXLAN && !cfg.LocalIP.IsValid() {
		return nil, errors.New("linuxbridge: VXLAN enabled without a local IP")
	}
	cfg.LocalIP = cfg.LocalIP.Unmap()
	cfg.PhysicalInterfaceMappings = cloneMap(cfg.PhysicalInterfaceMappings)

	d := &Dataplane{cfg: cfg, log: hclog.NewNullLogger()}
	for _, o := range opts {
		o(d)
	}
	d.log = d.log.Named("linuxbridge")
	if d.h == nil {
		h, err := netlink.NewHandle()
		if err != nil {
			return nil, fmt.Errorf("linuxbridge: open netlink handle: %w", err)
		}
		d.h, d.ownHandle = h, true
	}
	return d, nil
}

// Close releases the netlink handle New opened; it leaves the wiring in
// place.
func (d *Dataplane) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if d.ownHandle {
		d.h.Close()
	}
	return nil
}

// Apply converges the host to s (see dataplane.Dataplane). A network that
// cannot be wired (unsupported type, unmapped physical network, missing
// interface, a kernel error) leaves its ports out of Result.Wired and adds
// to the returned error, while the other networks are still converged;
// the Result is meaningful even when the error is not nil.
func (d *Dataplane) Apply(ctx context.Context, s *dataplane.State) (dataplane.Result, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return dataplane.Result{}, errors.New("linuxbridge: apply on a closed dataplane")
	}
	if s == nil {
		s = &dataplane.State{}
	}
	r := &run{d: d, ctx: ctx, h: d.h, log: d.log}
	err := r.apply(s)
	res := dataplane.Result{Wired: r.wired, Writes: r.writes}
	if res.Wired == nil {
		res.Wired = []string{}
	}
	if r.writes > 0 {
		d.log.Info("converged", "writes", r.writes, "wired", len(r.wired), "error", err)
	}
	if err != nil {
		return res, fmt.Errorf("linuxbridge: apply: %w", err)
	}
	return res, nil
}

// want is one network as this host must carry it.
type want struct {
	net    *dataplane.Network
	bridge string
	mtu    int
	// uplink is the device enslaved to the bridge besides ports: the
	// VXLAN device, the VLAN sub-interface, or the physical interface of a
	// flat network; empty for local networks.
	uplink string
	// parent is the mapped physical interface of flat and vlan networks.
	parent string
	fdb    []fdbEntry
	neigh  map[netip.Addr]string
	// err is why the network cannot be wired; its ports are skipped.
	err error
	// bridgeIndex is the bridge's ifindex once ensured.
	bridgeIndex int
}

// run is the work of one Apply.
type run struct {
	d   *Dataplane
	ctx context.Context
	h   *netlink.Handle
	log hclog.Logger

	// snapshot of the links when Apply started.
	links   []netlink.Link
	byName  map[string]netlink.Link
	byIndex map[int]netlink.Link
	// fdb and neigh hold the VXLAN devices' entries, by ifindex.
	fdb   map[int][]fdbEntry
	neigh map[int]map[netip.Addr]string

	writes int
	wired  []string
	errs   []error
}

func (r *run) apply(s *dataplane.State) error {
	wants := r.plan(s)
	if err := r.readLinks(); err != nil {
		return err
	}
	if err := r.readEntries(wants); err != nil {
		return err
	}
	for _, id := range sortedKeys(wants) {
		w := wants[id]
		if w.err == nil {
			w.err = r.ensureNetwork(w)
		}
		if w.err != nil {
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			r.errs = append(r.errs, fmt.Errorf("network %s: %w", id, w.err))
		}
	}
	for _, id := range sortedKeys(s.Ports) {
		if err := r.ensurePort(s.Ports[id], wants); err != nil {
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			r.errs = append(r.errs, fmt.Errorf("port %s: %w", id, err))
		}
	}
	if err := r.removeStale(s, wants); err != nil {
		return err
	}
	return errors.Join(r.errs...)
}

// plan turns the desired state into what each network needs on this host.
func (r *run) plan(s *dataplane.State) map[string]*want {
	cfg := r.d.cfg
	wants := make(map[string]*want, len(s.Networks))
	for id, n := range s.Networks {
		if n == nil {
			continue
		}
		w := &want{net: n, bridge: BridgeName(id), mtu: max(n.MTU, 0)}
		wants[id] = w
		switch n.NetworkType {
		case "local":
		case "flat", "vlan":
			iface, ok := cfg.PhysicalInterfaceMappings[n.PhysicalNetwork]
			if !ok {
				w.err = fmt.Errorf("physical network %q has no interface mapping", n.PhysicalNetwork)
				break
			}
			w.parent, w.uplink = iface, iface
			if n.NetworkType == "vlan" {
				if n.SegmentationID < 1 || n.SegmentationID > 4094 {
					w.err = fmt.Errorf("VLAN id %d out of range 1-4094", n.SegmentationID)
					break
				}
				w.uplink = VLANName(iface, n.SegmentationID)
			}
		case "vxlan":
			if n.SegmentationID < 0 || n.SegmentationID >= 1<<24 {
				w.err = fmt.Errorf("VNI %d out of range 0-16777215", n.SegmentationID)
				break
			}
			w.uplink = VXLANName(n.SegmentationID)
			if !cfg.EnableVXLAN {
				w.err = errors.New("vxlan networks need enable_vxlan")
				break
			}
			w.fdb, w.neigh = r.planFDB(n)
		default:
			w.err = fmt.Errorf("network type %q is not supported by the Linux bridge agent", n.NetworkType)
		}
	}
	return wants
}

// planFDB turns a network's L2 population entries into the forwarding
// and, with the ARP responder, neighbour entries of its VXLAN device.
// Entries for this host's own endpoint are ignored, as Neutron's agents
// do.
func (r *run) planFDB(n *dataplane.Network) ([]fdbEntry, map[netip.Addr]string) {
	var fdb []fdbEntry
	neigh := map[netip.Addr]string{}
	for _, e := range n.FDB {
		dst := e.Endpoint.Unmap()
		if !dst.IsValid() || dst == r.d.cfg.LocalIP {
			continue
		}
		hw, err := net.ParseMAC(e.MAC)
		if err != nil || len(hw) != 6 {
			r.log.Warn("ignoring FDB entry with a bad MAC", "network", n.ID, "mac", e.MAC)
			continue
		}
		mac := hw.String()
		fdb = append(fdb, fdbEntry{MAC: mac, Dst: dst})
		if ip := e.IP.Unmap(); r.d.cfg.ARPResponder && mac != dataplane.FloodMAC && ip.IsValid() {
			if old, ok := neigh[ip]; !ok || mac < old {
				neigh[ip] = mac
			}
		}
	}
	return fdb, neigh
}

// readLinks takes the snapshot of the host's links.
func (r *run) readLinks() error {
	links, err := retryDump(r.h.LinkList)
	if err != nil {
		return fmt.Errorf("list links: %w", err)
	}
	r.links = links
	r.byName = make(map[string]netlink.Link, len(links))
	r.byIndex = make(map[int]netlink.Link, len(links))
	for _, l := range links {
		r.byName[l.Attrs().Name] = l
		r.byIndex[l.Attrs().Index] = l
	}
	return nil
}

// readEntries reads the forwarding entries (and with the ARP responder the
// permanent neighbour entries) of the VXLAN devices there are, one dump
// per table.
func (r *run) readEntries(wants map[string]*want) error {
	vxlans := map[int]bool{}
	for _, w := range wants {
		if w.err != nil || w.net.NetworkType != "vxlan" {
			continue
		}
		if l, ok := r.byName[w.uplink].(*netlink.Vxlan); ok {
			vxlans[l.Index] = true
		}
	}
	if len(vxlans) == 0 {
		return nil
	}
	entries, err := retryDump(func() ([]netlink.Neigh, error) { return r.h.NeighList(0, syscall.AF_BRIDGE) })
	if err != nil {
		return fmt.Errorf("list forwarding entries: %w", err)
	}
	r.fdb = map[int][]fdbEntry{}
	for _, e := range entries {
		if !vxlans[e.LinkIndex] || e.Flags&netlink.NTF_SELF == 0 || len(e.HardwareAddr) != 6 {
			continue
		}
		dst, ok := netip.AddrFromSlice(e.IP)
		if !ok {
			// An entry without a destination has the unspecified one.
			dst = netip.IPv4Unspecified()
		}
		r.fdb[e.LinkIndex] = append(r.fdb[e.LinkIndex], fdbEntry{MAC: e.HardwareAddr.String(), Dst: dst.Unmap()})
	}
	if !r.d.cfg.ARPResponder {
		return nil
	}
	r.neigh = map[int]map[netip.Addr]string{}
	for _, family := range []int{syscall.AF_INET, syscall.AF_INET6} {
		entries, err := retryDump(func() ([]netlink.Neigh, error) { return r.h.NeighList(0, family) })
		if err != nil {
			return fmt.Errorf("list neighbour entries: %w", err)
		}
		for _, e := range entries {
			if !vxlans[e.LinkIndex] || e.State&netlink.NUD_PERMANENT == 0 {
				continue
			}
			ip, ok := netip.AddrFromSlice(e.IP)
			if !ok {
				continue
			}
			if r.neigh[e.LinkIndex] == nil {
				r.neigh[e.LinkIndex] = map[netip.Addr]string{}
			}
			r.neigh[e.LinkIndex][ip.Unmap()] = e.HardwareAddr.String()
		}
	}
	return nil
}

// write performs one change to the dataplane and counts it.
func (r *run) write(what string, f func() error) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	if err := f(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	r.writes++
	r.log.Debug("changed", "op", what)
	return nil
}

// ensureNetwork wires the bridge, uplink and tunnel entries of a network.
func (r *run) ensureNetwork(w *want) error {
	br, err := r.ensureBridge(w)
	if err != nil {
		return err
	}
	w.bridgeIndex = br
	switch w.net.NetworkType {
	case "flat":
		return r.ensureFlat(w)
	case "vlan":
		return r.ensureVLAN(w)
	case "vxlan":
		return r.ensureVXLAN(w)
	}
	return nil
}

// ensureBridge makes the network's bridge exist, up, with the network's
// MTU, and returns its ifindex.
func (r *run) ensureBridge(w *want) (int, error) {
	var l netlink.Link
	if cur, ok := r.byName[w.bridge]; ok {
		if _, isBridge := cur.(*netlink.Bridge); !isBridge {
			return 0, fmt.Errorf("link %s exists and is a %s, not a bridge", w.bridge, cur.Type())
		}
		l = cur
	} else {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: w.bridge, MTU: w.mtu, Flags: net.FlagUp}}
		if err := r.write("add bridge "+w.bridge, func() error { return r.h.LinkAdd(br) }); err != nil {
			return 0, err
		}
		created, err := r.h.LinkByName(w.bridge)
		if err != nil {
			return 0, fmt.Errorf("read new bridge %s: %w", w.bridge, err)
		}
		l = created
		r.byIndex[l.Attrs().Index] = l
	}
	if err := r.ensureLink(l, 0, w.mtu, true); err != nil {
		return 0, err
	}
	return l.Attrs().Index, nil
}

// ensureLink makes l have the given MTU (when mtu > 0), master (when
// master > 0) and admin state.
func (r *run) ensureLink(l netlink.Link, master, mtu int, up bool) error {
	a := l.Attrs()
	if mtu > 0 && a.MTU != mtu {
		if err := r.write(fmt.Sprintf("set %s mtu %d", a.Name, mtu), func() error { return r.h.LinkSetMTU(l, mtu) }); err != nil {
			return err
		}
	}
	if master > 0 && a.MasterIndex != master {
		what := fmt.Sprintf("set %s master %s", a.Name, r.nameOf(master))
		if err := r.write(what, func() error { return r.h.LinkSetMasterByIndex(l, master) }); err != nil {
			return err
		}
	}
	isUp := a.Flags&net.FlagUp != 0
	switch {
	case up && !isUp:
		return r.write("set "+a.Name+" up", func() error { return r.h.LinkSetUp(l) })
	case !up && isUp:
		return r.write("set "+a.Name+" down", func() error { return r.h.LinkSetDown(l) })
	}
	return nil
}

// nameOf names the link with the given index for messages.
func (r *run) nameOf(index int) string {
	if l, ok := r.byIndex[index]; ok {
		return l.Attrs().Name
	}
	if l, err := r.h.LinkByIndex(index); err == nil {
		return l.Attrs().Name
	}
	return fmt.Sprintf("ifindex %d", index)
}

// ensureFlat enslaves the mapped physical interface to the bridge. Its MTU
// and admin state belong to the operator and are left alone.
func (r *run) ensureFlat(w *want) error {
	l, ok := r.byName[w.parent]
	if !ok {
		return fmt.Errorf("physical interface %s of physical network %q not found", w.parent, w.net.PhysicalNetwork)
	}
	if err := r.checkMaster(l, w.bridgeIndex); err != nil {
		return err
	}
	if l.Attrs().MasterIndex == w.bridgeIndex {
		return nil
	}
	what := fmt.Sprintf("set %s master %s", w.parent, w.bridge)
	return r.write(what, func() error { return r.h.LinkSetMasterByIndex(l, w.bridgeIndex) })
}

// checkMaster refuses to take l from a master that this agent did not
// make.
func (r *run) checkMaster(l netlink.Link, bridge int) error {
	m := l.Attrs().MasterIndex
	if m == 0 || m == bridge {
		return nil
	}
	if name := r.nameOf(m); !isBridgeName(name) {
		return fmt.Errorf("%s is enslaved to %s, which this agent does not manage", l.Attrs().Name, name)
	}
	return nil
}

// ensureVLAN makes the VLAN sub-interface of the mapped interface exist,
// up, with the network's MTU, enslaved to the bridge.
func (r *run) ensureVLAN(w *want) error {
	parent, ok := r.byName[w.parent]
	if !ok {
		return fmt.Errorf("physical interface %s of physical network %q not found", w.parent, w.net.PhysicalNetwork)
	}
	vid := w.net.SegmentationID
	l, ok := r.byName[w.uplink]
	if ok {
		v, isVLAN := l.(*netlink.Vlan)
		if !isVLAN {
			return fmt.Errorf("link %s exists and is a %s, not a VLAN", w.uplink, l.Type())
		}
		if v.VlanId != vid || v.ParentIndex != parent.Attrs().Index {
			if err := r.write("delete stale vlan "+w.uplink, func() error { return r.h.LinkDel(l) }); err != nil {
				return err
			}
			ok = false
		}
	}
	if !ok {
		v := &netlink.Vlan{
			LinkAttrs: netlink.LinkAttrs{Name: w.uplink, ParentIndex: parent.Attrs().Index, MTU: w.mtu, Flags: net.FlagUp},
			VlanId:    vid,
		}
		what := fmt.Sprintf("add vlan %s (%s id %d)", w.uplink, w.parent, vid)
		if err := r.write(what, func() error { return r.h.LinkAdd(v) }); err != nil {
			return err
		}
		l = v
		r.byIndex[v.Index] = v
	}
	return r.ensureLink(l, w.bridgeIndex, w.mtu, true)
}

// ensureVXLAN makes the VXLAN device exist with this host's settings, up,
// enslaved to the bridge, and converges its forwarding and neighbour
// entries.
func (r *run) ensureVXLAN(w *want) error {
	cfg := r.d.cfg
	spec := &netlink.Vxlan{
		LinkAttrs: netlink.LinkAttrs{Name: w.uplink, MTU: w.mtu, Flags: net.FlagUp},
		VxlanId:   w.net.SegmentationID,
		SrcAddr:   net.IP(cfg.LocalIP.AsSlice()),
		Port:      cfg.VXLANPort,
		Learning:  false,
		Proxy:     cfg.ARPResponder,
	}
	l, exists := r.byName[w.uplink]
	if exists {
		v, isVXLAN := l.(*netlink.Vxlan)
		if !isVXLAN {
			return fmt.Errorf("link %s exists and is a %s, not a VXLAN device", w.uplink, l.Type())
		}
		if !vxlanMatches(v, spec) {
			r.log.Info("recreating VXLAN device with stale settings", "device", w.uplink)
			if err := r.write("delete stale vxlan "+w.uplink, func() error { return r.h.LinkDel(l) }); err != nil {
				return err
			}
			exists = false
		}
	}
	if !exists {
		what := fmt.Sprintf("add vxlan %s (vni %d local %s dstport %d)", w.uplink, spec.VxlanId, cfg.LocalIP, spec.Port)
		if err := r.write(what, func() error { return r.h.LinkAdd(spec) }); err != nil {
			return err
		}
		if spec.Index == 0 {
			return fmt.Errorf("new vxlan %s has no ifindex", w.uplink)
		}
		l = spec
		r.byIndex[spec.Index] = spec
	}
	if err := r.ensureLink(l, w.bridgeIndex, w.mtu, true); err != nil {
		return err
	}
	index := l.Attrs().Index
	var haveFDB []fdbEntry
	var haveNeigh map[netip.Addr]string
	if exists {
		haveFDB, haveNeigh = r.fdb[index], r.neigh[index]
	}
	for _, op := range diffFDB(w.fdb, haveFDB) {
		if err := r.fdbWrite(w.uplink, index, op); err != nil {
			return err
		}
	}
	if !cfg.ARPResponder {
		return nil
	}
	for _, op := range diffNeigh(w.neigh, haveNeigh) {
		if err := r.neighWrite(w.uplink, index, op); err != nil {
			return err
		}
	}
	return nil
}

// vxlanMatches reports whether an existing VXLAN device has the settings
// spec asks for; the kernel cannot change most of them in place.
func vxlanMatches(have, spec *netlink.Vxlan) bool {
	return have.VxlanId == spec.VxlanId &&
		have.SrcAddr.Equal(spec.SrcAddr) &&
		have.Port == spec.Port &&
		have.Learning == spec.Learning &&
		have.Proxy == spec.Proxy &&
		!have.FlowBased &&
		(have.Group == nil || have.Group.IsUnspecified())
}

// fdbWrite applies one forwarding-entry change to a VXLAN device, as
// `bridge fdb replace|append|del <mac> dev <dev> dst <endpoint>` does.
func (r *run) fdbWrite(dev string, index int, op fdbOp) error {
	hw, err := net.ParseMAC(op.MAC)
	if err != nil {
		return fmt.Errorf("fdb %s %s: %w", op.Kind, op.MAC, err)
	}
	n := &netlink.Neigh{
		LinkIndex:    index,
		Family:       syscall.AF_BRIDGE,
		Flags:        netlink.NTF_SELF,
		State:        netlink.NUD_PERMANENT | netlink.NUD_NOARP,
		HardwareAddr: hw,
		IP:           net.IP(op.Dst.AsSlice()),
	}
	what := fmt.Sprintf("fdb %s %s dev %s dst %s", op.Kind, op.MAC, dev, op.Dst)
	return r.write(what, func() error {
		switch op.Kind {
		case fdbReplace:
			return r.h.NeighSet(n)
		case fdbAppend:
			return r.h.NeighAppend(n)
		default:
			return r.h.NeighDel(n)
		}
	})
}

// neighWrite applies one neighbour-entry change to a VXLAN device, as `ip
// neigh replace <ip> lladdr <mac> dev <dev> nud permanent` or `ip neigh del`
// do.
func (r *run) neighWrite(dev string, index int, op neighOp) error {
	family := syscall.AF_INET
	if op.IP.Is6() {
		family = syscall.AF_INET6
	}
	n := &netlink.Neigh{LinkIndex: index, Family: family, IP: net.IP(op.IP.AsSlice())}
	if op.Kind == neighDelete {
		return r.write(fmt.Sprintf("neigh del %s dev %s", op.IP, dev), func() error { return r.h.NeighDel(n) })
	}
	hw, err := net.ParseMAC(op.MAC)
	if err != nil {
		return fmt.Errorf("neigh replace %s: %w", op.IP, err)
	}
	n.HardwareAddr, n.State = hw, netlink.NUD_PERMANENT
	what := fmt.Sprintf("neigh replace %s lladdr %s dev %s", op.IP, op.MAC, dev)
	return r.write(what, func() error { return r.h.NeighSet(n) })
}

// ensurePort enslaves a port's device to its network's bridge and sets it
// up or down with the port's admin state. A device not plugged yet is
// skipped.
func (r *run) ensurePort(p *dataplane.Port, wants map[string]*want) error {
	if p == nil {
		return nil
	}
	w, ok := wants[p.NetworkID]
	if !ok {
		return fmt.Errorf("network %s is not in the desired state", p.NetworkID)
	}
	if w.err != nil {
		return nil // reported with the network
	}
	dev := portDevice(p)
	l, ok := r.byName[dev]
	if !ok {
		r.log.Debug("port device not plugged yet", "port", p.ID, "device", dev)
		return nil
	}
	switch l.(type) {
	case *netlink.Bridge, *netlink.Vxlan:
		return fmt.Errorf("device %s is a %s, not a port device", dev, l.Type())
	}
	if err := r.checkMaster(l, w.bridgeIndex); err != nil {
		return err
	}
	if err := r.ensureLink(l, w.bridgeIndex, w.mtu, p.AdminStateUp); err != nil {
		return err
	}
	if p.AdminStateUp {
		r.wired = append(r.wired, p.ID)
	}
	return nil
}

// portDevice is the host device of p.
func portDevice(p *dataplane.Port) string {
	if p.Device != "" {
		return p.Device
	}
	return dataplane.TapName(p.ID)
}

// removeStale undoes what earlier Applies made for networks and ports no
// longer desired, judging by the snapshot taken when Apply started: tap
// devices are detached from this agent's bridges (the hypervisor owns
// them), VXLAN devices and VLAN sub-interfaces of this agent are deleted,
// then its bridges.
func (r *run) removeStale(s *dataplane.State, wants map[string]*want) error {
	keepBridges, keepUplinks, keepDevices := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, w := range wants {
		keepBridges[w.bridge] = true
		if w.uplink != "" {
			keepUplinks[w.uplink] = true
		}
	}
	for _, p := range s.Ports {
		if p != nil {
			keepDevices[portDevice(p)] = true
		}
	}
	// ourBridge reports whether index is a bridge of this agent's, and
	// whether it stays.
	ourBridge := func(index int) (ours, kept bool) {
		m, ok := r.byIndex[index].(*netlink.Bridge)
		if !ok || !isBridgeName(m.Name) {
			return false, false
		}
		return true, keepBridges[m.Name]
	}

	var detach, del, bridges []netlink.Link
	for _, l := range r.links {
		a := l.Attrs()
		switch l := l.(type) {
		case *netlink.Bridge:
			if isBridgeName(a.Name) && !keepBridges[a.Name] {
				bridges = append(bridges, l)
			}
			continue
		case *netlink.Vxlan:
			if isVXLANName(a.Name) && !keepUplinks[a.Name] {
				del = append(del, l)
			}
			continue
		case *netlink.Vlan:
			parent, ok := r.byIndex[l.ParentIndex]
			ours, _ := ourBridge(a.MasterIndex)
			if ok && ours && a.Name == VLANName(parent.Attrs().Name, l.VlanId) && !keepUplinks[a.Name] {
				del = append(del, l)
				continue
			}
		}
		if ours, kept := ourBridge(a.MasterIndex); ours && kept && isTapName(a.Name) && !keepDevices[a.Name] && !keepUplinks[a.Name] {
			detach = append(detach, l)
		}
	}
	for _, l := range detach {
		name := l.Attrs().Name
		if err := r.write("detach "+name+" from "+r.nameOf(l.Attrs().MasterIndex), func() error { return r.h.LinkSetNoMaster(l) }); err != nil {
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			r.errs = append(r.errs, err)
		}
	}
	for _, l := range slices.Concat(del, bridges) {
		name := l.Attrs().Name
		if err := r.write("delete "+l.Type()+" "+name, func() error { return ignoreGone(r.h.LinkDel(l)) }); err != nil {
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			r.errs = append(r.errs, err)
		}
	}
	return nil
}

// ignoreGone treats "no such device" as success: the link went away on
// its own (a VLAN sub-interface deleted with its parent, say).
func ignoreGone(err error) error {
	if errors.Is(err, syscall.ENODEV) {
		return nil
	}
	return err
}

// retryDump repeats a netlink dump that a concurrent change interrupted.
func retryDump[T any](dump func() (T, error)) (T, error) {
	for i := 0; ; i++ {
		v, err := dump()
		if err == nil || !errors.Is(err, netlink.ErrDumpInterrupted) || i == dumpRetries {
			return v, err
		}
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cloneMap copies m, trimming blanks from names.
func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}
