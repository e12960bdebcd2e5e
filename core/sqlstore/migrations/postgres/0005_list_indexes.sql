-- Listings are ordered by id (after any sort keys asked for) and paginated
-- with LIMIT. A listing filtered on a column, or scoped to a project, reads
-- its page from an index on (column, id) in order and stops after the
-- page, instead of reading and sorting every matching row: a page costs
-- the same in a network of 40 ports as in one of 40,000. The composite
-- indexes replace the single-column ones, which they cover.

DROP INDEX ports_project_id;
DROP INDEX ports_device_id;
DROP INDEX ports_host_id;
CREATE INDEX ports_project_id ON ports (project_id, id);
CREATE INDEX ports_device_id ON ports (device_id, id);
CREATE INDEX ports_host_id ON ports (host_id, id);
CREATE INDEX ports_network_id ON ports (network_id, id);

DROP INDEX networks_project_id;
CREATE INDEX networks_project_id ON networks (project_id, id);

DROP INDEX subnets_project_id;
CREATE INDEX subnets_project_id ON subnets (project_id, id);
CREATE INDEX subnets_network_id_id ON subnets (network_id, id);
