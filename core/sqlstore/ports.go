package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/ml2go/ml2go/core"
)

// portRow is the shape of a port row, read by portFromRow in this order.
var portRow = newShape("p",
	"id", "project_id", "name", "description", "created_at", "updated_at", "revision_number", "network_id",
	"admin_state_up", "mac_address", "device_id", "device_owner", "status", "host_id", "vnic_type",
	"vif_type", "profile", "vif_details", "extra", "tags")

// portFromRow decodes one port row into p, leaving the maps and tags that
// need does not ask for unset.
func portFromRow(r rowReader, maps mapCache, p *core.Port, need portNeeds) {
	*p = core.Port{
		Standard: core.Standard{
			ID: r.str(), ProjectID: r.str(), Name: r.str(), Description: r.str(),
			CreatedAt: fromUnix(r.int()), UpdatedAt: fromUnix(r.int()), RevisionNumber: r.int(),
		},
		NetworkID: r.str(), AdminStateUp: r.bool(), MACAddress: r.str(),
		DeviceID: r.str(), DeviceOwner: r.str(), Status: r.str(),
		Binding: core.PortBinding{HostID: r.str(), VNICType: r.str(), VIFType: r.str()},
	}
	b := &p.Binding
	b.Profile = need.jsonMap(r, maps, portProfile)
	b.VIFDetails = need.jsonMap(r, maps, portVIFDetails)
	p.Extra = need.jsonMap(r, maps, portExtra)
	if need.has(portTags) {
		p.Tags = r.strs()
	} else {
		r.skip()
	}
}

// portMaps are the stored forms of a port's maps.
type portMaps struct{ profile, vifDetails, extra, tags string }

func encodePortMaps(p *core.Port) (m portMaps, err error) {
	if m.profile, err = encodeMap(p.Binding.Profile); err != nil {
		return m, err
	}
	if m.vifDetails, err = encodeMap(p.Binding.VIFDetails); err != nil {
		return m, err
	}
	if m.extra, err = encodeMap(p.Extra); err != nil {
		return m, err
	}
	m.tags, err = tagList(&p.Tags)
	return m, err
}

// portRowMaps readies p for its row: MAC lower-case, binding levels
// checked, maps encoded.
func portRowMaps(p *core.Port) (portMaps, error) {
	p.MACAddress = normalizeMAC(p.MACAddress)
	if err := checkLevels(p); err != nil {
		return portMaps{}, err
	}
	return encodePortMaps(p)
}

// CreatePort inserts p with its binding, binding levels and tags (not its
// fixed IPs: see AllocateIP), setting CreatedAt, UpdatedAt and
// RevisionNumber (0); the MAC address is stored lower-case. A MAC already
// on the network is MacAddressInUse, an unknown network NetworkNotFound;
// neither aborts the transaction.
func (t *tx) CreatePort(ctx context.Context, p *core.Port) error {
	_, err := t.createPort(ctx, p, nil)
	return err
}

// CreatePortWithIP inserts p as CreatePort does and allocates ip to it. On
// PostgreSQL the port and the address are one statement (a data-modifying
// CTE), a round trip saved; on SQLite they are two. allocated is false,
// the port inserted all the same, when the address was already taken (or
// its subnet is gone: AllocateIP then tells which).
func (t *tx) CreatePortWithIP(ctx context.Context, p *core.Port, ip core.IPAllocation) (bool, error) {
	if !ip.IP.IsValid() {
		return false, core.InvalidInput("no IP address to allocate in subnet %s", ip.SubnetID)
	}
	if t.s.engine == engineSQLite {
		if err := t.CreatePort(ctx, p); err != nil {
			return false, err
		}
		ip.PortID = p.ID
		return t.AllocateIP(ctx, ip)
	}
	return t.createPort(ctx, p, &ip)
}

// portInsert is the statement inserting a port row, its arguments to
// follow those of portInsertArgs.
const portInsert = `INSERT INTO ports (id, project_id, name, description, created_at, updated_at,
		revision_number, network_id, admin_state_up, mac_address, device_id, device_owner, status,
		host_id, vnic_type, profile, vif_type, vif_details, extra, tags)
		SELECT ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE EXISTS (SELECT 1 FROM networks WHERE id = ?)
		ON CONFLICT DO NOTHING`

