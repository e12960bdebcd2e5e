package vlan

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
	"github.com/ml2go/ml2go/typedrivers"
)

func r(min, max int64) core.SegmentRange { return core.SegmentRange{Min: min, Max: max} }

func TestParseNetworkVLANRanges(t *testing.T) {
	tests := []struct {
		name    string
		entries []string
		want    Ranges
	}{
		{"empty", nil, nil},
		{"spec_example", []string{"phys_net1", "phys_net2:200:209"},
			Ranges{{"phys_net1", []core.SegmentRange{fullRange}}, {"phys_net2", []core.SegmentRange{r(200, 209)}}}},
		{"order_of_first_appearance", []string{"b:1:2", "a:5:6", "b:10:20"},
			Ranges{{"b", []core.SegmentRange{r(1, 2), r(10, 20)}}, {"a", []core.SegmentRange{r(5, 6)}}}},
		{"bare_replaces_earlier_ranges", []string{"p:100:199", "q:1:1", "p"},
			Ranges{{"p", []core.SegmentRange{fullRange}}, {"q", []core.SegmentRange{r(1, 1)}}}},
		{"ranges_after_bare_ignored", []string{"p", "p:100:199"},
			Ranges{{"p", []core.SegmentRange{fullRange}}}},
		{"spaces_trimmed_blank_skipped", []string{"  p1:10: 20 ", "", "   ", " p2 "},
			Ranges{{"p1", []core.SegmentRange{r(10, 20)}}, {"p2", []core.SegmentRange{fullRange}}}},
		{"bounds_inclusive", []string{"p:1:4094"}, Ranges{{"p", []core.SegmentRange{r(1, 4094)}}}},
		{"single_vlan", []string{"p:7:7"}, Ranges{{"p", []core.SegmentRange{r(7, 7)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNetworkVLANRanges(tt.entries)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			require.NoError(t, got.Validate())
		})
	}
}

func TestParseNetworkVLANRangesErrors(t *testing.T) {
	tests := []struct {
		name   string
		entry  string
		reason string // for RangeError; "" means PhysicalNetworkNameError
	}{
		{"one_value", "physnet1:100", "need exactly two values"},
		{"three_values", "physnet1:1:2:3", "need exactly two values"},
		{"empty_physnet", ":100:200", ""},
		{"min_not_integer", "physnet1:a:200", `"a" is not a valid VLAN tag`},
		{"max_not_integer", "physnet1:100:", `"" is not a valid VLAN tag`},
		{"min_zero", "physnet1:0:200", "0 is not a valid VLAN tag"},
		{"max_4095", "physnet1:100:4095", "4095 is not a valid VLAN tag"},
		{"negative", "physnet1:-5:10", "-5 is not a valid VLAN tag"},
		{"max_below_min", "physnet1:200:100", "end of VLAN range is less than start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNetworkVLANRanges([]string{"ok:1:2", tt.entry})
			require.Error(t, err)
			assert.Nil(t, got)
			if tt.reason == "" {
				var pe *typedrivers.PhysicalNetworkNameError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tt.entry, pe.Entry)
				assert.Equal(t, "network_vlan_ranges", pe.Option)
				return
			}
			var re *typedrivers.RangeError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tt.entry, re.Entry)
			assert.Equal(t, "network_vlan_ranges", re.Option)
			assert.Contains(t, re.Reason, tt.reason)
			assert.Contains(t, err.Error(), tt.entry)
		})
	}
}

func TestRangesValidate(t *testing.T) {
	tests := []struct {
		name   string
		ranges Ranges
		ok     bool
	}{
		{"nil", nil, true},
		{"no_ranges_is_provider_only", Ranges{{PhysicalNetwork: "p"}}, true},
		{"empty_name", Ranges{{PhysicalNetwork: ""}}, false},
		{"duplicate_physnet", Ranges{{"p", nil}, {"p", nil}}, false},
		{"out_of_range", Ranges{{"p", []core.SegmentRange{r(1, 4095)}}}, false},
		{"reversed", Ranges{{"p", []core.SegmentRange{r(10, 1)}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ranges.Validate()
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
	var re *typedrivers.RangeError
	assert.True(t, errors.As(Ranges{{"p", []core.SegmentRange{r(10, 1)}}}.Validate(), &re))
}

func TestRangesAccessors(t *testing.T) {
	rs, err := ParseNetworkVLANRanges([]string{"p1:100:109", "p1:200:209", "p2"})
	require.NoError(t, err)
	assert.Equal(t, []string{"p1", "p2"}, rs.Physnets())
	got, ok := rs.Lookup("p1")
	assert.True(t, ok)
	assert.Equal(t, []core.SegmentRange{r(100, 109), r(200, 209)}, got)
	_, ok = rs.Lookup("p3")
	assert.False(t, ok)
	assert.True(t, rs.Contains("p1", 205))
	assert.False(t, rs.Contains("p1", 150))
	assert.True(t, rs.Contains("p2", 4094))
	assert.False(t, rs.Contains("p3", 1))
	assert.Equal(t, "p1:100:109,p1:200:209,p2:1:4094", rs.String())

	c := rs.Clone()
	c[0].Ranges[0].Min = 1
	assert.Equal(t, int64(100), rs[0].Ranges[0].Min, "Clone is deep")
}
