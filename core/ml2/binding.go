package ml2

import (
	"context"
	"slices"

	"github.com/ml2go/ml2go/core"
)

// maxBindTries bounds binding attempts before binding_failed is committed.
const maxBindTries = 10

// BindingFailureKey is the binding:vif_details key of a binding_failed
// port whose binding failed because mechanism drivers returned errors from
// BindPort (an out-of-process driver that is not running, that timed out,
// ...): it maps each such driver's name to its last error's message. A
// port no driver could bind without error has empty vif_details, as in
// Neutron.
const BindingFailureKey = "ml2go_binding_failure"

// shouldBind reports whether port has a host and no binding yet.
func shouldBind(port *core.Port) bool {
	return port.Binding.HostID != "" && unplugged(port.Binding.VIFType)
}

// BindPort binds a port if it has a host and is not bound yet, and returns
// it as stored afterwards. Agents call it when they ask for a port; it is
// also how binding_failed ports are retried.
func (p *Plugin) BindPort(ctx context.Context, id string) (*core.Port, error) {
	port, err := p.bind(ctx, id)
	if err != nil {
		return nil, err
	}
	return port, p.extendPort(ctx, port)
}

// bind runs binding attempts outside any transaction and commits the first
// success, or binding_failed after maxBindTries failures. A commit that finds
// the port changed meanwhile starts over from the stored state.
func (p *Plugin) bind(ctx context.Context, id string) (*core.Port, error) {
	var stored *core.Port
	for attempt := 1; attempt <= maxBindTries; attempt++ {
		var net *core.Network
		var segs []core.Segment
		err := p.store.View(ctx, func(tx core.Tx) error {
			var err error
			if stored, err = tx.GetPort(ctx, id); err != nil {
				return err
			}
			if net, err = tx.GetNetwork(ctx, stored.NetworkID); err != nil {
				return err
			}
			segs, err = tx.NetworkSegments(ctx, stored.NetworkID, true)
			return err
		})
		if err != nil {
			return nil, err
		}
		if !shouldBind(stored) || len(net.Segments) == 0 {
			return stored, nil
		}
		try := stored.Clone()
		try.Binding.VIFType, try.Binding.VIFDetails, try.Binding.Levels = core.VIFTypeUnbound, map[string]any{}, nil
		pc := newPortContext(p, try, nil, net, segs)
		p.bindLevels(ctx, pc)
		if pc.CurrentPort.Binding.VIFType == core.VIFTypeBindingFailed && attempt < maxBindTries {
			continue
		}
		committed, port, err := p.commitBinding(ctx, stored, pc)
		if err != nil {
			return nil, err
		}
		if committed || !shouldBind(port) {
			return port, nil
		}
	}
	p.log.Error("failed to commit binding results", "port", id, "tries", maxBindTries)
	return stored, nil
}

// bindLevels runs the hierarchical binding algorithm on pc, leaving the
// result (vif type and details, levels, status) in it.
func (p *Plugin) bindLevels(ctx context.Context, pc *portContext) {
	pc.levels = nil
	if !p.bindLevel(ctx, pc, 0, pc.network.current.Segments) {
		pc.CurrentPort.Binding.VIFType = core.VIFTypeBindingFailed
		pc.CurrentPort.Binding.VIFDetails = map[string]any{}
		if len(pc.bindErrors) > 0 {
			pc.CurrentPort.Binding.VIFDetails[BindingFailureKey] = pc.bindErrors
		}
		pc.levels = nil
		pc.newStatus = ""
	}
}

