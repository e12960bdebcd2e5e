package sqlstore

import (
	"context"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// ipUsageSpec filters the IP usage report. Only its filters and scope are
// used: the report is one grouped query built by IPUsage.
var ipUsageSpec = listSpec{
	from:  "networks n",
	alias: "n",
	attrs: map[string]attr{
		"network_id":   {col: "n.id", filter: true},
		"network_name": {col: "n.name", filter: true},
		"project_id":   {col: "n.project_id", filter: true},
		"tenant_id":    {col: "n.project_id", filter: true},
		"ip_version":   {col: "s.ip_version", kind: kindInt, filter: true},
	},
	scope:    networkSpec.scope,
	notFound: core.NetworkNotFound,
}

// IPUsage reports, in one grouped query, every subnet of the matching
// networks with its number of IP allocations, and the matching networks
// without subnets.
func (t *tx) IPUsage(ctx context.Context, opts *core.ListOptions) ([]core.IPUsage, error) {
	if opts == nil {
		opts = &core.ListOptions{}
	}
	var w where
	if err := ipUsageSpec.filter(&w, opts.Filters); err != nil {
		return nil, err
	}
	if opts.ProjectScope != "" {
		w.add(ipUsageSpec.scope, opts.ProjectScope)
	}
	var b strings.Builder
	b.WriteString(`SELECT n.id, n.name, n.project_id, coalesce(s.id, ''), coalesce(s.name, ''),
		coalesce(s.ip_version, 0), coalesce(s.cidr, ''), coalesce(s.allocation_pools, '[]'), count(a.ip_key)
		FROM networks n
		LEFT JOIN subnets s ON s.network_id = n.id
		LEFT JOIN ip_allocations a ON a.subnet_id = s.id`)
	if len(w.conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(w.conds, " AND "))
	}
	b.WriteString(" GROUP BY n.id, s.id ORDER BY n.id, s.seq")
	rows, err := t.query(ctx, b.String(), w.args...)
	if err != nil {
		return nil, wrap("ip usage", err)
	}
	defer rows.Close()
	out := []core.IPUsage{}
	for rows.Next() {
		var u core.IPUsage
		var version, used sqlInt
		var cidr, pools string
		if err := rows.Scan(&u.NetworkID, &u.NetworkName, &u.ProjectID, &u.SubnetID, &u.SubnetName,
			&version, &cidr, &pools, &used); err != nil {
			return nil, wrap("ip usage", err)
		}
		u.IPVersion, u.Used = int(version), int64(used)
		if u.SubnetID != "" {
			if u.CIDR, err = parsePrefix(cidr); err != nil {
				return nil, err
			}
			if u.AllocationPools, err = decodePools(pools); err != nil {
				return nil, err
			}
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("ip usage", err)
	}
	return out, nil
}
