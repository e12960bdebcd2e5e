package ovs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/vishvananda/netlink"

	"github.com/ml2go/ml2go/reference/agent/dataplane"
)

// ErrClosed is returned by Apply after Close.
var ErrClosed = errors.New("ovs dataplane is closed")

// ErrMissingBridge is returned (wrapped) by Apply when a bridge of
// Config.BridgeMappings does not exist: the operator creates physical
// bridges, the agent only uses them.
var ErrMissingBridge = errors.New("mapped bridge does not exist")

// Dataplane programs one host's Open vSwitch. It keeps no state between
// Applies: everything it needs to converge (local VLANs, tunnel ports,
// flows) is read back from OVSDB and the bridges' flow tables, so a new
// value on a wired host changes nothing. Its methods are safe for
// concurrent use; Applies run one at a time.
type Dataplane struct {
	cfg Config
	log hclog.Logger

	mu     sync.Mutex
	closed bool
}

var _ dataplane.Dataplane = (*Dataplane)(nil)

// New returns the dataplane for cfg; a nil logger discards logs. It
// checks the configuration only: Open vSwitch is first used by Apply.
func New(cfg Config, logger hclog.Logger) (*Dataplane, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("ovs dataplane config: %w", err)
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Dataplane{cfg: cfg, log: logger.Named("ovs")}, nil
}

// Config returns the configuration in force, defaults filled in.
func (d *Dataplane) Config() Config {
	c := d.cfg
	c.BridgeMappings = cloneMap(c.BridgeMappings)
	c.TunnelTypes = slices.Clone(c.TunnelTypes)
	return c
}

// Close implements dataplane.Dataplane. The dataplane holds no
// connection (every call is a short-lived ovs-vsctl or ovs-ofctl), so
// Close only makes later Applies fail; the wiring stays.
func (d *Dataplane) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	return nil
}

// Apply implements dataplane.Dataplane. It reads OVSDB and the host's
// devices, then in order: creates or fixes bridges, patch ports, tunnel
// ports and VIF ports (with their local VLAN tag, other_config and MTU);
// sets live VIFs' links up; brings every bridge's flow table to the
// wanted flows in one atomic bundle per bridge, touching only flows that
// differ; and finally deletes the ports nothing needs any more (after the
// flows that used them are gone).
//
// A failure does not stop the rest: a missing mapped bridge leaves the
// networks of its physical network unwired, a bridge whose flows could
// not be programmed leaves the networks it carries unwired, and so on.
// The errors are returned joined, and Result.Wired still lists the ports
// that are wired, so the agent reports the others down and retries.
func (d *Dataplane) Apply(ctx context.Context, s *dataplane.State) (dataplane.Result, error) {
	if s == nil {
		s = &dataplane.State{}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var res dataplane.Result
	if d.closed {
		return res, ErrClosed
	}
	r := newRunner(ctx)
	start := time.Now()

	snap, err := r.readSnapshot()
	if err != nil {
		if isNotRunning(err) {
			return res, fmt.Errorf("%w: %w", ErrNotRunning, err)
		}
		return res, err
	}
	links, err := hostLinks()
	if err != nil {
		return res, err
	}
	var errs []error
	for _, physnet := range sortedKeys(d.cfg.BridgeMappings) {
		if br := d.cfg.BridgeMappings[physnet]; snap.bridges[br] == nil {
			errs = append(errs, fmt.Errorf("bridge_mappings %s:%s: %w", physnet, br, ErrMissingBridge))
		}
	}
	p := d.planFor(s, links, snap)
	d.logUnwirable(p)

	// 1. Bridges, patch ports, tunnel ports and VIFs.
	t := d.ensureTxn(p, snap)
	if err := r.commit(t); err != nil {
		// Nothing of the transaction happened: what was already right
		// still counts as wired below.
		errs = append(errs, err)
	} else if !t.empty() {
		res.Writes += t.writes
		d.log.Debug("ovsdb updated", "writes", t.writes, "elapsed", time.Since(start))
		if snap, err = r.readSnapshot(); err != nil {
			return res, errors.Join(append(errs, err)...)
		}
	}

	// 2. Links of live VIFs up (the hypervisor leaves them down).
	linkDown := map[string]bool{}
	for _, pp := range p.ports {
		l, ok := links[pp.port.Device]
		if !pp.live() || !ok || l.up || snap.ofport(d.cfg.IntegrationBridge, pp.port.Device) <= 0 {
			continue
		}
		if err := netlink.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: l.index}}); err != nil {
			errs = append(errs, fmt.Errorf("set %s up: %w", pp.port.Device, err))
			linkDown[pp.port.Device] = true
			continue
		}
		res.Writes++
	}

	// 3. Flows.
	n, failed, err := d.applyFlows(r, p, snap)
	res.Writes += n
	if err != nil {
		errs = append(errs, err)
	}

	// 4. Ports no longer needed.
	t = d.removeTxn(p, snap)
	if err := r.commit(t); err != nil {
		errs = append(errs, err)
	} else {
		res.Writes += t.writes
	}

	for _, pp := range p.ports {
		if d.wired(pp, snap, failed) && !linkDown[pp.port.Device] {
			res.Wired = append(res.Wired, pp.port.ID)
		}
	}
	slices.Sort(res.Wired)
	if res.Writes > 0 {
		d.log.Info("dataplane converged", "writes", res.Writes, "wired", len(res.Wired),
			"networks", len(p.networks), "tunnels", len(p.tunnels), "elapsed", time.Since(start))
	}
	return res, errors.Join(errs...)
}

