-- Per-project quota limits (Neutron's quotas table). A project without a
-- row for a resource has the configured default; -1 is unlimited.

CREATE TABLE quotas (
    project_id TEXT   NOT NULL,
    resource   TEXT   NOT NULL,
    hard_limit BIGINT NOT NULL,
    PRIMARY KEY (project_id, resource)
);
