// Package api serves the OpenStack Networking API v2.0 from an ml2go
// plugin, as an http.Handler an embedding program can mount on its own
// server.
//
// It speaks Neutron's dialect, so that the clients people already use
// (the openstack CLI, gophercloud, Terraform's OpenStack provider) work
// unchanged: the versions document at / (served without authentication),
// the resources of /v2.0 (networks, subnets, ports, segments, agents,
// extensions, quotas, network IP availability, and the tags of networks,
// subnets and ports), request and response envelopes, bulk creates,
// fields, filters, sorting and marker pagination with links,
// revision_number with If-Match, and NeutronError bodies that carry the
// exception type names. core's typed errors are mapped to HTTP statuses
// in one place (statusOf).
//
// One resource is ml2go's own, served when Config.DriverHealth is set and
// not listed among the extensions: GET /v2.0/ml2go-drivers, the health
// of the mechanism drivers (built in or out of process), for admins only
// (see DriverStatus).
//
// Authentication is a middleware of package reference/auth (noauth or
// Keystone) that puts the caller in the request context; the handlers
// apply Neutron's default policy to it: admin-only attributes
// (provider:*, segments, binding:*) are hidden from and refused to
// non-admins, a project sees its own resources plus shared and external
// networks, and another project's resource is a 404.
package api
