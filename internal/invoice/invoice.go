// Package invoice owns invoices: issued with gap-free per-store numbers when an
// order's payment is captured. Issuing arrives with the orchestration work; today this
// package lists and reads invoices for the API.
package invoice

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/page"
)

// Invoice is an order's invoice.
type Invoice struct {
	ID           uuid.UUID
	StoreID      uuid.UUID
	OrderID      uuid.UUID
	Number       int64
	Status       string
	TotalMinor   int64
	CurrencyCode string
	IssuedAt     time.Time
}

const columns = `id, store_id, order_id, number, status, total_minor, currency_code, issued_at`

// Service reads invoices.
type Service struct{ db *db.DB }

// NewService returns the invoice service.
func NewService(d *db.DB) *Service { return &Service{db: d} }

func (s *Service) query(ctx context.Context, storeID uuid.UUID, sql string, args ...any) ([]Invoice, error) {
	return db.Query(ctx, s.db, db.StoreScope(storeID), db.StructsByPos[Invoice], sql, args...)
}

// ByOrders returns the invoices of the given orders, by order id.
func (s *Service) ByOrders(ctx context.Context, storeID uuid.UUID, orderIDs []uuid.UUID) (map[uuid.UUID]Invoice, error) {
	out := make(map[uuid.UUID]Invoice, len(orderIDs))
	err := s.db.ReadAll(ctx, db.StoreScope(storeID), ByOrdersQuery(storeID, orderIDs, out))
	return out, err
}

// ByOrdersQuery is ByOrders' query for a db.ReadAll: it puts the invoices into out.
func ByOrdersQuery(storeID uuid.UUID, orderIDs []uuid.UUID, out map[uuid.UUID]Invoice) db.Queued {
	return db.Into(`SELECT `+columns+` FROM invoices WHERE store_id = $1 AND order_id = ANY($2)`,
		[]any{storeID, orderIDs}, db.StructsByPos[Invoice], func(invs []Invoice) {
			for _, inv := range invs {
				out[inv.OrderID] = inv
			}
		})
}

// Get returns invoice id of storeID, or nil.
func (s *Service) Get(ctx context.Context, storeID, id uuid.UUID) (*Invoice, error) {
	invs, err := s.query(ctx, storeID, `SELECT `+columns+` FROM invoices WHERE store_id = $1 AND id = $2`, storeID, id)
	if err != nil || len(invs) == 0 {
		return nil, err
	}
	return &invs[0], nil
}

// Sort names List's ordering (newest first).
const Sort = "invoices.issued_desc"

// Cursor is inv's position in List's ordering.
func Cursor(inv Invoice) page.Cursor { return page.TimeCursor(Sort, inv.IssuedAt, inv.ID) }

func where(storeID uuid.UUID, statuses []string) *db.Filter {
	w := &db.Filter{}
	w.Add("store_id = ?", storeID)
	if len(statuses) > 0 {
		w.Add("status = ANY(?)", statuses)
	}
	return w
}

// List returns a page of storeID's invoices with the given statuses (all when empty).
func (s *Service) List(ctx context.Context, storeID uuid.UUID, statuses []string, args page.Args) ([]Invoice, bool, error) {
	w := where(storeID, statuses)
	if args.After != nil {
		t, id, err := args.After.TimeID()
		if err != nil {
			return nil, false, err
		}
		w.Add("(issued_at, id) < (?, ?)", t, id)
	}
	sql := `SELECT ` + columns + ` FROM invoices WHERE ` + w.Where() + ` ORDER BY issued_at DESC, id DESC LIMIT ` + w.Arg(args.First+1)
	return db.Page(ctx, s.db, db.StoreScope(storeID), args.First, sql, w.Args, db.StructsByPos[Invoice])
}

// Count returns how many of storeID's invoices have the given statuses.
func (s *Service) Count(ctx context.Context, storeID uuid.UUID, statuses []string) (int, error) {
	return db.Count(ctx, s.db, db.StoreScope(storeID), "invoices", where(storeID, statuses))
}

// GID is inv's global id in the API.
func (inv Invoice) GID() string { return gid.Encode("Invoice", inv.ID) }

// Total is the invoiced amount.
func (inv Invoice) Total() money.Money { return money.Of(inv.TotalMinor, inv.CurrencyCode) }
