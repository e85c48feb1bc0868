// Package db owns the connection pools, transactions and the tenant session setting.
//
// Every query that touches tenant data runs inside a transaction opened by
// [DB.Tx] or [DB.Read] with a [Scope]. The scope is written with
// set_config(..., true), so it is local to that transaction and can never leak to the
// next user of a pooled connection. Row-Level Security policies (see migrations/) read
// it; a query that forgets its WHERE store_id still sees only one store.
//
// SQL lives with the domain package that owns the table (internal/store,
// internal/product, internal/order, ...), hand-written for pgx: sqlc, which the
// style guide prefers, cannot be installed from this environment's module proxy.
package db
