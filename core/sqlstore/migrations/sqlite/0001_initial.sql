-- ml2go initial schema (SQLite).
--
-- Conventions: every column is NOT NULL with a neutral default, so that
-- sorting and keyset pagination never meet NULLs. Times are UTC Unix
-- seconds (0 = unset); maps and lists are JSON text; addresses are their
-- canonical text form.
--
-- row_json is the row as the store reads it: a JSON array of the columns
-- in the order of the *Fields lists in the Go code (a test checks they
-- agree). SQLite keeps it up to date; reading one stored cell instead of
-- a dozen makes large listings several times faster.

CREATE TABLE networks (
    id               TEXT    PRIMARY KEY,
    project_id       TEXT    NOT NULL DEFAULT '',
    name             TEXT    NOT NULL DEFAULT '',
    description      TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL DEFAULT 0,
    updated_at       INTEGER NOT NULL DEFAULT 0,
    revision_number  INTEGER NOT NULL DEFAULT 0,
    admin_state_up   BOOLEAN NOT NULL DEFAULT TRUE,
    status           TEXT    NOT NULL DEFAULT '',
    shared           BOOLEAN NOT NULL DEFAULT FALSE,
    external         BOOLEAN NOT NULL DEFAULT FALSE,
    mtu              INTEGER NOT NULL DEFAULT 0,
    vlan_transparent BOOLEAN NOT NULL DEFAULT FALSE,
    extra            TEXT    NOT NULL DEFAULT 'null',
    tags             TEXT    NOT NULL DEFAULT '[]',
    row_json         TEXT    GENERATED ALWAYS AS (json_array(id, project_id, name, description, created_at,
        updated_at, revision_number, admin_state_up, status, shared, external, mtu, vlan_transparent, extra,
        tags)) STORED
) WITHOUT ROWID;
CREATE INDEX networks_project_id ON networks (project_id);

CREATE TABLE segments (
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
    row_json         TEXT    GENERATED ALWAYS AS (json_array(id, network_id, network_type, physical_network,
        segmentation_id, mtu, seg_index, is_dynamic, name, description)) STORED,
    CONSTRAINT segments_network_type_physnet_key UNIQUE (network_id, network_type, physical_network)
) WITHOUT ROWID;

-- seq (the rowid) orders a network's subnets by creation.
CREATE TABLE subnets (
    seq               INTEGER PRIMARY KEY,
    id                TEXT    NOT NULL UNIQUE,
    project_id        TEXT    NOT NULL DEFAULT '',
    name              TEXT    NOT NULL DEFAULT '',
    description       TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL DEFAULT 0,
    updated_at        INTEGER NOT NULL DEFAULT 0,
    revision_number   INTEGER NOT NULL DEFAULT 0,
    network_id        TEXT    NOT NULL REFERENCES networks (id),
    ip_version        INTEGER NOT NULL,
    cidr              TEXT    NOT NULL,
    gateway_ip        TEXT    NOT NULL DEFAULT '',
    allocation_pools  TEXT    NOT NULL DEFAULT '[]',
    dns_nameservers   TEXT    NOT NULL DEFAULT '[]',
    host_routes       TEXT    NOT NULL DEFAULT '[]',
    enable_dhcp       BOOLEAN NOT NULL DEFAULT TRUE,
    ipv6_ra_mode      TEXT    NOT NULL DEFAULT '',
    ipv6_address_mode TEXT    NOT NULL DEFAULT '',
    segment_id        TEXT    NOT NULL DEFAULT '',
    subnetpool_id     TEXT    NOT NULL DEFAULT '',
    service_types     TEXT    NOT NULL DEFAULT '[]',
    extra             TEXT    NOT NULL DEFAULT 'null',
    tags              TEXT    NOT NULL DEFAULT '[]',
    row_json          TEXT    GENERATED ALWAYS AS (json_array(id, project_id, name, description, created_at,
        updated_at, revision_number, network_id, ip_version, cidr, gateway_ip, allocation_pools, dns_nameservers,
        host_routes, enable_dhcp, ipv6_ra_mode, ipv6_address_mode, segment_id, subnetpool_id, service_types,
        extra, tags)) STORED
);
CREATE INDEX subnets_network_id ON subnets (network_id, seq);
CREATE INDEX subnets_project_id ON subnets (project_id);
CREATE INDEX subnets_segment_id ON subnets (segment_id);