// wired reports whether pp carries traffic: it is live, OVSDB has it on
// the integration bridge with its network's tag, and the flows of the
// integration bridge and of its network's uplink bridge are in place.
func (d *Dataplane) wired(pp *portPlan, snap *snapshot, failedBridges map[string]bool) bool {
	if !pp.live() || failedBridges[d.cfg.IntegrationBridge] {
		return false
	}
	row := snap.ports[pp.port.Device]
	if row == nil || row.bridge != d.cfg.IntegrationBridge || row.tag != pp.tag || row.iface.ofport <= 0 {
		return false
	}
	switch {
	case pp.net.physBridge != "":
		return !failedBridges[pp.net.physBridge]
	case pp.net.tunnelType != "":
		return !failedBridges[d.cfg.TunnelBridge]
	}
	return true
}

// logUnwirable says why ports will not carry traffic.
func (d *Dataplane) logUnwirable(p *plan) {
	for _, pp := range p.ports {
		switch {
		case pp.skip != "":
			d.log.Warn("port not wired", "port", pp.port.ID, "device", pp.port.Device, "reason", pp.skip)
		case pp.net == nil:
			d.log.Warn("port's network is not in the desired state; dead VLAN", "port", pp.port.ID)
		case !pp.net.wirable():
			d.log.Warn("host cannot carry the port's network; dead VLAN", "port", pp.port.ID,
				"network", pp.net.net.ID, "network_type", pp.net.net.NetworkType,
				"physical_network", pp.net.net.PhysicalNetwork)
		}
	}
}

// link is a network device of the host.
type link struct {
	index int
	up    bool
}

// hostLinks returns the host's network devices by name.
func hostLinks() (map[string]link, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list host devices: %w", err)
	}
	links := make(map[string]link, len(ifs))
	for _, i := range ifs {
		links[i.Name] = link{index: i.Index, up: i.Flags&net.FlagUp != 0}
	}
	return links, nil
}

// datapathOf is the datapath type of a bridge ("" is the kernel's).
func datapathOf(b *bridgeRow) string {
	if b.datapathType == "" {
		return "system"
	}
	return b.datapathType
}

