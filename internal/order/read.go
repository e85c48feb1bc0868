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
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/product"
)

// Get returns order id of storeID.
func (s *Service) Get(ctx context.Context, storeID, id uuid.UUID) (Order, error) {
	var o Order
	err := s.db.Read(ctx, db.StoreScope(storeID), func(q db.Querier) error {
		var err error
		o, err = scan(q.QueryRow(ctx, `SELECT `+columns+` FROM orders WHERE store_id = $1 AND id = $2`, storeID, id))
		return err
	})
	return o, err
}

// GetMany returns storeID's orders with the given ids.
func (s *Service) GetMany(ctx context.Context, storeID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]Order, error) {
	os, err := db.Query(ctx, s.db, db.StoreScope(storeID), scanRows,
		`SELECT `+columns+` FROM orders WHERE store_id = $1 AND id = ANY($2)`, storeID, ids)
	out := make(map[uuid.UUID]Order, len(os))
	for _, o := range os {
		out[o.ID] = o
	}
	return out, err
}

// LinesByOrders returns the lines of the given orders, in line order.
func (s *Service) LinesByOrders(ctx context.Context, storeID uuid.UUID, orderIDs []uuid.UUID) (map[uuid.UUID][]Line, error) {
	out := make(map[uuid.UUID][]Line, len(orderIDs))
	err := s.db.ReadAll(ctx, db.StoreScope(storeID), LinesQuery(storeID, orderIDs, out))
	return out, err
}

// LinesQuery is LinesByOrders' query for a db.ReadAll: it puts the lines into out.
func LinesQuery(storeID uuid.UUID, orderIDs []uuid.UUID, out map[uuid.UUID][]Line) db.Queued {
	return db.Into(`SELECT `+lineColumns+` FROM order_lines WHERE store_id = $1 AND order_id = ANY($2) ORDER BY order_id, line_no`,
		[]any{storeID, orderIDs}, db.StructsByPos[Line], func(lines []Line) {
			for _, l := range lines {
				out[l.OrderID] = append(out[l.OrderID], l)
			}
		})
}

// linesWithProductsSQL is LinesQuery's statement joined with the lines' products.
var linesWithProductsSQL = `SELECT ` + db.Qualify("l", lineColumns) + `, ` + product.Columns("p") + `
	FROM order_lines l JOIN products p ON p.store_id = l.store_id AND p.id = l.product_id
	WHERE l.store_id = $1 AND l.order_id = ANY($2) ORDER BY l.order_id, l.line_no`

// LinesWithProductsQuery is LinesQuery and the lines' products in one statement (a
// join, so the lines are read once): the lines go into lines, their products into
// products.
func LinesWithProductsQuery(storeID uuid.UUID, orderIDs []uuid.UUID, lines map[uuid.UUID][]Line,
	products map[uuid.UUID]product.Product) db.Queued {
	return db.Queued{SQL: linesWithProductsSQL,
		Args: []any{storeID, orderIDs},
		Scan: func(rows pgx.Rows) error {
			defer rows.Close()
			var l Line
			var p product.Product
			dest := append([]any{&l.OrderID, &l.LineNo, &l.ProductID, &l.SKU, &l.Name, &l.Quantity, &l.UnitPriceMinor,
				&l.TotalMinor, &l.CurrencyCode}, p.ScanTargets()...)
			for rows.Next() {
				if err := rows.Scan(dest...); err != nil {
					return err
				}
				lines[l.OrderID] = append(lines[l.OrderID], l)
				products[p.ID] = p
			}
			return rows.Err()
		}}
}

// EventsByOrders returns the timelines of the given orders, oldest first.
func (s *Service) EventsByOrders(ctx context.Context, storeID uuid.UUID, orderIDs []uuid.UUID) (map[uuid.UUID][]Event, error) {
	evs, err := db.Query(ctx, s.db, db.StoreScope(storeID), db.StructsByPos[Event],
		`SELECT id, order_id, type, message, data, created_at
		FROM order_events WHERE store_id = $1 AND order_id = ANY($2) ORDER BY order_id, id`, storeID, orderIDs)
	out := make(map[uuid.UUID][]Event, len(orderIDs))
	for _, e := range evs {
		out[e.OrderID] = append(out[e.OrderID], e)
	}
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
func (s *Service) where(ctx context.Context, storeID uuid.UUID, p ListParams) (*db.Filter, error) {
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
		err := s.db.Read(ctx, db.StoreScope(storeID), func(q db.Querier) error {
			return q.QueryRow(ctx, `SELECT currency_code FROM stores WHERE id = $1`, storeID).Scan(&currency)
		})
		if err != nil {
			return nil, fmt.Errorf("store currency: %w", err)
		}
		for _, b := range []struct {
			v     *string
			field string
			op    string
		}{{p.TotalMin, "filter.totalMin", ">="}, {p.TotalMax, "filter.totalMax", "<="}} {
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

// List returns a page of storeID's orders.
func (s *Service) List(ctx context.Context, storeID uuid.UUID, p ListParams, args page.Args) ([]Order, bool, error) {
	col := map[SortField]string{SortCreatedAt: "o.created_at", SortNumber: "o.number", SortTotal: "o.total_minor"}[p.sortBy()]
	dir, cmp := "ASC", ">"
	if p.Desc {
		dir, cmp = "DESC", "<"
	}
	w, err := s.where(ctx, storeID, p)
	if err != nil {
		return nil, false, err
	}
	if c := args.After; c != nil {
		id, err := uuid.Parse(c.ID)
		if err != nil {
			return nil, false, apperr.Invalid("after", "after is not a cursor returned by this connection")
		}
		var v any
		if p.sortBy() == SortCreatedAt {
			v, err = time.Parse(time.RFC3339Nano, c.Value)
		} else {
			v, err = strconv.ParseInt(c.Value, 10, 64)
		}
		if err != nil {
			return nil, false, apperr.Invalid("after", "after is not a cursor returned by this connection")
		}
		w.Add("("+col+", o.id) "+cmp+" (?, ?)", v, id)
	}
	sql := `SELECT ` + prefixed("o.", columns) + ` FROM orders o WHERE ` + w.Where() +
		` ORDER BY ` + col + ` ` + dir + `, o.id ` + dir + ` LIMIT ` + w.Arg(args.First+1)
	return db.Page(ctx, s.db, db.StoreScope(storeID), args.First, sql, w.Args, scanRows)
}

// Count returns how many of storeID's orders match p.
func (s *Service) Count(ctx context.Context, storeID uuid.UUID, p ListParams) (int, error) {
	w, err := s.where(ctx, storeID, p)
	if err != nil {
		return 0, err
	}
	return db.Count(ctx, s.db, db.StoreScope(storeID), "orders o", w)
}

func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
