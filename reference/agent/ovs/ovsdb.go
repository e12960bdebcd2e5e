package ovs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// snapshot is what OVSDB holds about bridges, ports and interfaces: the
// part of the "actual" state Apply compares with the desired one.
type snapshot struct {
	bridges map[string]*bridgeRow
	// ports by name (Port names are unique across the database).
	ports map[string]*portRow
}

// bridgeRow is one Bridge row.
type bridgeRow struct {
	name         string
	datapathType string
	failMode     string
	ports        []string
}

// portRow is one Port row with its (first) Interface.
type portRow struct {
	name        string
	bridge      string
	tag         int // 0: none
	otherConfig map[string]string
	iface       *ifaceRow
}

// ifaceRow is one Interface row.
type ifaceRow struct {
	name        string
	typ         string
	ofport      int // -1 or 0: not (yet) in OpenFlow
	mtuRequest  int // 0: none
	options     map[string]string
	externalIDs map[string]string
	err         string
}

// readSnapshot lists the Bridge, Port and Interface tables in one
// ovs-vsctl call.
func (r *runner) readSnapshot() (*snapshot, error) {
	out, err := r.vsctl("--format=json",
		"--", "--columns=_uuid,name,ports,datapath_type,fail_mode", "list", "Bridge",
		"--", "--columns=_uuid,name,tag,other_config,interfaces", "list", "Port",
		"--", "--columns=_uuid,name,type,ofport,mtu_request,options,external_ids,error", "list", "Interface")
	if err != nil {
		return nil, fmt.Errorf("read ovsdb: %w", err)
	}
	s, err := parseSnapshot(out)
	if err != nil {
		return nil, fmt.Errorf("read ovsdb: %w", err)
	}
	return s, nil
}

// table is one table as "ovs-vsctl --format=json list" prints it.
type table struct {
	Headings []string            `json:"headings"`
	Data     [][]json.RawMessage `json:"data"`
}

// rows returns the table as one map of column to value per row.
func (t *table) rows() []map[string]json.RawMessage {
	out := make([]map[string]json.RawMessage, 0, len(t.Data))
	for _, d := range t.Data {
		row := make(map[string]json.RawMessage, len(t.Headings))
		for i, h := range t.Headings {
			if i < len(d) {
				row[h] = d[i]
			}
		}
		out = append(out, row)
	}
	return out
}

// parseSnapshot parses the three tables readSnapshot lists.
func parseSnapshot(out []byte) (*snapshot, error) {
	dec := json.NewDecoder(bytes.NewReader(out))
	var tables [3]table
	for i := range tables {
		if err := dec.Decode(&tables[i]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("ovs-vsctl printed %d tables, want 3", i)
			}
			return nil, fmt.Errorf("decode table %d: %w", i, err)
		}
	}
	ifaces := map[string]*ifaceRow{}
	for _, row := range tables[2].rows() {
		rr := rowReader{row: row}
		uuid := rr.uuid("_uuid")
		ir := &ifaceRow{
			name:        rr.str("name"),
			typ:         rr.str("type"),
			ofport:      rr.optInt("ofport"),
			mtuRequest:  rr.optInt("mtu_request"),
			options:     rr.strMap("options"),
			externalIDs: rr.strMap("external_ids"),
			err:         rr.optStr("error"),
		}
		if rr.err != nil {
			return nil, fmt.Errorf("interface row: %w", rr.err)
		}
		ifaces[uuid] = ir
	}
	ports := map[string]*portRow{}
	portsByUUID := map[string]*portRow{}
	for _, row := range tables[1].rows() {
		rr := rowReader{row: row}
		uuid := rr.uuid("_uuid")
		pr := &portRow{
			name:        rr.str("name"),
			tag:         rr.optInt("tag"),
			otherConfig: rr.strMap("other_config"),
		}
		ifUUIDs := rr.uuids("interfaces")
		if rr.err != nil {
			return nil, fmt.Errorf("port row: %w", rr.err)
		}
		for _, u := range ifUUIDs {
			if ir, ok := ifaces[u]; ok && (pr.iface == nil || ir.name == pr.name) {
				pr.iface = ir
			}
		}
		if pr.iface == nil {
			pr.iface = &ifaceRow{name: pr.name, ofport: -1}
		}
		ports[pr.name] = pr
		portsByUUID[uuid] = pr
	}
	s := &snapshot{bridges: map[string]*bridgeRow{}, ports: ports}
	for _, row := range tables[0].rows() {
		rr := rowReader{row: row}
		br := &bridgeRow{
			name:         rr.str("name"),
			datapathType: rr.str("datapath_type"),
			failMode:     rr.optStr("fail_mode"),
		}
		portUUIDs := rr.uuids("ports")
		if rr.err != nil {
			return nil, fmt.Errorf("bridge row: %w", rr.err)
		}
		for _, u := range portUUIDs {
			if p, ok := portsByUUID[u]; ok {
				p.bridge = br.name
				br.ports = append(br.ports, p.name)
			}
		}
		s.bridges[br.name] = br
	}
	return s, nil
}

