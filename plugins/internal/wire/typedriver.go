package wire

import (
	"github.com/ml2go/ml2go/core"
	tdpb "github.com/ml2go/ml2go/plugins/proto/typedriver/v1"
)

// TypeSegment converts a segment to its type-driver message.
func TypeSegment(s core.Segment) *tdpb.Segment {
	return &tdpb.Segment{
		Id: s.ID, NetworkId: s.NetworkID, NetworkType: s.NetworkType, PhysicalNetwork: s.PhysicalNetwork,
		SegmentationId: s.SegmentationID, Mtu: int32(s.MTU), Index: int32(s.Index), Dynamic: s.Dynamic,
		Name: s.Name, Description: s.Description, RevisionNumber: s.RevisionNumber,
	}
}

// CoreTypeSegment converts a type-driver message to a segment; nil gives
// the zero segment.
func CoreTypeSegment(s *tdpb.Segment) core.Segment {
	if s == nil {
		return core.Segment{}
	}
	return core.Segment{
		ID: s.Id, NetworkID: s.NetworkId, NetworkType: s.NetworkType, PhysicalNetwork: s.PhysicalNetwork,
		SegmentationID: s.SegmentationId, MTU: int(s.Mtu), Index: int(s.Index), Dynamic: s.Dynamic,
		Name: s.Name, Description: s.Description, RevisionNumber: s.RevisionNumber,
	}
}

// SegmentKey converts a segment key to its message.
func SegmentKey(k core.SegmentKey) *tdpb.SegmentKey {
	return &tdpb.SegmentKey{NetworkType: k.NetworkType, PhysicalNetwork: k.PhysicalNetwork, SegmentationId: k.SegmentationID}
}

// CoreSegmentKey converts a message to a segment key; nil gives the zero
// key.
func CoreSegmentKey(k *tdpb.SegmentKey) core.SegmentKey {
	if k == nil {
		return core.SegmentKey{}
	}
	return core.SegmentKey{NetworkType: k.NetworkType, PhysicalNetwork: k.PhysicalNetwork, SegmentationID: k.SegmentationId}
}

// SegmentRanges converts ranges to messages.
func SegmentRanges(rs []core.SegmentRange) []*tdpb.SegmentRange {
	out := make([]*tdpb.SegmentRange, len(rs))
	for i, r := range rs {
		out[i] = &tdpb.SegmentRange{Min: r.Min, Max: r.Max}
	}
	return out
}

// CoreSegmentRanges converts messages to ranges; none gives nil.
func CoreSegmentRanges(rs []*tdpb.SegmentRange) []core.SegmentRange {
	if len(rs) == 0 {
		return nil
	}
	out := make([]core.SegmentRange, 0, len(rs))
	for _, r := range rs {
		if r != nil {
			out = append(out, core.SegmentRange{Min: r.Min, Max: r.Max})
		}
	}
	return out
}
