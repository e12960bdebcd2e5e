package core

import "context"

// Connectivity is what a mechanism driver provides to the ports it binds.
type Connectivity string

// Connectivity values.
const (
	ConnectivityLegacy Connectivity = "legacy"
	ConnectivityL2     Connectivity = "l2"
	ConnectivityL3     Connectivity = "l3"
)

// NetworkContext is what mechanism drivers see of a network operation.
type NetworkContext interface {
	// Current is the network as the API would return it.
	Current() *Network
	// Original is the network before an update; nil for create and delete.
	Original() *Network
	// Segments are the network's static segments.
	Segments() []Segment
}

// SubnetContext is what mechanism drivers see of a subnet operation.
type SubnetContext interface {
	Current() *Subnet
	// Original is the subnet before an update; nil otherwise.
	Original() *Subnet
	// Network is the subnet's network.
	Network() NetworkContext
}

// BoundLevel is one level of a binding as drivers see it.
type BoundLevel struct {
	Driver  string
	Segment Segment
}

// PortContext is what mechanism drivers see of a port operation, and the
// handle through which BindPort binds a port.
type PortContext interface {
	// Current is the port, with its binding.
	Current() *Port
	// Original is the port before an update; nil otherwise.
	Original() *Port
	Status() string
	OriginalStatus() string
	Network() NetworkContext
	// Host is the binding host.
	Host() string
	OriginalHost() string
	VIFType() string
	VIFDetails() map[string]any
	OriginalVIFType() string
	OriginalVIFDetails() map[string]any
	// BindingLevels lists levels top to bottom. Inside BindPort, only the
	// levels above the one being bound.
	BindingLevels() []BoundLevel
	OriginalBindingLevels() []BoundLevel
	// TopBoundSegment and BottomBoundSegment are nil when unbound.
	TopBoundSegment() *Segment
	BottomBoundSegment() *Segment
	OriginalTopBoundSegment() *Segment
	OriginalBottomBoundSegment() *Segment

	// SegmentsToBind are the candidate segments at the level being bound
	// (only meaningful inside BindPort).
	SegmentsToBind() []Segment
	// HostAgents returns the agents of agentType on the binding host.
	HostAgents(ctx context.Context, agentType string) ([]Agent, error)
	// SetBinding completes the binding at this level. segmentID must be one
	// of SegmentsToBind. A non-empty status becomes the port status when
	// the binding is committed.
	SetBinding(segmentID, vifType string, vifDetails map[string]any, status string)
	// ContinueBinding binds this level partially; the next level tries
	// next.
	ContinueBinding(segmentID string, next []Segment)
	// AllocateDynamicSegment creates, or reuses, a dynamic segment of the
	// port's network.
	AllocateDynamicSegment(ctx context.Context, seg Segment) (Segment, error)
	// ReleaseDynamicSegment releases and deletes a dynamic segment.
	ReleaseDynamicSegment(ctx context.Context, segmentID string) error
}

// MechanismDriver is the contract of a mechanism driver: it is told of every
// network, subnet and port change, inside the transaction (precommit, must
// not block; an error rolls everything back) and after it (postcommit), and
// it binds ports. Embed MechanismDriverBase to implement only what you need.
type MechanismDriver interface {
	Initialize(ctx context.Context) error

	CreateNetworkPrecommit(ctx context.Context, nc NetworkContext) error
	CreateNetworkPostcommit(ctx context.Context, nc NetworkContext) error
	UpdateNetworkPrecommit(ctx context.Context, nc NetworkContext) error
	UpdateNetworkPostcommit(ctx context.Context, nc NetworkContext) error
	DeleteNetworkPrecommit(ctx context.Context, nc NetworkContext) error
	DeleteNetworkPostcommit(ctx context.Context, nc NetworkContext) error

	CreateSubnetPrecommit(ctx context.Context, sc SubnetContext) error
	CreateSubnetPostcommit(ctx context.Context, sc SubnetContext) error
	UpdateSubnetPrecommit(ctx context.Context, sc SubnetContext) error
	UpdateSubnetPostcommit(ctx context.Context, sc SubnetContext) error
	DeleteSubnetPrecommit(ctx context.Context, sc SubnetContext) error
	DeleteSubnetPostcommit(ctx context.Context, sc SubnetContext) error

	CreatePortPrecommit(ctx context.Context, pc PortContext) error
	CreatePortPostcommit(ctx context.Context, pc PortContext) error
	UpdatePortPrecommit(ctx context.Context, pc PortContext) error
	UpdatePortPostcommit(ctx context.Context, pc PortContext) error
	DeletePortPrecommit(ctx context.Context, pc PortContext) error
	DeletePortPostcommit(ctx context.Context, pc PortContext) error

	// BindPort attempts to bind pc at the current level by calling
	// SetBinding or ContinueBinding, or leaves it alone. It runs outside
	// any transaction and must be free of side effects, as its result may
	// be discarded.
	BindPort(ctx context.Context, pc PortContext) error
}

// ConnectivityProvider is implemented by drivers whose connectivity is not
// "legacy". Ports without fixed IPs are only offered to l2 drivers.
type ConnectivityProvider interface {
	Connectivity() Connectivity
}

// VLANTransparencyChecker is implemented by drivers that may support
// VLAN-transparent networks. A driver that does not implement it does not
// support them.
type VLANTransparencyChecker interface {
	CheckVLANTransparency(ctx context.Context, nc NetworkContext) bool
}

