-- The test service's table: a note per port, gone with its port.
CREATE TABLE port_notes (
    port_id TEXT NOT NULL PRIMARY KEY REFERENCES ports (id) ON DELETE CASCADE,
    note    TEXT NOT NULL
);
