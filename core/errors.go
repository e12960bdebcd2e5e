package core

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an Error the way Neutron's exception base classes do; the
// API layer maps each Kind to one HTTP status.
type Kind int

// The kinds of error. Their order carries no meaning.
const (
	KindInternal           Kind = iota // anything unexpected (HTTP 500)
	KindNotFound                       // NotFound (404)
	KindConflict                       // Conflict and InUse (409)
	KindBadRequest                     // BadRequest and InvalidInput (400)
	KindNotAuthorized                  // NotAuthorized (403)
	KindUnavailable                    // ServiceUnavailable, ResourceExhausted (503)
	KindPreconditionFailed             // revision mismatch on If-Match (412)
)

var kindNames = map[Kind]string{
	KindInternal: "internal", KindNotFound: "not found", KindConflict: "conflict",
	KindBadRequest: "bad request", KindNotAuthorized: "not authorized",
	KindUnavailable: "unavailable", KindPreconditionFailed: "precondition failed",
}

// String names the kind.
func (k Kind) String() string { return kindNames[k] }

// Sentinel errors, one per Kind, for errors.Is: errors.Is(err, core.ErrNotFound)
// is true for every *Error of KindNotFound.
var (
	ErrNotFound           = &Error{Kind: KindNotFound, Type: "NotFound"}
	ErrConflict           = &Error{Kind: KindConflict, Type: "Conflict"}
	ErrBadRequest         = &Error{Kind: KindBadRequest, Type: "BadRequest"}
	ErrNotAuthorized      = &Error{Kind: KindNotAuthorized, Type: "NotAuthorized"}
	ErrUnavailable        = &Error{Kind: KindUnavailable, Type: "ServiceUnavailable"}
	ErrPreconditionFailed = &Error{Kind: KindPreconditionFailed, Type: "PreconditionFailed"}
)

// ErrRetry marks a transient conflict (a lost compare-and-swap, a
// serialization failure, a deadlock). A Store retries a transaction that
// fails with an error wrapping ErrRetry; a precommit hook returning it makes
// the whole operation run again instead of failing.
var ErrRetry = errors.New("retriable conflict")

// Error is ml2go's typed error. Type is the Neutron exception class name
// (NetworkNotFound, VlanIdInUse, ...) that clients see in NeutronError bodies.
type Error struct {
	Kind    Kind
	Type    string
	Message string
	Err     error // optional cause
}

// Error returns the message.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Type
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's kind, or an *Error with
// the same Type.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	switch t {
	case ErrNotFound, ErrConflict, ErrBadRequest, ErrNotAuthorized, ErrUnavailable, ErrPreconditionFailed:
		return e.Kind == t.Kind
	}
	return e.Type == t.Type && e.Kind == t.Kind
}

// TypeOf returns the Neutron exception name of the first *Error in err's
// chain, or "" if there is none.
func TypeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Type
	}
	return ""
}

// KindOf returns the Kind of the first *Error in err's chain, KindInternal
// if there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

