// Package quota enforces per-project limits on the number of resources, as
// Neutron's quota engine (DbQuotaDriver) does.
//
// Every resource has a default limit; a project may have limits of its own
// for some resources, kept in the store. A limit of -1 is unlimited. The
// API layer calls Check before creating resources, as Neutron's API does
// before calling the plugin: Check counts what the project already has and
// refuses with OverQuota (409) what would exceed a limit. Counting and
// creating are separate transactions, so concurrent creates may together
// overshoot a limit by a little, as they can with Neutron's default
// driver.
package quota

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// Limits maps a resource name ("network", "subnet", "port", "router",
// "floatingip", "security_group", "security_group_rule", "rbac_policy",
// "subnetpool") to its limit; -1 is unlimited.
type Limits map[string]int

// Unlimited is the limit of a resource without limit.
const Unlimited = -1

// Defaults returns Neutron's default limits: 100 networks, 100 subnets,
// 500 ports, 10 routers, 50 floating IPs, 10 security groups, 100
// security group rules, 10 RBAC policies and unlimited subnet pools.
func Defaults() Limits {
	return Limits{
		"network":             100,
		"subnet":              100,
		"port":                500,
		"router":              10,
		"floatingip":          50,
		"security_group":      10,
		"security_group_rule": 100,
		"rbac_policy":         10,
		"subnetpool":          Unlimited,
	}
}

// Detail is a resource's limit and usage, as the quota details API shows
// them.
type Detail struct {
	Limit int
	// Used counts the project's existing resources.
	Used int
	// Reserved is always 0: resources are counted, not reserved.
	Reserved int
}

// Quotas reads, changes and checks project quotas kept in a core.Store.
// It is safe for concurrent use.
type Quotas struct {
	store    core.Store
	defaults Limits
}

// New returns the quotas kept in store. defaults overrides Neutron's
// Defaults resource by resource, and may add resources; the resources
// known are those of both. Negative defaults are unlimited.
func New(store core.Store, defaults Limits) *Quotas {
	d := Defaults()
	for r, l := range defaults {
		d[r] = max(l, Unlimited)
	}
	return &Quotas{store: store, defaults: d}
}

// Defaults returns the default limits.
func (q *Quotas) Defaults() Limits { return maps.Clone(q.defaults) }

