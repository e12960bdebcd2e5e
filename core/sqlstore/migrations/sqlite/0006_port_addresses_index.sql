-- A page of ports reads the addresses of its ports by a range of port ids:
-- an index holding what is read of them as well is read in order without
-- a look-up of each in the table.

DROP INDEX ip_allocations_port_id;
CREATE INDEX ip_allocations_port_id ON ip_allocations (port_id, subnet_id, ip);
