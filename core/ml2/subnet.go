package ml2

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/core/ipam"
)

// subnetBlockingOwners hold addresses that always block subnet deletion.
var subnetBlockingOwners = []string{core.DeviceOwnerRouterInterface, core.DeviceOwnerRouterHAInterface, core.DeviceOwnerRouterInterfaceDVR}

// CreateSubnet validates a subnet, fills Neutron's defaults (gateway,
// allocation pools) and creates it. On an auto-address IPv6 subnet every
// existing non-router port of the network gets its EUI-64 address.
func (p *Plugin) CreateSubnet(ctx context.Context, req *SubnetRequest) (*core.Subnet, error) {
	subnets, err := p.CreateSubnets(ctx, []*SubnetRequest{req})
	if err != nil {
		return nil, err
	}
	return subnets[0], nil
}

// CreateSubnets creates subnets as Neutron's bulk create does: all of them
// in one transaction, then their postcommits in order. When one fails,
// every subnet of the bulk is deleted again and its error returned.
func (p *Plugin) CreateSubnets(ctx context.Context, reqs []*SubnetRequest) ([]*core.Subnet, error) {
	subnets := make([]*core.Subnet, len(reqs))
	for i, req := range reqs {
		if err := req.checkText(); err != nil {
			return nil, err
		}
		var err error
		if subnets[i], err = p.buildSubnet(req); err != nil {
			return nil, err
		}
	}
	err := p.store.Update(ctx, func(tx core.Tx) error {
		for i, s := range subnets {
			if err := p.storeSubnet(ctx, tx, reqs[i], s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	undo := func(err error) ([]*core.Subnet, error) {
		for _, s := range subnets {
			p.logUndo("subnet", s.ID, p.deleteSubnet(context.WithoutCancel(ctx), s.ID, undoCreate, false))
		}
		return nil, err
	}
	for _, s := range subnets {
		sc := &subnetContext{current: s, network: p.lazyNetwork(ctx, s.NetworkID)}
		if err := p.mechs.call("create_subnet_postcommit", createPost, func(d core.MechanismDriver) error {
			return d.CreateSubnetPostcommit(ctx, sc)
		}); err != nil {
			return undo(err)
		}
	}
	for _, s := range subnets {
		publishAfter(ctx, &p.events.Subnets, core.ActionCreate, nil, s)
	}
	for _, s := range subnets {
		if err := p.extendSubnet(ctx, s); err != nil {
			return undo(err)
		}
	}
	return subnets, nil
}

// storeSubnet stores s, built from req, inside tx and runs its precommits.
func (p *Plugin) storeSubnet(ctx context.Context, tx core.Tx, req *SubnetRequest, s *core.Subnet) error {
	if err := p.checkQuota(ctx, tx, s.ProjectID, "subnet"); err != nil {
		return err
	}
	net, existing, err := tx.GetNetworkSubnets(ctx, s.NetworkID)
	if err != nil {
		return err
	}
	if err := ipam.CheckOverlap(s.CIDR, existing); err != nil {
		return err
	}
	if err := checkSubnetSegment(ctx, tx, s, existing); err != nil {
		return err
	}
	for _, e := range p.exts {
		if err := e.Driver.ProcessCreateSubnet(ctx, tx, req.Extensions, s); err != nil {
			return err
		}
	}
	if err := tx.CreateSubnet(ctx, s); err != nil {
		return err
	}
	if s.IsAutoAddress() {
		if err := p.addAutoAddresses(ctx, tx, s); err != nil {
			return err
		}
	}
	if err := publishBefore(ctx, p, precommit, &p.events.Subnets, tx, core.ActionCreate, nil, s); err != nil {
		return err
	}
	sc := &subnetContext{current: s, network: &networkContext{current: net}}
	return p.mechs.call("create_subnet_precommit", precommit, func(d core.MechanismDriver) error {
		return d.CreateSubnetPrecommit(ctx, sc)
	})
}

// lazyNetwork reads a network for a postcommit context; a failure leaves an
// empty network rather than failing the hook.
func (p *Plugin) lazyNetwork(ctx context.Context, id string) *networkContext {
	n, err := p.GetNetwork(ctx, id)
	if err != nil {
		n = &core.Network{Standard: core.Standard{ID: id}}
	}
	return &networkContext{current: n}
}

// checkSubnetSegment enforces the routed-network rules: a segment must be a
// static segment of the network, and either all subnets of a network have a
// segment or none has.
func checkSubnetSegment(ctx context.Context, tx core.Tx, s *core.Subnet, existing []*core.Subnet) error {
	for _, e := range existing {
		if (e.SegmentID == "") != (s.SegmentID == "") {
			return core.Typed(core.KindBadRequest, "SubnetsNotAllAssociatedWithSegments",
				"Subnets hosted on the same network must be allocated on the same segments or none.")
		}
	}
	if s.SegmentID == "" {
		return nil
	}
	seg, err := tx.GetSegment(ctx, s.SegmentID)
	if err != nil {
		return err
	}
	if seg.NetworkID != s.NetworkID || seg.Dynamic {
		return core.Typed(core.KindBadRequest, "NetworkIdsDontMatch",
			"The subnet's network id, '%s', doesn't match the segment_id '%s'", s.NetworkID, s.SegmentID)
	}
	return nil
}

// addAutoAddresses gives every non-router port of the subnet's network its
// EUI-64 address on the new subnet.
func (p *Plugin) addAutoAddresses(ctx context.Context, tx core.Tx, s *core.Subnet) error {
	ports, err := tx.ListPorts(ctx, &core.ListOptions{Filters: map[string][]string{"network_id": {s.NetworkID}}})
	if err != nil {
		return err
	}
	for _, port := range ports {
		if isRouterOwner(port.DeviceOwner) || !serves(s, port.DeviceOwner) {
			continue
		}
		ip, err := ipam.EUI64(s.CIDR, port.MACAddress)
		if err != nil {
			return err
		}
		if err := ipam.AllocateSpecific(ctx, tx, s, port.ID, ip); err != nil {
			return err
		}
	}
	return nil
}

// GetSubnet returns one subnet.
func (p *Plugin) GetSubnet(ctx context.Context, id string) (*core.Subnet, error) {
	if err := checkID(id, core.SubnetNotFound); err != nil {
		return nil, err
	}
	return getOne(ctx, p.store, func(tx core.Tx) (*core.Subnet, error) { return tx.GetSubnet(ctx, id) }, p.extendSubnet)
}

// ListSubnets lists subnets; filtering, sorting and pagination happen in
// the store.
func (p *Plugin) ListSubnets(ctx context.Context, opts *core.ListOptions) ([]*core.Subnet, error) {
	opts, err := listOptions(opts)
	if err != nil {
		return nil, err
	}
	return listAll(ctx, p.store, func(tx core.Tx) ([]*core.Subnet, error) { return tx.ListSubnets(ctx, opts) }, p.extendSubnet)
}

func (p *Plugin) extendSubnet(ctx context.Context, s *core.Subnet) error {
	for _, e := range p.exts {
		if err := e.Driver.ExtendSubnet(ctx, s); err != nil {
			return extensionDriverError(e.Name, err)
		}
	}
	return nil
}

// UpdateSubnet updates a subnet. A failed update postcommit is returned,
// but the update stands.
func (p *Plugin) UpdateSubnet(ctx context.Context, id string, req *SubnetRequest) (*core.Subnet, error) {
	if err := checkID(id, core.SubnetNotFound); err != nil {
		return nil, err
	}
	if err := req.checkText(); err != nil {
		return nil, err
	}
	var s, orig *core.Subnet
	var net *core.Network
	err := p.store.Update(ctx, func(tx core.Tx) error {
		var err error
		if orig, err = tx.GetSubnet(ctx, id); err != nil {
			return err
		}
		if err := checkRevision(req.IfRevision, orig.RevisionNumber); err != nil {
			return err
		}
		if s, err = p.updatedSubnet(orig, req); err != nil {
			return err
		}
		if s.GatewayIP != orig.GatewayIP && orig.GatewayIP.IsValid() {
			if err := checkGatewayUnused(ctx, tx, orig); err != nil {
				return err
			}
		}
		if s.SegmentID != orig.SegmentID && s.SegmentID != "" {
			if err := checkSubnetSegment(ctx, tx, s, nil); err != nil {
				return err
			}
		}
		for _, e := range p.exts {
			if err := e.Driver.ProcessUpdateSubnet(ctx, tx, req.Extensions, s); err != nil {
				return err
			}
		}
		if err := tx.UpdateSubnet(ctx, s); err != nil {
			return err
		}
		if net, err = tx.GetNetwork(ctx, s.NetworkID); err != nil {
			return err
		}
		sc := &subnetContext{current: s, original: orig, network: &networkContext{current: net}}
		if err := publishBefore(ctx, p, precommit, &p.events.Subnets, tx, core.ActionUpdate, orig, s); err != nil {
			return err
		}
		return p.mechs.call("update_subnet_precommit", precommit, func(d core.MechanismDriver) error {
			return d.UpdateSubnetPrecommit(ctx, sc)
		})
	})
	if err != nil {
		return nil, err
	}
	sc := &subnetContext{current: s, original: orig, network: &networkContext{current: net}}
	err = p.mechs.call("update_subnet_postcommit", updateOrDelete, func(d core.MechanismDriver) error {
		return d.UpdateSubnetPostcommit(ctx, sc)
	})
	publishAfter(ctx, &p.events.Subnets, core.ActionUpdate, orig, s)
	if err != nil {
		return nil, err
	}
	return s, p.extendSubnet(ctx, s)
}

// checkGatewayUnused refuses a gateway change while a router port holds the
// old gateway address.
func checkGatewayUnused(ctx context.Context, tx core.Tx, s *core.Subnet) error {
	allocs, err := tx.AllocatedIPs(ctx, s.ID, s.GatewayIP, s.GatewayIP, 1)
	if err != nil || len(allocs) == 0 {
		return err
	}
	all, err := tx.SubnetAllocations(ctx, s.ID)
	if err != nil {
		return err
	}
	for _, a := range all {
		if a.IP != s.GatewayIP {
			continue
		}
		port, err := tx.GetPort(ctx, a.PortID)
		if err != nil {
			return err
		}
		if isRouterOwner(port.DeviceOwner) {
			return ipam.GatewayIPInUse(s.GatewayIP, port.ID)
		}
	}
	return nil
}

// DeleteSubnet deletes a subnet. Addresses held by user or router ports make
// it SubnetInUse; those of DHCP and other service ports (and every address of
// an auto-address subnet) are removed with it.
func (p *Plugin) DeleteSubnet(ctx context.Context, id string) error {
	if err := checkID(id, core.SubnetNotFound); err != nil {
		return err
	}
	return p.deleteSubnet(ctx, id, userDelete, true)
}

// deleteSubnet deletes a subnet; check makes addresses that block its
// deletion an error.
func (p *Plugin) deleteSubnet(ctx context.Context, id string, mode deletion, check bool) error {
	var s *core.Subnet
	var net *core.Network
	err := p.store.Update(ctx, func(tx core.Tx) error {
		var err error
		if s, err = tx.GetSubnet(ctx, id); err != nil {
			return err
		}
		allocs, err := tx.SubnetAllocations(ctx, id)
		if err != nil {
			return err
		}
		for _, a := range allocs {
			if check {
				port, err := tx.GetPort(ctx, a.PortID)
				if err != nil {
					return err
				}
				if slices.Contains(subnetBlockingOwners, port.DeviceOwner) ||
					(!s.IsAutoAddress() && !slices.Contains(autoDeletedOwners, port.DeviceOwner)) {
					return core.SubnetInUse(id)
				}
			}
			if err := tx.ReleaseIP(ctx, id, a.IP); err != nil {
				return err
			}
		}
		if net, err = tx.GetNetwork(ctx, s.NetworkID); err != nil {
			return err
		}
		if err := publishBefore(ctx, p, mode.precommit(), &p.events.Subnets, tx, core.ActionDelete, s, nil); err != nil {
			return err
		}
		sc := &subnetContext{current: s, network: &networkContext{current: net}}
		if err := p.mechs.call("delete_subnet_precommit", mode.precommit(), func(d core.MechanismDriver) error {
			return d.DeleteSubnetPrecommit(ctx, sc)
		}); err != nil {
			return err
		}
		return tx.DeleteSubnet(ctx, id)
	})
	if err != nil {
		return err
	}
	sc := &subnetContext{current: s, network: &networkContext{current: net}}
	_ = p.mechs.call("delete_subnet_postcommit", updateOrDelete, func(d core.MechanismDriver) error {
		return d.DeleteSubnetPostcommit(ctx, sc)
	})
	publishAfter(ctx, &p.events.Subnets, core.ActionDelete, s, nil)
	return nil
}

func (p *Plugin) limits() ipam.Limits {
	return ipam.Limits{MaxDNSNameservers: p.cfg.MaxDNSNameservers, MaxHostRoutes: p.cfg.MaxHostRoutes}
}

// buildSubnet validates a create request and returns the subnet to store.
func (p *Plugin) buildSubnet(req *SubnetRequest) (*core.Subnet, error) {
	if req.NetworkID == "" {
		return nil, core.Typed(core.KindBadRequest, "HTTPBadRequest",
			"Failed to parse request. Required attribute 'network_id' not specified")
	}
	s, err := ipam.ValidateSubnet(ipam.SubnetRequest{
		IPVersion:       req.IPVersion,
		CIDR:            req.CIDR,
		GatewayIP:       req.GatewayIP,
		AllocationPools: req.AllocationPools,
		DNSNameservers:  deref(req.DNSNameservers, nil),
		HostRoutes:      deref(req.HostRoutes, nil),
		EnableDHCP:      req.EnableDHCP,
		IPv6RAMode:      deref(req.IPv6RAMode, ""),
		IPv6AddressMode: deref(req.IPv6AddressMode, ""),
	}, p.limits())
	if err != nil {
		return nil, err
	}
	s.ID = uuid.NewString()
	s.ProjectID = p.projectOr(req.ProjectID)
	s.NetworkID = req.NetworkID
	s.Name = deref(req.Name, "")
	s.Description = deref(req.Description, "")
	s.Tags = req.Tags
	s.SegmentID = deref(req.SegmentID, "")
	s.ServiceTypes = deref(req.ServiceTypes, nil)
	return s, nil
}

// updatedSubnet applies an update request to a copy of orig.
func (p *Plugin) updatedSubnet(orig *core.Subnet, req *SubnetRequest) (*core.Subnet, error) {
	if req.IPv6RAMode != nil && *req.IPv6RAMode != orig.IPv6RAMode {
		return nil, core.Typed(core.KindBadRequest, "HTTPBadRequest", "Cannot update read-only attribute ipv6_ra_mode")
	}
	if req.IPv6AddressMode != nil && *req.IPv6AddressMode != orig.IPv6AddressMode {
		return nil, core.Typed(core.KindBadRequest, "HTTPBadRequest", "Cannot update read-only attribute ipv6_address_mode")
	}
	s, err := ipam.ValidateSubnetUpdate(orig, ipam.SubnetUpdate{
		GatewayIP:       req.GatewayIP,
		AllocationPools: req.AllocationPools,
		DNSNameservers:  req.DNSNameservers,
		HostRoutes:      req.HostRoutes,
		EnableDHCP:      req.EnableDHCP,
	}, p.limits())
	if err != nil {
		return nil, err
	}
	setIf(&s.Name, req.Name)
	setIf(&s.Description, req.Description)
	setIf(&s.SegmentID, req.SegmentID)
	setIf(&s.ServiceTypes, req.ServiceTypes)
	if req.Tags != nil {
		s.Tags = req.Tags
	}
	return s, nil
}
