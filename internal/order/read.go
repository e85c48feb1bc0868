package order

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Get returns order id of storeID, or NOT_FOUND.
func (s *Service) Get(ctx context.Context, storeID tenant.StoreID, id uuid.UUID) (Order, error) {
	var o Order
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		row, err := queries.OrderGetByID(ctx, q, dbsqlc.OrderGetByIDParams{StoreID: storeID, ID: id})
		o = fromRow(row)
		return db.NotFound(err, "order")
	})
	return o, err
}

// GetMany returns storeID's orders with the given ids (missing ones are absent).
func (s *Service) GetMany(ctx context.Context, storeID tenant.StoreID, ids []uuid.UUID) (map[uuid.UUID]Order, error) {
	out := make(map[uuid.UUID]Order, len(ids))
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.OrderGetMany(ctx, q, dbsqlc.OrderGetManyParams{StoreID: storeID, Ids: ids})
		for _, r := range rows {
			out[r.ID] = fromRow(r)
		}
		return err
	})
	return out, err
}

// LinesByOrders returns the lines of the given orders, in line order.
func (s *Service) LinesByOrders(ctx context.Context, storeID tenant.StoreID, orderIDs []uuid.UUID) (map[uuid.UUID][]Line, error) {
	out := make(map[uuid.UUID][]Line, len(orderIDs))
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.OrderLineListByOrders(ctx, q, dbsqlc.OrderLineListByOrdersParams{StoreID: storeID, OrderIds: orderIDs})
		for _, r := range rows {
			out[r.OrderID] = append(out[r.OrderID], lineFromRow(r))
		}
		return err
	})
	return out, err
}

// EventsByOrders returns the timelines of the given orders, oldest first.
func (s *Service) EventsByOrders(ctx context.Context, storeID tenant.StoreID, orderIDs []uuid.UUID) (map[uuid.UUID][]Event, error) {
	out := make(map[uuid.UUID][]Event, len(orderIDs))
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.OrderEventListByOrders(ctx, q, dbsqlc.OrderEventListByOrdersParams{StoreID: storeID, OrderIds: orderIDs})
		for _, r := range rows {
			out[r.OrderID] = append(out[r.OrderID], eventFromRow(r))
		}
		return err
	})
	return out, err
}

// SortField is what List orders by.
type SortField string

// The sort fields.
const (
	SortCreatedAt SortField = "CREATED_AT"
	SortNumber    SortField = "NUMBER"
	SortTotal     SortField = "TOTAL"
)

// ListParams select and order a page of orders.
type ListParams struct {
	Statuses      []Status
	CustomerEmail string
	Number        *int64
	CreatedFrom   *time.Time
	CreatedTo     *time.Time
	TotalMin      *string
	TotalMax      *string
	CustomerID    uuid.UUID
	SortBy        SortField
	Desc          bool
}

// SortKey names p's ordering, so a cursor is only accepted by the ordering it came from.
func (p ListParams) SortKey() string {
	dir := "asc"
	if p.Desc {
		dir = "desc"
	}
	return "orders." + strings.ToLower(string(p.sortBy())) + "." + dir
}

func (p ListParams) sortBy() SortField {
	if p.SortBy == "" {
		return SortCreatedAt
	}
	return p.SortBy
}

// Cursor is o's position in p's ordering.
func (p ListParams) Cursor(o Order) page.Cursor {
	c := page.Cursor{Sort: p.SortKey(), ID: o.ID.String()}
	switch p.sortBy() {
	case SortNumber:
		c.Value = strconv.FormatInt(o.Number, 10)
	case SortTotal:
		c.Value = strconv.FormatInt(o.TotalMinor, 10)
	default:
		c.Value = o.CreatedAt.Format(time.RFC3339Nano)
	}
	return c
}