// ensureTxn is the OVSDB transaction that creates or fixes what p needs:
// the agent's bridges, patch and tunnel ports, and VIF ports.
func (d *Dataplane) ensureTxn(p *plan, snap *snapshot) *txn {
	t := &txn{}
	bridges := []string{d.cfg.IntegrationBridge}
	if d.cfg.tunnelling() {
		bridges = append(bridges, d.cfg.TunnelBridge)
	}
	for _, br := range bridges {
		set := []string{"set", "Bridge", br, "datapath_type=" + d.cfg.DatapathType, "fail_mode=secure"}
		switch row := snap.bridges[br]; {
		case row == nil:
			t.add("--may-exist", "add-br", br)
			t.also(set...)
		case datapathOf(row) != d.cfg.DatapathType || row.failMode != "secure":
			t.add(set...)
		}
	}
	for _, pl := range p.patches {
		ensurePort(t, snap, pl.bridge, pl.name, "patch", map[string]string{"peer": pl.peer})
	}
	for _, name := range sortedKeys(p.tunnels) {
		tp := p.tunnels[name]
		ensurePort(t, snap, d.cfg.TunnelBridge, name, tp.typ, tp.options)
	}
	for _, pp := range p.ports {
		if pp.skip == "" {
			d.ensureVIF(t, snap, pp)
		}
	}
	return t
}

// ensurePort adds port name of type typ with options to bridge br, or
// fixes it.
func ensurePort(t *txn, snap *snapshot, br, name, typ string, options map[string]string) {
	iface := []string{"set", "Interface", name, "type=" + typ, "options=" + mapLiteral(options)}
	switch row := snap.ports[name]; {
	case row == nil:
		t.add("--may-exist", "add-port", br, name)
		t.also(iface...)
	case row.bridge != br:
		t.add("--if-exists", "del-port", name)
		t.also("add-port", br, name)
		t.also(iface...)
	case row.iface.typ != typ || !maps.Equal(row.iface.options, options):
		t.add(iface...)
	}
}

// ensureVIF plugs pp's device into the integration bridge with its tag,
// other_config and external_ids, or fixes them.
func (d *Dataplane) ensureVIF(t *txn, snap *snapshot, pp *portPlan) {
	dev := pp.port.Device
	portSet := []string{"set", "Port", dev, "tag=" + itoa(pp.tag)}
	for _, k := range sortedKeys(pp.otherConfig) {
		portSet = append(portSet, mapArg("other_config", k, pp.otherConfig[k]))
	}
	ifaceSet := []string{"set", "Interface", dev}
	for _, k := range sortedKeys(pp.externalIDs) {
		ifaceSet = append(ifaceSet, mapArg("external_ids", k, pp.externalIDs[k]))
	}
	if pp.mtu > 0 {
		ifaceSet = append(ifaceSet, "mtu_request="+itoa(pp.mtu))
	}
	row := snap.ports[dev]
	if row == nil {
		t.add("--may-exist", "add-port", d.cfg.IntegrationBridge, dev)
		t.also(portSet...)
		t.also(ifaceSet...)
		return
	}
	if row.tag != pp.tag || !ownedKeysEqual(row.otherConfig, pp.otherConfig, otherConfigKeys) {
		t.add(portSet...)
		for _, k := range otherConfigKeys {
			if _, want := pp.otherConfig[k]; !want {
				if _, has := row.otherConfig[k]; has {
					t.also("remove", "Port", dev, "other_config", k)
				}
			}
		}
	}
	if !ownedKeysEqual(row.iface.externalIDs, pp.externalIDs, externalIDKeys) ||
		(pp.mtu > 0 && row.iface.mtuRequest != pp.mtu) {
		t.add(ifaceSet...)
	}
}

// ownedKeysEqual reports whether have and want agree on keys.
func ownedKeysEqual(have, want map[string]string, keys []string) bool {
	for _, k := range keys {
		h, hok := have[k]
		w, wok := want[k]
		if hok != wok || h != w {
			return false
		}
	}
	return true
}

