// Package api serves the OpenStack Networking API v2.0 from an ml2go
// plugin, as an http.Handler an embedding program can mount on its own
// server.
//
// It speaks Neutron's dialect, so that the clients people already use
// (the openstack CLI, gophercloud, Terraform's OpenStack provider) work
// unchanged: the versions document at / (served without authentication),
// the resources of /v2.0 (networks, subnets, ports, segments, agents,
// extensions, quotas, network IP availability, and the tags of networks,
// subnets and ports, and the collections of service plugins), request and response envelopes, bulk creates,
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
// # Services
//
// Service plugins add resources of their own through Config.Services. A
// service's API side is a Service: it returns, in a ServiceAPI, its
// collections, each a Collection[T] that the service fills with its
// attributes (who may give each on create and update, which only admins
// see), a view writing an item, and the functions that get, list,
// create, update and delete items for a Caller; and the extensions it
// provides. The collection is then served by the same route table,
// request decoding, fields, pagination links, If-Match, error mapping
// and policy check as networks, subnets and ports, with Neutron's
// default policy of a resource owned by a project. Attributes a service
// adds to networks, subnets or ports are an extension driver's (see
// ExtensionProvider): they are validated and stored inside the core
// resource's transaction, and accepted and shown here with those of the
// extension drivers.
//
// A service in ml2go's serviceplugins/ imports no package of
// reference/, so its Service is written in what assembles the server
// (reference/server) against the service's own Go API; an embedding
// program's service may implement Service itself. Either way the
// service's model, tables, queries and event subscriptions stay in the
// service: this package only carries its requests to it.
//
// Authentication is a middleware of package reference/auth (noauth or
// Keystone) that puts the caller in the request context; the handlers
// apply Neutron's default policy to it: admin-only attributes
// (provider:*, segments, binding:*) are hidden from and refused to
// non-admins, a project sees its own resources plus shared and external
// networks, and another project's resource is a 404.
package api
