// Package product owns the catalog and its inventory: products, their stock on hand
// and reserved, and the stock movements that explain every change on hand. It is the
// only writer of the products and stock_movements tables; orders reserve stock
// through Reserve.
package product

import (
	"context"
	"fmt"
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

// Product is a sellable item with its stock.
type Product struct {
	ID                uuid.UUID
	StoreID           tenant.StoreID
	SKU               string
	Name              string
	PriceMinor        int64
	CurrencyCode      string
	StockOnHand       int
	StockReserved     int
	LowStockThreshold int
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// StockAvailable is what new orders can take.
func (p Product) StockAvailable() int { return p.StockOnHand - p.StockReserved }

// LowStock reports whether available stock is at or below the threshold.
func (p Product) LowStock() bool { return p.StockAvailable() <= p.LowStockThreshold }

// Limits on input.
const (
	MaxStock   = 1_000_000_000
	MaxSKULen  = 64
	MaxNameLen = 200
)

// FromRow maps a products row to a Product: the one place the row type becomes the
// domain's.
func FromRow(r dbsqlc.Product) Product {
	return Product{ID: r.ID, StoreID: r.StoreID, SKU: r.Sku, Name: r.Name, PriceMinor: r.PriceMinor,
		CurrencyCode: r.CurrencyCode, StockOnHand: int(r.StockOnHand), StockReserved: int(r.StockReserved),
		LowStockThreshold: int(r.LowStockThreshold), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func fromRows(rows []dbsqlc.Product) []Product {
	out := make([]Product, len(rows))
	for i, r := range rows {
		out[i] = FromRow(r)
	}
	return out
}

var queries = dbsqlc.New()

// Service manages the catalog.
type Service struct {
	db *db.DB
}

// NewService returns the catalog service.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// CreateParams are a new product's fields.
type CreateParams struct {
	SKU               string
	Name              string
	Price             string
	StockOnHand       int
	LowStockThreshold *int
}

// The fields a product's input can be at fault in (apperr.Error.Field); the API maps
// them to its own argument paths.
const (
	FieldSKU               = "sku"
	FieldName              = "name"
	FieldPrice             = "price"
	FieldStockOnHand       = "stockOnHand"
	FieldLowStockThreshold = "lowStockThreshold"
	FieldDelta             = "delta"
	FieldReason            = "reason"
)

func validSKU(sku string) (string, error) {
	sku = strings.TrimSpace(sku)
	if sku == "" || len(sku) > MaxSKULen || strings.ContainsAny(sku, " \t\r\n") {
		return "", apperr.Invalid(FieldSKU, "sku must be 1 to %d characters without spaces", MaxSKULen)
	}
	return sku, nil
}

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxNameLen {
		return "", apperr.Invalid(FieldName, "name must be 1 to %d characters", MaxNameLen)
	}
	return name, nil
}

func validThreshold(n int) error {
	if n < 0 || n > MaxStock {
		return apperr.Invalid(FieldLowStockThreshold, "lowStockThreshold must be between 0 and %d", MaxStock)
	}
	return nil
}

// parsePrice parses price in the currency of storeID, read in tx.
func parsePrice(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, price string) (int64, string, error) {
	currency, err := queries.StoreGetCurrency(ctx, tx, storeID)
	if err != nil {
		return 0, "", fmt.Errorf("store currency: %w", err)
	}
	minor, err := money.ParseMinor(price, currency)
	if err != nil {
		return 0, "", apperr.Invalid(FieldPrice, "price: %v", err)
	}
	return minor, currency, nil
}

// Create adds a product to storeID's catalog, recording its initial stock.
func (s *Service) Create(ctx context.Context, storeID tenant.StoreID, p CreateParams) (Product, error) {
	var err error
	if p.SKU, err = validSKU(p.SKU); err != nil {
		return Product{}, err
	}
	if p.Name, err = validName(p.Name); err != nil {
		return Product{}, err
	}
	if p.StockOnHand < 0 || p.StockOnHand > MaxStock {
		return Product{}, apperr.Invalid(FieldStockOnHand, "stockOnHand must be between 0 and %d", MaxStock)
	}
	threshold := 0
	if p.LowStockThreshold != nil {
		threshold = *p.LowStockThreshold
		if err := validThreshold(threshold); err != nil {
			return Product{}, err
		}
	}
	var out Product
	err = s.db.Tx(ctx, db.Store(storeID), func(tx pgx.Tx) error {
		price, currency, err := parsePrice(ctx, tx, storeID, p.Price)
		if err != nil {
			return err
		}
		row, err := queries.ProductCreate(ctx, tx, dbsqlc.ProductCreateParams{StoreID: storeID, Sku: p.SKU,
			Name: p.Name, PriceMinor: price, CurrencyCode: currency, StockOnHand: int32(p.StockOnHand),
			LowStockThreshold: int32(threshold)})
		if c, ok := db.IsUniqueViolation(err); ok && strings.Contains(c, "sku") {
			return &apperr.Error{Code: apperr.Conflict, Field: FieldSKU, Message: fmt.Sprintf("sku %q already exists in this store", p.SKU)}
		}
		if err != nil {
			return fmt.Errorf("insert product: %w", err)
		}
		out = FromRow(row)
		if p.StockOnHand > 0 {
			return recordMovement(ctx, tx, storeID, out.ID, p.StockOnHand, "initial stock", nil)
		}
		return nil
	})
	return out, err
}

// UpdateParams are the fields to change; nil leaves a field as it is.
type UpdateParams struct {
	Name              *string
	Price             *string
	LowStockThreshold *int
}

// Update changes a product's name, price or threshold. Prices of existing orders do
// not change: order lines keep the price they were placed at.
func (s *Service) Update(ctx context.Context, storeID tenant.StoreID, id uuid.UUID, p UpdateParams) (Product, error) {
	arg := dbsqlc.ProductUpdateParams{StoreID: storeID, ID: id}
	if p.Name != nil {
		n, err := validName(*p.Name)
		if err != nil {
			return Product{}, err
		}
		arg.Name = &n
	}
	if p.LowStockThreshold != nil {
		if err := validThreshold(*p.LowStockThreshold); err != nil {
			return Product{}, err
		}
		t := int32(*p.LowStockThreshold)
		arg.LowStockThreshold = &t
	}
	var out Product
	err := s.db.Tx(ctx, db.Store(storeID), func(tx pgx.Tx) error {
		if p.Price != nil {
			minor, _, err := parsePrice(ctx, tx, storeID, *p.Price)
			if err != nil {
				return err
			}
			arg.PriceMinor = &minor
		}
		row, err := queries.ProductUpdate(ctx, tx, arg)
		if err != nil {
			return db.NotFound(err, "product")
		}
		out = FromRow(row)
		return nil
	})
	return out, err
}

// AdjustStock changes stock on hand by delta and records why. Stock on hand can never
// drop below what open orders have reserved.
func (s *Service) AdjustStock(ctx context.Context, storeID tenant.StoreID, id uuid.UUID, delta int, reason string) (Product, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		reason = "manual adjustment"
	}
	if delta == 0 || delta < -MaxStock || delta > MaxStock {
		return Product{}, apperr.Invalid(FieldDelta, "delta must be non-zero and between -%d and %d", MaxStock, MaxStock)
	}
	if utf8.RuneCountInString(reason) > 500 {
		return Product{}, apperr.Invalid(FieldReason, "reason must be at most 500 characters")
	}
	var out Product
	err := s.db.Tx(ctx, db.Store(storeID), func(tx pgx.Tx) error {
		cur, err := queries.ProductGetByIDForUpdate(ctx, tx, dbsqlc.ProductGetByIDForUpdateParams{StoreID: storeID, ID: id})
		if err != nil {
			return db.NotFound(err, "product")
		}
		next := int(cur.StockOnHand) + delta
		if next < int(cur.StockReserved) {
			return apperr.Invalid(FieldDelta, "stock on hand would be %d, below the %d units reserved by open orders",
				next, cur.StockReserved)
		}
		if next > MaxStock {
			return apperr.Invalid(FieldDelta, "stock on hand would exceed %d", MaxStock)
		}
		row, err := queries.ProductSetStockOnHand(ctx, tx, dbsqlc.ProductSetStockOnHandParams{StoreID: storeID,
			ID: id, StockOnHand: int32(next)})
		if err != nil {
			return err
		}
		out = FromRow(row)
		return recordMovement(ctx, tx, storeID, id, delta, reason, nil)
	})
	return out, err
}

// recordMovement records a change of stock on hand and why (for an order, orderID).
func recordMovement(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, productID uuid.UUID, delta int, reason string, orderID *uuid.UUID) error {
	err := queries.StockMovementCreate(ctx, tx, dbsqlc.StockMovementCreateParams{StoreID: storeID,
		ProductID: productID, Delta: int32(delta), Reason: reason, OrderID: orderID})
	if err != nil {
		return fmt.Errorf("record stock movement: %w", err)
	}
	return nil
}

// Get returns product id of storeID, or NOT_FOUND.
func (s *Service) Get(ctx context.Context, storeID tenant.StoreID, id uuid.UUID) (Product, error) {
	var p Product
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		row, err := queries.ProductGetByID(ctx, q, dbsqlc.ProductGetByIDParams{StoreID: storeID, ID: id})
		p = FromRow(row)
		return db.NotFound(err, "product")
	})
	return p, err
}

// GetMany returns the products of storeID with the given ids (missing ones are absent).
func (s *Service) GetMany(ctx context.Context, storeID tenant.StoreID, ids []uuid.UUID) (map[uuid.UUID]Product, error) {
	out := make(map[uuid.UUID]Product, len(ids))
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.ProductGetMany(ctx, q, dbsqlc.ProductGetManyParams{StoreID: storeID, Ids: ids})
		for _, r := range rows {
			out[r.ID] = FromRow(r)
		}
		return err
	})
	return out, err
}

// GID is p's global id in the API.
func (p Product) GID() string { return gid.Encode("Product", p.ID) }

// Price is p's unit price.
func (p Product) Price() money.Money { return money.Of(p.PriceMinor, p.CurrencyCode) }
