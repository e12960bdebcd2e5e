package ml2

import (
	"context"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
)

// typeManager dispatches to type drivers by network type.
type typeManager struct {
	reg              *core.Registry
	tenantTypes      []core.TypeDriver
	external         core.TypeDriver
	globalPhysnetMTU int
	log              hclog.Logger
}

// driver returns the driver of a network type or InvalidInput.
func (t *typeManager) driver(networkType string) (core.TypeDriver, error) {
	d, ok := t.reg.TypeDriver(networkType)
	if !ok {
		return nil, core.InvalidInput("network_type value '%s' not supported", networkType)
	}
	return d, nil
}

// providerSegments validates the provider attributes of a create request and
// returns the requested segments (none when the request has none).
func (t *typeManager) providerSegments(req *NetworkRequest) ([]core.Segment, error) {
	var specs []ProviderSegment
	switch {
	case req.Provider != nil:
		if req.Segments != nil {
			return nil, core.Typed(core.KindBadRequest, "SegmentsSetInConjunctionWithProviders",
				"Segments and provider values cannot both be set.")
		}
		specs = []ProviderSegment{*req.Provider}
	case req.Segments != nil:
		specs = req.Segments
	default:
		return nil, nil
	}
	segs := make([]core.Segment, 0, len(specs))
	for _, s := range specs {
		seg, err := t.validate(s)
		if err != nil {
			return nil, err
		}
		segs = append(segs, seg)
	}
	for i := range segs {
		for j := i + 1; j < len(segs); j++ {
			a, b := segs[i], segs[j]
			d, _ := t.driver(a.NetworkType)
			if a.NetworkType == b.NetworkType && a.PhysicalNetwork == b.PhysicalNetwork &&
				a.SegmentationID == b.SegmentationID && !d.IsPartialSegment(a) {
				return nil, core.Typed(core.KindBadRequest, "SegmentsContainDuplicateEntry",
					"Duplicate segment entry in request.")
			}
		}
	}
	return segs, nil
}

// validate turns one provider spec into a segment its driver accepts.
func (t *typeManager) validate(s ProviderSegment) (core.Segment, error) {
	if s.NetworkType == "" {
		return core.Segment{}, core.InvalidInput("network_type required")
	}
	if s.SegmentationID < 0 {
		return core.Segment{}, core.InvalidInput("segmentation_id %d is not valid", s.SegmentationID)
	}
	d, err := t.driver(s.NetworkType)
	if err != nil {
		return core.Segment{}, err
	}
	seg := core.Segment{NetworkType: s.NetworkType, PhysicalNetwork: s.PhysicalNetwork, SegmentationID: s.SegmentationID}
	if err := d.ValidateProviderSegment(seg); err != nil {
		return core.Segment{}, err
	}
	return seg, nil
}

// reserveSegments reserves the segments of a new network inside tx: the
// provider segments if any, else one of the external network type for
// external networks when configured, else the first tenant type that has
// one. The returned segments carry ids, index and MTU but are not stored.
func (t *typeManager) reserveSegments(ctx context.Context, tx core.Tx, networkID string, provider []core.Segment, external bool) ([]core.Segment, error) {
	var out []core.Segment
	add := func(s core.Segment) {
		s.ID = uuid.NewString()
		s.NetworkID = networkID
		s.Index = len(out)
		out = append(out, s)
	}
	switch {
	case len(provider) > 0:
		for _, p := range provider {
			d, err := t.driver(p.NetworkType)
			if err != nil {
				return nil, err
			}
			s, err := d.ReserveProviderSegment(ctx, tx, p)
			if err != nil {
				return nil, err
			}
			add(s)
		}
	case external && t.external != nil:
		s, err := t.external.AllocateTenantSegment(ctx, tx)
		if err != nil {
			return nil, err
		}
		if s == nil {
			return nil, core.NoNetworkAvailable()
		}
		add(*s)
	default:
		for _, d := range t.tenantTypes {
			s, err := d.AllocateTenantSegment(ctx, tx)
			if err != nil {
				return nil, err
			}
			if s != nil {
				add(*s)
				break
			}
		}
		if len(out) == 0 {
			return nil, core.NoNetworkAvailable()
		}
	}
	return out, nil
}

// release gives back every segment's resource; a segment of an unknown type
// is only logged.
func (t *typeManager) release(ctx context.Context, tx core.Tx, segs []core.Segment) error {
	for _, s := range segs {
		d, ok := t.reg.TypeDriver(s.NetworkType)
		if !ok {
			t.log.Warn("no type driver to release segment", "network_type", s.NetworkType, "segment", s.ID)
			continue
		}
		if err := d.ReleaseSegment(ctx, tx, s); err != nil {
			return err
		}
	}
	return nil
}

// maxMTU is the smallest opinion of the segments' drivers, or the global
// physnet MTU when none has one.
func (t *typeManager) maxMTU(segs []core.Segment) int {
	mtu := 0
	for _, s := range segs {
		d, ok := t.reg.TypeDriver(s.NetworkType)
		if !ok {
			continue
		}
		if m := d.MTU(s.PhysicalNetwork); m > 0 && (mtu == 0 || m < mtu) {
			mtu = m
		}
	}
	if mtu == 0 {
		mtu = t.globalPhysnetMTU
	}
	return mtu
}

// networkMTU validates a requested MTU (0 = none) against the segments.
func (t *typeManager) networkMTU(segs []core.Segment, requested int) (int, error) {
	maxMTU := t.maxMTU(segs)
	if requested < 0 {
		return 0, core.InvalidInput("MTU must not be negative")
	}
	if requested > maxMTU {
		return 0, core.InvalidInput("Requested MTU is too big, maximum is %d", maxMTU)
	}
	if requested > 0 {
		return requested, nil
	}
	return maxMTU, nil
}
