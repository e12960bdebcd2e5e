package wire_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/plugins/internal/wire"
)

func TestErrorsSurviveStatus(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		code  codes.Code
		kind  core.Kind
		typ   string
		retry bool
	}{
		{"invalid_input", core.InvalidInput("bad %s", "thing"), codes.InvalidArgument, core.KindBadRequest, "InvalidInput", false},
		{"not_found", core.NetworkNotFound("n1"), codes.NotFound, core.KindNotFound, "NetworkNotFound", false},
		{"conflict", core.VlanIdInUse(5, "physnet1"), codes.Aborted, core.KindConflict, "VlanIdInUse", false},
		{"unavailable", core.NoNetworkAvailable(), codes.Unavailable, core.KindUnavailable, "NoNetworkAvailable", false},
		{"wrapped_typed", fmt.Errorf("context: %w", core.SubnetInUse("s")), codes.Aborted, core.KindConflict, "SubnetInUse", false},
		{"plain", errors.New("boom"), codes.Unknown, core.KindInternal, "", false},
		{"retry", fmt.Errorf("lost a race: %w", core.ErrRetry), codes.Unknown, core.KindInternal, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := wire.ToStatus(tc.err)
			assert.Equal(t, tc.code, status.Code(st))
			got, ok := wire.FromStatus(st)
			require.True(t, ok)
			assert.Equal(t, tc.kind, core.KindOf(got))
			assert.Equal(t, tc.typ, core.TypeOf(got))
			assert.Equal(t, tc.retry, errors.Is(got, core.ErrRetry))
			var ce *core.Error
			if errors.As(tc.err, &ce) {
				assert.Equal(t, ce.Error(), got.Error())
			} else {
				assert.Equal(t, tc.err.Error(), got.Error())
			}
		})
	}
	assert.NoError(t, wire.ToStatus(nil))
	_, ok := wire.FromStatus(status.Error(codes.Unavailable, "connection refused"))
	assert.False(t, ok, "a status without details is a transport failure")
}

func TestSegmentsAndLevelsRoundTrip(t *testing.T) {
	segs := []core.Segment{{ID: "a", NetworkID: "n", NetworkType: "vlan", PhysicalNetwork: "p", SegmentationID: 7,
		MTU: 1500, Index: 1, Dynamic: true, Name: "x", Description: "d", RevisionNumber: 3}}
	assert.Equal(t, segs, wire.CoreSegments(wire.Segments(segs)))
	levels := []core.BoundLevel{{Driver: "d", Segment: segs[0]}}
	assert.Equal(t, levels, wire.CoreLevels(wire.Levels(levels)))
	assert.Nil(t, wire.CoreSegments(nil))
}
