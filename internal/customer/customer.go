// Package customer owns a store's customers. Customers are found or created by email
// when an order comes in (Upsert); the API lists and reads them.
package customer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/page"
)

// Customer is a store's customer, unique by email within the store.
type Customer struct {
	ID        uuid.UUID
	StoreID   uuid.UUID
	Email     string
	Name      *string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const columns = `id, store_id, email, name, created_at, updated_at`

func scanRows(rows pgx.Rows) ([]Customer, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Customer, error) {
		var c Customer
		err := r.Scan(&c.ID, &c.StoreID, &c.Email, &c.Name, &c.CreatedAt, &c.UpdatedAt)
		return c, err
	})
}

// Upsert is the statement that finds storeID's customer by (normalised) email or
// creates it, in the caller's transaction (db.Send), and puts its id into id. A given
// name replaces the stored one.
func Upsert(storeID uuid.UUID, email string, name *string, id *uuid.UUID) db.Queued {
	return db.Queued{SQL: `INSERT INTO customers (store_id, email, name) VALUES ($1, $2, $3)
		ON CONFLICT (store_id, email) DO UPDATE SET name = COALESCE(EXCLUDED.name, customers.name),
			updated_at = CASE WHEN EXCLUDED.name IS DISTINCT FROM customers.name AND EXCLUDED.name IS NOT NULL
				THEN now() ELSE customers.updated_at END
		RETURNING id`, Args: []any{storeID, email, name},
		Scan: func(rows pgx.Rows) (err error) {
			if *id, err = pgx.CollectExactlyOneRow(rows, pgx.RowTo[uuid.UUID]); err != nil {
				return fmt.Errorf("upsert customer: %w", err)
			}
			return nil
		}}
}

// Service reads customers.
type Service struct {
	db *db.DB
}

// NewService returns the customer service.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// GetMany returns storeID's customers with the given ids.
func (s *Service) GetMany(ctx context.Context, storeID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]Customer, error) {
	out := make(map[uuid.UUID]Customer, len(ids))
	err := s.db.ReadAll(ctx, db.StoreScope(storeID), ManyQuery(storeID, ids, out))
	return out, err
}

// ManyQuery is GetMany's query for a db.ReadAll: it puts the customers into out.
func ManyQuery(storeID uuid.UUID, ids []uuid.UUID, out map[uuid.UUID]Customer) db.Queued {
	return db.Into(`SELECT `+columns+` FROM customers WHERE store_id = $1 AND id = ANY($2)`,
		[]any{storeID, ids}, scanRows, func(cs []Customer) {
			for _, c := range cs {
				out[c.ID] = c
			}
		})
}

// Get returns customer id of storeID.
func (s *Service) Get(ctx context.Context, storeID, id uuid.UUID) (Customer, error) {
	m, err := s.GetMany(ctx, storeID, []uuid.UUID{id})
	if err != nil {
		return Customer{}, err
	}
	c, ok := m[id]
	if !ok {
		return c, apperr.NotFoundf("customer not found")
	}
	return c, nil
}

// Sort names List's ordering (newest first) for its cursors.
const Sort = "customers.created_desc"

// Cursor is c's position in List's ordering.
func Cursor(c Customer) page.Cursor {
	return page.TimeCursor(Sort, c.CreatedAt, c.ID)
}

func where(storeID uuid.UUID, search string) *db.Filter {
	w := &db.Filter{}
	w.Add("store_id = ?", storeID)
	if s := strings.TrimSpace(search); s != "" {
		w.Add("(email ILIKE ? OR name ILIKE ?)", db.LikePattern(s), db.LikePattern(s))
	}
	return w
}

// List returns a page of storeID's customers matching search, newest first.
func (s *Service) List(ctx context.Context, storeID uuid.UUID, search string, args page.Args) ([]Customer, bool, error) {
	w := where(storeID, search)
	if args.After != nil {
		t, id, err := args.After.TimeID()
		if err != nil {
			return nil, false, err
		}
		w.Add("(created_at, id) < (?, ?)", t, id)
	}
	sql := `SELECT ` + columns + ` FROM customers WHERE ` + w.Where() + ` ORDER BY created_at DESC, id DESC LIMIT ` + w.Arg(args.First+1)
	return db.Page(ctx, s.db, db.StoreScope(storeID), args.First, sql, w.Args, scanRows)
}

// Count returns how many of storeID's customers match search.
func (s *Service) Count(ctx context.Context, storeID uuid.UUID, search string) (int, error) {
	return db.Count(ctx, s.db, db.StoreScope(storeID), "customers", where(storeID, search))
}

// GID is c's global id in the API.
func (c Customer) GID() string { return gid.Encode("Customer", c.ID) }
