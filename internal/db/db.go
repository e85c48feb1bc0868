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

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Querier is what domain SQL runs on: a pgx.Tx, or a read's connection (see Read).
// It is pgx's own query API, the interface sqlc's generated code runs on, plus
// SendBatch for pipelining where one round trip for several statements pays.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Scope is what a transaction may see. StoreID scopes it to one tenant; UserID and
// APIKeyHash open the two narrow pre-tenant lookups the RLS policies allow (a user's
// own memberships, the one API key with that hash).
type Scope struct {
	StoreID    tenant.StoreID
	UserID     uuid.UUID
	APIKeyHash []byte
}

// Store is the common scope: one store.
func Store(id tenant.StoreID) Scope { return Scope{StoreID: id} }

// DB is the application's database: a pool connected as the app role, which RLS binds.
type DB struct {
	Pool *pgxpool.Pool
	// reads bounds the scoped reads running at once to half the pool (see New).
	reads chan struct{}
	// joined, when set, is the outer transaction every Tx and Read runs inside (Joined).
	joined pgx.Tx
}

// Joined returns a DB whose transactions are savepoints of tx and whose reads run in
// tx, each under its own scope. It is for tests that work River jobs inside a test
// transaction which is rolled back at the end (rivertest.Worker), so that they run in
// parallel in full isolation. Its Pool is nil.
func Joined(tx pgx.Tx) *DB { return &DB{joined: tx} }

// runJoined is run for a Joined DB: fn's transaction is a savepoint of the outer one,
// released when fn returns nil. last, when fn has one, runs as an ordinary statement.
func (d *DB) runJoined(ctx context.Context, scope Scope, fn func(tx pgx.Tx, last Querier) error) error {
	sp, err := d.joined.Begin(ctx)
	if err != nil {
		return err
	}
	defer sp.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if _, err := sp.Exec(ctx, setScopeSQL, scope.args()...); err != nil {
		return fmt.Errorf("set tenant scope: %w", err)
	}
	if err := fn(sp, sp); err != nil {
		return err
	}
	return sp.Commit(ctx)
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
// Reads may hold at most half of the pool's connections at once. A read only computes
// — it never waits on a lock — so past a few per database core, more of them at once
// only share the cores more finely and lengthen every one. Writes wait on row locks
// (stock, order numbers) and keep the whole pool. (Measured: docs/performance.md.)
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
	store, user := "", ""
	if !s.StoreID.IsZero() {
		store = s.StoreID.String()
	}
	if s.UserID != uuid.Nil {
		user = s.UserID.String()
	}
	return []any{store, user, hex.EncodeToString(s.APIKeyHash)}
}

// Tx runs fn in a read-write transaction limited to scope. It commits when fn returns
// nil and rolls back otherwise; any River jobs fn inserts with the tx commit with it.
//
// BEGIN and the scope's settings are not a round trip of their own: they travel with
// the transaction's first statement (see tx).
func (d *DB) Tx(ctx context.Context, scope Scope, fn func(tx pgx.Tx) error) error {
	if d.joined != nil {
		return d.runJoined(ctx, scope, func(tx pgx.Tx, _ Querier) error { return fn(tx) })
	}
	return d.run(ctx, scope, func(t *tx) error {
		if err := fn(t); err != nil {
			return err
		}
		return t.Commit(ctx)
	})
}

