package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/ordergraph/ordergraph/migrations"
)

// AppRole is the role the server connects as: not superuser, not the tables' owner,
// not BYPASSRLS, so Row-Level Security always applies to it. Migration 00001 creates it
// when missing (the owner needs CREATEROLE for that; otherwise create it beforehand).
const AppRole = "ordergraph_app"

// Migrate applies Ordergraph's migrations and River's, as the schema owner, then grants
// the app role what River needs. It is idempotent and safe to run on every start.
func Migrate(ctx context.Context, ownerPool *pgxpool.Pool, log *slog.Logger) error {
	sqlDB := stdlib.OpenDBFromPool(ownerPool)
	defer sqlDB.Close()
	if err := migrateSchema(ctx, sqlDB, log); err != nil {
		return err
	}

	migrator, err := rivermigrate.New(riverpgxv5.New(ownerPool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	for _, v := range res.Versions {
		log.Info("river migration applied", "version", v.Version)
	}

	// River's tables belong to the owner too; the app role inserts and works jobs.
	_, err = ownerPool.Exec(ctx, `DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'river\_%' LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO `+AppRole+`', t);
  END LOOP;
  EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ' || quote_ident(current_schema()) || ' TO `+AppRole+`';
END $$`)
	if err != nil {
		return fmt.Errorf("grant river tables to %s: %w", AppRole, err)
	}
	return nil
}

func migrateSchema(ctx context.Context, sqlDB *sql.DB, log *slog.Logger) error {
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		return fmt.Errorf("goose provider: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}