func (p *Plugin) bindLevel(ctx context.Context, pc *portContext, level int, segments []core.Segment) bool {
	if level == core.MaxBindingLevels {
		p.log.Error("exceeded maximum binding levels", "port", pc.CurrentPort.ID)
		return false
	}
	for _, d := range p.mechs.drivers {
		if len(pc.CurrentPort.FixedIPs) == 0 && connectivityOf(d.Driver) != core.ConnectivityL2 {
			continue
		}
		if boundAbove(pc.levels, d.Name, segments) {
			continue
		}
		pc.segmentsToBind, pc.newSegment, pc.nextSegments = segments, "", nil
		if err := d.Driver.BindPort(ctx, pc); err != nil {
			p.log.Error("mechanism driver failed in bind_port", "driver", d.Name, "port", pc.CurrentPort.ID, "error", err)
			if pc.bindErrors == nil {
				pc.bindErrors = map[string]any{}
			}
			pc.bindErrors[d.Name] = err.Error()
			continue
		}
		if pc.newSegment == "" {
			continue
		}
		i := slices.IndexFunc(segments, func(s core.Segment) bool { return s.ID == pc.newSegment })
		if i < 0 {
			p.log.Error("driver bound a segment it was not offered", "driver", d.Name, "segment", pc.newSegment)
			continue
		}
		pc.levels = append(pc.levels, core.BoundLevel{Driver: d.Name, Segment: segments[i]})
		next := pc.nextSegments
		if next == nil {
			return true
		}
		for _, s := range next {
			pc.segments[s.ID] = s
		}
		if p.bindLevel(ctx, pc, level+1, next) {
			return true
		}
		pc.levels = pc.levels[:len(pc.levels)-1]
	}
	return false
}

// boundAbove reports whether driver already bound, at a higher level, one of
// segments (loop prevention).
func boundAbove(levels []core.BoundLevel, driver string, segments []core.Segment) bool {
	for _, l := range levels {
		if l.Driver != driver {
			continue
		}
		for _, s := range segments {
			if s.ID == l.Segment.ID {
				return true
			}
		}
	}
	return false
}

// commitBinding stores pc's result if the port's binding inputs are still
// those it was bound with and it is still unbound; it then runs the
// update-port hooks.
func (p *Plugin) commitBinding(ctx context.Context, tried *core.Port, pc *portContext) (bool, *core.Port, error) {
	var port, orig *core.Port
	committed := false
	err := p.store.Update(ctx, func(tx core.Tx) error {
		committed = false
		var err error
		if orig, err = tx.GetPort(ctx, tried.ID); err != nil {
			return err
		}
		port = orig
		ob, tb := orig.Binding, tried.Binding
		if !unplugged(ob.VIFType) || ob.HostID != tb.HostID || ob.VNICType != tb.VNICType || !jsonEqual(ob.Profile, tb.Profile) {
			return nil
		}
		port = orig.Clone()
		res := pc.CurrentPort.Binding
		port.Binding.VIFType, port.Binding.VIFDetails = res.VIFType, core.CloneMap(res.VIFDetails)
		port.Binding.Levels = make([]core.BindingLevel, len(pc.levels))
		for i, l := range pc.levels {
			port.Binding.Levels[i] = core.BindingLevel{Level: i, Driver: l.Driver, SegmentID: l.Segment.ID}
		}
		if pc.newStatus != "" {
			port.Status = pc.newStatus
		}
		if err := tx.UpdatePort(ctx, port); err != nil {
			return err
		}
		committed = true
		if err := publishBefore(ctx, p, precommit, &p.events.Ports, tx, core.ActionUpdate, orig, port); err != nil {
			return err
		}
		upc := newPortContext(p, port, orig, pc.network.current, mapValues(pc.segments))
		return p.mechs.call("update_port_precommit", precommit, func(d core.MechanismDriver) error {
			return d.UpdatePortPrecommit(ctx, upc)
		})
	})
	if err != nil {
		if isNotFound(err) {
			return false, tried, nil
		}
		return false, nil, err
	}
	if committed {
		upc := newPortContext(p, port, orig, pc.network.current, mapValues(pc.segments))
		_ = p.mechs.call("update_port_postcommit", updateOrDelete, func(d core.MechanismDriver) error {
			return d.UpdatePortPostcommit(ctx, upc)
		})
		publishAfter(ctx, &p.events.Ports, core.ActionUpdate, orig, port)
	}
	return committed, port, nil
}

func mapValues(m map[string]core.Segment) []core.Segment {
	out := make([]core.Segment, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	return out
}
