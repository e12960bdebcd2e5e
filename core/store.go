package core

import (
	"context"
	"net/netip"
)

// Store persists the model. The database is the only source of truth: every
// ml2go server sharing a Store sees the same state, and every operation that
// must be atomic runs in one transaction.
type Store interface {
	// Update runs fn in a read-write transaction and commits if fn returns
	// nil. When the transaction fails with an error wrapping ErrRetry
	// (including conflicts the store detects itself: serialization
	// failures, deadlocks, a busy database) it runs fn again, a bounded
	// number of times with jittered back-off, so fn must only have effects
	// through tx.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the store's resources.
	Close() error
}

// PortsCreator is implemented by a Tx that can insert several ports, each
// with the first address of its automatic allocation, in one statement.
// The orchestrator uses it, when the store offers it, to store port creates
// that arrive together in one transaction.
type PortsCreator interface {
	// CreatePortsWithIP inserts ports[i] as CreatePortWithIP does, with
	// ips[i] when that is not nil, and reports for each port whether its
	// address was allocated. If a port cannot be inserted, it returns the
	// error CreatePort would return for that port; the transaction must
	// then be rolled back.
	CreatePortsWithIP(ctx context.Context, ports []*Port, ips []*IPAllocation) (allocated []bool, err error)
}

// PortStreamer is implemented by a Tx that can list ports a page of rows
// at a time. The orchestrator uses it, when the store offers it, so that
// the memory a listing takes is bounded by a page, not by its result.
type PortStreamer interface {
	// StreamPorts calls yield with each port ListPorts would return for
	// opts, in order, and stops when yield returns false. The port
	// given to yield is valid until yield returns. What would make
	// ListPorts fail before it returns any port (an unknown filter or
	// sort key, a marker that is no port) is returned before yield is
	// first called.
	StreamPorts(ctx context.Context, opts *ListOptions, yield func(*Port) bool) error
}

// QuotaQuery asks for a project's limit of one resource, its own or else
// DefaultLimit, and how many of that resource it has.
type QuotaQuery struct {
	ProjectID    string
	Resource     string
	DefaultLimit int
}

// QuotaUsage answers a QuotaQuery. Used is 0 when Limit is negative
// (unlimited): nothing is counted then.
type QuotaUsage struct {
	Limit int
	Used  int
}

// Allows reports whether a project with this usage may have n more.
func (u QuotaUsage) Allows(n int) bool { return u.Limit < 0 || u.Used+n <= u.Limit }

// NetworkUsageReader is implemented by a Tx that can read a network with
// its subnets and a project's quota usage in one statement. The
// orchestrator uses it, when the store offers it, so that a port create
// reads what it needs before its insert in one round trip.
type NetworkUsageReader interface {
	// GetNetworkSubnetsUsage returns what GetNetworkSubnets returns for
	// networkID and what QuotaUsage returns for q. When the network
	// cannot be read, it returns GetNetworkSubnets' error, and no usage.
	GetNetworkSubnetsUsage(ctx context.Context, networkID string, q QuotaQuery) (*Network, []*Subnet, QuotaUsage, error)
}

// Tx is one transaction: every store contract below, so that the
// orchestrator, which touches them all, takes one value. Code that needs
// one kind of resource asks for its interface instead (a quota check
// takes a QuotaStore, an extension driver an ExtensionTx, a type driver a
// SegmentAllocator); a service plugin keeps its own resources in its own
// tables, reached through its store's SQL seam, so Tx does not grow with
// services.
//
// Methods return typed core errors (NetworkNotFound, MacAddressInUse,
// DuplicateEntry, ...). Update* methods write the mutable attributes of
// the given value, compare-and-swap on its RevisionNumber (a mismatch is
// a conflict wrapping ErrRetry), then increment RevisionNumber and set
// UpdatedAt on the value.
type Tx interface {
	SegmentAllocator
	NetworkStore
	SegmentStore
	SubnetStore
	PortStore
	IPAllocationStore
	AgentStore
	HostChangeFeed
	QuotaStore
	IPUsageReader
}

