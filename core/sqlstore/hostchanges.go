package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ml2go/ml2go/core"
)

// hostChangesLock is the advisory lock that serializes appends to the
// host change feed on PostgreSQL.
const hostChangesLock = 0x6d6c32676f01

// storedChange is a HostChange as its row holds it.
type storedChange struct {
	Hosts    []string `json:"h,omitempty"`
	Ports    []string `json:"p,omitempty"`
	Networks []string `json:"n,omitempty"`
	Carriers bool     `json:"c,omitempty"`
}

// AddHostChange appends c to the host change feed and sets c.Seq. On
// PostgreSQL appends are serialized for the rest of the transaction, so
// that numbers become visible in order; keep such transactions short.
func (t *tx) AddHostChange(ctx context.Context, c *core.HostChange) error {
	b, err := json.Marshal(storedChange{Hosts: c.Hosts, Ports: c.Ports, Networks: c.Networks, Carriers: c.Carriers})
	if err != nil {
		return fmt.Errorf("sqlstore: encode host change: %w", err)
	}
	if t.s.engine == enginePostgres {
		if _, err := t.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(hostChangesLock)); err != nil {
			return wrap("add host change", err)
		}
	}
	var seq sqlInt
	if err := t.queryRow(ctx, `INSERT INTO host_changes (change) VALUES (?) RETURNING seq`, string(b)).Scan(&seq); err != nil {
		return wrap("add host change", err)
	}
	c.Seq = int64(seq)
	return nil
}

// HostChanges returns the changes after seq and the oldest kept.
func (t *tx) HostChanges(ctx context.Context, after int64) ([]core.HostChange, int64, error) {
	var oldest sqlInt
	if err := t.queryRow(ctx, `SELECT coalesce(min(seq), 0) FROM host_changes`).Scan(&oldest); err != nil {
		return nil, 0, wrap("host changes", err)
	}
	rows, err := t.query(ctx, `SELECT seq, change FROM host_changes WHERE seq > ? ORDER BY seq`, after)
	if err != nil {
		return nil, 0, wrap("host changes", err)
	}
	defer rows.Close()
	var out []core.HostChange
	for rows.Next() {
		var seq int64
		var text string
		if err := rows.Scan(&seq, &text); err != nil {
			return nil, 0, wrap("host changes", err)
		}
		var sc storedChange
		if err := json.Unmarshal([]byte(text), &sc); err != nil {
			return nil, 0, fmt.Errorf("sqlstore: host change %d: %w", seq, err)
		}
		out = append(out, core.HostChange{Seq: seq, Hosts: sc.Hosts, Ports: sc.Ports, Networks: sc.Networks, Carriers: sc.Carriers})
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("host changes", err)
	}
	return out, int64(oldest), nil
}

// PruneHostChanges deletes the changes numbered up to upTo.
func (t *tx) PruneHostChanges(ctx context.Context, upTo int64) error {
	if _, err := t.exec(ctx, `DELETE FROM host_changes WHERE seq <= ?`, upTo); err != nil {
		return wrap("prune host changes", err)
	}
	return nil
}