// createPort inserts p and, when ip is set, allocates it in the same
// statement (PostgreSQL only). It reports whether ip was allocated.
func (t *tx) createPort(ctx context.Context, p *core.Port, ip *core.IPAllocation) (bool, error) {
	if p.ID == "" {
		p.ID = uuid.NewString()
	}
	m, err := portRowMaps(p)
	if err != nil {
		return false, err
	}
	now := t.s.now()
	b := &p.Binding
	args := []any{p.ID, p.ProjectID, p.Name, p.Description, now.Unix(), now.Unix(),
		p.NetworkID, p.AdminStateUp, p.MACAddress, p.DeviceID, p.DeviceOwner, p.Status,
		b.HostID, b.VNICType, m.profile, b.VIFType, m.vifDetails, m.extra, m.tags,
		p.NetworkID}
	var added, allocated sqlInt
	if ip == nil {
		n, err := t.execCount(ctx, portInsert, args...)
		if err != nil {
			return false, wrap("create port", err)
		}
		added = sqlInt(n)
	} else {
		t.nets = nil
		err := t.queryRow(ctx, `WITH p AS (`+portInsert+` RETURNING id),
			a AS (INSERT INTO ip_allocations (subnet_id, ip_key, ip, port_id, network_id)
				SELECT ?, ?, ?, p.id, ? FROM p WHERE EXISTS (SELECT 1 FROM subnets WHERE id = ?)
				ON CONFLICT DO NOTHING RETURNING 1)
			SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM a)`,
			append(args, ip.SubnetID, ipKey(ip.IP), addrText(ip.IP), ip.NetworkID, ip.SubnetID)...).
			Scan(&added, &allocated)
		if err != nil {
			return false, wrap("create port", err)
		}
	}
	if added == 0 {
		return false, t.portInsertConflict(ctx, p)
	}
	if err := t.insertLevels(ctx, p.ID, b.Levels); err != nil {
		return false, err
	}
	if err := t.setTags(ctx, tagPorts, p.ID, p.Tags, false); err != nil {
		return false, err
	}
	p.CreatedAt, p.UpdatedAt, p.RevisionNumber = now, now, 0
	return allocated == 1, nil
}

// Interface guard.
var _ core.PortsCreator = (*tx)(nil)

// CreatePortsWithIP inserts ports as CreatePortWithIP does, each with its
// address when it has one; of two ports given the same address, the first
// gets it. On PostgreSQL the ports and their addresses are
// one statement whatever their number; on SQLite, where a statement is no
// round trip, they are inserted one by one.
func (t *tx) CreatePortsWithIP(ctx context.Context, ports []*core.Port, ips []*core.IPAllocation) ([]bool, error) {
	if len(ips) != len(ports) {
		return nil, fmt.Errorf("sqlstore: %d ports but %d addresses", len(ports), len(ips))
	}
	for _, ip := range ips {
		if ip != nil && !ip.IP.IsValid() {
			return nil, core.InvalidInput("no IP address to allocate in subnet %s", ip.SubnetID)
		}
	}
	allocated := make([]bool, len(ports))
	if t.s.engine == engineSQLite {
		for i, p := range ports {
			var err error
			if ips[i] != nil {
				allocated[i], err = t.CreatePortWithIP(ctx, p, *ips[i])
			} else {
				err = t.CreatePort(ctx, p)
			}
			if err != nil {
				return nil, err
			}
		}
		return allocated, nil
	}
	if len(ports) == 0 {
		return allocated, nil
	}
	return allocated, t.createPorts(ctx, ports, ips, allocated)
}