// ExtensionTx is what an extension driver's Process* hooks may do in the
// transaction they run in: read networks, subnets, ports and segments.
// They write only the resource they are given (its Extra attributes);
// every Tx is an ExtensionTx.
type ExtensionTx interface {
	NetworkReader
	SubnetReader
	PortReader
	SegmentReader
}

// NetworkReader reads networks.
type NetworkReader interface {
	// GetNetwork returns the network with its static segments, subnet ids
	// and tags.
	GetNetwork(ctx context.Context, id string) (*Network, error)
	// ListNetworks lists networks as opts asks.
	ListNetworks(ctx context.Context, opts *ListOptions) ([]*Network, error)
}

// NetworkStore holds networks (their segments are a SegmentStore's).
type NetworkStore interface {
	NetworkReader
	// CreateNetwork inserts n (not its segments), setting CreatedAt,
	// UpdatedAt and RevisionNumber.
	CreateNetwork(ctx context.Context, n *Network) error
	// GetNetworkSubnets returns the network, as GetNetwork, with its
	// subnets in creation order: one read where a port or subnet create
	// needs both.
	GetNetworkSubnets(ctx context.Context, id string) (*Network, []*Subnet, error)
	// UpdateNetwork writes n's mutable attributes.
	UpdateNetwork(ctx context.Context, n *Network) error
	// DeleteNetwork deletes the network row and its segment rows.
	DeleteNetwork(ctx context.Context, id string) error
}

// SegmentReader reads a network's segments.
type SegmentReader interface {
	// GetSegment returns one segment, static or dynamic.
	GetSegment(ctx context.Context, id string) (*Segment, error)
	// NetworkSegments lists a network's segments by index, static first.
	NetworkSegments(ctx context.Context, networkID string, includeDynamic bool) ([]Segment, error)
}

// SegmentStore holds network segments. Their segmentation ids are
// reserved through a SegmentAllocator.
type SegmentStore interface {
	SegmentReader
	// CreateSegment inserts seg. A second segment with the same
	// (network, type, physnet) is a DuplicateEntry conflict.
	CreateSegment(ctx context.Context, seg *Segment) error
	// SetSegmentationID changes a segment's segmentation id.
	SetSegmentationID(ctx context.Context, segmentID string, id int64) error
	// UpdateSegment writes Name and Description.
	UpdateSegment(ctx context.Context, seg *Segment) error
	// DeleteSegment deletes a segment; one that a subnet uses is
	// SegmentInUse.
	DeleteSegment(ctx context.Context, id string) error
	// ListSegments lists segments, static and dynamic, of every network.
	ListSegments(ctx context.Context, opts *ListOptions) ([]*Segment, error)
}

// SubnetReader reads subnets.
type SubnetReader interface {
	// GetSubnet returns one subnet.
	GetSubnet(ctx context.Context, id string) (*Subnet, error)
	// ListSubnets lists subnets as opts asks.
	ListSubnets(ctx context.Context, opts *ListOptions) ([]*Subnet, error)
}

// SubnetStore holds subnets (their addresses in use are an
// IPAllocationStore's).
type SubnetStore interface {
	SubnetReader
	// CreateSubnet inserts s.
	CreateSubnet(ctx context.Context, s *Subnet) error
	// UpdateSubnet writes s's mutable attributes.
	UpdateSubnet(ctx context.Context, s *Subnet) error
	// DeleteSubnet deletes a subnet; one with IP allocations is
	// SubnetInUse.
	DeleteSubnet(ctx context.Context, id string) error
}

// PortReader reads ports.
type PortReader interface {
	// GetPort returns the port with its fixed IPs, binding and levels.
	GetPort(ctx context.Context, id string) (*Port, error)
	// ListPorts lists ports as opts asks.
	ListPorts(ctx context.Context, opts *ListOptions) ([]*Port, error)
}

