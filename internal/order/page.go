package order

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/customer"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/fulfillment"
	"github.com/ordergraph/ordergraph/internal/invoice"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/payment"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Include names the relations a Page reads with its orders.
type Include struct {
	Customer, Lines, Products, Payments, Invoice, Fulfillment, Events bool
}

// Page is a page of orders with the relations its reader asked for, each keyed by
// order id (Customers and Products by their own ids). A relation not included is nil.
type Page struct {
	Orders       []Order
	More         bool
	Customers    map[uuid.UUID]customer.Customer
	Lines        map[uuid.UUID][]Line
	Products     map[uuid.UUID]product.Product
	Payments     map[uuid.UUID][]payment.Payment
	Invoices     map[uuid.UUID]invoice.Invoice
	Fulfillments map[uuid.UUID]fulfillment.Fulfillment
	Events       map[uuid.UUID][]Event
}

// Page returns a page of storeID's orders (as List does) and their included relations,
// in two round trips: the orders, then every relation at once in one pipeline
// (pgx.Batch), whatever the size of the page. The relations' statements are the
// sqlc queries their packages read them with one at a time.
func (s *Service) Page(ctx context.Context, storeID tenant.StoreID, p ListParams, args page.Args, inc Include) (Page, error) {
	sql, sqlArgs, err := s.listSQL(ctx, storeID, p, args)
	if err != nil {
		return Page{}, err
	}
	var pg Page
	err = s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		orders, err := collectOrders(q.Query(ctx, sql, sqlArgs...))
		if err != nil {
			return err
		}
		pg.Orders, pg.More = page.Trim(orders, args.First)
		if len(pg.Orders) == 0 {
			return nil
		}
		return pg.readRelations(ctx, q, storeID, inc)
	})
	if err != nil {
		return Page{}, fmt.Errorf("read a page of orders: %w", err)
	}
	return pg, nil
}

// GetManyWith returns storeID's orders with the given ids (missing ones are absent)
// and their included relations, in two round trips, as Page does.
func (s *Service) GetManyWith(ctx context.Context, storeID tenant.StoreID, ids []uuid.UUID, inc Include) (Page, error) {
	var pg Page
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.OrderGetMany(ctx, q, dbsqlc.OrderGetManyParams{StoreID: storeID, Ids: ids})
		if err != nil || len(rows) == 0 {
			return err
		}
		for _, r := range rows {
			pg.Orders = append(pg.Orders, fromRow(r))
		}
		return pg.readRelations(ctx, q, storeID, inc)
	})
	if err != nil {
		return Page{}, fmt.Errorf("read orders: %w", err)
	}
	return pg, nil
}

// readRelations reads pg's included relations in one pipeline.
func (pg *Page) readRelations(ctx context.Context, q db.Querier, storeID tenant.StoreID, inc Include) error {
	ids := make([]uuid.UUID, len(pg.Orders))
	var customerIDs []uuid.UUID
	for i, o := range pg.Orders {
		ids[i] = o.ID
		customerIDs = append(customerIDs, o.CustomerID)
	}
	b := &pgx.Batch{}
	if inc.Customer {
		pg.Customers = map[uuid.UUID]customer.Customer{}
		queue(b, dbsqlc.CustomerGetMany, []any{storeID, customerIDs}, func(r dbsqlc.Customer) {
			pg.Customers[r.ID] = customer.FromRow(r)
		})
	}
	if inc.Lines {
		pg.Lines = map[uuid.UUID][]Line{}
		queue(b, dbsqlc.OrderLineListByOrders, []any{storeID, ids}, func(r dbsqlc.OrderLine) {
			pg.Lines[r.OrderID] = append(pg.Lines[r.OrderID], lineFromRow(r))
		})
	}
	if inc.Products {
		pg.Products = map[uuid.UUID]product.Product{}
		queue(b, dbsqlc.ProductListByOrders, []any{storeID, ids}, func(r dbsqlc.Product) {
			pg.Products[r.ID] = product.FromRow(r)
		})
	}
	if inc.Payments {
		pg.Payments = map[uuid.UUID][]payment.Payment{}
		queue(b, dbsqlc.PaymentListByOrders, []any{storeID, ids}, func(r dbsqlc.Payment) {
			pg.Payments[r.OrderID] = append(pg.Payments[r.OrderID], payment.FromRow(r))
		})
	}
	if inc.Invoice {
		pg.Invoices = map[uuid.UUID]invoice.Invoice{}
		queue(b, dbsqlc.InvoiceListByOrders, []any{storeID, ids}, func(r dbsqlc.Invoice) {
			pg.Invoices[r.OrderID] = invoice.FromRow(r)
		})
	}
	if inc.Fulfillment {
		pg.Fulfillments = map[uuid.UUID]fulfillment.Fulfillment{}
		queue(b, dbsqlc.FulfillmentListByOrders, []any{storeID, ids}, func(r dbsqlc.Fulfillment) {
			pg.Fulfillments[r.OrderID] = fulfillment.FromRow(r)
		})
	}
	if inc.Events {
		pg.Events = map[uuid.UUID][]Event{}
		queue(b, dbsqlc.OrderEventListByOrders, []any{storeID, ids}, func(r dbsqlc.OrderEvent) {
			pg.Events[r.OrderID] = append(pg.Events[r.OrderID], eventFromRow(r))
		})
	}
	if b.Len() == 0 {
		return nil
	}
	return q.SendBatch(ctx, b).Close()
}

// queue queues a sqlc query of many rows of type T on b; each row, scanned by column
// name, goes to put.
func queue[T any](b *pgx.Batch, sql string, args []any, put func(T)) {
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		got, err := pgx.CollectRows(rows, pgx.RowToStructByName[T])
		for _, r := range got {
			put(r)
		}
		return err
	})
}
