package typedrivers

import "fmt"

// RangeError reports a malformed or out-of-bounds segmentation id range in
// the configuration: Neutron's NetworkVlanRangeError and
// NetworkTunnelRangeError. A driver whose ranges are invalid refuses to
// initialize.
type RangeError struct {
	// Option is the configuration option, e.g. "network_vlan_ranges".
	Option string
	// Entry is the offending entry as given ("physnet1:1:5000"), or
	// "min:max" for a range given as a value.
	Entry string
	// Reason says what is wrong with it.
	Reason string
	// Err is the underlying cause, if any (a *strconv.NumError).
	Err error
}

// Error describes the bad entry.
func (e *RangeError) Error() string {
	return fmt.Sprintf("invalid %s entry %q: %s", e.Option, e.Entry, e.Reason)
}

// Unwrap returns the cause.
func (e *RangeError) Unwrap() error { return e.Err }

// PhysicalNetworkNameError reports an entry with an empty physical network
// name (Neutron's PhysicalNetworkNameError).
type PhysicalNetworkNameError struct {
	// Option is the configuration option, e.g. "network_vlan_ranges".
	Option string
	// Entry is the offending entry as given.
	Entry string
}

// Error describes the bad entry.
func (e *PhysicalNetworkNameError) Error() string {
	return fmt.Sprintf("invalid %s entry %q: empty physical network name", e.Option, e.Entry)
}

// MappingError reports a malformed "key:value" entry of a mapping option
// such as physical_network_mtus.
type MappingError struct {
	// Option is the configuration option, e.g. "physical_network_mtus".
	Option string
	// Entry is the offending entry as given.
	Entry string
	// Reason says what is wrong with it.
	Reason string
	// Err is the underlying cause, if any.
	Err error
}

// Error describes the bad entry.
func (e *MappingError) Error() string {
	return fmt.Sprintf("invalid %s entry %q: %s", e.Option, e.Entry, e.Reason)
}

// Unwrap returns the cause.
func (e *MappingError) Unwrap() error { return e.Err }
