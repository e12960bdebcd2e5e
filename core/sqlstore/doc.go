// Package sqlstore is ml2go's SQL implementation of core.Store, over
// jmoiron/sqlx, with two engines: SQLite (modernc.org/sqlite, pure Go) for
// a single box or an embedding program, and PostgreSQL (lib/pq) for real
// deployments where several servers share one database.
//
// Open takes a URL-like DSN:
//
//	sqlite://:memory:          a private in-memory database (one connection)
//	sqlite:///var/lib/x.db     an absolute path
//	sqlite://x.db              a path relative to the working directory
//	postgres://... postgresql://...   handed to lib/pq, with
//	                           binary_parameters=yes unless the DSN sets it
//
// Open applies the embedded schema migrations that the database has not
// seen yet (recorded in schema_migrations), so reopening is cheap.
//
// # Service schemas
//
// A service plugin keeps its rows in tables of its own, beside core's, in
// the same database. It says so by implementing SchemaOwner: its Schema
// names it (Owner) and holds its migrations, laid out as core's are, one
// sqlite/NNNN_name.sql and one postgres/NNNN_name.sql per migration
// (usually an embed.FS). What assembles a server passes the schemas of
// the services it runs to Open with WithSchemas. Open applies them after
// core's migrations, in the order given, in the same transaction and
// under the same lock (SQLite's write lock, a PostgreSQL advisory lock), so
// that servers opening one database at once apply each migration once;
// each is recorded under its owner in service_migrations, and every owner
// numbers its migrations from 1. A service added to a deployment that has
// run for a while gets its tables on the next start, core's rows
// untouched. A schema owned by "core" or given twice, or a migration that
// one engine lacks, stops Open before it connects.
//
// A service reads and writes its tables with SQL, from the core.Tx of a
// transaction: a BeforeCommit subscriber's core.Change.Tx, say. Its
// statements (Statements.Exec, Query, QueryRow, with '?' placeholders)
// run in that transaction, so its rows commit or roll back with core's
// (a port and the service's row for it, both undone by a precommit's
// veto), and their errors are the store's: a unique violation is core's
// DuplicateEntry, a transient conflict runs the transaction again.
//
// # Transactions and retries
//
// Store.Update runs its function in a read-write transaction and runs it
// again, a bounded number of times with jittered exponential back-off, when
// it fails with an error wrapping core.ErrRetry or with a transient engine
// error: a PostgreSQL serialization failure, deadlock, or unique or foreign
// key violation (the store checks every conflict it expects, so a
// violation can only come from a concurrent transaction, and the next
// attempt returns the proper typed error), or a busy or locked SQLite
// database. Other errors, typed core errors in particular, are returned as
// they are.
//
// On SQLite, write transactions take the database's write lock when they
// begin (BEGIN IMMEDIATE) and writers of one Store queue in Go before that,
// so they never deadlock on a lock upgrade; readers use WAL snapshots. On
// PostgreSQL, writers run at READ COMMITTED: updates compare and swap the
// revision number, allocations insert with ON CONFLICT DO NOTHING, and no
// statement is allowed to fail inside a transaction, so a conflict never
// aborts it. Readers (View) get a REPEATABLE READ snapshot.
//
// A SQLite transaction runs on a connection of its own, begun and ended
// with BEGIN and COMMIT statements, and its statements run detached from
// the context's cancellation: database/sql and the driver would otherwise
// start a goroutine per transaction, query and statement to watch the
// context, and waking the threads that run them costs more than SQLite's
// own work. A context that has ended fails the next statement and the
// transaction is rolled back, never committed; a statement in progress,
// or a wait for another process's write lock (at most the busy timeout),
// runs to its end. PostgreSQL transactions watch their context
// throughout.
//
// A transaction's connection is held for the duration of fn: on an
// in-memory SQLite database, which has a single connection, calling
// Update or View from inside fn deadlocks.
//
// # One process per SQLite file, and storage faults
//
// A SQLite file belongs to the process that opened it: its connections
// use SQLite's unix-excl VFS, which locks every other process out (a
// second server, or the sqlite3 shell, finds the database locked, and
// Open says another process has it open) and lets this process's
// connections share the WAL index in heap memory. Servers that share a
// database use PostgreSQL.
//
// That is what keeps a storage fault from killing the process. In WAL
// mode SQLite otherwise maps the -shm file beside the database into
// memory, and when the kernel cannot write a page of it back (the file
// made immutable, the file system turned read-only after an error, the
// file truncated) the next write to the page raises SIGBUS, which ends a
// Go program: the pure-Go driver's memory accesses are plain Go code, and
// recovering one with debug.SetPanicOnFault would leave SQLite's locks and
// state half-changed in the process. With the index in heap memory and
// mmap_size 0, no file is mapped, and every fault is a system call's
// error that SQLite reports.
//
// Those errors (I/O errors, a database or journal that cannot be opened
// or written, a full disk) break the connection that met them for good:
// SQLite keeps a journal it could only reopen read-only, say. Such a
// connection is closed rather than reused, with the pool's idle ones; a
// new connection is not opened while the database file cannot be written,
// since SQLite would open it read-only; and the transaction is tried once
// more on a new connection. If the fault lasts, Update and View return
// core's StorageUnavailable (a 503) and the transaction changed nothing;
// the first transaction after it is repaired succeeds, without a restart.
// Update's and View's functions may thus run twice.
//
// # Representation
//
// Times are stored as UTC Unix seconds (Neutron shows whole seconds), maps
// as JSON text (so numbers come back as float64), addresses and prefixes
// as their canonical text, MAC addresses lower-case. Empty list attributes
// come back nil; listings are never nil. Tags are returned sorted; each
// network, subnet and port row holds its tags as a JSON list, which reads
// use, and the tags table holds one row per tag, which tag filters search. IP allocations also carry a
// fixed-width key, the 16-byte form of the address in hex, so ranges of a
// subnet are index range scans in numeric order.
//
// Deleting a subnet that still has IP allocations is SubnetInUse, and
// deleting a network that still has ports (NetworkInUse) or subnets (a
// NetworkInUse conflict too) is refused: the orchestrator removes them
// first. Deleting a port removes its allocations, binding levels and tags;
// deleting a network removes its segments; deleting a segment that a subnet
// uses is SegmentInUse.
//
// Quota limits are rows of (project, resource, limit), only for the limits
// a project has of its own. Counting a project's resources for quotas is
// one query, and so is the IP usage report of the network-ip-availability
// extension: networks joined with their subnets and IP allocations,
// grouped by subnet.
//
// # Performance
//
// Every connection prepares each statement it runs with arguments once
// and keeps the most recently used ones (see cachingConn): on PostgreSQL a
// statement is then one round trip, binary_parameters making that true of
// the first run too, without parsing or planning; on SQLite it is not
// compiled again. Reading a network, with its static segments, subnet ids
// and tags, is one query; a listing of networks too. On PostgreSQL, where
// every statement is a round trip, GetNetworkSubnets reads a network with
// its subnets in one query and CreatePortWithIP inserts a port and its
// first address in one statement, so that a port create is four
// statements with BEGIN and COMMIT; CreatePortsWithIP (core.PortsCreator)
// inserts any number of ports and their first addresses in one statement,
// from arrays of their columns, for the orchestrator's batched creates. Other listings are
// one query for the resources and one set-based query per kind of detail
// (fixed IPs, binding levels), whatever their size. ListPorts reads only
// what the attributes of ListOptions.Fields need, and StreamPorts
// (core.PortStreamer) reads a listing a page of rows at a time with the
// details of the page, so that its memory is bounded by a page. Listings
// filtered on an indexed column, or scoped to a project, read their page
// from an index on (column, id) in order and stop after it. The pure-Go SQLite driver costs per cell read, so
// on SQLite every table keeps its row as a JSON array in a generated
// column, row_json, and a row is read as one cell; PostgreSQL rows are
// plain columns. A process using SQLite keeps a few megabytes of the
// driver's heap mapped (see reserveHeap) so that small transactions do not
// map and unmap memory each time.
//
// # Segment allocation
//
// Only allocated segmentation ids have a row, whatever the configured
// ranges, so opening the store or changing ranges costs nothing and
// allocation costs the same in 1:1000 as in 1:16777215: AllocateSegment
// tries a few uniformly random ids of the ranges, and when they are all
// taken walks the primary key in order, a growing chunk of ids at a time,
// to the first free one, from where the Store's last such search ended,
// wrapping around its range and then trying the other ranges. The walk is
// a range scan with LIMIT, whose plan does not depend on the statistics
// the database has.
package sqlstore
