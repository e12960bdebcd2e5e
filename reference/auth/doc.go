// Package auth authenticates requests to the ml2go server the two ways
// Neutron does (auth_strategy = noauth or keystone) and hands the rest of
// the server the identity a request runs as: a *Context in the request's
// context.Context, read with FromContext.
//
// Noauth is Neutron's noauth pipeline: no credentials are checked and every
// request is an admin. Keystone is keystonemiddleware's auth_token followed
// by Neutron's keystonecontext: the X-Auth-Token header is validated against
// a Keystone v3 identity service, with the answers Neutron gives when it is
// missing or invalid (401 with a WWW-Authenticate header) or when Keystone
// cannot be reached (503). Validated tokens are cached, and concurrent
// requests carrying the same new token cost Keystone one validation.
//
// Whether a caller is an admin follows Neutron's default policy,
// context_is_admin = role:admin. Everything finer (who may see or change
// what) is policy, and belongs to the API layer.
//
// Package keystonetest is a stand-in Keystone for tests.
package auth
