package ml2

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"

	"github.com/ml2go/ml2go/core"
)

// autoDeletedOwners are the device owners of ports that are deleted with
// their network instead of blocking its deletion.
var autoDeletedOwners = []string{core.DeviceOwnerDHCP, core.DeviceOwnerDistributed, core.DeviceOwnerFloatingIPAgentGW}

// CreateNetwork creates a network with its segments: the provider segments
// requested, or a tenant segment from the first tenant type that has one.
func (p *Plugin) CreateNetwork(ctx context.Context, req *NetworkRequest) (*core.Network, error) {
	nets, err := p.CreateNetworks(ctx, []*NetworkRequest{req})
	if err != nil {
		return nil, err
	}
	return nets[0], nil
}

// CreateNetworks creates networks as Neutron's bulk create does: every
// network is stored, with its precommits, in one transaction, so that the
// bulk is all or nothing even if the process dies; the postcommits run
// after it, in order. When one fails, every network of the bulk is deleted
// again and its error returned.
func (p *Plugin) CreateNetworks(ctx context.Context, reqs []*NetworkRequest) ([]*core.Network, error) {
	provider := make([][]core.Segment, len(reqs))
	for i, req := range reqs {
		if err := req.checkText(); err != nil {
			return nil, err
		}
		var err error
		if provider[i], err = p.types.providerSegments(req); err != nil {
			return nil, err
		}
	}
	nets := make([]*core.Network, len(reqs))
	err := p.store.Update(ctx, func(tx core.Tx) error {
		for i, req := range reqs {
			var err error
			if nets[i], err = p.storeNetwork(ctx, tx, req, provider[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	undo := func(err error) ([]*core.Network, error) {
		for _, n := range nets {
			p.logUndo("network", n.ID, p.deleteNetwork(context.WithoutCancel(ctx), n.ID, undoCreate))
		}
		return nil, err
	}
	for _, n := range nets {
		nc := &networkContext{current: n}
		if err := p.mechs.call("create_network_postcommit", createPost, func(d core.MechanismDriver) error {
			return d.CreateNetworkPostcommit(ctx, nc)
		}); err != nil {
			return undo(err)
		}
	}
	for _, n := range nets {
		publishAfter(ctx, &p.events.Networks, core.ActionCreate, nil, n)
	}
	for _, n := range nets {
		if err := p.extendNetwork(ctx, n); err != nil {
			return undo(err)
		}
	}
	return nets, nil
}

// logUndo logs the failure of the undo of a create, if it failed.
func (p *Plugin) logUndo(resource, id string, err error) {
	if err != nil && !isNotFound(err) {
		p.log.Error("could not delete "+resource+" after its create failed", resource, id, "error", err)
	}
}

// storeNetwork stores a new network of req, with the segments of provider
// or a tenant segment, inside tx, and runs its precommits.
func (p *Plugin) storeNetwork(ctx context.Context, tx core.Tx, req *NetworkRequest, provider []core.Segment) (*core.Network, error) {
	if err := p.checkQuota(ctx, tx, p.projectOr(req.ProjectID), "network"); err != nil {
		return nil, err
	}
	n := &core.Network{
		Standard: core.Standard{
			ID:          uuid.NewString(),
			ProjectID:   p.projectOr(req.ProjectID),
			Name:        deref(req.Name, ""),
			Description: deref(req.Description, ""),
			Tags:        req.Tags,
		},
		AdminStateUp:    deref(req.AdminStateUp, true),
		Status:          core.StatusActive,
		Shared:          deref(req.Shared, false),
		External:        deref(req.External, false),
		VLANTransparent: deref(req.VLANTransparent, false),
	}
	segs, err := p.types.reserveSegments(ctx, tx, n.ID, provider, n.External)
	if err != nil {
		return nil, err
	}
	if n.MTU, err = p.types.networkMTU(segs, deref(req.MTU, 0)); err != nil {
		return nil, err
	}
	for i := range segs {
		segs[i].MTU = n.MTU
	}
	for _, e := range p.exts {
		if err := e.Driver.ProcessCreateNetwork(ctx, tx, req.Extensions, n); err != nil {
			return nil, err
		}
	}
	if err := tx.CreateNetwork(ctx, n); err != nil {
		return nil, err
	}
	for i := range segs {
		if err := tx.CreateSegment(ctx, &segs[i]); err != nil {
			return nil, err
		}
	}
	n.Segments = segs
	nc := &networkContext{current: n}
	if n.VLANTransparent {
		if err := p.mechs.checkVLANTransparency(ctx, nc); err != nil {
			return nil, err
		}
	}
	if err := publishBefore(ctx, p, precommit, &p.events.Networks, tx, core.ActionCreate, nil, n); err != nil {
		return nil, err
	}
	return n, p.mechs.call("create_network_precommit", precommit, func(d core.MechanismDriver) error {
		return d.CreateNetworkPrecommit(ctx, nc)
	})
}

// GetNetwork returns one network.
func (p *Plugin) GetNetwork(ctx context.Context, id string) (*core.Network, error) {
	if err := checkID(id, core.NetworkNotFound); err != nil {
		return nil, err
	}
	return getOne(ctx, p.store, func(tx core.Tx) (*core.Network, error) { return tx.GetNetwork(ctx, id) }, p.extendNetwork)
}

// ListNetworks lists networks; filtering, sorting and pagination happen in
// the store.
func (p *Plugin) ListNetworks(ctx context.Context, opts *core.ListOptions) ([]*core.Network, error) {
	opts, err := listOptions(opts)
	if err != nil {
		return nil, err
	}
	return listAll(ctx, p.store, func(tx core.Tx) ([]*core.Network, error) { return tx.ListNetworks(ctx, opts) }, p.extendNetwork)
}

func (p *Plugin) extendNetwork(ctx context.Context, n *core.Network) error {
	for _, e := range p.exts {
		if err := e.Driver.ExtendNetwork(ctx, n); err != nil {
			return extensionDriverError(e.Name, err)
		}
	}
	return nil
}

func extensionDriverError(name string, err error) error {
	return &core.Error{Kind: core.KindBadRequest, Type: "ExtensionDriverError",
		Message: "Extension driver " + name + " failed.", Err: err}
}

// UpdateNetwork updates a network. A failed update postcommit is returned,
// but the update stands.
func (p *Plugin) UpdateNetwork(ctx context.Context, id string, req *NetworkRequest) (*core.Network, error) {
	if err := checkID(id, core.NetworkNotFound); err != nil {
		return nil, err
	}
	if err := req.checkText(); err != nil {
		return nil, err
	}
	if req.Segments != nil && req.Provider != nil {
		return nil, core.Typed(core.KindBadRequest, "SegmentsSetInConjunctionWithProviders",
			"Segments and provider values cannot both be set.")
	}
	var n, orig *core.Network
	err := p.store.Update(ctx, func(tx core.Tx) error {
		var err error
		if orig, err = tx.GetNetwork(ctx, id); err != nil {
			return err
		}
		if err := checkRevision(req.IfRevision, orig.RevisionNumber); err != nil {
			return err
		}
		n = orig.Clone()
		setIf(&n.Name, req.Name)
		setIf(&n.Description, req.Description)
		setIf(&n.AdminStateUp, req.AdminStateUp)
		setIf(&n.External, req.External)
		if req.VLANTransparent != nil && *req.VLANTransparent != orig.VLANTransparent {
			return core.InvalidInput("Cannot update read-only attribute vlan_transparent")
		}
		if req.Tags != nil {
			n.Tags = req.Tags
		}
		if req.Shared != nil {
			if orig.Shared && !*req.Shared {
				if err := p.checkUnshare(ctx, tx, orig); err != nil {
					return err
				}
			}
			n.Shared = *req.Shared
		}
		if req.Provider != nil {
			if err := p.updateProvider(ctx, tx, n, *req.Provider); err != nil {
				return err
			}
		}
		if req.MTU != nil {
			if n.MTU, err = p.types.networkMTU(n.Segments, *req.MTU); err != nil {
				return err
			}
		}
		for _, e := range p.exts {
			if err := e.Driver.ProcessUpdateNetwork(ctx, tx, req.Extensions, n); err != nil {
				return err
			}
		}
		if err := tx.UpdateNetwork(ctx, n); err != nil {
			return err
		}
		if err := publishBefore(ctx, p, precommit, &p.events.Networks, tx, core.ActionUpdate, orig, n); err != nil {
			return err
		}
		nc := &networkContext{current: n, original: orig}
		return p.mechs.call("update_network_precommit", precommit, func(d core.MechanismDriver) error {
			return d.UpdateNetworkPrecommit(ctx, nc)
		})
	})
	if err != nil {
		return nil, err
	}
	nc := &networkContext{current: n, original: orig}
	err = p.mechs.call("update_network_postcommit", updateOrDelete, func(d core.MechanismDriver) error {
		return d.UpdateNetworkPostcommit(ctx, nc)
	})
	publishAfter(ctx, &p.events.Networks, core.ActionUpdate, orig, n)
	if err != nil {
		return nil, err
	}
	return n, p.extendNetwork(ctx, n)
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// checkUnshare refuses to unshare a network other projects use.
func (p *Plugin) checkUnshare(ctx context.Context, tx core.Tx, n *core.Network) error {
	filter := map[string][]string{"network_id": {n.ID}}
	ports, err := tx.ListPorts(ctx, &core.ListOptions{Filters: filter})
	if err != nil {
		return err
	}
	for _, port := range ports {
		if port.ProjectID != n.ProjectID && !isNetworkOwned(port.DeviceOwner) {
			return core.Typed(core.KindConflict, "InvalidSharedSetting",
				"Unable to reconfigure sharing settings for network %s. Multiple tenants are using it.", n.ID)
		}
	}
	subnets, err := tx.ListSubnets(ctx, &core.ListOptions{Filters: filter})
	if err != nil {
		return err
	}
	for _, s := range subnets {
		if s.ProjectID != n.ProjectID {
			return core.Typed(core.KindConflict, "InvalidSharedSetting",
				"Unable to reconfigure sharing settings for network %s. Multiple tenants are using it.", n.ID)
		}
	}
	return nil
}

func isNetworkOwned(owner string) bool {
	return len(owner) >= len(core.DeviceOwnerNetworkPrefix) && owner[:len(core.DeviceOwnerNetworkPrefix)] == core.DeviceOwnerNetworkPrefix
}

// updateProvider applies provider attributes to n: only a VLAN network's
// segmentation id may change, and only while no port is bound.
func (p *Plugin) updateProvider(ctx context.Context, tx core.Tx, n *core.Network, req ProviderSegment) error {
	if len(n.Segments) != 1 {
		return core.InvalidInput("Provider attributes of a network with %d segments cannot be updated", len(n.Segments))
	}
	old := n.Segments[0]
	var changed []string
	if req.NetworkType != "" && req.NetworkType != old.NetworkType {
		changed = append(changed, "provider:network_type")
	}
	if req.PhysicalNetwork != "" && req.PhysicalNetwork != old.PhysicalNetwork {
		changed = append(changed, "provider:physical_network")
	}
	if len(changed) > 0 {
		return core.InvalidInput("Plugin does not support updating the following provider network attributes: %v", changed)
	}
	if req.SegmentationID == 0 || req.SegmentationID == old.SegmentationID {
		return nil
	}
	if old.NetworkType != core.TypeVLAN {
		return core.InvalidInput("Only VLAN type networks can be updated")
	}
	ports, err := tx.ListPorts(ctx, &core.ListOptions{Filters: map[string][]string{"network_id": {n.ID}}})
	if err != nil {
		return err
	}
	for _, port := range ports {
		if !unplugged(port.Binding.VIFType) {
			return core.InvalidInput("Cannot update segmentation id of network %s: port %s is bound", n.ID, port.ID)
		}
	}
	seg := core.Segment{NetworkType: old.NetworkType, PhysicalNetwork: old.PhysicalNetwork, SegmentationID: req.SegmentationID}
	d, err := p.types.driver(seg.NetworkType)
	if err != nil {
		return err
	}
	if err := d.ValidateProviderSegment(seg); err != nil {
		return err
	}
	if _, err := d.ReserveProviderSegment(ctx, tx, seg); err != nil {
		return err
	}
	if err := tx.SetSegmentationID(ctx, old.ID, seg.SegmentationID); err != nil {
		return err
	}
	if err := d.ReleaseSegment(ctx, tx, old); err != nil {
		return err
	}
	n.Segments[0].SegmentationID = seg.SegmentationID
	return nil
}

func unplugged(vifType string) bool {
	return vifType == "" || vifType == core.VIFTypeUnbound || vifType == core.VIFTypeBindingFailed
}

// DeleteNetwork deletes a network, its auto-deleted service ports and its
// subnets, and releases its segments. Any other port makes it NetworkInUse.
func (p *Plugin) DeleteNetwork(ctx context.Context, id string) error {
	if err := checkID(id, core.NetworkNotFound); err != nil {
		return err
	}
	return p.deleteNetwork(ctx, id, userDelete)
}

// deleteNetwork deletes a network; the undo of its create deletes every
// port on it.
func (p *Plugin) deleteNetwork(ctx context.Context, id string, mode deletion) error {
	var ports []*core.Port
	var subnets []*core.Subnet
	err := p.store.View(ctx, func(tx core.Tx) error {
		if _, err := tx.GetNetwork(ctx, id); err != nil {
			return err
		}
		filter := map[string][]string{"network_id": {id}}
		var err error
		if ports, err = tx.ListPorts(ctx, &core.ListOptions{Filters: filter}); err != nil {
			return err
		}
		subnets, err = tx.ListSubnets(ctx, &core.ListOptions{Filters: filter})
		return err
	})
	if err != nil {
		return err
	}
	if mode == userDelete {
		var inUse []string
		for _, port := range ports {
			if !slices.Contains(autoDeletedOwners, port.DeviceOwner) {
				inUse = append(inUse, port.ID)
			}
		}
		if len(inUse) > 0 {
			return core.NetworkInUse(id, inUse)
		}
	}
	for _, port := range ports {
		if err := p.deletePort(ctx, port.ID, mode); err != nil && !errors.Is(err, core.ErrNotFound) {
			return err
		}
	}
	for _, s := range subnets {
		if err := p.deleteSubnet(ctx, s.ID, mode, false); err != nil && !errors.Is(err, core.ErrNotFound) {
			return err
		}
	}
	var n *core.Network
	err = p.store.Update(ctx, func(tx core.Tx) error {
		var err error
		if n, err = tx.GetNetwork(ctx, id); err != nil {
			return err
		}
		if err := publishBefore(ctx, p, mode.precommit(), &p.events.Networks, tx, core.ActionDelete, n, nil); err != nil {
			return err
		}
		nc := &networkContext{current: n}
		if err := p.mechs.call("delete_network_precommit", mode.precommit(), func(d core.MechanismDriver) error {
			return d.DeleteNetworkPrecommit(ctx, nc)
		}); err != nil {
			return err
		}
		all, err := tx.NetworkSegments(ctx, id, true)
		if err != nil {
			return err
		}
		if err := p.types.release(ctx, tx, all); err != nil {
			return err
		}
		return tx.DeleteNetwork(ctx, id)
	})
	if err != nil {
		return err
	}
	nc := &networkContext{current: n}
	_ = p.mechs.call("delete_network_postcommit", updateOrDelete, func(d core.MechanismDriver) error {
		return d.DeleteNetworkPostcommit(ctx, nc)
	})
	publishAfter(ctx, &p.events.Networks, core.ActionDelete, n, nil)
	return nil
}

// allocateDynamicSegment returns the network's dynamic segment matching seg,
// reserving a new one if there is none.
func (p *Plugin) allocateDynamicSegment(ctx context.Context, networkID string, seg core.Segment) (core.Segment, error) {
	d, err := p.types.driver(seg.NetworkType)
	if err != nil {
		return core.Segment{}, err
	}
	var out core.Segment
	created := false
	err = p.store.Update(ctx, func(tx core.Tx) error {
		created = false
		all, err := tx.NetworkSegments(ctx, networkID, true)
		if err != nil {
			return err
		}
		for _, s := range all {
			if s.Dynamic && s.NetworkType == seg.NetworkType && s.PhysicalNetwork == seg.PhysicalNetwork &&
				(seg.SegmentationID == 0 || seg.SegmentationID == s.SegmentationID) {
				out = s
				return nil
			}
		}
		r, err := d.ReserveProviderSegment(ctx, tx, seg)
		if err != nil {
			return err
		}
		r.ID, r.NetworkID, r.Dynamic, r.Index = uuid.NewString(), networkID, true, len(all)
		if err := tx.CreateSegment(ctx, &r); err != nil {
			return err
		}
		out, created = r, true
		return publishBefore(ctx, p, precommit, &p.events.Segments, tx, core.ActionCreate, nil, &out)
	})
	if err == nil && created {
		publishAfter(ctx, &p.events.Segments, core.ActionCreate, nil, &out)
	}
	return out, err
}

// releaseDynamicSegment releases and deletes a dynamic segment.
func (p *Plugin) releaseDynamicSegment(ctx context.Context, segmentID string) error {
	var s *core.Segment
	err := p.store.Update(ctx, func(tx core.Tx) error {
		var err error
		if s, err = tx.GetSegment(ctx, segmentID); err != nil {
			return err
		}
		if !s.Dynamic {
			return core.InvalidInput("segment %s is not dynamic", segmentID)
		}
		if err := publishBefore(ctx, p, precommit, &p.events.Segments, tx, core.ActionDelete, s, nil); err != nil {
			return err
		}
		if err := p.types.release(ctx, tx, []core.Segment{*s}); err != nil {
			return err
		}
		return tx.DeleteSegment(ctx, segmentID)
	})
	if err != nil {
		return err
	}
	publishAfter(ctx, &p.events.Segments, core.ActionDelete, s, nil)
	return nil
}
