// Package invoice owns invoices: issued with gap-free per-store numbers and the
// order's lines when an order's payment is captured (Issue), voided when a paid order
// is cancelled (Void).
package invoice

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Invoice is an order's invoice.
type Invoice struct {
	ID            uuid.UUID
	StoreID       tenant.StoreID
	OrderID       uuid.UUID
	Number        int64
	Status        string
	SubtotalMinor int64
	TotalMinor    int64
	CurrencyCode  string
	IssuedAt      time.Time
	VoidedAt      *time.Time
	VoidReason    *string
}

// FromRow maps an invoices row to an Invoice.
func FromRow(r dbsqlc.Invoice) Invoice {
	return Invoice{ID: r.ID, StoreID: r.StoreID, OrderID: r.OrderID, Number: r.Number, Status: r.Status,
		SubtotalMinor: r.SubtotalMinor, TotalMinor: r.TotalMinor, CurrencyCode: r.CurrencyCode, IssuedAt: r.IssuedAt,
		VoidedAt: r.VoidedAt, VoidReason: r.VoidReason}
}

var queries = dbsqlc.New()

// Service reads invoices.
type Service struct{ db *db.DB }

// NewService returns the invoice service.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// ListByOrders returns the invoices of the given orders, by order id.
func (s *Service) ListByOrders(ctx context.Context, storeID tenant.StoreID, orderIDs []uuid.UUID) (map[uuid.UUID]Invoice, error) {
	out := make(map[uuid.UUID]Invoice, len(orderIDs))
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.InvoiceListByOrders(ctx, q, dbsqlc.InvoiceListByOrdersParams{StoreID: storeID, OrderIds: orderIDs})
		for _, r := range rows {
			out[r.OrderID] = FromRow(r)
		}
		return err
	})
	return out, err
}

// Get returns invoice id of storeID, or NOT_FOUND.
func (s *Service) Get(ctx context.Context, storeID tenant.StoreID, id uuid.UUID) (Invoice, error) {
	var inv Invoice
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		row, err := queries.InvoiceGetByID(ctx, q, dbsqlc.InvoiceGetByIDParams{StoreID: storeID, ID: id})
		inv = FromRow(row)
		return db.NotFound(err, "invoice")
	})
	return inv, err
}

// Sort names List's ordering (newest first).
const Sort = "invoices.issued_desc"

// Cursor is inv's position in List's ordering.
func Cursor(inv Invoice) page.Cursor { return page.TimeCursor(Sort, inv.IssuedAt, inv.ID) }

func where(storeID tenant.StoreID, statuses []string) *db.Filter {
	w := &db.Filter{}
	w.Add("store_id = ?", storeID)
	if len(statuses) > 0 {
		w.Add("status = ANY(?)", statuses)
	}
	return w
}

// List returns a page of storeID's invoices with the given statuses (all when empty).
//
// Hand-written SQL: its WHERE clause depends on the filter (db.Filter).
func (s *Service) List(ctx context.Context, storeID tenant.StoreID, statuses []string, args page.Args) ([]Invoice, bool, error) {
	w := where(storeID, statuses)
	if args.After != nil {
		t, id, err := args.After.TimeID()
		if err != nil {
			return nil, false, err
		}
		w.Add("(issued_at, id) < (?, ?)", t, id)
	}
	sql := `SELECT * FROM invoices WHERE ` + w.Where() + ` ORDER BY issued_at DESC, id DESC LIMIT ` + w.Arg(args.First+1)
	var out []Invoice
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := q.Query(ctx, sql, w.Args...)
		if err != nil {
			return err
		}
		invs, err := pgx.CollectRows(rows, pgx.RowToStructByName[dbsqlc.Invoice])
		for _, r := range invs {
			out = append(out, FromRow(r))
		}
		return err
	})
	out, more := page.Trim(out, args.First)
	return out, more, err
}

// Count returns how many of storeID's invoices have the given statuses.
func (s *Service) Count(ctx context.Context, storeID tenant.StoreID, statuses []string) (int, error) {
	w := where(storeID, statuses)
	var n int
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM invoices WHERE `+w.Where(), w.Args...).Scan(&n)
	})
	return n, err
}

// GID is inv's global id in the API.
func (inv Invoice) GID() string { return gid.Encode("Invoice", inv.ID) }

// Total is the invoiced amount.
func (inv Invoice) Total() money.Money { return money.Of(inv.TotalMinor, inv.CurrencyCode) }
