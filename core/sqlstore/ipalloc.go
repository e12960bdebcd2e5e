package sqlstore

import (
	"context"
	"net/netip"

	"github.com/ml2go/ml2go/core"
)

// AllocateIP records that a.IP in a.SubnetID belongs to a.PortID. It
// returns false, without error and without aborting the transaction, if the
// address is already allocated; an unknown subnet or port is its NotFound
// error.
func (t *tx) AllocateIP(ctx context.Context, a core.IPAllocation) (bool, error) {
	if !a.IP.IsValid() {
		return false, core.InvalidInput("no IP address to allocate in subnet %s", a.SubnetID)
	}
	added, err := t.execCount(ctx, `INSERT INTO ip_allocations (subnet_id, ip_key, ip, port_id, network_id)
		SELECT ?, ?, ?, ?, ?
		WHERE EXISTS (SELECT 1 FROM subnets WHERE id = ?) AND EXISTS (SELECT 1 FROM ports WHERE id = ?)
		ON CONFLICT DO NOTHING`,
		a.SubnetID, ipKey(a.IP), addrText(a.IP), a.PortID, a.NetworkID, a.SubnetID, a.PortID)
	if err != nil {
		return false, wrap("allocate IP", err)
	}
	if added == 1 {
		return true, nil
	}
	var subnets, ports sqlInt
	err = t.queryRow(ctx, `SELECT (SELECT count(*) FROM subnets WHERE id = ?), (SELECT count(*) FROM ports WHERE id = ?)`,
		a.SubnetID, a.PortID).Scan(&subnets, &ports)
	switch {
	case err != nil:
		return false, wrap("allocate IP", err)
	case subnets == 0:
		return false, core.SubnetNotFound(a.SubnetID)
	case ports == 0:
		return false, core.PortNotFound(a.PortID)
	}
	return false, nil
}

// ReleaseIP deletes one allocation; releasing an address that is not
// allocated is not an error.
func (t *tx) ReleaseIP(ctx context.Context, subnetID string, ip netip.Addr) error {
	_, err := t.exec(ctx, `DELETE FROM ip_allocations WHERE subnet_id = ? AND ip_key = ?`, subnetID, ipKey(ip))
	return wrap("release IP", err)
}

// AllocatedIPs returns, ascending, up to limit (all if limit <= 0)
// allocated addresses of the subnet within [from, to]: a range scan of the
// primary key.
func (t *tx) AllocatedIPs(ctx context.Context, subnetID string, from, to netip.Addr, limit int) ([]netip.Addr, error) {
	q := `SELECT ip FROM ip_allocations WHERE subnet_id = ? AND ip_key >= ? AND ip_key <= ? ORDER BY ip_key`
	args := []any{subnetID, ipKey(from), ipKey(to)}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	ips, err := t.strings(ctx, q, args...)
	if err != nil {
		return nil, wrap("list allocated IPs", err)
	}
	out := make([]netip.Addr, len(ips))
	for i, s := range ips {
		if out[i], err = parseAddr(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SubnetAllocations lists every allocation of a subnet, by address.
func (t *tx) SubnetAllocations(ctx context.Context, subnetID string) ([]core.IPAllocation, error) {
	rows, err := t.query(ctx, `SELECT subnet_id, network_id, port_id, ip FROM ip_allocations
		WHERE subnet_id = ? ORDER BY ip_key`, subnetID)
	if err != nil {
		return nil, wrap("list subnet allocations", err)
	}
	defer rows.Close()
	var out []core.IPAllocation
	for rows.Next() {
		var a core.IPAllocation
		var ip string
		if err := rows.Scan(&a.SubnetID, &a.NetworkID, &a.PortID, &ip); err != nil {
			return nil, wrap("list subnet allocations", err)
		}
		if a.IP, err = parseAddr(ip); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, wrap("list subnet allocations", rows.Err())
}
