package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
)

// Schema is the tables of one owner beside core's, a service plugin's,
// and the migrations that make them. Migrations holds one directory per
// engine, laid out as core's own migrations are:
//
//	sqlite/0001_port_notes.sql
//	postgres/0001_port_notes.sql
//
// Each file is one migration, numbered by its leading positive integer
// and applied once, in order of number, in the transaction that applies
// the others (a file may hold several statements). Both directories hold
// the same file names: a migration that one engine lacks is refused. An
// embed.FS with a "migrations" root is given as fs.Sub(files,
// "migrations").
type Schema struct {
	// Owner names the schema, the service's name; it is recorded with
	// each migration applied, so that every owner numbers its migrations
	// from 1. "core" is core's own.
	Owner string
	// Migrations holds the sqlite/ and postgres/ directories.
	Migrations fs.FS
}

// SchemaOwner is implemented by a service plugin that keeps tables of its
// own: what assembles a server passes its Schema to Open (WithSchemas).
type SchemaOwner interface {
	// Schema returns the service's tables and their migrations.
	Schema() Schema
}

// WithSchemas adds schemas whose migrations Open applies after core's, in
// the order given, each recorded under its owner in service_migrations.
// Open refuses a schema without an owner, named "core" or twice, without
// migrations, or whose migrations are not the same for both engines,
// before it connects to the database.
func WithSchemas(schemas ...Schema) Option {
	return func(c *config) { c.schemas = append(c.schemas, schemas...) }
}

// coreOwner is the owner name of core's own migrations, which a Schema may
// not take.
const coreOwner = "core"

// ownerName is what an owner name may hold.
var ownerName = regexp.MustCompile(`^[a-z][a-z0-9_.-]*$`)

// ownedMigrations is a Schema read for one engine.
type ownedMigrations struct {
	owner string
	all   []migration
}

// loadSchemas checks schemas and reads their migrations for engine e.
func loadSchemas(schemas []Schema, e engine) ([]ownedMigrations, error) {
	seen := map[string]bool{}
	out := make([]ownedMigrations, 0, len(schemas))
	for _, sc := range schemas {
		switch {
		case sc.Owner == coreOwner:
			return nil, fmt.Errorf("sqlstore: schema owner %q is core's own", sc.Owner)
		case !ownerName.MatchString(sc.Owner):
			return nil, fmt.Errorf("sqlstore: schema owner %q: want a lower-case name (letters, digits, '_', '-', '.')", sc.Owner)
		case seen[sc.Owner]:
			return nil, fmt.Errorf("sqlstore: schema owner %q given twice", sc.Owner)
		case sc.Migrations == nil:
			return nil, fmt.Errorf("sqlstore: schema %s: no migrations", sc.Owner)
		}
		seen[sc.Owner] = true
		byEngine := map[engine][]migration{}
		for _, eng := range []engine{engineSQLite, enginePostgres} {
			all, err := readMigrations(sc.Migrations, eng.String())
			if err != nil {
				return nil, fmt.Errorf("sqlstore: schema %s: %w", sc.Owner, err)
			}
			byEngine[eng] = all
		}
		if err := sameMigrations(byEngine[engineSQLite], byEngine[enginePostgres]); err != nil {
			return nil, fmt.Errorf("sqlstore: schema %s: %w", sc.Owner, err)
		}
		if len(byEngine[e]) == 0 {
			return nil, fmt.Errorf("sqlstore: schema %s: no migrations in sqlite/ and postgres/", sc.Owner)
		}
		out = append(out, ownedMigrations{owner: sc.Owner, all: byEngine[e]})
	}
	return out, nil
}

// sameMigrations returns an error naming the first migration that one
// engine has and the other lacks.
func sameMigrations(sqlite, postgres []migration) error {
	names := func(ms []migration) []string {
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = m.name
		}
		return out
	}
	s, p := names(sqlite), names(postgres)
	for _, n := range s {
		if !slices.Contains(p, n) {
			return fmt.Errorf("migration %s.sql is in sqlite/ but not in postgres/", n)
		}
	}
	for _, n := range p {
		if !slices.Contains(s, n) {
			return fmt.Errorf("migration %s.sql is in postgres/ but not in sqlite/", n)
		}
	}
	return nil
}

