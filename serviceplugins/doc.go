// Package serviceplugins is the home of ml2go's service plugins: the
// capabilities beyond networks, subnets and ports, as Neutron's service
// plugins are (security groups, DHCP scheduling, L3 routers and floating
// IPs, subnet pools). It holds no code of its own; each service is a
// folder of its own, serviceplugins/<name>, named as Neutron names the
// service in [DEFAULT] service_plugins ("router", "qos", ...).
//
// A service owns its resources and its tables, and adding one touches no
// other service and no core code beyond the line that registers it.
// core imports no service; a service imports core (and core/sqlstore for
// its tables), never reference/ or plugins/.
//
// # What a service implements
//
// A service is a core.ServicePlugin: a Name, and Initialize, called once
// the store is open and migrated. What else it offers it says through
// optional interfaces, which what assembles a server checks:
//
//   - core.Subscriber: it hears of core changes through core.Events.
//     BeforeCommit subscribers run in the change's transaction and may
//     veto it; the service writes its rows through that transaction
//     (core.Change.Tx), so that they commit or roll back with core's.
//     AfterCommit subscribers run once the change committed.
//   - sqlstore.SchemaOwner: its tables. Schema names the owner (the
//     service's name) and holds its migrations, which the store applies
//     when it opens, after core's, recorded per owner.
//   - the reference API's Service (api.Service): the collections it
//     serves and the extension aliases it brings; api.ExtensionProvider:
//     the attributes it adds to core resources, as an extension driver
//     (validated in the resource's transaction, stored with it, shown in
//     its views) that the server runs after the configured ones. A
//     service may not import reference/, so the API side of a built-in
//     service is written beside its entry in reference/server; an
//     embedder's own service may implement api.Service itself.
//
// # Registering
//
// A service is registered by name on the core.Registry
// (Registry.RegisterServicePlugin) and picked, in order, by
// ml2.Config.ServicePlugins, which the reference server fills from
// [DEFAULT] service_plugins: an unknown name stops start-up. The store's
// schemas are those of the picked services (sqlstore.WithSchemas).
//
// # Migrations
//
// A service's migrations live in its folder, usually embedded:
//
//	serviceplugins/<name>/migrations/sqlite/0001_<what>.sql
//	serviceplugins/<name>/migrations/postgres/0001_<what>.sql
//
// One file per migration and engine, numbered from 1 by the service
// itself, the same names for both engines (a migration that one engine
// lacks is refused). Applied migrations are never edited: a change is a
// new file. The store applies what a database lacks when it opens, so a
// service added to a deployment that has run for a while gets its tables
// on the next start. A service's table may refer to core's (a port's id,
// with ON DELETE CASCADE so that its rows go with the port), never the
// other way round.
//
// # Its SQL
//
// sqlstore.SQL(tx) gives the service's handle on a transaction: Exec,
// Query and QueryRow with '?' placeholders, in the transaction of core's
// writes, errors mapped as the store maps its own (a unique violation is
// core's DuplicateEntry, a transient conflict runs the transaction again).
// A service's own reads and writes outside an event go through
// core.Store.Update and View, and sqlstore.SQL of their transaction.
package serviceplugins
