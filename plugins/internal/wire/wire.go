// Package wire converts between ml2go's core values and the messages of the
// driver protocols (mechanism, type and extension drivers), and carries
// core's typed errors across gRPC as status details: the Error message of
// the mechanism-driver protocol, which every protocol uses. It is shared
// by plugins/host and plugins/sdk.
package wire

import (
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ml2go/ml2go/core"
	pb "github.com/ml2go/ml2go/plugins/proto/mechdriver/v1"
)

// TestAPIVersions, when not nil, replaces the API versions a driver served
// by plugins/sdk advertises. Only tests set it, to exercise negotiation.
var TestAPIVersions []uint32

// Segment converts a segment to its message.
func Segment(s core.Segment) *pb.Segment {
	return &pb.Segment{
		Id: s.ID, NetworkId: s.NetworkID, NetworkType: s.NetworkType, PhysicalNetwork: s.PhysicalNetwork,
		SegmentationId: s.SegmentationID, Mtu: int32(s.MTU), Index: int32(s.Index), Dynamic: s.Dynamic,
		Name: s.Name, Description: s.Description, RevisionNumber: s.RevisionNumber,
	}
}

// CoreSegment converts a message to a segment; nil gives the zero segment.
func CoreSegment(s *pb.Segment) core.Segment {
	if s == nil {
		return core.Segment{}
	}
	return core.Segment{
		ID: s.Id, NetworkID: s.NetworkId, NetworkType: s.NetworkType, PhysicalNetwork: s.PhysicalNetwork,
		SegmentationID: s.SegmentationId, MTU: int(s.Mtu), Index: int(s.Index), Dynamic: s.Dynamic,
		Name: s.Name, Description: s.Description, RevisionNumber: s.RevisionNumber,
	}
}

// Segments converts segments to messages.
func Segments(segs []core.Segment) []*pb.Segment {
	if segs == nil {
		return nil
	}
	out := make([]*pb.Segment, len(segs))
	for i, s := range segs {
		out[i] = Segment(s)
	}
	return out
}

// CoreSegments converts messages to segments; none gives nil.
func CoreSegments(segs []*pb.Segment) []core.Segment {
	if len(segs) == 0 {
		return nil
	}
	out := make([]core.Segment, len(segs))
	for i, s := range segs {
		out[i] = CoreSegment(s)
	}
	return out
}

// Levels converts binding levels to messages.
func Levels(levels []core.BoundLevel) []*pb.BoundLevel {
	if levels == nil {
		return nil
	}
	out := make([]*pb.BoundLevel, len(levels))
	for i, l := range levels {
		out[i] = &pb.BoundLevel{Driver: l.Driver, Segment: Segment(l.Segment)}
	}
	return out
}

// CoreLevels converts messages to binding levels; none gives nil.
func CoreLevels(levels []*pb.BoundLevel) []core.BoundLevel {
	if len(levels) == 0 {
		return nil
	}
	out := make([]core.BoundLevel, len(levels))
	for i, l := range levels {
		out[i] = core.BoundLevel{Driver: l.Driver, Segment: CoreSegment(l.Segment)}
	}
	return out
}

// Encode returns the JSON encoding of v; a nil pointer encodes as no bytes.
func Encode[T any](v *T) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// Decode decodes data into a new T; no bytes decode as nil.
func Decode[T any](data []byte) (*T, error) {
	if len(data) == 0 {
		return nil, nil
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("decode %T: %w", v, err)
	}
	return v, nil
}

// NetworkContext converts what a network context shows to its message.
func NetworkContext(nc core.NetworkContext) (*pb.NetworkContext, error) {
	if nc == nil {
		return nil, nil
	}
	cur, err := Encode(nc.Current())
	if err != nil {
		return nil, err
	}
	orig, err := Encode(nc.Original())
	if err != nil {
		return nil, err
	}
	return &pb.NetworkContext{CurrentJson: cur, OriginalJson: orig, Segments: Segments(nc.Segments())}, nil
}

