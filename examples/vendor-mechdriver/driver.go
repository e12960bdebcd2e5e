package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
)

// VIFTypeHwVeb is the binding:vif_type of SR-IOV ports (Neutron's
// "hw_veb"): the VM gets a virtual function of the host's NIC, which the
// ACME fabric switches.
const VIFTypeHwVeb = "hw_veb"

// Names of the ml2go conformance kit's failure convention
// (plugins/drivertest FailCreatePrecommit, FailUpdatePrecommit and
// FailDeletePrecommit). They are spelled out here so that the driver
// binary does not import the kit, which imports package testing.
const (
	conformanceFailCreate = "drivertest-fail-create-precommit"
	conformanceFailUpdate = "drivertest-fail-update-precommit"
	conformanceFailDelete = "drivertest-fail-delete-precommit"
)

// Config configures the ACME driver.
type Config struct {
	// Hosts are the compute hosts whose SR-IOV NICs the ACME fabric
	// manages: only ports bound to them are bound by the driver.
	Hosts []string
	// Conformance makes the precommit hooks fail for resources named by
	// the conformance kit's failure convention. Never set it in
	// production: main sets it only when the kit starts the driver.
	Conformance bool
	// Logger receives the driver's logs; nil discards them.
	Logger hclog.Logger
}

// Driver is the ACME mechanism driver. It binds ports of vnic_type direct
// on the hosts it manages to flat and vlan segments, refuses networks of
// any other type, and keeps its own view of the networks and ports it was
// told about, as a real driver would keep its fabric's configuration.
type Driver struct {
	// MechanismDriverBase provides the hooks the driver does not need
	// (the subnet postcommits).
	core.MechanismDriverBase

	cfg   Config
	hosts map[string]bool
	log   hclog.Logger

	mu       sync.Mutex
	networks map[string]Network
	ports    map[string]Port
}

// Network is the driver's view of a network.
type Network struct {
	ID       string
	Name     string
	Segments []core.Segment
}

// Port is the driver's view of a port.
type Port struct {
	ID        string
	NetworkID string
	Host      string
	VNICType  string
	// SegmentID is the segment the driver bound the port to; "" when the
	// driver did not bind it.
	SegmentID string
}

// The driver's optional capabilities.
var (
	_ core.MechanismDriver      = (*Driver)(nil)
	_ core.ConnectivityProvider = (*Driver)(nil)
)

// New returns a driver for cfg.
func New(cfg Config) *Driver {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	hosts := map[string]bool{}
	for _, h := range cfg.Hosts {
		if h = strings.TrimSpace(h); h != "" {
			hosts[h] = true
		}
	}
	return &Driver{cfg: cfg, hosts: hosts, log: cfg.Logger,
		networks: map[string]Network{}, ports: map[string]Port{}}
}