// portsInsert inserts the ports, and the addresses of those that have one,
// given as arrays of their columns, and returns the ids of the ports and of
// the ports whose address it allocated. Rows that conflict are skipped, as
// portInsert skips them; of two ports given the same address, the first
// gets it.
const portsInsert = `WITH v AS (SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[],
			?::text[], ?::boolean[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
			?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
			?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY
		AS v(id, project_id, name, description, network_id, admin_state_up, mac_address,
			device_id, device_owner, status, host_id, vnic_type, profile, vif_type, vif_details,
			extra, tags, ip_subnet, ip_key, ip, ip_network, ord)),
	p AS (INSERT INTO ports (id, project_id, name, description, created_at, updated_at,
			revision_number, network_id, admin_state_up, mac_address, device_id, device_owner,
			status, host_id, vnic_type, profile, vif_type, vif_details, extra, tags)
		SELECT v.id, v.project_id, v.name, v.description, ?, ?, 0, v.network_id, v.admin_state_up,
			v.mac_address, v.device_id, v.device_owner, v.status, v.host_id, v.vnic_type, v.profile,
			v.vif_type, v.vif_details, v.extra, v.tags
		FROM v WHERE EXISTS (SELECT 1 FROM networks n WHERE n.id = v.network_id) ORDER BY v.ord
		ON CONFLICT DO NOTHING RETURNING id),
	a AS (INSERT INTO ip_allocations (subnet_id, ip_key, ip, port_id, network_id)
		SELECT v.ip_subnet, v.ip_key, v.ip, v.id, v.ip_network FROM v JOIN p ON p.id = v.id
		WHERE v.ip_subnet <> '' AND EXISTS (SELECT 1 FROM subnets s WHERE s.id = v.ip_subnet)
		ORDER BY v.ord ON CONFLICT DO NOTHING RETURNING port_id)
	SELECT (SELECT coalesce(array_agg(id), '{}') FROM p), (SELECT coalesce(array_agg(port_id), '{}') FROM a)`

// createPorts inserts ports with their addresses in one statement
// (PostgreSQL only) and marks in allocated the ports whose address it
// allocated.
func (t *tx) createPorts(ctx context.Context, ports []*core.Port, ips []*core.IPAllocation, allocated []bool) error {
	n := len(ports)
	cols := make([][]string, 20) // every column but admin_state_up
	for i := range cols {
		cols[i] = make([]string, 0, n)
	}
	up := make([]bool, 0, n)
	for i, p := range ports {
		if p.ID == "" {
			p.ID = uuid.NewString()
		}
		m, err := portRowMaps(p)
		if err != nil {
			return err
		}
		var ipSubnet, key, addr, ipNet string
		if ip := ips[i]; ip != nil {
			ipSubnet, key, addr, ipNet = ip.SubnetID, ipKey(ip.IP), addrText(ip.IP), ip.NetworkID
		}
		b := &p.Binding
		for c, v := range []string{p.ID, p.ProjectID, p.Name, p.Description, p.NetworkID,
			p.MACAddress, p.DeviceID, p.DeviceOwner, p.Status, b.HostID, b.VNICType, m.profile,
			b.VIFType, m.vifDetails, m.extra, m.tags, ipSubnet, key, addr, ipNet} {
			cols[c] = append(cols[c], v)
		}
		up = append(up, p.AdminStateUp)
	}
	now := t.s.now()
	args := make([]any, 0, 23)
	for c := range cols {
		if c == 5 {
			args = append(args, pq.BoolArray(up))
		}
		args = append(args, pq.StringArray(cols[c]))
	}
	args = append(args, now.Unix(), now.Unix())
	var added, withIP pq.StringArray
	t.nets = nil
	if err := t.queryRow(ctx, portsInsert, args...).Scan(&added, &withIP); err != nil {
		return wrap("create ports", err)
	}
	if len(added) != n {
		inserted := make(map[string]bool, len(added))
		for _, id := range added {
			inserted[id] = true
		}
		for _, p := range ports {
			if !inserted[p.ID] {
				return t.portInsertConflict(ctx, p)
			}
		}
	}
	got := make(map[string]bool, len(withIP))
	for _, id := range withIP {
		got[id] = true
	}
	for i, p := range ports {
		allocated[i] = got[p.ID]
		if err := t.insertLevels(ctx, p.ID, p.Binding.Levels); err != nil {
			return err
		}
		if err := t.setTags(ctx, tagPorts, p.ID, p.Tags, false); err != nil {
			return err
		}
		p.CreatedAt, p.UpdatedAt, p.RevisionNumber = now, now, 0
	}
	return nil
}

