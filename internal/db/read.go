package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Read runs fn's read-only statements limited to scope, on one pooled connection.
//
// Each statement is sent in a pipeline behind the scope's set_config, ending in one
// Sync. Postgres runs such a pipeline as one implicit transaction, so the setting is
// as transaction-local as in Tx — but a read costs one round trip instead of a
// transaction's two (BEGIN, set_config and the query; COMMIT). Every statement gets its
// own snapshot; callers needing one snapshot across statements use Tx.
//
// fn must only read, and must close what Query returns (pgx.CollectRows and
// QueryRow do). A pgx.Batch sent with SendBatch is one pipeline behind the scope: one
// round trip for several statements.
func (d *DB) Read(ctx context.Context, scope Scope, fn func(q Querier) error) error {
	if d.joined != nil {
		return d.runJoined(ctx, scope, func(tx pgx.Tx, _ Querier) error { return fn(tx) })
	}
	conn, release, err := d.acquireRead(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn(&scopedReader{conn: conn, scope: scope.args()})
}

// scopedReader is a Querier that prefixes every statement with the scope.
type scopedReader struct {
	conn  *pgxpool.Conn
	scope []any
}

// SendBatch sends b behind the scope's set_config, in one round trip.
func (r *scopedReader) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	led := &pgx.Batch{}
	led.Queue(setScopeSQL, r.scope...)
	led.QueuedQueries = append(led.QueuedQueries, b.QueuedQueries...)
	br := r.conn.SendBatch(ctx, led)
	// The caller's results start after the scope's. Should setting it fail, the
	// server skips the rest of the pipeline, and each of b's statements fails too.
	_, _ = br.Exec()
	return br
}

func (r *scopedReader) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	b.Queue(setScopeSQL, r.scope...)
	b.Queue(sql, args...)
	br := r.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, fmt.Errorf("set tenant scope: %w", err)
	}
	return br, nil
}

func (r *scopedReader) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br, err := r.send(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (r *scopedReader) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	br, err := r.send(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (r *scopedReader) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := r.Query(ctx, sql, args...)
	return &batchRow{rows: rows, err: err}
}

// batchRows closes the batch with the rows, returning the connection to its caller.
// Like pgx's own Rows, it closes itself when Next returns false, so that a caller
// who reads to the end may run its next statement without calling Close.
type batchRows struct {
	pgx.Rows
	br       pgx.BatchResults
	closed   bool
	closeErr error
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.closeErr = r.br.Close()
}

// Err is the rows' error, or else the batch's.
func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.closeErr
}

type batchRow struct {
	rows pgx.Rows
	err  error
}

func (r *batchRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
