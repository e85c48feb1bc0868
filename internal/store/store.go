package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Store is a tenant.
type Store struct {
	ID           tenant.StoreID
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

// storeFromRow maps a stores row to a Store.
func storeFromRow(r dbsqlc.Store) Store {
	return Store{ID: r.ID, Slug: r.Slug, Name: r.Name, CurrencyCode: r.CurrencyCode, CreatedAt: r.CreatedAt}
}

var queries = dbsqlc.New()

// Create creates a store and makes ownerID its OWNER, in one transaction.
func (s *Service) Create(ctx context.Context, ownerID uuid.UUID, p CreateParams) (Store, error) {
	if err := p.validate(); err != nil {
		return Store{}, err
	}
	// The id is chosen here so the transaction can be scoped to the new store: RLS
	// checks every row written, the store's own row included.
	id := tenant.NewStoreID()
	var st Store
	err := s.db.Tx(ctx, db.Store(id), func(tx pgx.Tx) error {
		row, err := queries.StoreCreate(ctx, tx, dbsqlc.StoreCreateParams{ID: id, Slug: p.Slug, Name: p.Name,
			CurrencyCode: p.CurrencyCode})
		if c, ok := db.IsUniqueViolation(err); ok && c == "stores_slug_key" {
			return &apperr.Error{Code: apperr.Conflict, Field: "slug", Message: fmt.Sprintf("slug %q is taken", p.Slug)}
		}
		if err != nil {
			return fmt.Errorf("insert store: %w", err)
		}
		st = storeFromRow(row)
		if _, err := queries.MembershipCreate(ctx, tx, dbsqlc.MembershipCreateParams{StoreID: id, UserID: ownerID,
			Role: dbsqlc.MemberRoleOWNER}); err != nil {
			if db.IsForeignKeyViolation(err) { // the caller's token is valid, its user gone
				return apperr.ErrUserGone
			}
			return fmt.Errorf("insert owner membership: %w", err)
		}
		if err := queries.StoreCounterCreate(ctx, tx, id); err != nil {
			return fmt.Errorf("insert store counters: %w", err)
		}
		return nil
	})
	return st, err
}

// Get returns the store storeID, or NOT_FOUND.
func (s *Service) Get(ctx context.Context, storeID tenant.StoreID) (Store, error) {
	var st Store
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		row, err := queries.StoreGetByID(ctx, q, storeID)
		st = storeFromRow(row)
		return db.NotFound(err, "store")
	})
	return st, err
}

// GID is s's global id in the API (also accepted in X-Store-ID).
func (s Store) GID() string { return gid.Encode("Store", s.ID.UUID()) }

// ListIDs lists every store's id, for maintenance jobs that then work on each store in
// a scope of its own (db.Scope.Maintenance: the one read that spans stores).
func (s *Service) ListIDs(ctx context.Context) ([]tenant.StoreID, error) {
	var ids []tenant.StoreID
	err := s.db.Read(ctx, db.Scope{Maintenance: true}, func(q db.Querier) (err error) {
		ids, err = queries.StoreListIDs(ctx, q)
		return err
	})
	return ids, err
}