// where builds the filter. Totals are compared in minor units of the store's currency,
// which costs one more read when a total bound is given.
func (s *Service) where(ctx context.Context, storeID tenant.StoreID, p ListParams) (*db.Filter, error) {
	w := &db.Filter{}
	w.Add("o.store_id = ?", storeID)
	if len(p.Statuses) > 0 {
		ss := make([]string, len(p.Statuses))
		for i, s := range p.Statuses {
			ss[i] = string(s)
		}
		w.Add("o.status = ANY(?)", ss)
	}
	if p.CustomerID != uuid.Nil {
		w.Add("o.customer_id = ?", p.CustomerID)
	}
	if e := strings.ToLower(strings.TrimSpace(p.CustomerEmail)); e != "" {
		w.Add("o.customer_id IN (SELECT c.id FROM customers c WHERE c.store_id = ? AND c.email = ?)", storeID, e)
	}
	if p.Number != nil {
		w.Add("o.number = ?", *p.Number)
	}
	if p.CreatedFrom != nil {
		w.Add("o.created_at >= ?", *p.CreatedFrom)
	}
	if p.CreatedTo != nil {
		w.Add("o.created_at < ?", *p.CreatedTo)
	}
	if p.TotalMin != nil || p.TotalMax != nil {
		var currency string
		err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) (err error) {
			currency, err = queries.StoreGetCurrency(ctx, q, storeID)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("store currency: %w", err)
		}
		for _, b := range []struct {
			v     *string
			field string
			op    string
		}{{p.TotalMin, FieldTotalMin, ">="}, {p.TotalMax, FieldTotalMax, "<="}} {
			if b.v == nil {
				continue
			}
			minor, err := money.ParseMinor(*b.v, currency)
			if err != nil {
				return nil, apperr.Invalid(b.field, "%v", err)
			}
			w.Add("o.total_minor "+b.op+" ?", minor)
		}
	}
	return w, nil
}

// Fields of ListParams that can be at fault (apperr.Error.Field).
const (
	FieldTotalMin = "totalMin"
	FieldTotalMax = "totalMax"
	FieldAfter    = "after"
)

// List returns a page of storeID's orders.
//
// Hand-written SQL: its WHERE and ORDER BY depend on the filter and the ordering.
func (s *Service) List(ctx context.Context, storeID tenant.StoreID, p ListParams, args page.Args) ([]Order, bool, error) {
	sql, sqlArgs, err := s.listSQL(ctx, storeID, p, args)
	if err != nil {
		return nil, false, err
	}
	var out []Order
	err = s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		out, err = collectOrders(q.Query(ctx, sql, sqlArgs...))
		return err
	})
	out, more := page.Trim(out, args.First)
	return out, more, err
}

func collectOrders(rows pgx.Rows, err error) ([]Order, error) {
	if err != nil {
		return nil, err
	}
	os, err := pgx.CollectRows(rows, pgx.RowToStructByName[dbsqlc.Order])
	out := make([]Order, len(os))
	for i, o := range os {
		out[i] = fromRow(o)
	}
	return out, err
}

// listSQL is List's statement: the page's orders and one more, to tell whether more
// follow.
func (s *Service) listSQL(ctx context.Context, storeID tenant.StoreID, p ListParams, args page.Args) (string, []any, error) {
	col := map[SortField]string{SortCreatedAt: "o.created_at", SortNumber: "o.number", SortTotal: "o.total_minor"}[p.sortBy()]
	dir, cmp := "ASC", ">"
	if p.Desc {
		dir, cmp = "DESC", "<"
	}
	w, err := s.where(ctx, storeID, p)
	if err != nil {
		return "", nil, err
	}
	if c := args.After; c != nil {
		bad := apperr.Invalid(FieldAfter, "after is not a cursor returned by this connection")
		id, err := uuid.Parse(c.ID)
		if err != nil {
			return "", nil, bad
		}
		var v any
		if p.sortBy() == SortCreatedAt {
			v, err = time.Parse(time.RFC3339Nano, c.Value)
		} else {
			v, err = strconv.ParseInt(c.Value, 10, 64)
		}
		if err != nil {
			return "", nil, bad
		}
		w.Add("("+col+", o.id) "+cmp+" (?, ?)", v, id)
	}
	sql := `SELECT o.* FROM orders o WHERE ` + w.Where() +
		` ORDER BY ` + col + ` ` + dir + `, o.id ` + dir + ` LIMIT ` + w.Arg(args.First+1)
	return sql, w.Args, nil
}

// Count returns how many of storeID's orders match p.
func (s *Service) Count(ctx context.Context, storeID tenant.StoreID, p ListParams) (int, error) {
	w, err := s.where(ctx, storeID, p)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM orders o WHERE `+w.Where(), w.Args...).Scan(&n)
	})
	return n, err
}
