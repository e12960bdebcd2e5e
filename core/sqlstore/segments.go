package sqlstore

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/ml2go/ml2go/core"
)

// segmentRow is the shape of a segment row, read by segmentFromRow in
// this order.
var segmentRow = newShape("g",
	"id", "network_id", "network_type", "physical_network", "segmentation_id", "mtu", "seg_index",
	"is_dynamic", "name", "description", "created_at", "updated_at", "revision_number")

// segmentFromRow decodes one segment row.
func segmentFromRow(r rowReader) core.Segment {
	return core.Segment{
		ID: r.str(), NetworkID: r.str(), NetworkType: r.str(), PhysicalNetwork: r.str(), SegmentationID: r.int(),
		MTU: int(r.int()), Index: int(r.int()), Dynamic: r.bool(), Name: r.str(), Description: r.str(),
		CreatedAt: fromUnix(r.int()), UpdatedAt: fromUnix(r.int()), RevisionNumber: r.int(),
	}
}

// CreateSegment inserts seg (an empty ID is generated), setting CreatedAt,
// UpdatedAt and RevisionNumber (0). A second segment with the same
// network, type and physical network is a DuplicateEntry conflict; an
// unknown network is NetworkNotFound.
func (t *tx) CreateSegment(ctx context.Context, seg *core.Segment) error {
	if seg.ID == "" {
		seg.ID = uuid.NewString()
	}
	now := t.s.now()
	added, err := t.execCount(ctx, `INSERT INTO segments (id, network_id, network_type, physical_network,
		segmentation_id, mtu, seg_index, is_dynamic, name, description, created_at, updated_at, revision_number)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0 WHERE EXISTS (SELECT 1 FROM networks WHERE id = ?)
		ON CONFLICT DO NOTHING`,
		seg.ID, seg.NetworkID, seg.NetworkType, seg.PhysicalNetwork, seg.SegmentationID, seg.MTU, seg.Index,
		seg.Dynamic, seg.Name, seg.Description, now.Unix(), now.Unix(), seg.NetworkID)
	if err != nil {
		return wrap("create segment", err)
	}
	if added == 1 {
		seg.CreatedAt, seg.UpdatedAt, seg.RevisionNumber = now, now, 0
		return nil
	}
	if ok, err := t.exists(ctx, `SELECT 1 FROM networks WHERE id = ?`, seg.NetworkID); err != nil {
		return wrap("create segment", err)
	} else if !ok {
		return core.NetworkNotFound(seg.NetworkID)
	}
	if ok, err := t.exists(ctx, `SELECT 1 FROM segments WHERE id = ?`, seg.ID); err != nil {
		return wrap("create segment", err)
	} else if ok {
		return core.DuplicateEntry("network segment", "id")
	}
	return core.DuplicateEntry("network segment", "network_id", "network_type", "physical_network")
}

// GetSegment returns one segment.
func (t *tx) GetSegment(ctx context.Context, id string) (*core.Segment, error) {
	var seg *core.Segment
	err := t.eachRow(ctx, `SELECT `+t.s.rowExpr(segmentRow)+` FROM segments g WHERE g.id = ?`, []any{id},
		func(r rowReader) error {
			s := segmentFromRow(r)
			seg = &s
			return nil
		})
	if err != nil {
		return nil, wrap("get segment", err)
	}
	if seg == nil {
		return nil, core.SegmentNotFound(id)
	}
	return seg, nil
}

// NetworkSegments lists a network's segments by index, static first.
func (t *tx) NetworkSegments(ctx context.Context, networkID string, includeDynamic bool) ([]core.Segment, error) {
	return t.segments(ctx, "g.network_id", oneID(networkID), includeDynamic)
}

// segments lists the segments whose col is in set, static first, by
// index.
func (t *tx) segments(ctx context.Context, col string, set idSet, includeDynamic bool) ([]core.Segment, error) {
	cond, args, err := t.inSet(col, set)
	if err != nil {
		return nil, err
	}
	if !includeDynamic {
		cond += " AND NOT g.is_dynamic"
	}
	var out []core.Segment
	err = t.eachRow(ctx, `SELECT `+t.s.rowExpr(segmentRow)+` FROM segments g WHERE `+cond+
		` ORDER BY g.network_id, g.is_dynamic, g.seg_index, g.id`, args, func(r rowReader) error {
		out = append(out, segmentFromRow(r))
		return nil
	})
	return out, wrap("list segments", err)
}

