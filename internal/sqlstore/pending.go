package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// PendingMigrations lists, in the order Migrate would apply them, the
// embedded migrations of this dialect not yet applied to the database,
// without applying anything or taking the migration lock (`ksp migrate
// --dry-run`). On a database KSP never opened, every migration is
// pending. Open the database without migrating to call it.
func (db *DB) PendingMigrations(ctx context.Context) ([]string, error) {
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if db.d.Name == "postgres" {
		exists = `SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE tablename = 'schema_migrations' AND schemaname = current_schema()`
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, exists).Scan(&n); err != nil {
		return nil, fmt.Errorf("pending migrations: %w", err)
	}
	applied := map[string]bool{}
	if n > 0 {
		rows, err := db.sql.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return nil, fmt.Errorf("pending migrations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				return nil, fmt.Errorf("pending migrations: %w", err)
			}
			applied[v] = true
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("pending migrations: %w", err)
		}
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []string
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		if _, dialect, ok := strings.Cut(base, "."); ok && dialect != db.d.Name {
			continue
		}
		if !applied[base] {
			out = append(out, base)
		}
	}
	return out, nil
}