// rowReader decodes the columns of one row, keeping the first error.
type rowReader struct {
	row map[string]json.RawMessage
	err error
}

// get returns column col, or records its absence.
func (r *rowReader) get(col string) (json.RawMessage, bool) {
	if r.err != nil {
		return nil, false
	}
	raw, ok := r.row[col]
	if !ok {
		r.err = fmt.Errorf("no column %q", col)
	}
	return raw, ok
}

// keep records err (with the column name) unless an error is recorded.
func (r *rowReader) keep(col string, err error) {
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("column %s: %w", col, err)
	}
}

func (r *rowReader) str(col string) string {
	raw, ok := r.get(col)
	if !ok {
		return ""
	}
	v, err := atomString(raw)
	r.keep(col, err)
	return v
}

func (r *rowReader) optStr(col string) string {
	raw, ok := r.get(col)
	if !ok {
		return ""
	}
	v, err := optionalString(raw)
	r.keep(col, err)
	return v
}

func (r *rowReader) optInt(col string) int {
	raw, ok := r.get(col)
	if !ok {
		return 0
	}
	v, err := optionalInt(raw)
	r.keep(col, err)
	return v
}

func (r *rowReader) uuid(col string) string {
	raw, ok := r.get(col)
	if !ok {
		return ""
	}
	v, err := atomUUID(raw)
	r.keep(col, err)
	return v
}

func (r *rowReader) uuids(col string) []string {
	raw, ok := r.get(col)
	if !ok {
		return nil
	}
	v, err := uuidSet(raw)
	r.keep(col, err)
	return v
}

func (r *rowReader) strMap(col string) map[string]string {
	raw, ok := r.get(col)
	if !ok {
		return nil
	}
	v, err := ovsMap(raw)
	r.keep(col, err)
	return v
}

// portsOf returns the ports of bridge br (nil if it does not exist).
func (s *snapshot) portsOf(br string) []*portRow {
	b, ok := s.bridges[br]
	if !ok {
		return nil
	}
	out := make([]*portRow, 0, len(b.ports))
	for _, name := range b.ports {
		out = append(out, s.ports[name])
	}
	return out
}

// ofport returns the OpenFlow port number of the port named name on
// bridge br, or 0 when it has none (yet).
func (s *snapshot) ofport(br, name string) int {
	p, ok := s.ports[name]
	if !ok || p.bridge != br || p.iface.ofport <= 0 {
		return 0
	}
	return p.iface.ofport
}

// atomString decodes an OVSDB string atom.
func atomString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("want a string, got %s: %w", raw, err)
	}
	return s, nil
}

