package ml2

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ml2go/ml2go/core"
)

// SegmentRequest carries the attributes of a segment create or update (the
// segments service plugin). A nil pointer means the attribute was not
// given.
type SegmentRequest struct {
	NetworkID       string // create only, required
	NetworkType     string // create only, required
	PhysicalNetwork string // create only
	// SegmentationID is create only; nil lets the type driver choose.
	SegmentationID *int64
	Name           *string
	Description    *string
}

// CreateSegment adds a segment to a network, as Neutron's segments service
// plugin does: inside one transaction the type driver validates and
// reserves it, as for a provider network, and it is stored after the
// network's other segments. The network's MTU is not recomputed and
// mechanism drivers are not called. A network that already has a segment
// of the same type and physical network is NeutronDbObjectDuplicateEntry.
func (p *Plugin) CreateSegment(ctx context.Context, req *SegmentRequest) (*core.Segment, error) {
	if err := req.checkText(); err != nil {
		return nil, err
	}
	if req.NetworkID == "" {
		return nil, core.InvalidInput("network_id required")
	}
	if req.NetworkType == "" {
		return nil, core.InvalidInput("network_type required")
	}
	spec := ProviderSegment{NetworkType: req.NetworkType, PhysicalNetwork: req.PhysicalNetwork}
	if req.SegmentationID != nil {
		if *req.SegmentationID <= 0 {
			return nil, core.InvalidInput("segmentation_id %d is not valid", *req.SegmentationID)
		}
		spec.SegmentationID = *req.SegmentationID
	}
	var seg core.Segment
	err := p.store.Update(ctx, func(tx core.Tx) error {
		n, err := tx.GetNetwork(ctx, req.NetworkID)
		if err != nil {
			return err
		}
		requested, err := p.types.validate(spec)
		if err != nil {
			return err
		}
		existing, err := tx.NetworkSegments(ctx, n.ID, true)
		if err != nil {
			return err
		}
		index := 0
		for _, s := range existing {
			// Without a physical network a type may repeat: Neutron's
			// unique constraint treats NULL physical networks as different.
			if requested.PhysicalNetwork != "" && s.NetworkType == requested.NetworkType && s.PhysicalNetwork == requested.PhysicalNetwork {
				return duplicateSegment()
			}
			index = max(index, s.Index+1)
		}
		d, err := p.types.driver(requested.NetworkType)
		if err != nil {
			return err
		}
		if seg, err = d.ReserveProviderSegment(ctx, tx, requested); err != nil {
			return err
		}
		seg.ID, seg.NetworkID, seg.Index, seg.Dynamic = uuid.NewString(), n.ID, index, false
		seg.Name, seg.Description = deref(req.Name, ""), deref(req.Description, "")
		if err := tx.CreateSegment(ctx, &seg); err != nil {
			return err
		}
		if err := tx.UpdateNetwork(ctx, n); err != nil {
			return err
		}
		return publishBefore(ctx, p, precommit, &p.events.Segments, tx, core.ActionCreate, nil, &seg)
	})
	if err != nil {
		return nil, err
	}
	publishAfter(ctx, &p.events.Segments, core.ActionCreate, nil, &seg)
	return &seg, nil
}

func duplicateSegment() error {
	return core.DuplicateEntry("network segment", "network_id", "network_type", "physical_network")
}

// GetSegment returns one segment, static or dynamic.
func (p *Plugin) GetSegment(ctx context.Context, id string) (*core.Segment, error) {
	if err := checkID(id, core.SegmentNotFound); err != nil {
		return nil, err
	}
	var seg *core.Segment
	err := p.store.View(ctx, func(tx core.Tx) (err error) {
		seg, err = tx.GetSegment(ctx, id)
		return err
	})
	return seg, err
}

// ListSegments lists the segments of every network, dynamic ones included,
// as Neutron does; filtering, sorting and pagination happen in the store.
func (p *Plugin) ListSegments(ctx context.Context, opts *core.ListOptions) ([]*core.Segment, error) {
	opts, err := listOptions(opts)
	if err != nil {
		return nil, err
	}
	var out []*core.Segment
	err = p.store.View(ctx, func(tx core.Tx) (err error) {
		out, err = tx.ListSegments(ctx, opts)
		return err
	})
	return out, err
}