// MechanismDriverBase implements every MechanismDriver method as a no-op, for
// embedding.
type MechanismDriverBase struct{}

var _ MechanismDriver = MechanismDriverBase{}

// Initialize does nothing.
func (MechanismDriverBase) Initialize(context.Context) error { return nil }

// CreateNetworkPrecommit does nothing.
func (MechanismDriverBase) CreateNetworkPrecommit(context.Context, NetworkContext) error { return nil }

// CreateNetworkPostcommit does nothing.
func (MechanismDriverBase) CreateNetworkPostcommit(context.Context, NetworkContext) error { return nil }

// UpdateNetworkPrecommit does nothing.
func (MechanismDriverBase) UpdateNetworkPrecommit(context.Context, NetworkContext) error { return nil }

// UpdateNetworkPostcommit does nothing.
func (MechanismDriverBase) UpdateNetworkPostcommit(context.Context, NetworkContext) error { return nil }

// DeleteNetworkPrecommit does nothing.
func (MechanismDriverBase) DeleteNetworkPrecommit(context.Context, NetworkContext) error { return nil }

// DeleteNetworkPostcommit does nothing.
func (MechanismDriverBase) DeleteNetworkPostcommit(context.Context, NetworkContext) error { return nil }

// CreateSubnetPrecommit does nothing.
func (MechanismDriverBase) CreateSubnetPrecommit(context.Context, SubnetContext) error { return nil }

// CreateSubnetPostcommit does nothing.
func (MechanismDriverBase) CreateSubnetPostcommit(context.Context, SubnetContext) error { return nil }

// UpdateSubnetPrecommit does nothing.
func (MechanismDriverBase) UpdateSubnetPrecommit(context.Context, SubnetContext) error { return nil }

// UpdateSubnetPostcommit does nothing.
func (MechanismDriverBase) UpdateSubnetPostcommit(context.Context, SubnetContext) error { return nil }

// DeleteSubnetPrecommit does nothing.
func (MechanismDriverBase) DeleteSubnetPrecommit(context.Context, SubnetContext) error { return nil }

// DeleteSubnetPostcommit does nothing.
func (MechanismDriverBase) DeleteSubnetPostcommit(context.Context, SubnetContext) error { return nil }

// CreatePortPrecommit does nothing.
func (MechanismDriverBase) CreatePortPrecommit(context.Context, PortContext) error { return nil }

// CreatePortPostcommit does nothing.
func (MechanismDriverBase) CreatePortPostcommit(context.Context, PortContext) error { return nil }

// UpdatePortPrecommit does nothing.
func (MechanismDriverBase) UpdatePortPrecommit(context.Context, PortContext) error { return nil }

// UpdatePortPostcommit does nothing.
func (MechanismDriverBase) UpdatePortPostcommit(context.Context, PortContext) error { return nil }

// DeletePortPrecommit does nothing.
func (MechanismDriverBase) DeletePortPrecommit(context.Context, PortContext) error { return nil }

// DeletePortPostcommit does nothing.
func (MechanismDriverBase) DeletePortPostcommit(context.Context, PortContext) error { return nil }

// BindPort binds nothing.
func (MechanismDriverBase) BindPort(context.Context, PortContext) error { return nil }

// PortPair is the port of a port context before and after the change,
// with the PortContext accessors that derive from them. Contexts (the
// orchestrator's, the plugin SDK's, test fakes) embed it.
type PortPair struct {
	// CurrentPort is the port as it is now. It must not be nil.
	CurrentPort *Port
	// OriginalPort is the port before an update; nil otherwise.
	OriginalPort *Port
}

// Current returns CurrentPort.
func (p *PortPair) Current() *Port { return p.CurrentPort }

// Original returns OriginalPort.
func (p *PortPair) Original() *Port { return p.OriginalPort }

// Status returns the current port's status.
func (p *PortPair) Status() string { return p.CurrentPort.Status }

// Host returns the current binding host.
func (p *PortPair) Host() string { return p.CurrentPort.Binding.HostID }

// VIFType returns the current binding's VIF type.
func (p *PortPair) VIFType() string { return p.CurrentPort.Binding.VIFType }

// VIFDetails returns the current binding's VIF details.
func (p *PortPair) VIFDetails() map[string]any { return p.CurrentPort.Binding.VIFDetails }

// OriginalStatus returns the original port's status, "" without one.
func (p *PortPair) OriginalStatus() string {
	if p.OriginalPort == nil {
		return ""
	}
	return p.OriginalPort.Status
}

// OriginalHost returns the original binding host, "" without one.
func (p *PortPair) OriginalHost() string {
	if p.OriginalPort == nil {
		return ""
	}
	return p.OriginalPort.Binding.HostID
}

// OriginalVIFType returns the original binding's VIF type, "" without one.
func (p *PortPair) OriginalVIFType() string {
	if p.OriginalPort == nil {
		return ""
	}
	return p.OriginalPort.Binding.VIFType
}

// OriginalVIFDetails returns the original binding's VIF details, nil
// without one.
func (p *PortPair) OriginalVIFDetails() map[string]any {
	if p.OriginalPort == nil {
		return nil
	}
	return p.OriginalPort.Binding.VIFDetails
}