func newErr(k Kind, typ, format string, args ...any) *Error {
	return &Error{Kind: k, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// InvalidInput is Neutron's generic validation error (400).
func InvalidInput(format string, args ...any) error {
	return newErr(KindBadRequest, "InvalidInput", "Invalid input for operation: "+format+".", args...)
}

// InvalidText is the InvalidInput of text no store holds (see ValidText):
// what names where it was given, such as an attribute.
func InvalidText(what string) error {
	return InvalidInput("%s holds a NUL character or bytes that are not UTF-8", what)
}

// BadRequest is a 400 about a resource ("Bad <resource> request: <msg>").
func BadRequest(resource, format string, args ...any) error {
	return newErr(KindBadRequest, "BadRequest", "Bad "+resource+" request: "+format+".", args...)
}

// NotFoundError is a 404 for a resource of the given Neutron type, for
// example NotFoundError("Network", id).
func NotFoundError(resource, id string) error {
	return newErr(KindNotFound, resource+"NotFound", "%s %s could not be found.", resource, id)
}

// NetworkNotFound is returned for an unknown network id.
func NetworkNotFound(id string) error { return NotFoundError("Network", id) }

// SubnetNotFound is returned for an unknown subnet id.
func SubnetNotFound(id string) error { return NotFoundError("Subnet", id) }

// PortNotFound is returned for an unknown port id.
func PortNotFound(id string) error { return NotFoundError("Port", id) }

// SegmentNotFound is returned for an unknown segment id.
func SegmentNotFound(id string) error { return NotFoundError("Segment", id) }

// AgentNotFound is returned for an unknown agent id.
func AgentNotFound(id string) error { return NotFoundError("Agent", id) }

// NetworkInUse refuses to delete a network that still has user ports.
func NetworkInUse(netID string, portIDs []string) error {
	return newErr(KindConflict, "NetworkInUse",
		"Unable to complete operation on network %s. There are one or more ports still in use on the network, id for these ports is: %s.",
		netID, strings.Join(portIDs, ","))
}

// SubnetInUse refuses to delete a subnet that still has allocations.
func SubnetInUse(subnetID string) error {
	return newErr(KindConflict, "SubnetInUse",
		"Unable to complete operation on subnet %s: One or more ports have an IP allocation from this subnet.", subnetID)
}

// SegmentInUse refuses to delete a segment that subnets or bound ports
// still use; reason says which.
func SegmentInUse(segmentID, reason string) error {
	return newErr(KindConflict, "SegmentInUse", "Segment '%s' cannot be deleted: %s.", segmentID, reason)
}

// OverQuota is returned when creating resources would exceed the project's
// quota for some of them; the message lists them as Neutron does:
// "Quota exceeded for resources: ['network', 'port'].".
func OverQuota(resources []string) error {
	quoted := make([]string, len(resources))
	for i, r := range resources {
		quoted[i] = "'" + r + "'"
	}
	return newErr(KindConflict, "OverQuota", "Quota exceeded for resources: [%s].", strings.Join(quoted, ", "))
}

// TenantQuotaNotFound is returned when deleting the quotas of a project
// that has none of its own.
func TenantQuotaNotFound(projectID string) error {
	return newErr(KindNotFound, "TenantQuotaNotFound", "Quota for tenant %s could not be found.", projectID)
}

// NoNetworkAvailable is returned when no tenant segment can be allocated.
func NoNetworkAvailable() error {
	return newErr(KindUnavailable, "NoNetworkAvailable",
		"Unable to create the network. No tenant network is available for allocation.")
}

// NoNetworkFoundInMaximumAllowedAttempts is returned when allocation kept
// losing races.
func NoNetworkFoundInMaximumAllowedAttempts() error {
	return newErr(KindUnavailable, "NoNetworkFoundInMaximumAllowedAttempts",
		"Unable to create the network. No available network found in maximum allowed attempts.")
}

// StorageUnavailable is returned when the database's storage cannot be
// read or written (an I/O error, a read-only or full file system, a file
// made immutable, a database held by another process): a 503 that lasts
// until the fault is repaired. cause is the engine's error, for logs; it
// is not shown to clients.
func StorageUnavailable(cause error) error {
	return &Error{Kind: KindUnavailable, Type: "ServiceUnavailable",
		Message: "The service is unavailable: the database cannot be read or written.", Err: cause}
}

// VlanIdInUse is returned when a provider VLAN is taken.
func VlanIdInUse(vlanID int64, physnet string) error {
	return newErr(KindConflict, "VlanIdInUse",
		"Unable to create the network. The VLAN %d on physical network %s is in use.", vlanID, physnet)
}

// TunnelIdInUse is returned when a provider tunnel id is taken.
func TunnelIdInUse(id int64) error {
	return newErr(KindConflict, "TunnelIdInUse",
		"Unable to create the network. The tunnel ID %d is in use.", id)
}

// FlatNetworkInUse is returned when a physnet already carries a flat network.
func FlatNetworkInUse(physnet string) error {
	return newErr(KindConflict, "FlatNetworkInUse",
		"Unable to create the flat network. Physical network %s is in use.", physnet)
}

// DuplicateEntry reports a unique-key violation (NeutronDbObjectDuplicateEntry).
func DuplicateEntry(object string, columns ...string) error {
	return newErr(KindConflict, "NeutronDbObjectDuplicateEntry",
		"Failed to create a duplicate %s: for attribute(s) %s with value(s) given.", object, "["+strings.Join(columns, ", ")+"]")
}

// MacAddressInUse is returned when a MAC is already used on the network.
func MacAddressInUse(netID, mac string) error {
	return newErr(KindConflict, "MacAddressInUse",
		"Unable to complete operation for network %s. The mac address %s is in use.", netID, mac)
}

// IPAddressGenerationFailure is returned when no address is free.
func IPAddressGenerationFailure(netID string) error {
	return newErr(KindConflict, "IpAddressGenerationFailure",
		"No more IP addresses available on network %s.", netID)
}

// IPAddressAlreadyAllocated is returned for a requested address in use.
func IPAddressAlreadyAllocated(ip, subnetID string) error {
	return newErr(KindConflict, "IpAddressAlreadyAllocated",
		"IP address %s already allocated in subnet %s", ip, subnetID)
}

// InvalidIPForNetwork is returned when a requested address is in no subnet.
func InvalidIPForNetwork(ip string) error {
	return newErr(KindBadRequest, "InvalidIpForNetwork",
		"IP address %s is not a valid IP for any of the subnets on the specified network.", ip)
}

// InvalidIPForSubnet is returned when a requested address does not fit its subnet.
func InvalidIPForSubnet(ip string) error {
	return newErr(KindBadRequest, "InvalidIpForSubnet",
		"IP address %s is not a valid IP for the specified subnet.", ip)
}

// PortBound refuses a MAC change on a bound port.
func PortBound(portID, vifType string) error {
	return newErr(KindConflict, "PortBound",
		"Unable to complete operation on port %s, port is already bound, port type: %s, old_mac %s, new_mac %s.",
		portID, vifType, "", "")
}

// UnsupportedPortDeviceOwner refuses an operation for a device owner.
func UnsupportedPortDeviceOwner(op, portID, owner string) error {
	return newErr(KindConflict, "UnsupportedPortDeviceOwner",
		"Operation %s is not supported for device_owner %s on port %s.", op, owner, portID)
}

// RevisionNumberConstraintFailed is returned when If-Match does not hold.
func RevisionNumberConstraintFailed(expected, current int64) error {
	return newErr(KindPreconditionFailed, "RevisionNumberConstraintFailed",
		"Constrained to %d, but current revision is %d", expected, current)
}

// Typed builds an error of any other Neutron type.
func Typed(k Kind, typ, format string, args ...any) error { return newErr(k, typ, format, args...) }

// MechanismDriverError gathers the failures of one mechanism-manager call.
// The API layer unwraps it (Neutron's MultipleExceptions).
type MechanismDriverError struct {
	Method string
	Errors []error
}

// Error lists the failures.
func (e *MechanismDriverError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, err := range e.Errors {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%s failed: %s", e.Method, strings.Join(msgs, "; "))
}

// Unwrap returns the inner errors.
func (e *MechanismDriverError) Unwrap() []error { return e.Errors }

// InvalidFilter is the error of a listing filtered on an attribute that is
// not filterable (Neutron's filter validation, a 400).
func InvalidFilter(attr string) error {
	return Typed(KindBadRequest, "HTTPBadRequest", "['%s'] is invalid attribute for filtering", attr)
}

// InvalidSortKey is the error of a listing sorted on an attribute that is
// not sortable (a 400).
func InvalidSortKey(attr string) error {
	return Typed(KindBadRequest, "HTTPBadRequest", "['%s'] is invalid attribute for sort_keys", attr)
}
