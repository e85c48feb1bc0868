package db

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// tx is the pgx.Tx that Tx and TxCommitWith hand to fn: pgx's own transaction, begun
// with the transaction's first statement instead of in a round trip of its own.
//
// BEGIN and the tenant scope lead the first statement or pipeline (pgx's
// Batch.BeginTx): one round trip for all of them. Before anything else (a savepoint,
// CopyFrom) they go as a pipeline of their own. A transaction that runs nothing costs
// no round trip at all.
type tx struct {
	conn  *pgx.Conn
	scope Scope
	inner pgx.Tx // nil until begun
	done  bool   // committed or rolled back before it began
}

var _ pgx.Tx = (*tx)(nil)

// begun returns the transaction, beginning it if it has not begun.
func (t *tx) begun(ctx context.Context) (pgx.Tx, error) {
	if t.inner != nil {
		return t.inner, nil
	}
	if t.done {
		return nil, pgx.ErrTxClosed
	}
	if err := t.SendBatch(ctx, &pgx.Batch{}).Close(); err != nil {
		return nil, err
	}
	return t.inner, nil
}

// SendBatch sends b, led by BEGIN and the scope if the transaction has not begun. A
// failure there fails b's statements too: PostgreSQL skips the rest of a pipeline after
// an error.
func (t *tx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if t.inner != nil {
		return t.inner.SendBatch(ctx, b)
	}
	if t.done {
		return pgx.FailedBatchResults(b, pgx.ErrTxClosed)
	}
	led := &pgx.Batch{}
	led.BeginTx(pgx.TxOptions{})
	led.Queue(setScopeSQL, t.scope.args()...)
	led.QueuedQueries = append(led.QueuedQueries, b.QueuedQueries...)
	br := t.conn.SendBatch(ctx, led)
	t.inner = br.Tx()
	for range 2 { // BEGIN, the scope
		if _, err := br.Exec(); err != nil {
			break
		}
	}
	return br
}

// Exec, Query and QueryRow run the transaction's first statement in one pipeline with
// BEGIN and the scope, and later ones as pgx.Tx does.

func (t *tx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.inner != nil {
		return t.inner.Exec(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br := t.SendBatch(ctx, b)
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (t *tx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.inner != nil {
		return t.inner.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br := t.SendBatch(ctx, b)
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (t *tx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := t.Query(ctx, sql, args...)
	return &batchRow{rows: rows, err: err}
}

func (t *tx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	inner, err := t.begun(ctx)
	if err != nil {
		return 0, err
	}
	return inner.CopyFrom(ctx, table, columns, src)
}

func (t *tx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	inner, err := t.begun(ctx)
	if err != nil {
		return nil, err
	}
	return inner.Prepare(ctx, name, sql)
}

// Begin opens a savepoint: a nested transaction.
func (t *tx) Begin(ctx context.Context) (pgx.Tx, error) {
	inner, err := t.begun(ctx)
	if err != nil {
		return nil, err
	}
	return inner.Begin(ctx)
}

// LargeObjects begins the transaction, without a context, if it has not begun.
func (t *tx) LargeObjects() pgx.LargeObjects {
	inner, err := t.begun(context.Background())
	if err != nil {
		return pgx.LargeObjects{}
	}
	return inner.LargeObjects()
}

func (t *tx) Conn() *pgx.Conn { return t.conn }

// Commit commits; a transaction that never began has nothing to commit.
func (t *tx) Commit(ctx context.Context) error { return t.end(ctx, pgx.Tx.Commit) }

// Rollback rolls back; a transaction that never began has nothing to roll back.
func (t *tx) Rollback(ctx context.Context) error { return t.end(ctx, pgx.Tx.Rollback) }

// end ends the transaction with end if it has begun; one that never began ends without
// a word to the server.
func (t *tx) end(ctx context.Context, end func(pgx.Tx, context.Context) error) error {
	if t.inner != nil {
		return end(t.inner, ctx)
	}
	if t.done {
		return pgx.ErrTxClosed
	}
	t.done = true
	return nil
}
