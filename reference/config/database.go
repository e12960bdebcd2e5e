package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// ConnectionDSN converts a [database] connection URL, written for
// SQLAlchemy as Neutron takes it, to a DSN that sqlstore.Open accepts:
//
//	sqlite://                      → sqlite://:memory:
//	sqlite:///:memory:             → sqlite://:memory:
//	sqlite:///relative/ml2go.db    → sqlite://relative/ml2go.db (from the working directory)
//	sqlite:////var/lib/ml2go.db    → sqlite:///var/lib/ml2go.db (absolute: four slashes)
//	postgresql://u:p@host/neutron  → postgres://u:p@host/neutron
//	postgresql+psycopg2://...      → postgres://... (any +driver suffix is dropped)
//
// Query parameters of a PostgreSQL URL are passed on to the driver; a
// SQLite URL may have none, nor a host. MySQL and MariaDB are not
// supported, nor are other databases.
func ConnectionDSN(connection string) (string, error) {
	scheme, rest, ok := strings.Cut(connection, "://")
	if !ok || scheme == "" {
		return "", errors.New("not a database URL (postgresql://user:password@host/database or sqlite:////path/to/file.db)")
	}
	dialect, _, _ := strings.Cut(strings.ToLower(scheme), "+")
	switch dialect {
	case "sqlite":
		path, ok := strings.CutPrefix(rest, "/")
		switch {
		case rest == "":
			return "sqlite://:memory:", nil
		case !ok:
			return "", errors.New("SQLite URL with a host: use sqlite:///relative/path or sqlite:////absolute/path")
		case strings.ContainsAny(path, "?#"):
			return "", errors.New("SQLite URL with query parameters or '?' or '#' in the path: not supported")
		case path == "" || path == ":memory:":
			return "sqlite://:memory:", nil
		}
		return "sqlite://" + path, nil
	case "postgresql", "postgres":
		dsn := "postgres://" + rest
		if _, err := url.Parse(dsn); err != nil {
			return "", fmt.Errorf("malformed PostgreSQL URL: %w", errors.Unwrap(err))
		}
		return dsn, nil
	case "mysql", "mariadb":
		return "", errors.New("MySQL is not supported: use postgresql:// or sqlite://")
	}
	return "", fmt.Errorf("database %q is not supported: use postgresql:// or sqlite://", dialect)
}

// DatabaseDSN returns the DSN for sqlstore.Open: [database] connection
// converted by ConnectionDSN or, when it is not set, a SQLite file named
// DefaultDatabaseFile in defaultDataDir ("" meaning the working directory).
func (c *Config) DatabaseDSN(defaultDataDir string) (string, error) {
	if c.Database.Connection == "" {
		return "sqlite://" + filepath.Join(defaultDataDir, DefaultDatabaseFile), nil
	}
	dsn, err := ConnectionDSN(c.Database.Connection)
	if err != nil {
		return "", connectionError(c.source(sectionDatabase, "connection", c.Database.Connection), err)
	}
	return dsn, nil
}

// connectionError is a *Error about the connection URL v, with its password
// hidden.
func connectionError(v Value, err error) *Error {
	e := valueError(v, err)
	e.Value = redactURL(v.Value)
	return e
}

// redactURL hides the password of a URL; when it cannot be parsed, all but
// its scheme.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok {
		return scheme + "://xxxxx"
	}
	return "xxxxx"
}