// readMigrations returns the migrations of directory dir of fsys in
// order of number; a missing directory holds none.
func readMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	for _, ent := range entries {
		m, ok, err := readMigration(fsys, dir, ent)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b migration) int { return int(a.version - b.version) })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("%s: two migrations numbered %d", dir, out[i].version)
		}
	}
	return out, nil
}

const createServiceMigrationsTable = `CREATE TABLE IF NOT EXISTS service_migrations (
    owner      TEXT   NOT NULL,
    version    BIGINT NOT NULL,
    name       TEXT   NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (owner, version)
)`

// schemasPending reports whether a schema of s's has a migration the
// database lacks (or the database cannot say).
func (s *Store) schemasPending(ctx context.Context, q queryer) bool {
	if len(s.schemas) == 0 {
		return false
	}
	applied, err := s.appliedServiceVersions(ctx, q)
	if err != nil {
		return true
	}
	for _, sc := range s.schemas {
		if pending(sc.all, applied[sc.owner]) != nil {
			return true
		}
	}
	return false
}

// appliedServiceVersions returns the versions service_migrations records,
// by owner.
func (s *Store) appliedServiceVersions(ctx context.Context, q queryer) (map[string]map[int64]bool, error) {
	var rows []struct {
		Owner   string `db:"owner"`
		Version int64  `db:"version"`
	}
	if err := q.SelectContext(ctx, &rows, `SELECT owner, version FROM service_migrations`); err != nil {
		return nil, fmt.Errorf("sqlstore: read service_migrations: %w", err)
	}
	out := map[string]map[int64]bool{}
	for _, r := range rows {
		if out[r.Owner] == nil {
			out[r.Owner] = map[int64]bool{}
		}
		out[r.Owner][r.Version] = true
	}
	return out, nil
}

// migrateSchemas applies, in tx, the migrations of s's schemas that the
// database lacks, in the order of the schemas.
func (s *Store) migrateSchemas(ctx context.Context, tx execQueryer) error {
	if len(s.schemas) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, createServiceMigrationsTable); err != nil {
		return fmt.Errorf("sqlstore: migrate: create service_migrations: %w", err)
	}
	applied, err := s.appliedServiceVersions(ctx, tx)
	if err != nil {
		return err
	}
	for _, sc := range s.schemas {
		for _, m := range pending(sc.all, applied[sc.owner]) {
			s.log.Info("applying migration", "owner", sc.owner, "version", m.version, "name", m.name, "engine", s.engine.String())
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("sqlstore: migration %s of %s: %w", m.name, sc.owner, err)
			}
			if _, err := tx.ExecContext(ctx, rebind(s.engine, `INSERT INTO service_migrations (owner, version, name, applied_at) VALUES (?, ?, ?, ?)`),
				sc.owner, m.version, m.name, s.now().Unix()); err != nil {
				return fmt.Errorf("sqlstore: record migration %s of %s: %w", m.name, sc.owner, err)
			}
		}
	}
	return nil
}

// readMigration reads one migration file of dir; ok is false for an
// entry that is not one.
func readMigration(fsys fs.FS, dir string, ent fs.DirEntry) (m migration, ok bool, err error) {
	name, isSQL := cutSQL(ent.Name())
	if !isSQL || ent.IsDir() {
		return migration{}, false, nil
	}
	v, err := migrationNumber(name)
	if err != nil {
		return migration{}, false, fmt.Errorf("migration %s: %w", path.Join(dir, ent.Name()), err)
	}
	b, err := fs.ReadFile(fsys, path.Join(dir, ent.Name()))
	if err != nil {
		return migration{}, false, fmt.Errorf("read migration %s: %w", path.Join(dir, ent.Name()), err)
	}
	return migration{version: v, name: name, sql: string(b)}, true, nil
}