// PortStore holds ports with their bindings and binding levels.
type PortStore interface {
	PortReader
	// CreatePort inserts p and its binding (not its fixed IPs, which are
	// added with AllocateIP). A MAC already on the network is
	// MacAddressInUse.
	CreatePort(ctx context.Context, p *Port) error
	// CreatePortWithIP inserts p as CreatePort does and allocates ip to it,
	// in one statement where the engine allows. allocated is false, the
	// port inserted all the same, when the address was already taken.
	CreatePortWithIP(ctx context.Context, p *Port, ip IPAllocation) (allocated bool, err error)
	// UpdatePort writes port attributes, binding and binding levels.
	UpdatePort(ctx context.Context, p *Port) error
	// DeletePort deletes the port, its IP allocations and binding.
	DeletePort(ctx context.Context, id string) error
}

// IPAllocationStore holds which addresses of which subnets belong to
// which ports.
type IPAllocationStore interface {
	// AllocateIP records that a.IP in a.SubnetID belongs to a.PortID. It
	// returns false, without error, if the address is already allocated.
	AllocateIP(ctx context.Context, a IPAllocation) (bool, error)
	// ReleaseIP deletes one allocation.
	ReleaseIP(ctx context.Context, subnetID string, ip netip.Addr) error
	// AllocatedIPs returns, ascending, up to limit allocated addresses of
	// the subnet within [from, to].
	AllocatedIPs(ctx context.Context, subnetID string, from, to netip.Addr, limit int) ([]netip.Addr, error)
	// SubnetAllocations lists every allocation of a subnet.
	SubnetAllocations(ctx context.Context, subnetID string) ([]IPAllocation, error)
}

// AgentStore holds the agents that report from hosts.
type AgentStore interface {
	// UpsertAgent creates or refreshes the agent identified by (AgentType,
	// Host), filling a's ID and CreatedAt; created reports a new row.
	UpsertAgent(ctx context.Context, a *Agent) (created bool, err error)
	// GetAgent returns one agent.
	GetAgent(ctx context.Context, id string) (*Agent, error)
	// UpdateAgent writes AdminStateUp and Description.
	UpdateAgent(ctx context.Context, a *Agent) error
	// DeleteAgent deletes one agent.
	DeleteAgent(ctx context.Context, id string) error
	// ListAgents lists agents as opts asks.
	ListAgents(ctx context.Context, opts *ListOptions) ([]*Agent, error)
}

// HostChangeFeed is the host change feed (see HostChange).
type HostChangeFeed interface {
	// AddHostChange appends c to the host change feed, setting c.Seq: a
	// number greater than every earlier change's, shared by every process
	// on the store.
	AddHostChange(ctx context.Context, c *HostChange) error
	// HostChanges returns the changes numbered after seq, in order, and
	// the number of the oldest change still kept (0 when the feed is
	// empty): a reader that last saw a change older than that has missed
	// some.
	HostChanges(ctx context.Context, after int64) (changes []HostChange, oldest int64, err error)
	// PruneHostChanges forgets the changes numbered up to seq.
	PruneHostChanges(ctx context.Context, upTo int64) error
}

// QuotaStore holds the quota limits projects have of their own, and
// counts what projects use.
type QuotaStore interface {
	// ProjectQuotas returns the limits a project has of its own, by
	// resource name; empty when it has none.
	ProjectQuotas(ctx context.Context, projectID string) (map[string]int, error)
	// SetProjectQuotas creates or replaces limits of a project; the
	// project's other limits stay.
	SetProjectQuotas(ctx context.Context, projectID string, limits map[string]int) error
	// DeleteProjectQuotas deletes every limit of a project. It is
	// TenantQuotaNotFound when the project had none.
	DeleteProjectQuotas(ctx context.Context, projectID string) error
	// ListProjectQuotas returns the limits of every project that has some
	// of its own, by project id.
	ListProjectQuotas(ctx context.Context) (map[string]map[string]int, error)
	// CountResources counts, in one query, the resources of the named
	// kinds ("network", "subnet", "port") a project owns. Kinds the store
	// does not hold are left out of the result.
	CountResources(ctx context.Context, projectID string, resources ...string) (map[string]int, error)
	// QuotaUsage returns a project's limit of a resource (its own, else
	// defaultLimit) and, unless that is negative (unlimited), how many it
	// has, in one statement.
	QuotaUsage(ctx context.Context, projectID, resource string, defaultLimit int) (limit, used int, err error)
}