// ParseHosts splits a comma-separated host list, dropping blanks.
func ParseHosts(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// Connectivity says that the driver provides L2 connectivity, so that it
// is also offered ports without fixed IPs.
func (d *Driver) Connectivity() core.Connectivity { return core.ConnectivityL2 }

// Initialize checks the configuration. It runs again each time the host
// restarts the driver process, whose in-memory view then starts empty.
func (d *Driver) Initialize(context.Context) error {
	if len(d.hosts) == 0 {
		return errors.New("acme: no managed hosts: give -hosts or ACME_HOSTS")
	}
	d.log.Info("ACME driver initialized", "hosts", d.hostList(), "conformance_mode", d.cfg.Conformance)
	return nil
}

func (d *Driver) hostList() []string {
	var hs []string
	for h := range d.hosts {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	return hs
}

// carries reports whether the ACME fabric can carry segments of a type.
func carries(networkType string) bool {
	return networkType == core.TypeVLAN || networkType == core.TypeFlat
}

// checkSegments refuses a network with a segment the fabric cannot carry.
func checkSegments(n *core.Network, segs []core.Segment) error {
	for _, s := range segs {
		if !carries(s.NetworkType) {
			return core.InvalidInput("the ACME fabric cannot carry network %s: its segment %s is of type %s, "+
				"only flat and vlan networks are supported", n.ID, s.ID, s.NetworkType)
		}
	}
	return nil
}

// conformanceFailure returns the error the conformance kit asks for, if
// the driver runs under it and name asks for a failure.
func (d *Driver) conformanceFailure(name, asks string) error {
	if d.cfg.Conformance && name == asks {
		return core.InvalidInput("acme refuses %q, as the conformance kit asked", name)
	}
	return nil
}

// CreateNetworkPrecommit refuses networks the fabric cannot carry.
func (d *Driver) CreateNetworkPrecommit(_ context.Context, nc core.NetworkContext) error {
	if err := d.conformanceFailure(nc.Current().Name, conformanceFailCreate); err != nil {
		return err
	}
	return checkSegments(nc.Current(), nc.Segments())
}

// UpdateNetworkPrecommit refuses networks the fabric cannot carry (the
// segments of a network may change on update).
func (d *Driver) UpdateNetworkPrecommit(_ context.Context, nc core.NetworkContext) error {
	if err := d.conformanceFailure(nc.Current().Name, conformanceFailUpdate); err != nil {
		return err
	}
	return checkSegments(nc.Current(), nc.Segments())
}

// DeleteNetworkPrecommit accepts every delete.
func (d *Driver) DeleteNetworkPrecommit(_ context.Context, nc core.NetworkContext) error {
	return d.conformanceFailure(nc.Current().Name, conformanceFailDelete)
}

// CreateNetworkPostcommit records the network. Like every postcommit, it
// is idempotent: it may be called again with the same context.
func (d *Driver) CreateNetworkPostcommit(_ context.Context, nc core.NetworkContext) error {
	d.putNetwork(nc)
	d.log.Info("network created on the ACME fabric", "network", nc.Current().ID, "segments", segmentStrings(nc.Segments()))
	return nil
}

// UpdateNetworkPostcommit records the network's new state.
func (d *Driver) UpdateNetworkPostcommit(_ context.Context, nc core.NetworkContext) error {
	d.putNetwork(nc)
	d.log.Debug("network updated", "network", nc.Current().ID)
	return nil
}

// DeleteNetworkPostcommit forgets the network.
func (d *Driver) DeleteNetworkPostcommit(_ context.Context, nc core.NetworkContext) error {
	d.mu.Lock()
	delete(d.networks, nc.Current().ID)
	d.mu.Unlock()
	d.log.Info("network removed from the ACME fabric", "network", nc.Current().ID)
	return nil
}

func (d *Driver) putNetwork(nc core.NetworkContext) {
	n := nc.Current()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.networks[n.ID] = Network{ID: n.ID, Name: n.Name, Segments: slices.Clone(nc.Segments())}
}

// CreateSubnetPrecommit accepts every subnet.
func (d *Driver) CreateSubnetPrecommit(_ context.Context, sc core.SubnetContext) error {
	return d.conformanceFailure(sc.Current().Name, conformanceFailCreate)
}

// UpdateSubnetPrecommit accepts every subnet update.
func (d *Driver) UpdateSubnetPrecommit(_ context.Context, sc core.SubnetContext) error {
	return d.conformanceFailure(sc.Current().Name, conformanceFailUpdate)
}

// DeleteSubnetPrecommit accepts every subnet delete.
func (d *Driver) DeleteSubnetPrecommit(_ context.Context, sc core.SubnetContext) error {
	return d.conformanceFailure(sc.Current().Name, conformanceFailDelete)
}

// CreatePortPrecommit accepts every port.
func (d *Driver) CreatePortPrecommit(_ context.Context, pc core.PortContext) error {
	return d.conformanceFailure(pc.Current().Name, conformanceFailCreate)
}

// UpdatePortPrecommit accepts every port update.
func (d *Driver) UpdatePortPrecommit(_ context.Context, pc core.PortContext) error {
	return d.conformanceFailure(pc.Current().Name, conformanceFailUpdate)
}

// DeletePortPrecommit accepts every port delete.
func (d *Driver) DeletePortPrecommit(_ context.Context, pc core.PortContext) error {
	return d.conformanceFailure(pc.Current().Name, conformanceFailDelete)
}

// CreatePortPostcommit records the port.
func (d *Driver) CreatePortPostcommit(_ context.Context, pc core.PortContext) error {
	d.putPort(pc)
	return nil
}

// UpdatePortPostcommit records the port; when its binding to the driver
// was just committed, this is where the fabric would be programmed.
func (d *Driver) UpdatePortPostcommit(_ context.Context, pc core.PortContext) error {
	p := d.putPort(pc)
	if p.SegmentID != "" && pc.OriginalVIFType() != VIFTypeHwVeb {
		d.log.Info("port bound on the ACME fabric", "port", p.ID, "host", p.Host, "segment", p.SegmentID)
	}
	return nil
}

// DeletePortPostcommit forgets the port.
func (d *Driver) DeletePortPostcommit(_ context.Context, pc core.PortContext) error {
	d.mu.Lock()
	delete(d.ports, pc.Current().ID)
	d.mu.Unlock()
	return nil
}

// putPort records the port as pc shows it and returns the record.
func (d *Driver) putPort(pc core.PortContext) Port {
	cur := pc.Current()
	p := Port{ID: cur.ID, NetworkID: cur.NetworkID, Host: pc.Host(), VNICType: cur.Binding.VNICType}
	if seg := pc.BottomBoundSegment(); seg != nil && pc.VIFType() == VIFTypeHwVeb {
		p.SegmentID = seg.ID
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ports[p.ID] = p
	return p
}

// BindPort binds ports of vnic_type direct on a managed host to the first
// flat or vlan segment offered, and leaves every other port to the other
// drivers. It only reads its inputs: its result may be discarded.
func (d *Driver) BindPort(_ context.Context, pc core.PortContext) error {
	port := pc.Current()
	if port.Binding.VNICType != core.VNICDirect {
		return nil
	}
	if !d.hosts[pc.Host()] {
		d.log.Debug("not binding: host not managed by ACME", "port", port.ID, "host", pc.Host())
		return nil
	}
	for _, seg := range pc.SegmentsToBind() {
		if !carries(seg.NetworkType) {
			continue
		}
		details := map[string]any{"port_filter": false, "physical_network": seg.PhysicalNetwork}
		if seg.NetworkType == core.TypeVLAN {
			details["vlan"] = strconv.FormatInt(seg.SegmentationID, 10)
		}
		pc.SetBinding(seg.ID, VIFTypeHwVeb, details, core.StatusActive)
		d.log.Debug("binding port", "port", port.ID, "host", pc.Host(), "segment", seg.ID)
		return nil
	}
	d.log.Debug("not binding: no flat or vlan segment", "port", port.ID, "segments", segmentStrings(pc.SegmentsToBind()))
	return nil
}

// Network returns the driver's view of a network.
func (d *Driver) Network(id string) (Network, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.networks[id]
	return n, ok
}

// Port returns the driver's view of a port.
func (d *Driver) Port(id string) (Port, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.ports[id]
	return p, ok
}

func segmentStrings(segs []core.Segment) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = fmt.Sprintf("%s:%s:%d", s.NetworkType, s.PhysicalNetwork, s.SegmentationID)
	}
	return out
}
