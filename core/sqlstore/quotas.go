package sqlstore

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// ProjectQuotas returns the limits a project has of its own.
func (t *tx) ProjectQuotas(ctx context.Context, projectID string) (map[string]int, error) {
	out := map[string]int{}
	err := t.eachQuota(ctx, `SELECT project_id, resource, hard_limit FROM quotas WHERE project_id = ?`,
		[]any{projectID}, func(_, resource string, limit int) { out[resource] = limit })
	if err != nil {
		return nil, wrap("get quotas", err)
	}
	return out, nil
}

// ListProjectQuotas returns the limits of every project that has some.
func (t *tx) ListProjectQuotas(ctx context.Context) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	err := t.eachQuota(ctx, `SELECT project_id, resource, hard_limit FROM quotas`,
		nil, func(project, resource string, limit int) {
			if out[project] == nil {
				out[project] = map[string]int{}
			}
			out[project][resource] = limit
		})
	if err != nil {
		return nil, wrap("list quotas", err)
	}
	return out, nil
}

// eachQuota runs a query of (project_id, resource, hard_limit) rows.
func (t *tx) eachQuota(ctx context.Context, query string, args []any, fn func(project, resource string, limit int)) error {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var project, resource string
		var limit sqlInt
		if err := rows.Scan(&project, &resource, &limit); err != nil {
			return err
		}
		fn(project, resource, int(limit))
	}
	return rows.Err()
}

// SetProjectQuotas creates or replaces limits of a project, in one
// statement.
func (t *tx) SetProjectQuotas(ctx context.Context, projectID string, limits map[string]int) error {
	if len(limits) == 0 {
		return nil
	}
	resources := slices.Sorted(maps.Keys(limits))
	values := make([]string, len(resources))
	args := make([]any, 0, 3*len(resources))
	for i, r := range resources {
		values[i] = "(?, ?, ?)"
		args = append(args, projectID, r, limits[r])
	}
	_, err := t.exec(ctx, `INSERT INTO quotas (project_id, resource, hard_limit) VALUES `+strings.Join(values, ", ")+`
		ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit`, args...)
	return wrap("set quotas", err)
}

// DeleteProjectQuotas deletes a project's limits; TenantQuotaNotFound if
// it had none.
func (t *tx) DeleteProjectQuotas(ctx context.Context, projectID string) error {
	deleted, err := t.execCount(ctx, `DELETE FROM quotas WHERE project_id = ?`, projectID)
	if err != nil {
		return wrap("delete quotas", err)
	}
	if deleted == 0 {
		return core.TenantQuotaNotFound(projectID)
	}
	return nil
}

// countedTables are the tables of the resources CountResources counts.
var countedTables = map[string]string{"network": "networks", "subnet": "subnets", "port": "ports"}

// CountResources counts a project's networks, subnets and ports (those
// named, or all three when none is), in one query. Other names are left
// out of the result.
func (t *tx) CountResources(ctx context.Context, projectID string, resources ...string) (map[string]int, error) {
	if len(resources) == 0 {
		resources = slices.Sorted(maps.Keys(countedTables))
	}
	var names, counts []string
	var args []any
	for _, r := range resources {
		table, ok := countedTables[r]
		if !ok || slices.Contains(names, r) {
			continue
		}
		names = append(names, r)
		counts = append(counts, `(SELECT count(*) FROM `+table+` WHERE project_id = ?)`)
		args = append(args, projectID)
	}
	out := make(map[string]int, len(names))
	if len(names) == 0 {
		return out, nil
	}
	vals := make([]sqlInt, len(names))
	dest := make([]any, len(names))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := t.queryRow(ctx, `SELECT `+strings.Join(counts, ", "), args...).Scan(dest...); err != nil {
		return nil, wrap("count resources", err)
	}
	for i, r := range names {
		out[r] = int(vals[i])
	}
	return out, nil
}

// QuotaUsage returns, in one statement, a project's limit of a resource
// (its own, else defaultLimit) and, unless that is unlimited (negative),
// how many it has; used is 0 when unlimited.
func (t *tx) QuotaUsage(ctx context.Context, projectID, resource string, defaultLimit int) (limit, used int, err error) {
	table, ok := countedTables[resource]
	if !ok {
		return 0, 0, core.InvalidInput("no quota is counted for %s", resource)
	}
	var l, u sqlInt
	err = t.queryRow(ctx, `SELECT q.lim, `+usedExpr(table)+`
		FROM (SELECT `+limitExpr+` AS lim) q`,
		projectID, projectID, resource, defaultLimit).Scan(&l, &u)
	if err != nil {
		return 0, 0, wrap("quota usage", err)
	}
	return int(l), int(u), nil
}

// limitExpr is a project's limit of a resource, its own or the default;
// its parameters are the project, the resource and the default.
const limitExpr = `coalesce((SELECT hard_limit FROM quotas WHERE project_id = ? AND resource = ?), ?)`

// usedExpr is how many rows of table a project has, counted only when the
// limit, q.lim, is not unlimited; its parameter is the project.
func usedExpr(table string) string {
	return `CASE WHEN q.lim < 0 THEN 0 ELSE (SELECT count(*) FROM ` + table + ` WHERE project_id = ?) END`
}

// Interface guard.
var _ core.NetworkUsageReader = (*tx)(nil)

// networkUsageRows are, by counted table, the rows GetNetworkSubnetsUsage
// reads on PostgreSQL: networkSubnetsRow, then the limit and the count.
// (Their SQLite forms are not used.)
var networkUsageRows = func() map[string]*rowShape {
	shapes := map[string]*rowShape{}
	for _, table := range countedTables {
		shapes[table] = networkSubnetsRow.computed(`q.lim`, "NULL").computed(usedExpr(table), "NULL")
	}
	return shapes
}()

// GetNetworkSubnetsUsage returns GetNetworkSubnets(networkID) and the
// usage QuotaUsage returns for q. On PostgreSQL that is one query, the
// usage computed beside the network's row; on SQLite, where a statement
// costs no round trip, it is the two calls.
func (t *tx) GetNetworkSubnetsUsage(ctx context.Context, networkID string, q core.QuotaQuery) (*core.Network, []*core.Subnet, core.QuotaUsage, error) {
	table, ok := countedTables[q.Resource]
	if !ok {
		return nil, nil, core.QuotaUsage{}, core.InvalidInput("no quota is counted for %s", q.Resource)
	}
	if t.s.engine == engineSQLite {
		n, subnets, err := t.GetNetworkSubnets(ctx, networkID)
		if err != nil {
			return nil, nil, core.QuotaUsage{}, err
		}
		limit, used, err := t.QuotaUsage(ctx, q.ProjectID, q.Resource, q.DefaultLimit)
		if err != nil {
			return nil, nil, core.QuotaUsage{}, err
		}
		return n, subnets, core.QuotaUsage{Limit: limit, Used: used}, nil
	}
	var u core.QuotaUsage
	n, subnets, err := t.networkSubnets(ctx, networkID, networkUsageRows[table], `, (SELECT `+limitExpr+` AS lim) q`,
		[]any{q.ProjectID, q.ProjectID, q.Resource, q.DefaultLimit},
		func(r rowReader) { u.Limit, u.Used = int(r.int()), int(r.int()) })
	if err != nil {
		return nil, nil, core.QuotaUsage{}, err
	}
	return n, subnets, u, nil
}
