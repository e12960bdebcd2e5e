package core

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of n.
func (n *Network) Clone() *Network {
	if n == nil {
		return nil
	}
	c := *n
	c.Tags = slices.Clone(n.Tags)
	c.Segments = slices.Clone(n.Segments)
	c.Subnets = slices.Clone(n.Subnets)
	c.Extra = CloneMap(n.Extra)
	return &c
}

// Clone returns a deep copy of s.
func (s *Subnet) Clone() *Subnet {
	if s == nil {
		return nil
	}
	c := *s
	c.Tags = slices.Clone(s.Tags)
	c.AllocationPools = slices.Clone(s.AllocationPools)
	c.DNSNameservers = slices.Clone(s.DNSNameservers)
	c.HostRoutes = slices.Clone(s.HostRoutes)
	c.ServiceTypes = slices.Clone(s.ServiceTypes)
	c.Extra = CloneMap(s.Extra)
	return &c
}

// Clone returns a deep copy of p.
func (p *Port) Clone() *Port {
	if p == nil {
		return nil
	}
	c := *p
	c.Tags = slices.Clone(p.Tags)
	c.FixedIPs = slices.Clone(p.FixedIPs)
	c.Binding.Profile = CloneMap(p.Binding.Profile)
	c.Binding.VIFDetails = CloneMap(p.Binding.VIFDetails)
	c.Binding.Levels = slices.Clone(p.Binding.Levels)
	c.Extra = CloneMap(p.Extra)
	return &c
}

// CloneMap deep-copies a JSON-like map (nested maps and slices are copied,
// other values are shared).
func CloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	// maps.Clone copies the table wholesale, far faster than inserting
	// each entry; only nested containers need their own copies.
	c := maps.Clone(m)
	for k, v := range c {
		switch v.(type) {
		case map[string]any, []any:
			c[k] = cloneValue(v)
		}
	}
	return c
}

func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return CloneMap(t)
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = cloneValue(e)
		}
		return c
	default:
		return v
	}
}
