package ml2

import "github.com/ml2go/ml2go/core/ipam"

// macSource generates MAC addresses.
type macSource interface{ Generate() string }

func newMACSource(base string) (macSource, error) { return ipam.NewMACGenerator(base) }