// portInsertConflict explains a port insert that added no row.
func (t *tx) portInsertConflict(ctx context.Context, p *core.Port) error {
	if ok, err := t.exists(ctx, `SELECT 1 FROM networks WHERE id = ?`, p.NetworkID); err != nil {
		return wrap("create port", err)
	} else if !ok {
		return core.NetworkNotFound(p.NetworkID)
	}
	if ok, err := t.exists(ctx, `SELECT 1 FROM ports WHERE id = ?`, p.ID); err != nil {
		return wrap("create port", err)
	} else if ok {
		return core.DuplicateEntry("port", "id")
	}
	return core.MacAddressInUse(p.NetworkID, p.MACAddress)
}

// checkLevels refuses binding levels that would break the table's key,
// before anything is written.
func checkLevels(p *core.Port) error {
	for i, l := range p.Binding.Levels {
		for _, m := range p.Binding.Levels[:i] {
			if m.Level == l.Level {
				return core.InvalidInput("binding level %d of port %s appears twice", l.Level, p.ID)
			}
		}
	}
	return nil
}

// insertLevels stores binding levels of a port in one statement.
func (t *tx) insertLevels(ctx context.Context, portID string, levels []core.BindingLevel) error {
	if len(levels) == 0 {
		return nil
	}

	var q strings.Builder
	q.WriteString("INSERT INTO port_binding_levels (port_id, level, driver, segment_id) VALUES ")
	args := make([]any, 0, 4*len(levels))
	for i, l := range levels {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?)")
		args = append(args, portID, l.Level, l.Driver, l.SegmentID)
	}
	_, err := t.exec(ctx, q.String(), args...)
	return wrap("store binding levels", err)
}

// GetPort returns a port with its fixed IPs, binding, levels and tags.
func (t *tx) GetPort(ctx context.Context, id string) (*core.Port, error) {
	var p *core.Port
	err := t.eachRow(ctx, `SELECT `+t.s.rowExpr(portRow)+` FROM ports p WHERE p.id = ?`, []any{id},
		func(r rowReader) error {
			p = new(core.Port)
			portFromRow(r, mapCache{}, p, allPortNeeds)
			return nil
		})
	if err != nil {
		return nil, wrap("get port", err)
	}
	if p == nil {
		return nil, core.PortNotFound(id)
	}
	if err := t.loadPortDetails(ctx, []*core.Port{p}, oneID(id), allPortNeeds); err != nil {
		return nil, err
	}
	return p, nil
}

// UpdatePort writes p's attributes (all but its project and network),
// binding, binding levels and tags if its revision is still
// p.RevisionNumber, then increments p.RevisionNumber and sets UpdatedAt. A
// new MAC already on the network is MacAddressInUse.
func (t *tx) UpdatePort(ctx context.Context, p *core.Port) error {
	m, err := portRowMaps(p)
	if err != nil {
		return err
	}
	now := t.s.now()
	b := &p.Binding
	changed, err := t.execCount(ctx, `UPDATE ports SET name = ?, description = ?, admin_state_up = ?, mac_address = ?,
		device_id = ?, device_owner = ?, status = ?, host_id = ?, vnic_type = ?, profile = ?, vif_type = ?,
		vif_details = ?, extra = ?, tags = ?, updated_at = ?, revision_number = revision_number + 1
		WHERE id = ? AND revision_number = ? AND NOT EXISTS (
			SELECT 1 FROM ports o WHERE o.network_id = ports.network_id AND o.mac_address = ? AND o.id <> ports.id)`,
		p.Name, p.Description, p.AdminStateUp, p.MACAddress, p.DeviceID, p.DeviceOwner, p.Status,
		b.HostID, b.VNICType, m.profile, b.VIFType, m.vifDetails, m.extra, m.tags, now.Unix(),
		p.ID, p.RevisionNumber, p.MACAddress)
	if err != nil {
		return wrap("update port", err)
	}
	if changed == 0 {
		return t.portUpdateConflict(ctx, p)
	}
	if _, err := t.exec(ctx, `DELETE FROM port_binding_levels WHERE port_id = ?`, p.ID); err != nil {
		return wrap("delete binding levels", err)
	}
	if err := t.insertLevels(ctx, p.ID, b.Levels); err != nil {
		return err
	}
	if err := t.setTags(ctx, tagPorts, p.ID, p.Tags, true); err != nil {
		return err
	}
	p.RevisionNumber++
	p.UpdatedAt = now
	return nil
}