// removeTxn is the OVSDB transaction that deletes the agent's ports p no
// longer needs: VIFs of ports gone from the state (or whose device is
// gone), tunnel ports no network floods to, and patch ports of bridges no
// longer configured (with their peers). Port devices stay on the host.
func (d *Dataplane) removeTxn(p *plan, snap *snapshot) *txn {
	t := &txn{}
	wantVIF := map[string]bool{}
	for _, pp := range p.ports {
		if pp.skip == "" {
			wantVIF[pp.port.Device] = true
		}
	}
	wantPatch := map[string]string{}
	for _, pl := range p.patches {
		wantPatch[pl.name] = pl.bridge
	}
	removed := map[string]bool{}
	del := func(row *portRow) {
		if !removed[row.name] {
			removed[row.name] = true
			t.add("--if-exists", "del-port", row.bridge, row.name)
		}
	}
	delPatch := func(row *portRow) {
		if wantPatch[row.name] == row.bridge {
			return
		}
		del(row)
		peer := snap.ports[row.iface.options["peer"]]
		if peer != nil && peer.iface.typ == "patch" && peer.iface.options["peer"] == row.name &&
			wantPatch[peer.name] != peer.bridge {
			del(peer)
		}
	}
	for _, row := range snap.portsOf(d.cfg.IntegrationBridge) {
		switch {
		case row.iface.typ == "patch":
			delPatch(row)
		case row.iface.externalIDs[extIfaceID] != "" && !wantVIF[row.name]:
			del(row)
		}
	}
	if d.cfg.tunnelling() {
		for _, row := range snap.portsOf(d.cfg.TunnelBridge) {
			_, tunnelType := tunnelTables[row.iface.typ]
			switch {
			case row.iface.typ == "patch":
				delPatch(row)
			case tunnelType && p.tunnels[row.name] == nil:
				del(row)
			}
		}
	}
	return t
}

// applyFlows converges the flow tables of the agent's bridges. It returns
// how many flows it added, replaced or deleted, and the bridges whose
// flows it could not program (with the errors, joined).
func (d *Dataplane) applyFlows(r *runner, p *plan, snap *snapshot) (int, map[string]bool, error) {
	type bridgeFlows struct {
		name string
		// own: the agent owns the whole table (its own bridges); else only
		// flows with FlowCookie are its.
		own  bool
		want func() ([]flowEntry, error)
	}
	var bridges []bridgeFlows
	for _, physnet := range sortedKeys(p.physBridges) {
		br := p.physBridges[physnet]
		bridges = append(bridges, bridgeFlows{br, false, func() ([]flowEntry, error) { return d.physicalFlows(br, p, snap) }})
	}
	if d.cfg.tunnelling() {
		bridges = append(bridges, bridgeFlows{d.cfg.TunnelBridge, true, func() ([]flowEntry, error) { return d.tunnelFlows(p, snap) }})
	}
	bridges = append(bridges, bridgeFlows{d.cfg.IntegrationBridge, true, func() ([]flowEntry, error) { return d.integrationFlows(p, snap) }})

	writes := 0
	failed := map[string]bool{}
	var errs []error
	for _, b := range bridges {
		n, err := d.applyBridgeFlows(r, b.name, b.own, b.want)
		writes += n
		if err != nil {
			failed[b.name] = true
			errs = append(errs, err)
		}
	}
	return writes, failed, errors.Join(errs...)
}

// applyBridgeFlows converges the flows of bridge br to want().
func (d *Dataplane) applyBridgeFlows(r *runner, br string, own bool, want func() ([]flowEntry, error)) (int, error) {
	flows, err := want()
	if err != nil {
		return 0, fmt.Errorf("flows of %s: %w", br, err)
	}
	actual, err := r.dumpFlows(br, !own)
	if err != nil {
		return 0, err
	}
	lines := diffFlows(flows, actual, func(f flowEntry) bool { return own || f.cookie == FlowCookie })
	if len(lines) == 0 {
		return 0, nil
	}
	if d.log.IsTrace() {
		for _, l := range lines {
			d.log.Trace("flow change", "bridge", br, "change", l)
		}
	}
	if err := r.bundle(br, lines); err != nil {
		return 0, err
	}
	return len(lines), nil
}
