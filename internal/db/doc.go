// Package db owns the connection pools, transactions and the tenant session setting.
//
// There are two ways to touch the database, each limited to a Scope (normally one
// store, db.Store(id)):
//
//   - [DB.Tx] runs a function in a read-write transaction (a pgx.Tx) and commits it
//     when the function returns nil.
//   - [DB.Read] runs read-only statements on one connection, each behind the scope's
//     setting in one round trip; a pgx.Batch sent on it pipelines several.
//
// [DB.TxCommitWith] is Tx whose last statement travels with the COMMIT; it exists for
// the one statement whose lock pays for it (a store's order counter).
//
// The scope is written with set_config(..., true), so it is local to its transaction
// and can never leak to the next user of a pooled connection. Row-Level Security
// policies (see migrations/) read it; a query that forgets its WHERE store_id still
// sees only one store.
//
// Runtime SQL lives in queries/*.sql, one file per table, compiled by sqlc into
// package dbsqlc (`make generate`; the generated code is committed). Queries are named
// noun first, then verb, then qualifier: OrderGetByID, OrderUpdateStatus,
// ProductListByOrders. Domain packages call them with their transaction or read, and
// map the generated row types to their own in one FromRow function each.
// Hand-written SQL is left for statements that are truly dynamic (list filters and
// orderings, see Filter), scanned by column name (pgx.RowToStructByName) into the
// generated row types.
package db
