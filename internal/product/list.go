package product

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// ListFilter narrows List.
type ListFilter struct {
	Search   string
	LowStock bool
}

// Sort names List's ordering (newest first) for its cursors.
const Sort = "products.created_desc"

// Cursor is p's position in List's ordering.
func Cursor(p Product) page.Cursor {
	return page.TimeCursor(Sort, p.CreatedAt, p.ID)
}

func (f ListFilter) where(storeID tenant.StoreID) *db.Filter {
	w := &db.Filter{}
	w.Add("store_id = ?", storeID)
	if s := strings.TrimSpace(f.Search); s != "" {
		w.Add("(sku ILIKE ? OR name ILIKE ?)", db.LikePattern(s), db.LikePattern(s))
	}
	if f.LowStock {
		w.Add("stock_on_hand - stock_reserved <= low_stock_threshold")
	}
	return w
}

// List returns a page of storeID's products, newest first.
//
// Hand-written SQL: its WHERE clause depends on the filter (db.Filter).
func (s *Service) List(ctx context.Context, storeID tenant.StoreID, f ListFilter, args page.Args) ([]Product, bool, error) {
	w := f.where(storeID)
	if args.After != nil {
		t, id, err := args.After.TimeID()
		if err != nil {
			return nil, false, err
		}
		w.Add("(created_at, id) < (?, ?)", t, id)
	}
	sql := `SELECT * FROM products WHERE ` + w.Where() + ` ORDER BY created_at DESC, id DESC LIMIT ` + w.Arg(args.First+1)
	var out []Product
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := q.Query(ctx, sql, w.Args...)
		if err != nil {
			return err
		}
		ps, err := pgx.CollectRows(rows, pgx.RowToStructByName[dbsqlc.Product])
		out = fromRows(ps)
		return err
	})
	out, more := page.Trim(out, args.First)
	return out, more, err
}

// Count returns how many of storeID's products match f.
func (s *Service) Count(ctx context.Context, storeID tenant.StoreID, f ListFilter) (int, error) {
	w := f.where(storeID)
	var n int
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM products WHERE `+w.Where(), w.Args...).Scan(&n)
	})
	return n, err
}