// SubnetContext converts what a subnet context shows to its message.
func SubnetContext(sc core.SubnetContext) (*pb.SubnetContext, error) {
	cur, err := Encode(sc.Current())
	if err != nil {
		return nil, err
	}
	orig, err := Encode(sc.Original())
	if err != nil {
		return nil, err
	}
	net, err := NetworkContext(sc.Network())
	if err != nil {
		return nil, err
	}
	return &pb.SubnetContext{CurrentJson: cur, OriginalJson: orig, Network: net}, nil
}

// PortContext converts what a port context shows to its message, for the
// hook call callID.
func PortContext(callID uint64, pc core.PortContext) (*pb.PortContext, error) {
	port := pc.Current()
	cur, err := Encode(port)
	if err != nil {
		return nil, err
	}
	orig, err := Encode(pc.Original())
	if err != nil {
		return nil, err
	}
	net, err := NetworkContext(pc.Network())
	if err != nil {
		return nil, err
	}
	m := &pb.PortContext{
		CallId: callID, CurrentJson: cur, OriginalJson: orig, Network: net, Host: pc.Host(),
		BindingLevels: Levels(pc.BindingLevels()), OriginalBindingLevels: Levels(pc.OriginalBindingLevels()),
	}
	if port != nil {
		m.VnicType = port.Binding.VNICType
	}
	return m, nil
}

// Kinds maps core kinds to their messages.
var kinds = map[core.Kind]pb.Kind{
	core.KindInternal:           pb.Kind_KIND_INTERNAL,
	core.KindNotFound:           pb.Kind_KIND_NOT_FOUND,
	core.KindConflict:           pb.Kind_KIND_CONFLICT,
	core.KindBadRequest:         pb.Kind_KIND_BAD_REQUEST,
	core.KindNotAuthorized:      pb.Kind_KIND_NOT_AUTHORIZED,
	core.KindUnavailable:        pb.Kind_KIND_UNAVAILABLE,
	core.KindPreconditionFailed: pb.Kind_KIND_PRECONDITION_FAILED,
}

// codes maps core kinds to the gRPC codes of their statuses, for readers
// of the wire that ignore the details.
var grpcCodes = map[core.Kind]codes.Code{
	core.KindInternal:           codes.Unknown,
	core.KindNotFound:           codes.NotFound,
	core.KindConflict:           codes.Aborted,
	core.KindBadRequest:         codes.InvalidArgument,
	core.KindNotAuthorized:      codes.PermissionDenied,
	core.KindUnavailable:        codes.Unavailable,
	core.KindPreconditionFailed: codes.FailedPrecondition,
}

// ToStatus converts a driver's error to a gRPC status error carrying an
// Error detail; nil stays nil. A *core.Error keeps its Kind, Type and
// Message; any other error becomes an untyped error with its message.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	detail := &pb.Error{Kind: pb.Kind_KIND_INTERNAL, Message: err.Error(), Retry: errors.Is(err, core.ErrRetry)}
	code := codes.Unknown
	var ce *core.Error
	if errors.As(err, &ce) {
		detail.Kind, detail.Type = kinds[ce.Kind], ce.Type
		detail.Message = ce.Error()
		code = grpcCodes[ce.Kind]
	}
	st, derr := status.New(code, detail.Message).WithDetails(detail)
	if derr != nil {
		return status.Error(code, detail.Message)
	}
	return st.Err()
}

// FromStatus returns the driver error carried by err's Error detail, and
// true; or nil and false when err carries none (a transport failure). A
// typed detail becomes a *core.Error, an untyped one a plain error with the
// same message; either wraps core.ErrRetry when the driver's did.
func FromStatus(err error) (error, bool) {
	st, ok := status.FromError(err)
	if !ok {
		return nil, false
	}
	for _, d := range st.Details() {
		e, ok := d.(*pb.Error)
		if !ok {
			continue
		}
		var cause error
		if e.Retry {
			cause = core.ErrRetry
		}
		if e.Type == "" {
			return &remoteError{msg: e.Message, cause: cause}, true
		}
		kind := core.KindInternal
		for k, v := range kinds {
			if v == e.Kind {
				kind = k
			}
		}
		return &core.Error{Kind: kind, Type: e.Type, Message: e.Message, Err: cause}, true
	}
	return nil, false
}

// remoteError is an untyped error returned by a driver.
type remoteError struct {
	msg   string
	cause error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.cause }
