package ml2

import (
	"context"
	"encoding/json"
	"errors"
	"maps"

	"github.com/google/uuid"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ipam"
)

// maxProfileJSON is the largest binding:profile, as stored JSON.
const maxProfileJSON = 4095

// macRetries bounds how often a generated MAC is regenerated after a clash.
const macRetries = 16

// CreatePort creates a port, allocates its MAC and fixed IPs, and binds it
// when it names a host.
func (p *Plugin) CreatePort(ctx context.Context, req *PortRequest) (*core.Port, error) {
	port, err := p.newPort(req)
	if err != nil {
		return nil, err
	}
	net, err := p.storePort(ctx, req, port)
	if err != nil {
		return nil, err
	}
	ports, err := p.afterPortsCreate(ctx, []*core.Port{port}, []*core.Network{net})
	if err != nil {
		return nil, err
	}
	return ports[0], nil
}

// CreatePorts creates ports as Neutron's bulk create does: every port is
// stored, with its addresses and precommits, in one transaction, so that
// the bulk is all or nothing even if the process dies, and its addresses
// are those free when it runs. Postcommits and binding follow, port by
// port; when one fails, every port of the bulk is deleted again and its
// error returned.
func (p *Plugin) CreatePorts(ctx context.Context, reqs []*PortRequest) ([]*core.Port, error) {
	ports := make([]*core.Port, len(reqs))
	for i, req := range reqs {
		var err error
		if ports[i], err = p.newPort(req); err != nil {
			return nil, err
		}
	}
	nets := make([]*core.Network, len(reqs))
	err := p.store.Update(ctx, func(tx core.Tx) error {
		targets, err := p.readBulkTargets(ctx, tx, ports)
		if err != nil {
			return err
		}
		for i, req := range reqs {
			t := targets[ports[i].NetworkID]
			if err := p.storePortOn(ctx, tx, req, ports[i], t); err != nil {
				return err
			}
			nets[i] = t.net
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p.afterPortsCreate(ctx, ports, nets)
}

// afterPortsCreate runs the create postcommits of ports just stored on
// nets, binds those that name a host and extends them. When any of it
// fails, every port is deleted again, whatever the drivers answer, and the
// error returned: an error means no port was created.
func (p *Plugin) afterPortsCreate(ctx context.Context, ports []*core.Port, nets []*core.Network) ([]*core.Port, error) {
	undo := func(err error) ([]*core.Port, error) {
		for _, port := range ports {
			p.logUndo("port", port.ID, p.deletePort(context.WithoutCancel(ctx), port.ID, undoCreate))
		}
		return nil, err
	}
	for i, port := range ports {
		pc := newPortContext(p, port, nil, nets[i], nets[i].Segments)
		if err := p.mechs.call("create_port_postcommit", createPost, func(d core.MechanismDriver) error {
			return d.CreatePortPostcommit(ctx, pc)
		}); err != nil {
			return undo(err)
		}
	}
	for _, port := range ports {
		publishAfter(ctx, &p.events.Ports, core.ActionCreate, nil, port)
	}
	for i, port := range ports {
		if !shouldBind(port) {
			continue
		}
		bound, err := p.bind(ctx, port.ID)
		if err != nil {
			return undo(err)
		}
		ports[i] = bound
	}
	for _, port := range ports {
		if err := p.extendPort(ctx, port); err != nil {
			return undo(err)
		}
	}
	return ports, nil
}

// storePortAlone stores a new port in a transaction of its own: quota,
// network, insert, addresses and precommits. It returns the port's network.
func (p *Plugin) storePortAlone(ctx context.Context, req *PortRequest, port *core.Port) (*core.Network, error) {
	var net *core.Network
	err := p.store.Update(ctx, func(tx core.Tx) (err error) {
		net, err = p.storePortIn(ctx, tx, req, port)
		return err
	})
	if err != nil {
		return nil, err
	}
	return net, nil
}

// storePortIn stores a new port inside tx: quota, network, insert,
// addresses and precommits. It returns the port's network.
func (p *Plugin) storePortIn(ctx context.Context, tx core.Tx, req *PortRequest, port *core.Port) (*core.Network, error) {
	target := p.readPortTarget(ctx, tx, port.ProjectID, port.NetworkID, 1)
	if err := target.err(); err != nil {
		return nil, err
	}
	return target.net, p.storePortOn(ctx, tx, req, port, &target)
}

// readBulkTargets checks the quota of each project of ports for all its
// ports at once, as Neutron checks a bulk's, and reads each of their
// networks once.
func (p *Plugin) readBulkTargets(ctx context.Context, tx core.Tx, ports []*core.Port) (map[string]*portTarget, error) {
	perProject := map[string]int{}
	var projects []string
	targets := map[string]*portTarget{}
	for _, port := range ports {
		if perProject[port.ProjectID] == 0 {
			projects = append(projects, port.ProjectID)
		}
		perProject[port.ProjectID]++
	}
	for _, pid := range projects {
		if err := p.checkQuotaN(ctx, tx, pid, "port", perProject[pid]); err != nil {
			return nil, err
		}
	}
	for _, port := range ports {
		if targets[port.NetworkID] != nil {
			continue
		}
		t := &portTarget{}
		if t.net, t.subnets, t.netErr = tx.GetNetworkSubnets(ctx, port.NetworkID); t.netErr != nil {
			return nil, t.netErr
		}
		targets[port.NetworkID] = t
	}
	return targets, nil
}

// storePortOn stores a new port inside tx on the network of target, read
// in the same transaction: insert, addresses and precommits.
func (p *Plugin) storePortOn(ctx context.Context, tx core.Tx, req *PortRequest, port *core.Port, target *portTarget) error {
	port.FixedIPs, port.Status = nil, core.StatusDown
	for _, e := range p.exts {
		if err := e.Driver.ProcessCreatePort(ctx, tx, req.Extensions, port); err != nil {
			return err
		}
	}
	alloc := &ipAllocator{tx: tx, port: port, subnets: target.subnets}
	// An automatic IPv4 address is claimed with the port's insert: one
	// statement for both where the store allows.
	var claim *core.IPAllocation
	if req.FixedIPs == nil {
		claim = alloc.probe()
	}
	claimed, err := p.insertPort(ctx, tx, port, req.MACAddress == nil, claim)
	if err != nil {
		return err
	}
	if req.FixedIPs == nil {
		port.FixedIPs, err = alloc.automatic(ctx, claimedIP(claim, claimed))
	} else {
		port.FixedIPs, _, err = alloc.requested(ctx, *req.FixedIPs, nil)
	}
	if err != nil {
		return err
	}
	return p.createPortPrecommit(ctx, tx, port, target.net)
}

// portTarget is what port creates read before their insert: the answer
// of their project's quota, and their network with its subnets.
type portTarget struct {
	net      *core.Network
	subnets  []*core.Subnet
	quotaErr error // the project may not have the ports, or its quota could not be read
	netErr   error // the network could not be read
}

// err is the target's error, the quota's first, as Neutron checks quotas
// before its plugin runs.
func (t *portTarget) err() error {
	if t.quotaErr != nil {
		return t.quotaErr
	}
	return t.netErr
}

// readPortTarget checks projectID's quota for n more ports and reads
// network networkID with its subnets: in one statement when the store
// offers it (core.NetworkUsageReader). The network is read even when the
// project is over its quota, for a batch's other creates on it.
func (p *Plugin) readPortTarget(ctx context.Context, tx core.Tx, projectID, networkID string, n int) portTarget {
	var t portTarget
	var q core.QuotaQuery
	limited := false
	if p.cfg.Quotas != nil {
		q, limited = p.cfg.Quotas.Query(projectID, "port")
	}
	r, combined := tx.(core.NetworkUsageReader)
	if !limited || !combined {
		t.quotaErr = p.checkQuotaN(ctx, tx, projectID, "port", n)
		if t.quotaErr == nil || isTyped(t.quotaErr) {
			t.net, t.subnets, t.netErr = tx.GetNetworkSubnets(ctx, networkID)
		}
		return t
	}
	var usage core.QuotaUsage
	t.net, t.subnets, usage, t.netErr = r.GetNetworkSubnetsUsage(ctx, networkID, q)
	switch {
	case t.netErr == nil:
		if !usage.Allows(n) {
			t.quotaErr = core.OverQuota([]string{"port"})
		}
	case isTyped(t.netErr):
		// No usage without the network; the quota's answer comes first.
		t.quotaErr = p.checkQuotaN(ctx, tx, projectID, "port", n)
	}
	return t
}

// createPortPrecommit publishes the create of a port just stored on net
// in tx and runs the drivers' create_port_precommit for it.
func (p *Plugin) createPortPrecommit(ctx context.Context, tx core.Tx, port *core.Port, net *core.Network) error {
	if err := publishBefore(ctx, p, precommit, &p.events.Ports, tx, core.ActionCreate, nil, port); err != nil {
		return err
	}
	pc := newPortContext(p, port, nil, net, net.Segments)
	return p.mechs.call("create_port_precommit", precommit, func(d core.MechanismDriver) error {
		return d.CreatePortPrecommit(ctx, pc)
	})
}

// claimedIP is the address of claim when the port's insert allocated it,
// nil otherwise.
func claimedIP(claim *core.IPAllocation, claimed bool) *core.FixedIP {
	if !claimed {
		return nil
	}
	return &core.FixedIP{SubnetID: claim.SubnetID, IPAddress: claim.IP}
}

// newPort validates a create request outside the transaction.
func (p *Plugin) newPort(req *PortRequest) (*core.Port, error) {
	if err := req.checkText(); err != nil {
		return nil, err
	}
	if req.NetworkID == "" {
		return nil, core.Typed(core.KindBadRequest, "HTTPBadRequest",
			"Failed to parse request. Required attribute 'network_id' not specified")
	}
	port := &core.Port{
		Standard: core.Standard{
			ID:          uuid.NewString(),
			ProjectID:   p.projectOr(req.ProjectID),
			Name:        deref(req.Name, ""),
			Description: deref(req.Description, ""),
			Tags:        req.Tags,
		},
		NetworkID:    req.NetworkID,
		AdminStateUp: deref(req.AdminStateUp, true),
		DeviceID:     deref(req.DeviceID, ""),
		DeviceOwner:  deref(req.DeviceOwner, ""),
		Status:       core.StatusDown,
		Binding: core.PortBinding{
			HostID:     deref(req.HostID, ""),
			VNICType:   deref(req.VNICType, core.VNICNormal),
			VIFType:    core.VIFTypeUnbound,
			VIFDetails: map[string]any{},
			Profile:    map[string]any{},
		},
	}
	if req.MACAddress != nil {
		mac, err := ipam.ParseMAC(*req.MACAddress)
		if err != nil {
			return nil, err
		}
		port.MACAddress = mac
	}
	if req.Profile != nil {
		prof, err := checkProfile(*req.Profile)
		if err != nil {
			return nil, err
		}
		port.Binding.Profile = prof
	}
	return port, nil
}

func checkProfile(m map[string]any) (map[string]any, error) {
	if len(m) == 0 {
		return map[string]any{}, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, core.InvalidInput("binding:profile is not valid JSON: %v", err)
	}
	if len(b) > maxProfileJSON {
		return nil, core.InvalidInput("binding:profile value too large")
	}
	return core.CloneMap(m), nil
}

// insertPort stores port, generating its MAC when asked, again on a clash,
// and claims the address of claim (when set) for it, reporting whether it
// could.
func (p *Plugin) insertPort(ctx context.Context, tx core.Tx, port *core.Port, generate bool, claim *core.IPAllocation) (bool, error) {
	for i := 0; ; i++ {
		if generate {
			port.MACAddress = p.macs.Generate()
		}
		var claimed bool
		var err error
		if claim != nil {
			claim.PortID = port.ID
			claimed, err = tx.CreatePortWithIP(ctx, port, *claim)
		} else {
			err = tx.CreatePort(ctx, port)
		}
		if err == nil || !generate || core.TypeOf(err) != "MacAddressInUse" || i == macRetries {
			return claimed, err
		}
	}
}

// GetPort returns one port.
func (p *Plugin) GetPort(ctx context.Context, id string) (*core.Port, error) {
	if err := checkID(id, core.PortNotFound); err != nil {
		return nil, err
	}
	return getOne(ctx, p.store, func(tx core.Tx) (*core.Port, error) { return tx.GetPort(ctx, id) }, p.extendPort)
}

// ListPorts lists ports; filtering, sorting and pagination happen in the
// store.
func (p *Plugin) ListPorts(ctx context.Context, opts *core.ListOptions) ([]*core.Port, error) {
	opts, err := listOptions(opts)
	if err != nil {
		return nil, err
	}
	return listAll(ctx, p.store, func(tx core.Tx) ([]*core.Port, error) { return tx.ListPorts(ctx, opts) }, p.extendPort)
}

func (p *Plugin) extendPort(ctx context.Context, port *core.Port) error {
	for _, e := range p.exts {
		if err := e.Driver.ExtendPort(ctx, port); err != nil {
			return extensionDriverError(e.Name, err)
		}
	}
	return nil
}

// UpdatePort updates a port. Changing its host, VNIC type or profile resets
// the binding and sets it DOWN; the port is then bound again. Update
// postcommit failures are logged, not returned.
func (p *Plugin) UpdatePort(ctx context.Context, id string, req *PortRequest) (*core.Port, error) {
	if err := checkID(id, core.PortNotFound); err != nil {
		return nil, err
	}
	if err := req.checkText(); err != nil {
		return nil, err
	}
	var newMAC string
	if req.MACAddress != nil && *req.MACAddress != "" {
		mac, err := ipam.ParseMAC(*req.MACAddress)
		if err != nil {
			return nil, err
		}
		newMAC = mac
	}
	var profile map[string]any
	if req.Profile != nil {
		var err error
		if profile, err = checkProfile(*req.Profile); err != nil {
			return nil, err
		}
	}
	var port, orig *core.Port
	var net *core.Network
	err := p.store.Update(ctx, func(tx core.Tx) error {
		var err error
		if orig, err = tx.GetPort(ctx, id); err != nil {
			return err
		}
		if err := checkRevision(req.IfRevision, orig.RevisionNumber); err != nil {
			return err
		}
		if net, err = tx.GetNetwork(ctx, orig.NetworkID); err != nil {
			return err
		}
		port = orig.Clone()
		if req.NetworkID != "" && req.NetworkID != orig.NetworkID {
			return core.Typed(core.KindBadRequest, "HTTPBadRequest", "Cannot update read-only attribute network_id")
		}
		setIf(&port.Name, req.Name)
		setIf(&port.Description, req.Description)
		setIf(&port.AdminStateUp, req.AdminStateUp)
		setIf(&port.DeviceID, req.DeviceID)
		setIf(&port.DeviceOwner, req.DeviceOwner)
		if req.Tags != nil {
			port.Tags = req.Tags
		}
		if req.MACAddress != nil {
			if err := p.changeMAC(port, orig, newMAC); err != nil {
				return err
			}
		}
		if req.FixedIPs != nil {
			_, subnets, err := tx.GetNetworkSubnets(ctx, net.ID)
			if err != nil {
				return err
			}
			alloc := &ipAllocator{tx: tx, port: port, subnets: subnets}
			if port.FixedIPs, _, err = alloc.requested(ctx, *req.FixedIPs, orig.FixedIPs); err != nil {
				return err
			}
		}
		b := &port.Binding
		setIf(&b.HostID, req.HostID)
		setIf(&b.VNICType, req.VNICType)
		if req.Profile != nil {
			b.Profile = profile
		}
		if b.HostID != orig.Binding.HostID || b.VNICType != orig.Binding.VNICType || !maps.EqualFunc(b.Profile, orig.Binding.Profile, jsonEqual) {
			b.VIFType, b.VIFDetails, b.Levels = core.VIFTypeUnbound, map[string]any{}, nil
			port.Status = core.StatusDown
		}
		for _, e := range p.exts {
			if err := e.Driver.ProcessUpdatePort(ctx, tx, req.Extensions, port); err != nil {
				return err
			}
		}
		if err := p.savePort(ctx, tx, port, req.MACAddress != nil && newMAC == ""); err != nil {
			return err
		}
		if err := publishBefore(ctx, p, precommit, &p.events.Ports, tx, core.ActionUpdate, orig, port); err != nil {
			return err
		}
		pc := newPortContext(p, port, orig, net, net.Segments)
		return p.mechs.call("update_port_precommit", precommit, func(d core.MechanismDriver) error {
			return d.UpdatePortPrecommit(ctx, pc)
		})
	})
	if err != nil {
		return nil, err
	}
	pc := newPortContext(p, port, orig, net, net.Segments)
	_ = p.mechs.call("update_port_postcommit", updateOrDelete, func(d core.MechanismDriver) error {
		return d.UpdatePortPostcommit(ctx, pc)
	})
	publishAfter(ctx, &p.events.Ports, core.ActionUpdate, orig, port)
	if shouldBind(port) {
		if port, err = p.bind(ctx, port.ID); err != nil {
			return nil, err
		}
	}
	return port, p.extendPort(ctx, port)
}

// changeMAC applies Neutron's MAC update rules; an empty mac regenerates.
func (p *Plugin) changeMAC(port, orig *core.Port, mac string) error {
	if mac == orig.MACAddress {
		return nil
	}
	if isNetworkOwned(orig.DeviceOwner) {
		return core.UnsupportedPortDeviceOwner("mac address update", orig.ID, orig.DeviceOwner)
	}
	if !unplugged(orig.Binding.VIFType) {
		return core.PortBound(orig.ID, orig.Binding.VIFType)
	}
	port.MACAddress = mac
	return nil
}

// savePort writes port, regenerating its MAC on a clash when asked.
func (p *Plugin) savePort(ctx context.Context, tx core.Tx, port *core.Port, regenerate bool) error {
	for i := 0; ; i++ {
		if regenerate {
			port.MACAddress = p.macs.Generate()
		}
		err := tx.UpdatePort(ctx, port)
		if err == nil || !regenerate || core.TypeOf(err) != "MacAddressInUse" || i == macRetries {
			return err
		}
	}
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// DeletePort deletes a port and releases its addresses. Delete postcommit
// failures are logged, not returned.
func (p *Plugin) DeletePort(ctx context.Context, id string) error {
	if err := checkID(id, core.PortNotFound); err != nil {
		return err
	}
	return p.deletePort(ctx, id, userDelete)
}

func (p *Plugin) deletePort(ctx context.Context, id string, mode deletion) error {
	var port *core.Port
	var net *core.Network
	err := p.store.Update(ctx, func(tx core.Tx) error {
		var err error
		if port, err = tx.GetPort(ctx, id); err != nil {
			return err
		}
		if net, err = tx.GetNetwork(ctx, port.NetworkID); err != nil {
			return err
		}
		if err := publishBefore(ctx, p, mode.precommit(), &p.events.Ports, tx, core.ActionDelete, port, nil); err != nil {
			return err
		}
		pc := newPortContext(p, port, nil, net, net.Segments)
		if err := p.mechs.call("delete_port_precommit", mode.precommit(), func(d core.MechanismDriver) error {
			return d.DeletePortPrecommit(ctx, pc)
		}); err != nil {
			return err
		}
		return tx.DeletePort(ctx, id)
	})
	if err != nil {
		return err
	}
	pc := newPortContext(p, port, nil, net, net.Segments)
	_ = p.mechs.call("delete_port_postcommit", updateOrDelete, func(d core.MechanismDriver) error {
		return d.DeletePortPostcommit(ctx, pc)
	})
	publishAfter(ctx, &p.events.Ports, core.ActionDelete, port, nil)
	return nil
}

// isNotFound reports a typed not-found error.
func isNotFound(err error) bool { return errors.Is(err, core.ErrNotFound) }

// UpdatePortStatus sets the status of the port whose id starts with
// idPrefix (agents send the 11-character prefix of their device names). It
// returns the port, or nil if no single port matches. host, when set, must
// be the port's binding host. The update hooks run as for any update.
func (p *Plugin) UpdatePortStatus(ctx context.Context, idPrefix, status, host string) (*core.Port, error) {
	switch status {
	case core.StatusActive, core.StatusDown, core.StatusBuild, core.StatusError:
	default:
		return nil, core.InvalidInput("invalid port status %q", status)
	}
	if !core.ValidText(idPrefix) || !core.ValidText(host) {
		// No port's id or host holds such text.
		return nil, nil
	}
	var port, orig *core.Port
	var net *core.Network
	err := p.store.Update(ctx, func(tx core.Tx) error {
		port, orig = nil, nil
		matches, err := tx.ListPorts(ctx, &core.ListOptions{Filters: map[string][]string{"id_prefix": {idPrefix}}, Limit: 2})
		if err != nil || len(matches) != 1 {
			return err
		}
		orig = matches[0]
		if (host != "" && orig.Binding.HostID != host) || orig.Status == status {
			return nil
		}
		if net, err = tx.GetNetwork(ctx, orig.NetworkID); err != nil {
			return err
		}
		port = orig.Clone()
		port.Status = status
		if err := tx.UpdatePort(ctx, port); err != nil {
			return err
		}
		if err := publishBefore(ctx, p, precommit, &p.events.Ports, tx, core.ActionUpdate, orig, port); err != nil {
			return err
		}
		pc := newPortContext(p, port, orig, net, net.Segments)
		return p.mechs.call("update_port_precommit", precommit, func(d core.MechanismDriver) error {
			return d.UpdatePortPrecommit(ctx, pc)
		})
	})
	if err != nil {
		return nil, err
	}
	if port == nil {
		return orig, nil
	}
	pc := newPortContext(p, port, orig, net, net.Segments)
	_ = p.mechs.call("update_port_postcommit", updateOrDelete, func(d core.MechanismDriver) error {
		return d.UpdatePortPostcommit(ctx, pc)
	})
	publishAfter(ctx, &p.events.Ports, core.ActionUpdate, orig, port)
	return port, nil
}
