package sqlstore

import (
	"context"
	"strings"

	"github.com/ml2go/ml2go/core"
)

// streamPage is how many ports StreamPorts reads at a time.
const streamPage = 1000

// Interface guard.
var _ core.PortStreamer = (*tx)(nil)

// StreamPorts calls yield with each port ListPorts would return, in
// order, reading them a page of streamPage rows at a time, each page after
// the last port of the one before (keyset pagination in the
// transaction's snapshot, as a marker would), with the details of its
// ports: memory is bounded by a page, not by the result. A listing with
// PageReverse is read whole, as it must be turned around: the API only
// asks for one with a limit. Errors of the first page (an unknown filter
// or sort key, a marker that is no port) are returned before yield is
// called.
func (t *tx) StreamPorts(ctx context.Context, opts *core.ListOptions, yield func(*core.Port) bool) error {
	if opts == nil {
		opts = &core.ListOptions{}
	}
	need := portNeedsOf(opts.Fields)
	if opts.PageReverse {
		ports, err := t.readPorts(ctx, opts, need, true)
		if err != nil {
			return err
		}
		for _, p := range ports {
			if !yield(p) {
				return nil
			}
		}
		return nil
	}
	page := *opts
	left := opts.Limit // 0: no limit
	for {
		page.Limit = streamPage
		if left > 0 && left < streamPage {
			page.Limit = left
		}
		ports, err := t.readPorts(ctx, &page, need, false)
		if err != nil {
			return err
		}
		for _, p := range ports {
			if !yield(p) {
				return nil
			}
		}
		if len(ports) < page.Limit {
			return nil
		}
		if left > 0 {
			if left -= len(ports); left == 0 {
				return nil
			}
		}
		page.Marker = ports[len(ports)-1].ID
	}
}

// portPart is a part of a port a listing may read: a column of its row
// or one of its details.
type portPart uint32

// The parts of a port, the first ones in the order of portRow.
const (
	portID portPart = 1 << iota
	portProjectID
	portName
	portDescription
	portCreatedAt
	portUpdatedAt
	portRevision
	portNetworkID
	portAdminStateUp
	portMAC
	portDeviceID
	portDeviceOwner
	portStatus
	portHostID
	portVNICType
	portVIFType
	portProfile
	portVIFDetails
	portExtra
	portTags
	portFixedIPs // the ip_allocations rows
	portLevels   // the port_binding_levels rows
)

// portColumns are the columns of portRow with the value a row shows for
// one that is not read: its type's zero.
var portColumns = []struct {
	name, zero string
}{
	{"id", "''"}, {"project_id", "''"}, {"name", "''"}, {"description", "''"},
	{"created_at", "0"}, {"updated_at", "0"}, {"revision_number", "0"}, {"network_id", "''"},
	{"admin_state_up", "FALSE"}, {"mac_address", "''"}, {"device_id", "''"}, {"device_owner", "''"},
	{"status", "''"}, {"host_id", "''"}, {"vnic_type", "''"}, {"vif_type", "''"},
	{"profile", "'null'"}, {"vif_details", "'null'"}, {"extra", "'null'"}, {"tags", "'[]'"},
}

// portFieldParts maps the attributes of a port, as the API names them, to
// the parts they are made of.
var portFieldParts = map[string]portPart{
	"id": portID, "project_id": portProjectID, "tenant_id": portProjectID, "name": portName,
	"description": portDescription, "created_at": portCreatedAt, "updated_at": portUpdatedAt,
	"revision_number": portRevision, "network_id": portNetworkID, "admin_state_up": portAdminStateUp,
	"mac_address": portMAC, "device_id": portDeviceID, "device_owner": portDeviceOwner,
	"status": portStatus, "binding:host_id": portHostID, "binding:vnic_type": portVNICType,
	"binding:vif_type": portVIFType, "binding:profile": portProfile,
	"binding:vif_details": portVIFDetails | portLevels, "tags": portTags, "fixed_ips": portFixedIPs,
}

// portNeeds is the set of parts of ports a listing reads.
type portNeeds portPart

// allPortNeeds reads every part.
const allPortNeeds = portNeeds(1<<22 - 1)

// portNeedsOf returns what the attributes fields are made of, and the id;
// no fields is every part. An attribute that is not the store's own is
// an extension driver's, in the extra column.
func portNeedsOf(fields []string) portNeeds {
	if len(fields) == 0 {
		return allPortNeeds
	}
	need := portNeeds(portID)
	for _, f := range fields {
		part, ok := portFieldParts[f]
		if !ok {
			part = portExtra
		}
		need |= portNeeds(part)
	}
	return need
}

func (n portNeeds) has(p portPart) bool { return portPart(n)&p != 0 }

// jsonMap reads a map column when n asks for part, else skips it.
func (n portNeeds) jsonMap(r rowReader, maps mapCache, part portPart) map[string]any {
	if n.has(part) {
		return r.jsonMap(maps)
	}
	r.skip()
	return nil
}

// portLarge are the parts of a port row that hold most of its bytes.
const portLarge = portProfile | portVIFDetails | portExtra | portTags

// selectList returns the select list of port rows. On PostgreSQL the
// columns not needed are constants, which cost neither reading nor
// sending. On SQLite a row is one cell: the stored one, unless none of its
// large parts is needed, when it is built of the columns needed alone (an
// index holding them may then answer without the table).
func (n portNeeds) selectList(s *Store) string {
	if n == allPortNeeds || s.engine == engineSQLite && n.has(portLarge) {
		return s.rowExpr(portRow)
	}
	cols := make([]string, len(portColumns))
	for i, c := range portColumns {
		if n.has(portPart(1) << i) {
			cols[i] = "p." + c.name
		} else {
			cols[i] = c.zero
		}
	}
	if s.engine == engineSQLite {
		return "json_array(" + strings.Join(cols, ", ") + ")"
	}
	return strings.Join(cols, ", ")
}