CREATE TABLE ports (
    id              TEXT    PRIMARY KEY,
    project_id      TEXT    NOT NULL DEFAULT '',
    name            TEXT    NOT NULL DEFAULT '',
    description     TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL DEFAULT 0,
    revision_number INTEGER NOT NULL DEFAULT 0,
    network_id      TEXT    NOT NULL REFERENCES networks (id),
    admin_state_up  BOOLEAN NOT NULL DEFAULT TRUE,
    mac_address     TEXT    NOT NULL,
    device_id       TEXT    NOT NULL DEFAULT '',
    device_owner    TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT '',
    host_id         TEXT    NOT NULL DEFAULT '',
    vnic_type       TEXT    NOT NULL DEFAULT '',
    profile         TEXT    NOT NULL DEFAULT 'null',
    vif_type        TEXT    NOT NULL DEFAULT '',
    vif_details     TEXT    NOT NULL DEFAULT 'null',
    extra           TEXT    NOT NULL DEFAULT 'null',
    tags            TEXT    NOT NULL DEFAULT '[]',
    row_json        TEXT    GENERATED ALWAYS AS (json_array(id, project_id, name, description, created_at,
        updated_at, revision_number, network_id, admin_state_up, mac_address, device_id, device_owner, status,
        host_id, vnic_type, vif_type, profile, vif_details, extra, tags)) STORED,
    CONSTRAINT ports_network_id_mac_address_key UNIQUE (network_id, mac_address)
) WITHOUT ROWID;
CREATE INDEX ports_project_id ON ports (project_id);
CREATE INDEX ports_device_id ON ports (device_id);
CREATE INDEX ports_host_id ON ports (host_id);

CREATE TABLE port_binding_levels (
    port_id    TEXT    NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    level      INTEGER NOT NULL,
    driver     TEXT    NOT NULL DEFAULT '',
    segment_id TEXT    NOT NULL DEFAULT '',
    row_json   TEXT    GENERATED ALWAYS AS (json_array(port_id, level, driver, segment_id)) STORED,
    PRIMARY KEY (port_id, level)
) WITHOUT ROWID;

-- ip_key is the 16-byte form of ip as 32 hex digits: ordering by it is
-- numeric order, so AllocatedIPs is an index range scan. Deleting a subnet
-- that still has allocations is refused (by the store, and by the foreign
-- key as a safety net); deleting a port removes its allocations.
CREATE TABLE ip_allocations (
    subnet_id  TEXT NOT NULL REFERENCES subnets (id),
    ip_key     TEXT NOT NULL,
    ip         TEXT NOT NULL,
    port_id    TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    network_id TEXT NOT NULL,
    row_json   TEXT GENERATED ALWAYS AS (json_array(port_id, subnet_id, ip)) STORED,
    PRIMARY KEY (subnet_id, ip_key)
) WITHOUT ROWID;
CREATE INDEX ip_allocations_port_id ON ip_allocations (port_id);

-- Tags of any resource type, one row each: what tag filters search. The
-- tags column of networks, subnets and ports holds the same tags as a sorted
-- JSON list, which is what reads use.
CREATE TABLE tags (
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    tag           TEXT NOT NULL,
    PRIMARY KEY (resource_type, resource_id, tag)
) WITHOUT ROWID;

CREATE TABLE agents (
    id                TEXT    PRIMARY KEY,
    agent_type        TEXT    NOT NULL,
    agent_binary      TEXT    NOT NULL DEFAULT '',
    topic             TEXT    NOT NULL DEFAULT '',
    host              TEXT    NOT NULL,
    availability_zone TEXT    NOT NULL DEFAULT '',
    admin_state_up    BOOLEAN NOT NULL DEFAULT TRUE,
    description       TEXT    NOT NULL DEFAULT '',
    configurations    TEXT    NOT NULL DEFAULT 'null',
    created_at        INTEGER NOT NULL DEFAULT 0,
    started_at        INTEGER NOT NULL DEFAULT 0,
    heartbeat_at      INTEGER NOT NULL DEFAULT 0,
    row_json          TEXT    GENERATED ALWAYS AS (json_array(id, agent_type, agent_binary, topic, host,
        availability_zone, admin_state_up, description, configurations, created_at, started_at,
        heartbeat_at)) STORED,
    CONSTRAINT agents_agent_type_host_key UNIQUE (agent_type, host)
);

-- Only allocated segmentation ids have a row: the cost of allocation does
-- not depend on the size of the configured ranges.
CREATE TABLE segment_allocations (
    network_type     TEXT    NOT NULL,
    physical_network TEXT    NOT NULL DEFAULT '',
    segmentation_id  INTEGER NOT NULL,
    PRIMARY KEY (network_type, physical_network, segmentation_id)
) WITHOUT ROWID;