// UpdateSegment changes a segment's name and description; any other
// attribute in req is read-only (HTTPBadRequest "Cannot update read-only
// attribute x").
func (p *Plugin) UpdateSegment(ctx context.Context, id string, req *SegmentRequest) (*core.Segment, error) {
	if err := checkID(id, core.SegmentNotFound); err != nil {
		return nil, err
	}
	if err := req.checkText(); err != nil {
		return nil, err
	}
	for _, ro := range []struct {
		name string
		set  bool
	}{
		{"network_id", req.NetworkID != ""},
		{"network_type", req.NetworkType != ""},
		{"physical_network", req.PhysicalNetwork != ""},
		{"segmentation_id", req.SegmentationID != nil},
	} {
		if ro.set {
			return nil, core.Typed(core.KindBadRequest, "HTTPBadRequest", "Cannot update read-only attribute %s", ro.name)
		}
	}
	var seg, orig *core.Segment
	err := p.store.Update(ctx, func(tx core.Tx) error {
		var err error
		if orig, err = tx.GetSegment(ctx, id); err != nil {
			return err
		}
		s := *orig
		seg = &s
		setIf(&seg.Name, req.Name)
		setIf(&seg.Description, req.Description)
		if err := tx.UpdateSegment(ctx, seg); err != nil {
			return err
		}
		if err := p.bumpNetwork(ctx, tx, seg.NetworkID); err != nil {
			return err
		}
		return publishBefore(ctx, p, precommit, &p.events.Segments, tx, core.ActionUpdate, orig, seg)
	})
	if err != nil {
		return nil, err
	}
	publishAfter(ctx, &p.events.Segments, core.ActionUpdate, orig, seg)
	return seg, nil
}

// bumpNetwork increments a network's revision: in Neutron a change of one
// of its segments is a change of the network.
func (p *Plugin) bumpNetwork(ctx context.Context, tx core.Tx, networkID string) error {
	n, err := tx.GetNetwork(ctx, networkID)
	if err != nil {
		return err
	}
	return tx.UpdateNetwork(ctx, n)
}

// DeleteSegment deletes a segment and releases its segmentation id through
// its type driver. A segment that subnets use, or that ports other than
// the network's DHCP-like service ports are bound to, is SegmentInUse;
// service ports bound to it are deleted first. The last segment of a
// network may go, as in Neutron.
func (p *Plugin) DeleteSegment(ctx context.Context, id string) error {
	if err := checkID(id, core.SegmentNotFound); err != nil {
		return err
	}
	var seg *core.Segment
	var bound []*core.Port
	err := p.store.View(ctx, func(tx core.Tx) error {
		var err error
		if seg, err = tx.GetSegment(ctx, id); err != nil {
			return err
		}
		subnets, err := tx.ListSubnets(ctx, &core.ListOptions{Filters: map[string][]string{"segment_id": {id}}})
		if err != nil {
			return err
		}
		if len(subnets) > 0 {
			ids := make([]string, len(subnets))
			for i, s := range subnets {
				ids[i] = s.ID
			}
			return segmentHasSubnets(id, ids)
		}
		ports, err := tx.ListPorts(ctx, &core.ListOptions{Filters: map[string][]string{"network_id": {seg.NetworkID}}})
		if err != nil {
			return err
		}
		for _, port := range ports {
			if slices.ContainsFunc(port.Binding.Levels, func(l core.BindingLevel) bool { return l.SegmentID == id }) {
				bound = append(bound, port)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n := len(bound); n > 0 && slices.ContainsFunc(bound, func(port *core.Port) bool {
		return !slices.Contains(autoDeletedOwners, port.DeviceOwner)
	}) {
		return core.SegmentInUse(id, "The segment is still bound with "+strconv.Itoa(n)+" port(s)")
	}
	for _, port := range bound {
		if err := p.DeletePort(ctx, port.ID); err != nil && !errors.Is(err, core.ErrNotFound) {
			return err
		}
	}
	err = p.store.Update(ctx, func(tx core.Tx) error {
		var err error
		if seg, err = tx.GetSegment(ctx, id); err != nil {
			return err
		}
		if err := publishBefore(ctx, p, precommit, &p.events.Segments, tx, core.ActionDelete, seg, nil); err != nil {
			return err
		}
		if err := tx.DeleteSegment(ctx, id); err != nil {
			return err
		}
		if err := p.types.release(ctx, tx, []core.Segment{*seg}); err != nil {
			return err
		}
		return p.bumpNetwork(ctx, tx, seg.NetworkID)
	})
	if err != nil {
		return err
	}
	publishAfter(ctx, &p.events.Segments, core.ActionDelete, seg, nil)
	return nil
}

// segmentHasSubnets is the SegmentInUse of a segment that subnets use.
func segmentHasSubnets(id string, subnets []string) error {
	return core.SegmentInUse(id, "The segment is still associated with subnet(s) "+strings.Join(subnets, ", "))
}