// TxCommitWith runs fn in a transaction like Tx, whose last statement fn runs on last
// (a query of one row, such as a sqlc :one query): it goes to the server together
// with the COMMIT, in one round trip. It exists for the one statement whose lock
// everyone else queues for, a store's order counter (order.Service.Create): sent with
// the COMMIT, the lock is held for as long as the server takes to run it and commit,
// not for a round trip to the client and back as well.
//
// The contract: every check of the last statement is a database error (a constraint,
// a NOT NULL), which makes PostgreSQL skip the COMMIT and roll everything back. When
// its row is scanned the server has already committed, so nothing fn does afterwards
// can undo the transaction: an error fn returns after a committed last statement is
// ErrCheckedAfterCommit, never a silent "rolled back" that was not.
func (d *DB) TxCommitWith(ctx context.Context, scope Scope, fn func(tx pgx.Tx, last Querier) error) error {
	if d.joined != nil {
		return d.runJoined(ctx, scope, fn)
	}
	return d.run(ctx, scope, func(t *tx) error {
		last := &committing{tx: t}
		err := fn(t, last)
		switch {
		case last.committed && err != nil:
			return fmt.Errorf("%w: %w", ErrCheckedAfterCommit, err)
		case last.committed:
			return nil
		case err != nil:
			return err
		}
		return t.Commit(ctx) // fn ended without a last statement (an idempotent replay)
	})
}

// ErrCheckedAfterCommit reports a TxCommitWith whose fn failed after its last
// statement had committed: a check that should have been a database error.
var ErrCheckedAfterCommit = errors.New("transaction committed before a check failed")

// committing is TxCommitWith's last: its QueryRow sends the statement with the COMMIT.
type committing struct {
	tx        *tx
	sent      bool
	committed bool
}

func (c *committing) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return &committingRow{c: c, ctx: ctx, sql: sql, args: args}
}

func (c *committing) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errors.New("TxCommitWith: the last statement must be a QueryRow")
}

func (c *committing) Query(context.Context, string, ...any) (pgx.Rows, error) {
	return nil, errors.New("TxCommitWith: the last statement must be a QueryRow")
}

func (c *committing) SendBatch(_ context.Context, b *pgx.Batch) pgx.BatchResults {
	return pgx.FailedBatchResults(b, errors.New("TxCommitWith: the last statement must be a QueryRow"))
}

// committingRow sends its statement and the COMMIT when it is scanned.
type committingRow struct {
	c    *committing
	ctx  context.Context
	sql  string
	args []any
}

func (r *committingRow) Scan(dest ...any) error {
	if r.c.sent {
		return errors.New("TxCommitWith: only one last statement")
	}
	r.c.sent = true
	b := &pgx.Batch{}
	b.Queue(r.sql, r.args...).QueryRow(func(row pgx.Row) error { return row.Scan(dest...) })
	b.Queue("COMMIT")
	err := r.c.tx.SendBatch(r.ctx, b).Close()
	// After a failed statement (this one, or an earlier one fn ignored) the server
	// skips the rest of the pipeline, COMMIT included, and the transaction is left
	// aborted ('E'). Back in 'I', it committed — even if scanning the row failed.
	r.c.committed = r.c.tx.conn.PgConn().TxStatus() == 'I'
	return err
}

// run runs fn on a transaction of its own connection, and rolls back whatever fn left
// open (an error, a panic, a failed final statement).
func (d *DB) run(ctx context.Context, scope Scope, fn func(t *tx) error) error {
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	// Released with a transaction still open (a panic, a lost connection), the pool
	// closes the connection rather than reuse it.
	defer conn.Release()
	t := &tx{conn: conn.Conn(), scope: scope}
	err = fn(t)
	if conn.Conn().PgConn().TxStatus() != 'I' {
		if rerr := t.Rollback(ctx); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// IsUniqueViolation reports whether err is a unique-constraint violation, and on which
// constraint.
func IsUniqueViolation(err error) (constraint string, ok bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return pgErr.ConstraintName, true
	}
	return "", false
}

// NotFound maps pgx.ErrNoRows to the domain's NOT_FOUND error naming what was looked
// for; any other error passes through. It is the one place where "no row" becomes
// NOT_FOUND: a service's Get returns it, never a zero value with a nil error.
func NotFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.NotFoundf("%s not found", what)
	}
	return err
}

// IsNoRows reports whether err says a query of one row found none.
func IsNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