// IPUsageReader reads the address usage of networks.
type IPUsageReader interface {
	// IPUsage reports address usage for the network-ip-availability
	// extension in one grouped query: a row per subnet of the matching
	// networks, with the number of its IP allocations, and a row with an
	// empty SubnetID per matching network without subnets, ordered by
	// network id then subnet creation. Filters accepted: "network_id",
	// "network_name", "project_id", "tenant_id" and "ip_version" (which
	// leaves out networks without a subnet of that version); ProjectScope
	// applies as for networks. Sorts, Limit and Marker are ignored.
	IPUsage(ctx context.Context, opts *ListOptions) ([]IPUsage, error)
}

// HostChange is one entry of the host change feed, through which the
// servers sharing a store tell each other, and their hosts' agents, what
// changed for which hosts: the ports and networks that changed, the hosts
// of the changed ports, and whether every host carrying one of the
// networks is concerned too (its L2 population entries or its settings
// changed).
type HostChange struct {
	Seq      int64
	Hosts    []string
	Ports    []string
	Networks []string
	Carriers bool
}

// IPUsage is one row of an IP availability report: a subnet and the number
// of its allocated addresses, or a network without subnets (SubnetID "").
type IPUsage struct {
	NetworkID       string
	NetworkName     string
	ProjectID       string
	SubnetID        string
	SubnetName      string
	IPVersion       int
	CIDR            netip.Prefix
	AllocationPools []IPRange
	// Used is the number of IP allocations in the subnet, whatever the
	// port's owner and whether or not the address is in a pool.
	Used int64
}

// IPAllocation ties an address of a subnet to a port.
type IPAllocation struct {
	SubnetID  string
	NetworkID string
	PortID    string
	IP        netip.Addr
}

// ListOptions filter, sort and paginate a listing. The store does all of it
// in the database.
type ListOptions struct {
	// Filters maps an attribute name, as the API names it
	// ("name", "admin_state_up", "binding:host_id", "provider:network_type",
	// "tags", ...), to the accepted values: values of one key are ORed,
	// keys are ANDed. Values are strings converted by the attribute's type;
	// one that does not convert, or an unknown attribute, is InvalidInput.
	// Ports accept "fixed_ips" values of the form "ip_address=<ip>",
	// "subnet_id=<id>" and "ip_address_substr=<s>", and "id_prefix" values
	// matching the start of the id.
	// Agents accept "heartbeat_after" and "heartbeat_before": Unix times
	// in seconds that the last heartbeat must be strictly later, or
	// earlier, than (the plugin turns the API's "alive" filter into them).
	Filters map[string][]string
	// Sorts orders the result; "id" ascending is appended as a tiebreaker.
	Sorts []SortKey
	// Limit caps the number of items; 0 means no limit.
	Limit int
	// Marker is the id of the item the page starts after (before, with
	// PageReverse). An unknown marker is the resource's NotFound error.
	Marker      string
	PageReverse bool
	// ProjectScope, when not empty, restricts the result to resources that
	// project may see: its own, plus shared and external networks and the
	// subnets of shared ones (an external network's subnets are not
	// shown to other projects unless it is also shared).
	ProjectScope string
	// Fields, when not empty, names the attributes (as the API names
	// them) the caller will use of each item: a store may leave the
	// others unset. IDs are always set.
	Fields []string
}

// SortKey is one sort criterion.
type SortKey struct {
	Field string
	Desc  bool
}
