package db

import (
	"context"
	"fmt"
	"reflect"
	"strings"

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
// QueryRow do).
func (d *DB) Read(ctx context.Context, scope Scope, fn func(q Querier) error) error {
	conn, release, err := d.acquireRead(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn(&scopedReader{conn: conn, scope: scope.args()})
}

// Queued is one query of a ReadAll: its statement, its arguments, and what to do with
// its rows (Scan reads them to the end or closes them; pgx.CollectRows does).
type Queued struct {
	SQL  string
	Args []any
	Scan func(pgx.Rows) error
}

// Into queues a query whose rows scan scans and put receives.
func Into[T any](sql string, args []any, scan func(pgx.Rows) ([]T, error), put func([]T)) Queued {
	return Queued{SQL: sql, Args: args, Scan: func(rows pgx.Rows) error {
		out, err := scan(rows)
		if err == nil {
			put(out)
		}
		return err
	}}
}

// ReadAll runs independent read-only queries limited to scope in one round trip:
// pipelined behind one set_config, as one implicit transaction (see Read).
func (d *DB) ReadAll(ctx context.Context, scope Scope, qs ...Queued) error {
	conn, release, err := d.acquireRead(ctx)
	if err != nil {
		return err
	}
	defer release()
	return Send(ctx, conn, append([]Queued{Exec(setScopeSQL, scope.args()...)}, qs...)...)
}

// Exec queues a statement whose only result is whether it succeeded.
func Exec(sql string, args ...any) Queued {
	return Queued{SQL: sql, Args: args, Scan: func(rows pgx.Rows) error {
		rows.Close()
		return rows.Err()
	}}
}

// MaybeRow queues a query of at most one row: found says whether there was one, and
// its columns are scanned into dest.
func MaybeRow(found *bool, sql string, args []any, dest ...any) Queued {
	return Queued{SQL: sql, Args: args, Scan: func(rows pgx.Rows) error {
		defer rows.Close()
		if *found = rows.Next(); *found {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
		}
		rows.Close()
		return rows.Err()
	}}
}

// Row queues a query of one row, scanned into dest; no row is pgx.ErrNoRows.
func Row(sql string, args []any, dest ...any) Queued {
	var found bool
	q := MaybeRow(&found, sql, args, dest...)
	scan := q.Scan
	q.Scan = func(rows pgx.Rows) error {
		if err := scan(rows); err != nil {
			return err
		}
		if !found {
			return pgx.ErrNoRows
		}
		return nil
	}
	return q
}

// Qualify qualifies each name of a comma-separated column list with alias, the name a
// join gives the table: Qualify("p", "id, sku") is "p.id, p.sku".
func Qualify(alias, columns string) string {
	names := strings.Split(columns, ",")
	for i, n := range names {
		names[i] = alias + "." + strings.TrimSpace(n)
	}
	return strings.Join(names, ", ")
}

// Batcher is what Send pipelines on: a pgx.Tx or a pooled connection.
type Batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Send runs statements that do not depend on each other's results in one round trip
// (a pipeline) on b, and hands each its rows, in order. Inside a transaction this is
// how its independent steps share a round trip; the first failure stops the rest.
func Send(ctx context.Context, b Batcher, qs ...Queued) error {
	batch := &pgx.Batch{}
	for _, q := range qs {
		batch.Queue(q.SQL, q.Args...)
	}
	br := b.SendBatch(ctx, batch)
	defer br.Close()
	for _, q := range qs {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		if err := q.Scan(rows); err != nil {
			rows.Close()
			return err
		}
	}
	return br.Close()
}

// scopedReader is a Querier that prefixes every statement with the scope.
type scopedReader struct {
	conn  *pgxpool.Conn
	scope []any
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
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.br.Close()
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

// Page runs a list query in a scoped read. The query must fetch first+1 rows (see
// Filter.Arg for its LIMIT); Page returns the first rows and whether more follow.
func Page[T any](ctx context.Context, d *DB, scope Scope, first int, sql string, args []any, scan func(pgx.Rows) ([]T, error)) ([]T, bool, error) {
	out, err := Query(ctx, d, scope, scan, sql, args...)
	if err != nil {
		return nil, false, err
	}
	if len(out) > first {
		return out[:first], true, nil
	}
	return out, false, nil
}

// Query runs one query in a scoped read and scans all its rows.
func Query[T any](ctx context.Context, d *DB, scope Scope, scan func(pgx.Rows) ([]T, error), sql string, args ...any) ([]T, error) {
	var out []T
	err := d.ReadAll(ctx, scope, Into(sql, args, scan, func(rows []T) { out = rows }))
	return out, err
}

// Count counts the rows of table matching w in a scoped read.
func Count(ctx context.Context, d *DB, scope Scope, table string, w *Filter) (int, error) {
	var n int
	err := d.Read(ctx, scope, func(q Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE `+w.Where(), w.Args...).Scan(&n)
	})
	return n, err
}

// StructsByPos scans every row into a T, column by column in the order of T's exported
// fields (T is a flat struct). It does what pgx.RowToStructByPos does, with the field
// lookup done once per query instead of per row: a page's relations are hundreds of
// rows, and the per-row reflection and allocations were a tenth of their cost.
func StructsByPos[T any](rows pgx.Rows) ([]T, error) {
	defer rows.Close()
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("StructsByPos: %s is not a struct", t)
	}
	var fields []int
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && !f.Anonymous {
			fields = append(fields, i)
		}
	}
	dest := make([]any, len(fields))
	var out []T
	for rows.Next() {
		out = append(out, *new(T))
		v := reflect.ValueOf(&out[len(out)-1]).Elem()
		for i, f := range fields {
			dest[i] = v.Field(f).Addr().Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}
