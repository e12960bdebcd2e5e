package ml2

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ml2go/ml2go/core"
)

// Config is the [ml2] section and the few global options the plugin uses.
type Config struct {
	// TenantNetworkTypes are tried in order for networks created without
	// provider attributes. Default: local.
	TenantNetworkTypes []string
	// ExternalNetworkType, when set, is the type of router:external
	// networks created without provider attributes.
	ExternalNetworkType string
	// MechanismDrivers and ExtensionDrivers name registered drivers, in
	// call order.
	MechanismDrivers []string
	ExtensionDrivers []string
	// ServicePlugins name registered service plugins
	// (core.ServicePlugin), in order: New subscribes those that are
	// core.Subscribers to the registry's events, then initializes them.
	ServicePlugins []string
	// GlobalPhysnetMTU is the network MTU when no segment has an opinion.
	// Default 1500.
	GlobalPhysnetMTU int
	// BaseMAC is the MAC prefix of generated addresses. Default
	// fa:16:3e:00:00:00.
	BaseMAC string
	// MaxDNSNameservers and MaxHostRoutes bound subnet lists. Defaults 5
	// and 20.
	MaxDNSNameservers int
	MaxHostRoutes     int
	// AgentDownTime is how long an agent may stay silent and still be
	// alive. Default 75s.
	AgentDownTime time.Duration
	// DefaultProjectID is used for requests without a project. Default
	// "default".
	DefaultProjectID string
	// Logger receives the plugin's logs. Default: discard.
	Logger hclog.Logger
	// Quotas, when set, is consulted at the start of every network,
	// subnet and port create transaction (quota.Quotas implements it).
	Quotas QuotaChecker
}

// QuotaChecker checks a project's quota inside a create transaction.
type QuotaChecker interface {
	// CheckInTx returns OverQuota when the project may not create n more
	// of resource ("network", "subnet", "port").
	CheckInTx(ctx context.Context, tx core.QuotaStore, projectID, resource string, n int) error
	// Query returns what to ask the store (core.NetworkUsageReader) to
	// check projectID's quota of resource; false when resource has no
	// quota.
	Query(projectID, resource string) (core.QuotaQuery, bool)
}

func (c *Config) setDefaults() {
	if len(c.TenantNetworkTypes) == 0 {
		c.TenantNetworkTypes = []string{core.TypeLocal}
	}
	if c.GlobalPhysnetMTU == 0 {
		c.GlobalPhysnetMTU = core.DefaultGlobalPhysnetMTU
	}
	if c.BaseMAC == "" {
		c.BaseMAC = core.DefaultMACPrefix
	}
	if c.MaxDNSNameservers == 0 {
		c.MaxDNSNameservers = core.DefaultMaxDNSNameservers
	}
	if c.MaxHostRoutes == 0 {
		c.MaxHostRoutes = core.DefaultMaxHostRoutes
	}
	if c.AgentDownTime == 0 {
		c.AgentDownTime = 75 * time.Second
	}
	if c.DefaultProjectID == "" {
		c.DefaultProjectID = "default"
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
}
