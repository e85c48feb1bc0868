package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/money"
)

// Store is a tenant.
type Store struct {
	ID           uuid.UUID
	Slug         string
	Name         string
	CurrencyCode string
	CreatedAt    time.Time
}

// Service manages stores, memberships and API keys.
type Service struct {
	db   *db.DB
	keys *keyCache
}

// NewService returns a store service on d. API keys it has authenticated are trusted
// for APIKeyCacheTTL.
func NewService(d *db.DB) *Service { return NewServiceKeyTTL(d, APIKeyCacheTTL) }

// NewServiceKeyTTL is NewService with another time to trust an authenticated API key
// (tests; 0 asks the database every time).
func NewServiceKeyTTL(d *db.DB, keyTTL time.Duration) *Service {
	return &Service{db: d, keys: newKeyCache(keyTTL)}
}

// CreateParams are the inputs of Create.
type CreateParams struct {
	Name         string
	Slug         string
	CurrencyCode string
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$`)

func (p *CreateParams) validate() error {
	p.Name = strings.TrimSpace(p.Name)
	p.Slug = strings.TrimSpace(p.Slug)
	p.CurrencyCode = strings.ToUpper(strings.TrimSpace(p.CurrencyCode))
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 100 {
		return apperr.Invalid("name", "name must be 1 to 100 characters")
	}
	if !slugRE.MatchString(p.Slug) {
		return apperr.Invalid("slug", "slug must be 1 to 50 lowercase letters, digits or dashes, not starting or ending with a dash")
	}
	if !money.KnownCurrency(p.CurrencyCode) {
		return apperr.Invalid("currencyCode", "currencyCode %q is not a supported ISO 4217 code", p.CurrencyCode)
	}
	return nil
}

// Create creates a store and makes ownerID its OWNER, in one transaction.
func (s *Service) Create(ctx context.Context, ownerID uuid.UUID, p CreateParams) (Store, error) {
	if err := p.validate(); err != nil {
		return Store{}, err
	}
	st := Store{ID: uuid.New(), Slug: p.Slug, Name: p.Name, CurrencyCode: p.CurrencyCode}
	// The id is chosen here so the transaction can be scoped to the new store: RLS
	// checks every row written, the store's own row included.
	err := s.db.Tx(ctx, db.StoreScope(st.ID), func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO stores (id, slug, name, currency_code) VALUES ($1, $2, $3, $4)
			RETURNING created_at`, st.ID, st.Slug, st.Name, st.CurrencyCode).Scan(&st.CreatedAt)
		if c, ok := db.IsUniqueViolation(err); ok && c == "stores_slug_key" {
			return &apperr.Error{Code: apperr.Conflict, Field: "slug", Message: fmt.Sprintf("slug %q is taken", st.Slug)}
		}
		if err != nil {
			return fmt.Errorf("insert store: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO memberships (store_id, user_id, role) VALUES ($1, $2, 'OWNER')`,
			st.ID, ownerID); err != nil {
			if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "23503" { // foreign_key_violation: no such user
				// The caller's token is valid but its user is gone: the credential no
				// longer works.
				return apperr.New(apperr.Unauthenticated, "this token's user no longer exists; log in again")
			}
			return fmt.Errorf("insert owner membership: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO store_counters (store_id) VALUES ($1)`, st.ID); err != nil {
			return fmt.Errorf("insert store counters: %w", err)
		}
		return nil
	})
	return st, err
}

// Get returns the store storeID.
func (s *Service) Get(ctx context.Context, storeID uuid.UUID) (Store, error) {
	var st Store
	err := s.db.Read(ctx, db.StoreScope(storeID), func(q db.Querier) error {
		return q.QueryRow(ctx, `SELECT id, slug, name, currency_code, created_at FROM stores WHERE id = $1`,
			storeID).Scan(&st.ID, &st.Slug, &st.Name, &st.CurrencyCode, &st.CreatedAt)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return st, apperr.NotFoundf("store not found")
	}
	return st, err
}

// GID is s's global id in the API (also accepted in X-Store-ID).
func (s Store) GID() string { return gid.Encode("Store", s.ID) }
