-- The host change feed (core.HostChange): what changed for which hosts.
-- AUTOINCREMENT never reuses a number, even after pruning.
CREATE TABLE host_changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    change TEXT NOT NULL
);