// SetSegmentationID changes a segment's segmentation id.
func (t *tx) SetSegmentationID(ctx context.Context, segmentID string, id int64) error {
	changed, err := t.execCount(ctx, `UPDATE segments SET segmentation_id = ? WHERE id = ?`, id, segmentID)
	if err != nil {
		return wrap("set segmentation id", err)
	}
	if changed == 0 {
		return core.SegmentNotFound(segmentID)
	}
	return nil
}

// UpdateSegment writes seg's name and description if its revision is
// still seg.RevisionNumber, then increments seg.RevisionNumber and sets
// UpdatedAt.
func (t *tx) UpdateSegment(ctx context.Context, seg *core.Segment) error {
	now := t.s.now()
	changed, err := t.execCount(ctx, `UPDATE segments SET name = ?, description = ?, updated_at = ?,
		revision_number = revision_number + 1
		WHERE id = ? AND revision_number = ?`,
		seg.Name, seg.Description, now.Unix(), seg.ID, seg.RevisionNumber)
	if err != nil {
		return wrap("update segment", err)
	}
	if changed == 0 {
		return t.casFailure(ctx, "segments", "segment", seg.ID, seg.RevisionNumber, core.SegmentNotFound)
	}
	seg.RevisionNumber++
	seg.UpdatedAt = now
	return nil
}

// DeleteSegment deletes a segment; one that a subnet uses is SegmentInUse.
func (t *tx) DeleteSegment(ctx context.Context, id string) error {
	subnets, err := t.strings(ctx, `SELECT id FROM subnets WHERE segment_id = ? ORDER BY seq`, id)
	if err != nil {
		return wrap("delete segment", err)
	}
	if len(subnets) > 0 {
		return core.SegmentInUse(id, "The segment is still associated with subnet(s) "+strings.Join(subnets, ", "))
	}
	deleted, err := t.execCount(ctx, `DELETE FROM segments WHERE id = ?`, id)
	if err != nil {
		return wrap("delete segment", err)
	}
	if deleted == 0 {
		return core.SegmentNotFound(id)
	}
	return nil
}

// ListSegments lists segments, static and dynamic; filtering, sorting and
// pagination happen in SQL.
func (t *tx) ListSegments(ctx context.Context, opts *core.ListOptions) ([]*core.Segment, error) {
	q, err := t.buildList(ctx, &segmentSpec, t.s.rowExpr(segmentRow), opts)
	if err != nil {
		return nil, err
	}
	out := []*core.Segment{}
	err = t.eachRow(ctx, q.sql, q.args, func(r rowReader) error {
		seg := segmentFromRow(r)
		out = append(out, &seg)
		return nil
	})
	if err != nil {
		return nil, wrap("list segments", err)
	}
	if q.reverse {
		slices.Reverse(out)
	}
	return out, nil
}

// segmentSpec lists segments.
var segmentSpec = listSpec{
	from:  "segments g",
	alias: "g",
	attrs: map[string]attr{
		"id":               {col: "g.id", filter: true, sort: true},
		"network_id":       {col: "g.network_id", filter: true, sort: true},
		"network_type":     {col: "g.network_type", filter: true, sort: true},
		"physical_network": {col: "g.physical_network", filter: true, sort: true},
		"segmentation_id":  {col: "g.segmentation_id", kind: kindInt, filter: true, sort: true},
		"name":             {col: "g.name", filter: true, sort: true},
		"description":      {col: "g.description", filter: true, sort: true},
		"revision_number":  {col: "g.revision_number", kind: kindInt, filter: true, sort: true},
		"created_at":       {col: "g.created_at", kind: kindInt, sort: true},
		"updated_at":       {col: "g.updated_at", kind: kindInt, sort: true},
	},
	notFound: core.SegmentNotFound,
}
