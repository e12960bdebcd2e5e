-- Segments gain the standard attributes the segments API shows.

ALTER TABLE segments
    ADD COLUMN created_at      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN updated_at      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN revision_number BIGINT NOT NULL DEFAULT 0;
