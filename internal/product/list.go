package product

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/page"
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

func (f ListFilter) where(storeID uuid.UUID) *db.Filter {
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
func (s *Service) List(ctx context.Context, storeID uuid.UUID, f ListFilter, args page.Args) ([]Product, bool, error) {
	w := f.where(storeID)
	if args.After != nil {
		t, id, err := args.After.TimeID()
		if err != nil {
			return nil, false, err
		}
		w.Add("(created_at, id) < (?, ?)", t, id)
	}
	sql := `SELECT ` + columns + ` FROM products WHERE ` + w.Where() + ` ORDER BY created_at DESC, id DESC LIMIT ` + w.Arg(args.First+1)
	return db.Page(ctx, s.db, db.StoreScope(storeID), args.First, sql, w.Args, scanRows)
}

// Count returns how many of storeID's products match f.
func (s *Service) Count(ctx context.Context, storeID uuid.UUID, f ListFilter) (int, error) {
	return db.Count(ctx, s.db, db.StoreScope(storeID), "products", f.where(storeID))
}