// portUpdateConflict explains a port update that changed no row.
func (t *tx) portUpdateConflict(ctx context.Context, p *core.Port) error {
	var current sqlInt
	var network string
	err := t.queryRow(ctx, `SELECT revision_number, network_id FROM ports WHERE id = ?`, p.ID).Scan(&current, &network)
	if errors.Is(err, sql.ErrNoRows) {
		return core.PortNotFound(p.ID)
	}
	if err != nil {
		return wrap("update port", err)
	}
	if int64(current) != p.RevisionNumber {
		return staleRevision("port", p.ID, p.RevisionNumber, int64(current))
	}
	return core.MacAddressInUse(network, p.MACAddress)
}

// DeletePort deletes a port with its IP allocations, binding levels and
// tags.
func (t *tx) DeletePort(ctx context.Context, id string) error {
	for _, q := range []string{
		`DELETE FROM ip_allocations WHERE port_id = ?`,
		`DELETE FROM port_binding_levels WHERE port_id = ?`,
	} {
		if _, err := t.exec(ctx, q, id); err != nil {
			return wrap("delete port", err)
		}
	}
	if err := t.deleteTags(ctx, tagPorts, id); err != nil {
		return err
	}
	deleted, err := t.execCount(ctx, `DELETE FROM ports WHERE id = ?`, id)
	if err != nil {
		return wrap("delete port", err)
	}
	if deleted == 0 {
		return core.PortNotFound(id)
	}
	return nil
}

// ListPorts lists ports with their fixed IPs, binding levels and tags:
// one query for the ports (filtered, sorted and paginated in SQL) and one
// set-based query for each kind of detail. With opts.Fields, only what
// those attributes need is read (see portNeeds).
func (t *tx) ListPorts(ctx context.Context, opts *core.ListOptions) ([]*core.Port, error) {
	if opts == nil {
		opts = &core.ListOptions{}
	}
	return t.readPorts(ctx, opts, portNeedsOf(opts.Fields), true)
}

