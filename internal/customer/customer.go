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
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Customer is a store's customer, unique by email within the store.
type Customer struct {
	ID        uuid.UUID
	StoreID   tenant.StoreID
	Email     string
	Name      *string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FromRow maps a customers row to a Customer.
func FromRow(r dbsqlc.Customer) Customer {
	return Customer{ID: r.ID, StoreID: r.StoreID, Email: r.Email, Name: r.Name, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

var queries = dbsqlc.New()

// Upsert finds storeID's customer by (normalised) email or creates it, in the caller's
// transaction, and returns its id. A given name replaces the stored one.
func Upsert(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, email string, name *string) (uuid.UUID, error) {
	id, err := queries.CustomerUpsert(ctx, tx, dbsqlc.CustomerUpsertParams{StoreID: storeID, Email: email, Name: name})
	if err != nil {
		return uuid.Nil, fmt.Errorf("upsert customer: %w", err)
	}
	return id, nil
}

// Service reads customers.
type Service struct {
	db *db.DB
}

// NewService returns the customer service.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// GetMany returns storeID's customers with the given ids (missing ones are absent).
func (s *Service) GetMany(ctx context.Context, storeID tenant.StoreID, ids []uuid.UUID) (map[uuid.UUID]Customer, error) {
	out := make(map[uuid.UUID]Customer, len(ids))
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.CustomerGetMany(ctx, q, dbsqlc.CustomerGetManyParams{StoreID: storeID, Ids: ids})
		for _, r := range rows {
			out[r.ID] = FromRow(r)
		}
		return err
	})
	return out, err
}

// Sort names List's ordering (newest first) for its cursors.
const Sort = "customers.created_desc"

// Cursor is c's position in List's ordering.
func Cursor(c Customer) page.Cursor {
	return page.TimeCursor(Sort, c.CreatedAt, c.ID)
}

func where(storeID tenant.StoreID, search string) *db.Filter {
	w := &db.Filter{}
	w.Add("store_id = ?", storeID)
	if s := strings.TrimSpace(search); s != "" {
		w.Add("(email ILIKE ? OR name ILIKE ?)", db.LikePattern(s), db.LikePattern(s))
	}
	return w
}

// List returns a page of storeID's customers matching search, newest first.
//
// Hand-written SQL: its WHERE clause depends on the search (db.Filter).
func (s *Service) List(ctx context.Context, storeID tenant.StoreID, search string, args page.Args) ([]Customer, bool, error) {
	w := where(storeID, search)
	if args.After != nil {
		t, id, err := args.After.TimeID()
		if err != nil {
			return nil, false, err
		}
		w.Add("(created_at, id) < (?, ?)", t, id)
	}
	sql := `SELECT * FROM customers WHERE ` + w.Where() + ` ORDER BY created_at DESC, id DESC LIMIT ` + w.Arg(args.First+1)
	var out []Customer
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := q.Query(ctx, sql, w.Args...)
		if err != nil {
			return err
		}
		cs, err := pgx.CollectRows(rows, pgx.RowToStructByName[dbsqlc.Customer])
		for _, c := range cs {
			out = append(out, FromRow(c))
		}
		return err
	})
	out, more := page.Trim(out, args.First)
	return out, more, err
}

// Count returns how many of storeID's customers match search.
func (s *Service) Count(ctx context.Context, storeID tenant.StoreID, search string) (int, error) {
	w := where(storeID, search)
	var n int
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM customers WHERE `+w.Where(), w.Args...).Scan(&n)
	})
	return n, err
}

// GID is c's global id in the API.
func (c Customer) GID() string { return gid.Encode("Customer", c.ID) }

// Get returns customer id of storeID, or NOT_FOUND.
func (s *Service) Get(ctx context.Context, storeID tenant.StoreID, id uuid.UUID) (Customer, error) {
	m, err := s.GetMany(ctx, storeID, []uuid.UUID{id})
	if err != nil {
		return Customer{}, err
	}
	c, ok := m[id]
	if !ok {
		return Customer{}, apperr.NotFoundf("customer not found")
	}
	return c, nil
}