// atomUUID decodes ["uuid", "<uuid>"].
func atomUUID(raw json.RawMessage) (string, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return "", fmt.Errorf("want a uuid, got %s", raw)
	}
	var tag, uuid string
	if json.Unmarshal(pair[0], &tag) != nil || tag != "uuid" || json.Unmarshal(pair[1], &uuid) != nil {
		return "", fmt.Errorf("want a uuid, got %s", raw)
	}
	return uuid, nil
}

// setElements returns the elements of an OVSDB set: ["set", [a, b]] or a
// bare single atom.
func setElements(raw json.RawMessage) ([]json.RawMessage, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err == nil && len(pair) == 2 {
		var tag string
		if json.Unmarshal(pair[0], &tag) == nil && tag == "set" {
			var elems []json.RawMessage
			if err := json.Unmarshal(pair[1], &elems); err != nil {
				return nil, fmt.Errorf("bad set %s: %w", raw, err)
			}
			return elems, nil
		}
	}
	return []json.RawMessage{raw}, nil
}

// uuidSet decodes a set of uuids.
func uuidSet(raw json.RawMessage) ([]string, error) {
	elems, err := setElements(raw)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		u, err := atomUUID(e)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// optionalInt decodes an integer column with 0 or 1 values; an empty set
// is 0.
func optionalInt(raw json.RawMessage) (int, error) {
	elems, err := setElements(raw)
	if err != nil || len(elems) == 0 {
		return 0, err
	}
	var n int
	if err := json.Unmarshal(elems[0], &n); err != nil {
		return 0, fmt.Errorf("want an integer, got %s: %w", raw, err)
	}
	return n, nil
}

// optionalString decodes a string column with 0 or 1 values.
func optionalString(raw json.RawMessage) (string, error) {
	elems, err := setElements(raw)
	if err != nil || len(elems) == 0 {
		return "", err
	}
	return atomString(elems[0])
}

// ovsMap decodes ["map", [[k, v], ...]] with string keys and values.
func ovsMap(raw json.RawMessage) (map[string]string, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return nil, fmt.Errorf("want a map, got %s", raw)
	}
	var tag string
	var kvs [][2]json.RawMessage
	if json.Unmarshal(pair[0], &tag) != nil || tag != "map" || json.Unmarshal(pair[1], &kvs) != nil {
		return nil, fmt.Errorf("want a map, got %s", raw)
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, err := atomString(kv[0])
		if err != nil {
			return nil, err
		}
		v, err := atomString(kv[1])
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// txn collects ovs-vsctl commands run as one OVSDB transaction.
type txn struct {
	cmds   [][]string
	writes int
}

// add appends one command that changes one thing (a write).
func (t *txn) add(args ...string) {
	t.cmds = append(t.cmds, args)
	t.writes++
}

// also appends a command that belongs to the previous write (setting the
// columns of a port just added, say).
func (t *txn) also(args ...string) {
	t.cmds = append(t.cmds, args)
}

// empty reports whether t has no commands.
func (t *txn) empty() bool { return len(t.cmds) == 0 }

// commit runs t in one ovs-vsctl call. ovs-vsctl waits until
// ovs-vswitchd has applied it, so new ports have their OpenFlow numbers
// when commit returns.
func (r *runner) commit(t *txn) error {
	if t.empty() {
		return nil
	}
	args := make([]string, 0, 4*len(t.cmds))
	for _, c := range t.cmds {
		args = append(args, "--")
		args = append(args, c...)
	}
	if _, err := r.vsctl(args...); err != nil {
		return fmt.Errorf("ovsdb transaction: %w", err)
	}
	return nil
}

// quote renders s as an OVSDB string atom that ovs-vsctl takes literally.
func quote(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// mapArg renders column:key=value.
func mapArg(column, key, value string) string {
	return column + ":" + key + "=" + quote(value)
}

// mapLiteral renders a whole map column value, {k="v",...}, keys sorted.
func mapLiteral(m map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(k))
		b.WriteByte('=')
		b.WriteString(quote(m[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// itoa is strconv.Itoa, short.
func itoa(n int) string { return strconv.Itoa(n) }
