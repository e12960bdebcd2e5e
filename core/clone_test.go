package core_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ml2go/ml2go/core"
)

func TestCloneMapIsDeep(t *testing.T) {
	tests := []struct {
		name   string
		in     map[string]any
		mutate func(c map[string]any)
	}{
		{"top-level key", map[string]any{"a": 1.0}, func(c map[string]any) { c["b"] = true }},
		{"nested map", map[string]any{"bound_drivers": map[string]any{"0": "ovs"}},
			func(c map[string]any) { c["bound_drivers"].(map[string]any)["1"] = "acme" }},
		{"nested list", map[string]any{"l": []any{"x", map[string]any{"k": "v"}}},
			func(c map[string]any) { c["l"].([]any)[1].(map[string]any)["k"] = "changed" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := core.CloneMap(tt.in)
			c := core.CloneMap(tt.in)
			require.Equal(t, tt.in, c)
			tt.mutate(c)
			assert.Equal(t, want, tt.in, "the original is untouched")
		})
	}
	assert.Nil(t, core.CloneMap(nil))
}

func TestPortCloneIsDeep(t *testing.T) {
	p := &core.Port{
		Standard: core.Standard{Tags: []string{"a"}},
		FixedIPs: []core.FixedIP{{SubnetID: "s"}},
		Binding: core.PortBinding{
			Profile:    map[string]any{"k": "v"},
			VIFDetails: map[string]any{"port_filter": true},
			Levels:     []core.BindingLevel{{Driver: "d"}},
		},
	}
	c := p.Clone()
	require.Equal(t, p, c)
	c.Tags[0], c.FixedIPs[0].SubnetID, c.Binding.Levels[0].Driver = "b", "t", "e"
	c.Binding.Profile["k"], c.Binding.VIFDetails["port_filter"] = "w", false
	assert.Equal(t, "a", p.Tags[0])
	assert.Equal(t, "s", p.FixedIPs[0].SubnetID)
	assert.Equal(t, "d", p.Binding.Levels[0].Driver)
	assert.Equal(t, "v", p.Binding.Profile["k"])
	assert.Equal(t, true, p.Binding.VIFDetails["port_filter"])
}

// BenchmarkCloneMap clones a typical vif_details map.
func BenchmarkCloneMap(b *testing.B) {
	m := map[string]any{"port_filter": true, "ovs_hybrid_plug": false, "connectivity": "l2",
		"bound_drivers": map[string]any{"0": "openvswitch"}}
	for b.Loop() {
		_ = core.CloneMap(m)
	}
}
