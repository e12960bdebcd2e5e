-- Segments gain the standard attributes the segments API shows, and a
-- network may have several segments of one type without a physical
-- network (two vxlan segments, say), as Neutron's unique constraint, where
-- NULL physical networks differ, allows.

ALTER TABLE segments
    ADD COLUMN created_at      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN updated_at      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 0;

ALTER TABLE segments DROP CONSTRAINT segments_network_type_physnet_key;
CREATE UNIQUE INDEX segments_network_type_physnet_key ON segments (network_id, network_type, physical_network)
    WHERE physical_network <> '';
-- The unique index covers segments with a physical network only: reads by
-- network need their own.
CREATE INDEX segments_network_id ON segments (network_id, seg_index);
