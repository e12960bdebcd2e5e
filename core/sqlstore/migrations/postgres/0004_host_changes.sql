-- The host change feed (core.HostChange): what changed for which hosts, in
-- the order AddHostChange committed it. Appends are serialized by an
-- advisory lock, so that a reader never sees a number before the smaller
-- ones are visible.
CREATE TABLE host_changes (
    seq    BIGSERIAL PRIMARY KEY,
    change TEXT NOT NULL
);
