-- Segments gain the standard attributes the segments API shows. SQLite
-- cannot change a stored generated column, so the table is rebuilt with
-- the new columns at the end of row_json. Nothing references segments by
-- foreign key. A network may have several segments of one type without a
-- physical network (two vxlan segments, say), as Neutron's unique
-- constraint, where NULL physical networks differ, allows.

CREATE TABLE segments_new (
    id               TEXT    PRIMARY KEY,
    network_id       TEXT    NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    network_type     TEXT    NOT NULL,
    physical_network TEXT    NOT NULL DEFAULT '',
    segmentation_id  INTEGER NOT NULL DEFAULT 0,
    mtu              INTEGER NOT NULL DEFAULT 0,
    seg_index        INTEGER NOT NULL DEFAULT 0,
    is_dynamic       BOOLEAN NOT NULL DEFAULT FALSE,
    name             TEXT    NOT NULL DEFAULT '',
    description      TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL DEFAULT 0,
    updated_at       INTEGER NOT NULL DEFAULT 0,
    revision_number  INTEGER NOT NULL DEFAULT 0,
    row_json         TEXT    GENERATED ALWAYS AS (json_array(id, network_id, network_type, physical_network,
        segmentation_id, mtu, seg_index, is_dynamic, name, description, created_at, updated_at,
        revision_number)) STORED
) WITHOUT ROWID;

INSERT INTO segments_new (id, network_id, network_type, physical_network, segmentation_id, mtu, seg_index,
        is_dynamic, name, description)
    SELECT id, network_id, network_type, physical_network, segmentation_id, mtu, seg_index, is_dynamic, name,
        description
    FROM segments;

DROP TABLE segments;
ALTER TABLE segments_new RENAME TO segments;
CREATE UNIQUE INDEX segments_network_type_physnet_key ON segments (network_id, network_type, physical_network)
    WHERE physical_network <> '';
-- The unique index covers segments with a physical network only: reads by
-- network need their own.
CREATE INDEX segments_network_id ON segments (network_id, seg_index);
