package db

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is what domain SQL runs on: a pgx.Tx, or a scoped reader (see Read).
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Scope is what a transaction may see. StoreID scopes it to one tenant; UserID and
// APIKeyHash open the two narrow pre-tenant lookups the RLS policies allow (a user's
// own memberships, the one API key with that hash).
type Scope struct {
	StoreID    uuid.UUID
	UserID     uuid.UUID
	APIKeyHash []byte
}

// StoreScope is the common scope: one store.
func StoreScope(storeID uuid.UUID) Scope { return Scope{StoreID: storeID} }

// DB is the application's database: a pool connected as the app role, which RLS binds.
type DB struct {
	Pool *pgxpool.Pool
	// reads bounds the scoped reads running at once to half the pool (see New).
	reads chan struct{}
}

// PoolConfig parses url into a pool configuration with Ordergraph's connection setup.
func PoolConfig(url string, maxConns int32) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		registerUUID(conn.TypeMap())
		return nil
	}
	return cfg, nil
}

// Open connects a pool to url and checks the connection.
func Open(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := PoolConfig(url, maxConns)
	if err != nil {
		return nil, err
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig connects a pool configured by PoolConfig and checks the connection.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database %s@%s/%s: %w",
			cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return pool, nil
}

// New wraps a pool.
//
// Reads (Read, ReadAll) may hold at most half of the pool's connections at once. A
// read only computes — it never waits on a lock — so past a few per database core,
// more of them at once only share the cores more finely and lengthen every one (on the
// 2-core bench machine: p99 150 ms with 16 reads at once, 110 ms with 8, at more
// requests per second). Writes wait on row locks (stock, order numbers) and keep the
// whole pool: with 8 connections WRITE lost a fifth of its throughput.
func New(pool *pgxpool.Pool) *DB {
	return &DB{Pool: pool, reads: make(chan struct{}, max(1, pool.Config().MaxConns/2))}
}

// acquireRead takes a connection for a read, waiting for a read slot first (FIFO).
func (d *DB) acquireRead(ctx context.Context) (conn *pgxpool.Conn, release func(), err error) {
	select {
	case d.reads <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	conn, err = d.Pool.Acquire(ctx)
	if err != nil {
		<-d.reads
		return nil, nil, fmt.Errorf("acquire connection: %w", err)
	}
	return conn, func() { conn.Release(); <-d.reads }, nil
}

const setScopeSQL = `SELECT set_config('app.store_id', $1, true),
	set_config('app.user_id', $2, true), set_config('app.api_key_hash', $3, true)`

func (s Scope) args() []any {
	str := func(id uuid.UUID) string {
		if id == uuid.Nil {
			return ""
		}
		return id.String()
	}
	return []any{str(s.StoreID), str(s.UserID), hex.EncodeToString(s.APIKeyHash)}
}

// Tx runs fn in a read-write transaction limited to scope. It commits when fn returns
// nil and rolls back otherwise; any River jobs fn inserts with the tx commit with it.
//
// BEGIN and the scope's settings are not a round trip of their own: they travel with
// the transaction's first statements (see tx). Under load a transaction's time is
// mostly round trips. It is TxCommitting with no final statements.
func (d *DB) Tx(ctx context.Context, scope Scope, fn func(tx pgx.Tx) error) error {
	return d.TxCommitting(ctx, scope, func(tx pgx.Tx) ([]Queued, error) { return nil, fn(tx) })
}

// TxCommitting runs a transaction like Tx for fn, whose last statements hold a lock
// others queue for (a store's order counter): fn returns them instead of running them, and
// they go to the server together with the COMMIT, in one round trip. The lock is then
// held for as long as the server takes to run them and commit, not for a round trip to
// the client and back as well — on a busy machine, most of the wait of everyone behind.
// A failure anywhere rolls the transaction back.
func (d *DB) TxCommitting(ctx context.Context, scope Scope, fn func(tx pgx.Tx) ([]Queued, error)) error {
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	// Released with a transaction still open (a panic, a lost connection), the pool
	// closes the connection rather than reuse it.
	defer conn.Release()
	t := &tx{conn: conn.Conn(), scope: scope}
	final, err := fn(t)
	if err == nil && (t.inner != nil || len(final) > 0) {
		// After a failed statement PostgreSQL skips the rest of the pipeline, COMMIT
		// included, and the transaction is left aborted.
		err = Send(ctx, t, append(final, commit)...)
	}
	if conn.Conn().PgConn().TxStatus() != 'I' {
		if rerr := t.Rollback(ctx); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// commit is COMMIT as a pipelined statement. PostgreSQL answers the COMMIT of a
// transaction that had failed (fn ignored an error) with ROLLBACK and no error: that is
// reported, as pgx's own Commit does.
var commit = Queued{SQL: "COMMIT", Scan: func(rows pgx.Rows) error {
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if rows.CommandTag().String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}}

// IsUniqueViolation reports whether err is a unique-constraint violation, and on which
// constraint.
func IsUniqueViolation(err error) (constraint string, ok bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return pgErr.ConstraintName, true
	}
	return "", false
}
