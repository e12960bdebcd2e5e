package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// migrationFiles holds one directory of numbered migrations per engine:
// migrations/<engine>/NNNN_name.sql, applied in order of NNNN.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// migration is one schema change.
type migration struct {
	version int64
	name    string
	sql     string
}

// migrations returns the engine's migrations in order.
func migrations(e engine) ([]migration, error) {
	out, err := readMigrations(migrationFiles, path.Join("migrations", e.String()))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sqlstore: no migrations for %s", e)
	}
	return out, nil
}

// cutSQL returns a file name without its ".sql" suffix, and whether it had
// one.
func cutSQL(file string) (string, bool) { return strings.CutSuffix(file, ".sql") }

// migrationNumber returns the positive number a migration's name starts
// with, before its first '_'.
func migrationNumber(name string) (int64, error) {
	num, _, _ := strings.Cut(name, "_")
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v <= 0 {
		return 0, errors.New("name must start with a positive number")
	}
	return v, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL,
    applied_at BIGINT NOT NULL
)`

// migrate applies the migrations the database lacks, core's and then
// those of the store's schemas (see WithSchemas). Opening an up-to-date
// database costs one query, and one more with schemas; otherwise the migrations run in one
// transaction that holds a lock (SQLite's write lock, a PostgreSQL advisory
// lock per schema) so that concurrent Opens apply each migration once.
func (s *Store) migrate(ctx context.Context) error {
	all, err := migrations(s.engine)
	if err != nil {
		return err
	}
	if applied, err := s.appliedVersions(ctx, s.db); err == nil && pending(all, applied) == nil && !s.schemasPending(ctx, s.db) {
		return nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if s.engine == enginePostgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('ml2go-migrate:' || current_schema()))`); err != nil {
			return fmt.Errorf("sqlstore: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("sqlstore: migrate: create schema_migrations: %w", err)
	}
	applied, err := s.appliedVersions(ctx, tx)
	if err != nil {
		return err
	}
	todo := pending(all, applied)
	for _, m := range todo {
		s.log.Info("applying migration", "version", m.version, "name", m.name, "engine", s.engine.String())
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, rebind(s.engine, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.version, m.name, s.now().Unix()); err != nil {
			return fmt.Errorf("sqlstore: record migration %s: %w", m.name, err)
		}
	}
	if err := s.migrateSchemas(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migrate: commit: %w", err)
	}
	return nil
}

// queryer is what appliedVersions needs of a DB or a Tx.
type queryer interface {
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// execQueryer is what applying migrations needs of a Tx.
type execQueryer interface {
	queryer
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) appliedVersions(ctx context.Context, q queryer) (map[int64]bool, error) {
	var versions []int64
	if err := q.SelectContext(ctx, &versions, `SELECT version FROM schema_migrations`); err != nil {
		return nil, fmt.Errorf("sqlstore: read schema_migrations: %w", err)
	}
	out := make(map[int64]bool, len(versions))
	for _, v := range versions {
		out[v] = true
	}
	return out, nil
}

// pending returns the migrations of all not in applied.
func pending(all []migration, applied map[int64]bool) []migration {
	var out []migration
	for _, m := range all {
		if !applied[m.version] {
			out = append(out, m)
		}
	}
	return out
}