// Get returns a project's limits: the defaults overlaid with the
// project's own.
func (q *Quotas) Get(ctx context.Context, projectID string) (Limits, error) {
	if !core.ValidText(projectID) {
		return nil, core.InvalidText("project_id")
	}
	var own map[string]int
	err := q.store.View(ctx, func(tx core.Tx) (err error) {
		own, err = tx.ProjectQuotas(ctx, projectID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return q.overlay(own), nil
}

// overlay returns the defaults overlaid with own, for known resources.
func (q *Quotas) overlay(own map[string]int) Limits {
	out := maps.Clone(q.defaults)
	for r, l := range own {
		if _, ok := out[r]; ok {
			out[r] = l
		}
	}
	return out
}

// Update sets limits of a project and returns all its limits. A negative
// limit is stored as -1 (unlimited); an unknown resource, or a limit above
// 2147483647, is InvalidInput and changes nothing.
func (q *Quotas) Update(ctx context.Context, projectID string, l Limits) (Limits, error) {
	if !core.ValidText(projectID) {
		return nil, core.InvalidText("project_id")
	}
	set := make(map[string]int, len(l))
	for _, r := range slices.Sorted(maps.Keys(l)) {
		if _, ok := q.defaults[r]; !ok {
			return nil, core.InvalidInput("Unknown quota resource %s", r)
		}
		if l[r] > math.MaxInt32 {
			return nil, core.InvalidInput("Quota limit %d for %s must be less than or equal to %d", l[r], r, math.MaxInt32)
		}
		set[r] = max(l[r], Unlimited)
	}
	var own map[string]int
	err := q.store.Update(ctx, func(tx core.Tx) error {
		if err := tx.SetProjectQuotas(ctx, projectID, set); err != nil {
			return err
		}
		var err error
		own, err = tx.ProjectQuotas(ctx, projectID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return q.overlay(own), nil
}

// Delete removes a project's own limits: it is back to the defaults.
// TenantQuotaNotFound if it had none.
func (q *Quotas) Delete(ctx context.Context, projectID string) error {
	if !core.ValidText(projectID) {
		return core.InvalidText("project_id")
	}
	return q.store.Update(ctx, func(tx core.Tx) error { return tx.DeleteProjectQuotas(ctx, projectID) })
}

// List returns the limits, defaults overlaid, of every project that has
// limits of its own.
func (q *Quotas) List(ctx context.Context) (map[string]Limits, error) {
	var all map[string]map[string]int
	err := q.store.View(ctx, func(tx core.Tx) (err error) {
		all, err = tx.ListProjectQuotas(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]Limits, len(all))
	for p, own := range all {
		out[p] = q.overlay(own)
	}
	return out, nil
}

// Details returns, for every known resource, the project's limit and how
// many it uses. Networks, subnets and ports are counted in the store;
// resources it does not hold count 0.
func (q *Quotas) Details(ctx context.Context, projectID string) (map[string]Detail, error) {
	if !core.ValidText(projectID) {
		return nil, core.InvalidText("project_id")
	}
	var own, used map[string]int
	err := q.store.View(ctx, func(tx core.Tx) (err error) {
		if own, err = tx.ProjectQuotas(ctx, projectID); err != nil {
			return err
		}
		used, err = tx.CountResources(ctx, projectID, slices.Sorted(maps.Keys(q.defaults))...)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]Detail, len(q.defaults))
	for r, l := range q.overlay(own) {
		out[r] = Detail{Limit: l, Used: used[r]}
	}
	return out, nil
}

// Check reports whether the project may create want[r] more resources of
// each kind r: OverQuota, naming the resources in order, when what it
// has plus what it wants exceeds a limit that is not unlimited. Resources
// without a quota and counts of zero are not checked; a negative count is
// InvalidQuotaValue.
func (q *Quotas) Check(ctx context.Context, projectID string, want map[string]int) error {
	if !core.ValidText(projectID) {
		return core.InvalidText("project_id")
	}
	var check []string
	var unders []string
	for _, r := range slices.Sorted(maps.Keys(want)) {
		switch n := want[r]; {
		case n < 0:
			unders = append(unders, r)
		case n > 0:
			if _, ok := q.defaults[r]; ok {
				check = append(check, r)
			}
		}
	}
	if len(unders) > 0 {
		return core.Typed(core.KindConflict, "InvalidQuotaValue",
			"Change would make usage less than 0 for the following resources: %s", pyList(unders))
	}
	if len(check) == 0 {
		return nil
	}
	var limits Limits
	var used map[string]int
	err := q.store.View(ctx, func(tx core.Tx) error {
		own, err := tx.ProjectQuotas(ctx, projectID)
		if err != nil {
			return err
		}
		limits = q.overlay(own)
		check = slices.DeleteFunc(check, func(r string) bool { return limits[r] < 0 })
		if len(check) == 0 {
			return nil
		}
		used, err = tx.CountResources(ctx, projectID, check...)
		return err
	})
	if err != nil {
		return err
	}
	var overs []string
	for _, r := range check {
		if used[r]+want[r] > limits[r] {
			overs = append(overs, r)
		}
	}
	if len(overs) > 0 {
		return core.OverQuota(overs)
	}
	return nil
}

// pyList formats names as Neutron's messages show a Python list.
func pyList(names []string) string {
	return "['" + strings.Join(names, "', '") + "']"
}

// CheckInTx checks, inside tx, that the project may create n more of
// resource: OverQuota when what it has plus n exceeds its limit. One
// statement, which counts only when the limit is not unlimited. The ML2
// plugin calls it at the start of its create transactions when
// configured with these quotas (ml2.Config.Quotas), so that the check and
// the create see the same data.
func (q *Quotas) CheckInTx(ctx context.Context, tx core.QuotaStore, projectID, resource string, n int) error {
	query, ok := q.Query(projectID, resource)
	if !ok || n <= 0 {
		return nil
	}
	limit, used, err := tx.QuotaUsage(ctx, projectID, resource, query.DefaultLimit)
	if err != nil {
		return err
	}
	if !(core.QuotaUsage{Limit: limit, Used: used}).Allows(n) {
		return core.OverQuota([]string{resource})
	}
	return nil
}

// Query returns what to ask the store (core.QuotaStore.QuotaUsage or
// core.NetworkUsageReader) to check projectID's quota of resource; false
// when resource has no quota, and creating it needs no check.
func (q *Quotas) Query(projectID, resource string) (core.QuotaQuery, bool) {
	def, ok := q.defaults[resource]
	return core.QuotaQuery{ProjectID: projectID, Resource: resource, DefaultLimit: def}, ok
}
