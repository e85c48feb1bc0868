package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/money"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Settings are a store's rules for the fraud check: an order at or above
// ReviewTotalMinor, with a line of ReviewLineQuantity units or more, from a customer
// who placed MaxOrdersPerEmailHour orders in the past hour already, or shipping to a
// country outside AllowedCountries (empty: anywhere) is held for review.
type Settings struct {
	ReviewTotalMinor      int64
	ReviewLineQuantity    int
	MaxOrdersPerEmailHour int
	AllowedCountries      []string
	UpdatedAt             *time.Time
	// CurrencyCode is the store's currency, in which ReviewTotalMinor counts (filled
	// by Service.Settings for display).
	CurrencyCode string
}

// ReviewTotal is the review limit as money.
func (s Settings) ReviewTotal() money.Money { return money.Of(s.ReviewTotalMinor, s.CurrencyCode) }

// DefaultSettings are the rules of a store that has not changed them: the migration's
// column defaults, which the database applies to a store without a settings row.
var DefaultSettings = Settings{ReviewTotalMinor: 500_000, ReviewLineQuantity: 100, MaxOrdersPerEmailHour: 20}

func settingsFromRow(r dbsqlc.StoreSetting) Settings {
	return Settings{ReviewTotalMinor: r.ReviewTotalMinor, ReviewLineQuantity: int(r.ReviewLineQuantity),
		MaxOrdersPerEmailHour: int(r.MaxOrdersPerEmailHour), AllowedCountries: r.AllowedCountries, UpdatedAt: &r.UpdatedAt}
}

// GetSettings reads storeID's settings on q (a transaction or a read); a store that
// never changed them gets DefaultSettings.
func GetSettings(ctx context.Context, q dbsqlc.DBTX, storeID tenant.StoreID) (Settings, error) {
	row, err := queries.StoreSettingsGet(ctx, q, storeID)
	if db.IsNoRows(err) {
		return DefaultSettings, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("store settings: %w", err)
	}
	return settingsFromRow(row), nil
}

// Settings returns st's settings, in st's currency.
func (s *Service) Settings(ctx context.Context, st Store) (Settings, error) {
	var out Settings
	err := s.db.Read(ctx, db.Store(st.ID), func(q db.Querier) (err error) {
		out, err = GetSettings(ctx, q, st.ID)
		return err
	})
	out.CurrencyCode = st.CurrencyCode
	return out, err
}

// SettingsParams change a store's settings; nil leaves a setting as it is. The review
// total is a decimal amount in the store's currency.
type SettingsParams struct {
	ReviewTotal           *string
	ReviewLineQuantity    *int
	MaxOrdersPerEmailHour *int
	AllowedCountries      []string // nil: unchanged; empty: anywhere
}

// UpdateSettings changes storeID's settings.
func (s *Service) UpdateSettings(ctx context.Context, storeID tenant.StoreID, p SettingsParams) (Settings, error) {
	var out Settings
	err := s.db.Tx(ctx, db.Store(storeID), func(tx pgx.Tx) error {
		cur, err := GetSettings(ctx, tx, storeID)
		if err != nil {
			return err
		}
		currency, err := queries.StoreGetCurrency(ctx, tx, storeID)
		if err != nil {
			return db.NotFound(err, "store")
		}
		if p.ReviewTotal != nil {
			if cur.ReviewTotalMinor, err = money.ParseMinor(*p.ReviewTotal, currency); err != nil {
				return apperr.Invalid("reviewTotal", "reviewTotal: %v", err)
			}
		}
		if p.ReviewLineQuantity != nil {
			if *p.ReviewLineQuantity < 1 || *p.ReviewLineQuantity > 1_000_000 {
				return apperr.Invalid("reviewLineQuantity", "reviewLineQuantity must be between 1 and 1000000")
			}
			cur.ReviewLineQuantity = *p.ReviewLineQuantity
		}
		if p.MaxOrdersPerEmailHour != nil {
			if *p.MaxOrdersPerEmailHour < 1 || *p.MaxOrdersPerEmailHour > 1_000_000 {
				return apperr.Invalid("maxOrdersPerEmailPerHour", "maxOrdersPerEmailPerHour must be between 1 and 1000000")
			}
			cur.MaxOrdersPerEmailHour = *p.MaxOrdersPerEmailHour
		}
		if p.AllowedCountries != nil {
			cs := make([]string, 0, len(p.AllowedCountries))
			for i, c := range p.AllowedCountries {
				c = strings.ToUpper(strings.TrimSpace(c))
				if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
					return apperr.Invalid(fmt.Sprintf("allowedCountries.%d", i), "%q is not an ISO 3166-1 alpha-2 country code", c)
				}
				cs = append(cs, c)
			}
			slices.Sort(cs)
			cur.AllowedCountries = slices.Compact(cs)
		}
		if cur.AllowedCountries == nil {
			cur.AllowedCountries = []string{}
		}
		row, err := queries.StoreSettingsUpsert(ctx, tx, dbsqlc.StoreSettingsUpsertParams{StoreID: storeID,
			ReviewTotalMinor: cur.ReviewTotalMinor, ReviewLineQuantity: int32(cur.ReviewLineQuantity),
			MaxOrdersPerEmailHour: int32(cur.MaxOrdersPerEmailHour), AllowedCountries: cur.AllowedCountries})
		if err != nil {
			return fmt.Errorf("save store settings: %w", err)
		}
		out = settingsFromRow(row)
		out.CurrencyCode = currency
		return nil
	})
	return out, err
}