// readPorts runs a listing of ports, reading what need asks for. whole
// says that a listing without filters or limit may read the details of
// every port without naming them.
func (t *tx) readPorts(ctx context.Context, opts *core.ListOptions, need portNeeds, whole bool) ([]*core.Port, error) {
	q, err := t.buildList(ctx, &portSpec, need.selectList(t.s), opts)
	if err != nil {
		return nil, err
	}
	out := []*core.Port{}
	maps, ports := mapCache{}, slab[core.Port]{}
	err = t.eachRow(ctx, q.sql, q.args, func(r rowReader) error {
		p := ports.next()
		portFromRow(r, maps, p, need)
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, wrap("list ports", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	if q.reverse {
		slices.Reverse(out)
	}
	set := idSet{all: q.whole && whole}
	switch {
	case set.all:
	case byIDOnly(opts):
		// Every port between the first and the last is on the page.
		set.from, set.to = out[0].ID, out[len(out)-1].ID
	default:
		set.ids = make([]string, len(out))
		for i, p := range out {
			set.ids[i] = p.ID
		}
	}
	if err := t.loadPortDetails(ctx, out, set, need); err != nil {
		return nil, err
	}
	return out, nil
}

// byIDOnly reports whether a listing has every row of its table in
// ascending order of id: no filter, no scope, no sort key but id
// ascending.
func byIDOnly(opts *core.ListOptions) bool {
	if len(opts.Filters) > 0 || opts.ProjectScope != "" || opts.PageReverse {
		return false
	}
	for _, k := range opts.Sorts {
		if k.Field != "id" || k.Desc {
			return false
		}
	}
	return true
}

// Detail rows of ports.
var (
	fixedIPRow      = newShape("a", "port_id", "subnet_id", "ip")
	bindingLevelRow = newShape("l", "port_id", "level", "driver", "segment_id")
)

// loadPortDetails fills the fixed IPs and binding levels of ports, which
// set selects: one query for each. Each kind of detail shares one
// backing array. The queries do not sort, which would cost the database
// a sort of every detail row; each port's few details are put in order
// here: fixed IPs by subnet (the order subnets were added to the network),
// then address; binding levels by level.
func (t *tx) loadPortDetails(ctx context.Context, ports []*core.Port, set idSet, need portNeeds) error {
	pos := make(map[string]int, len(ports))
	for i, p := range ports {
		pos[p.ID] = i
	}
	if need.has(portFixedIPs) {
		if err := t.loadFixedIPs(ctx, ports, set, pos); err != nil {
			return err
		}
	}
	if !need.has(portLevels) {
		return nil
	}
	cond, args, err := t.inSet("l.port_id", set)
	if err != nil {
		return err
	}
	levels := newGrouped[core.BindingLevel](pos)
	err = t.eachRow(ctx, `SELECT `+t.s.rowExpr(bindingLevelRow)+` FROM port_binding_levels l
		WHERE `+cond, args, func(r rowReader) error {
		portID, level, driver, segmentID := r.str(), r.int(), r.str(), r.str()
		levels.add(portID, core.BindingLevel{Level: int(level), Driver: driver, SegmentID: segmentID})
		return nil
	})
	if err != nil {
		return wrap("load binding levels", err)
	}
	levels.spread(len(ports), func(i int, v []core.BindingLevel) {
		if len(v) > 1 {
			slices.SortFunc(v, func(a, b core.BindingLevel) int { return cmp.Compare(a.Level, b.Level) })
		}
		ports[i].Binding.Levels = v
	})
	return nil
}

// fixedIPsQuery reads the fixed IPs of the ports cond selects. On SQLite
// the row is built from the columns of the index on port_id, which holds
// them all, so that the rows of a range of ports are read from the index
// in order, without a look-up of each in the table.
func (t *tx) fixedIPsQuery(cond string) string {
	row := t.s.rowExpr(fixedIPRow)
	if t.s.engine == engineSQLite {
		row = "json_array(" + fixedIPRow.cols + ")"
	}
	return `SELECT ` + row + ` FROM ip_allocations a WHERE ` + cond
}

// loadFixedIPs fills the fixed IPs of ports, which set selects, in one
// query; pos maps their ids to their positions.
func (t *tx) loadFixedIPs(ctx context.Context, ports []*core.Port, set idSet, pos map[string]int) error {
	cond, args, err := t.inSet("a.port_id", set)
	if err != nil {
		return err
	}
	ips := newGrouped[core.FixedIP](pos)
	err = t.eachRow(ctx, t.fixedIPsQuery(cond), args,
		func(r rowReader) error {
			portID, subnetID, ip := r.str(), r.str(), r.str()
			if r.failed() != nil {
				return nil
			}
			addr, err := netip.ParseAddr(ip)
			if err != nil {
				return err
			}
			ips.add(portID, core.FixedIP{SubnetID: subnetID, IPAddress: addr})
			return nil
		})
	if err != nil {
		return wrap("load fixed IPs", err)
	}
	var several []int // ports with more than one address
	ips.spread(len(ports), func(i int, v []core.FixedIP) {
		ports[i].FixedIPs = v
		if len(v) > 1 {
			several = append(several, i)
		}
	})
	return t.orderFixedIPs(ctx, ports, several)
}

// orderFixedIPs sorts the fixed IPs of the ports at the given positions
// by subnet, in the order the subnets were added to their network, then
// by address.
func (t *tx) orderFixedIPs(ctx context.Context, ports []*core.Port, at []int) error {
	if len(at) == 0 {
		return nil
	}
	seq := map[string]int64{}
	for _, i := range at {
		for _, ip := range ports[i].FixedIPs {
			seq[ip.SubnetID] = 0
		}
	}
	cond, args, err := t.inSet("id", idSet{ids: slices.Collect(maps.Keys(seq))})
	if err != nil {
		return err
	}
	rows, err := t.query(ctx, `SELECT id, seq FROM subnets WHERE `+cond, args...)
	if err != nil {
		return wrap("order fixed IPs", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return wrap("order fixed IPs", err)
		}
		seq[id] = n
	}
	if err := rows.Err(); err != nil {
		return wrap("order fixed IPs", err)
	}
	for _, i := range at {
		slices.SortFunc(ports[i].FixedIPs, func(a, b core.FixedIP) int {
			if c := cmp.Compare(seq[a.SubnetID], seq[b.SubnetID]); c != 0 {
				return c
			}
			return a.IPAddress.Compare(b.IPAddress)
		})
	}
	return nil
}

// portSpec lists ports.
var portSpec = listSpec{
	from:    "ports p",
	alias:   "p",
	tagType: tagPorts,
	attrs: map[string]attr{
		"id":                {col: "p.id", filter: true, sort: true},
		"name":              {col: "p.name", filter: true, sort: true},
		"description":       {col: "p.description", filter: true, sort: true},
		"project_id":        {col: "p.project_id", filter: true, sort: true},
		"tenant_id":         {col: "p.project_id", filter: true, sort: true},
		"network_id":        {col: "p.network_id", filter: true, sort: true},
		"admin_state_up":    {col: "p.admin_state_up", kind: kindBool, filter: true, sort: true},
		"mac_address":       {col: "p.mac_address", kind: kindMAC, filter: true, sort: true},
		"device_id":         {col: "p.device_id", filter: true, sort: true},
		"device_owner":      {col: "p.device_owner", filter: true, sort: true},
		"status":            {col: "p.status", filter: true, sort: true},
		"binding:host_id":   {col: "p.host_id", filter: true, sort: true},
		"binding:vnic_type": {col: "p.vnic_type", filter: true, sort: true},
		"binding:vif_type":  {col: "p.vif_type", filter: true, sort: true},
		"revision_number":   {col: "p.revision_number", kind: kindInt, filter: true, sort: true},
		"created_at":        {col: "p.created_at", kind: kindInt, sort: true},
		"updated_at":        {col: "p.updated_at", kind: kindInt, sort: true},
	},
	groups: []filterGroup{
		{keys: []string{"fixed_ips"}, build: fixedIPFilter},
		{keys: []string{"id_prefix"}, build: idPrefixFilter},
	},
	scope:    "p.project_id = ?",
	notFound: core.PortNotFound,
}

// fixedIPFilter matches ports with an allocation satisfying every given
// part: ip_address=<ip>, subnet_id=<id>, ip_address_substr=<s> (values of
// one part are ORed).
func fixedIPFilter(w *where, values map[string][]string) error {
	vals := values["fixed_ips"]
	if len(vals) == 0 {
		w.add("1 = 0")
		return nil
	}
	var ips, subnets []any
	var substrs []string
	for _, v := range vals {
		key, val, _ := strings.Cut(v, "=")
		switch key {
		case "ip_address":
			a, err := convertValue("fixed_ips", kindAddr, val)
			if err != nil {
				return err
			}
			ips = append(ips, a)
		case "subnet_id":
			subnets = append(subnets, val)
		case "ip_address_substr":
			substrs = append(substrs, val)
		default:
			return core.InvalidInput("'%s' is not a valid fixed_ips filter: use ip_address=, subnet_id= or ip_address_substr=", v)
		}
	}
	var sub where
	sub.add("a.port_id = p.id")
	if ips != nil {
		sub.in("a.ip", ips)
	}
	if subnets != nil {
		sub.in("a.subnet_id", subnets)
	}
	if substrs != nil {
		likes := make([]string, len(substrs))
		args := make([]any, len(substrs))
		for i, s := range substrs {
			likes[i] = `a.ip LIKE ? ESCAPE '\'`
			args[i] = "%" + likePattern.Replace(strings.ToLower(s)) + "%"
		}
		sub.add("("+strings.Join(likes, " OR ")+")", args...)
	}
	w.add("EXISTS (SELECT 1 FROM ip_allocations a WHERE "+strings.Join(sub.conds, " AND ")+")", sub.args...)
	return nil
}

// idPrefixFilter matches ports whose id starts with one of the values, as
// agents name ports by the first characters of their ids.
func idPrefixFilter(w *where, values map[string][]string) error {
	vals := values["id_prefix"]
	if len(vals) == 0 {
		w.add("1 = 0")
		return nil
	}
	likes := make([]string, len(vals))
	args := make([]any, len(vals))
	for i, v := range vals {
		likes[i] = `p.id LIKE ? ESCAPE '\'`
		args[i] = likePattern.Replace(v) + "%"
	}
	w.add("("+strings.Join(likes, " OR ")+")", args...)
	return nil
}

// likePattern escapes the wildcards of a LIKE pattern.
var likePattern = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
