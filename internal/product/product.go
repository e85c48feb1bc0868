// Package product owns the catalog and its inventory: products, their stock on hand
// and reserved, and the stock movements that explain every change on hand. It is the
// only writer of the products and stock_movements tables; orders reserve stock
// through Reserve.
package product

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/money"
)

// Product is a sellable item with its stock.
type Product struct {
	ID                uuid.UUID
	StoreID           uuid.UUID
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

const columns = `id, store_id, sku, name, price_minor, currency_code, stock_on_hand, stock_reserved,
	low_stock_threshold, created_at, updated_at`

// ScanTargets are the destinations of a row of Columns, in order.
func (p *Product) ScanTargets() []any {
	return []any{&p.ID, &p.StoreID, &p.SKU, &p.Name, &p.PriceMinor, &p.CurrencyCode, &p.StockOnHand,
		&p.StockReserved, &p.LowStockThreshold, &p.CreatedAt, &p.UpdatedAt}
}

// Columns is the product columns ScanTargets reads, each qualified by alias (a join's
// name for the products table).
func Columns(alias string) string { return db.Qualify(alias, columns) }

func scan(row pgx.Row) (Product, error) {
	var p Product
	err := row.Scan(p.ScanTargets()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, apperr.NotFoundf("product not found")
	}
	return p, err
}

func scanRows(rows pgx.Rows) ([]Product, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Product, error) { return scan(r) })
}

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

func validSKU(field, sku string) (string, error) {
	sku = strings.TrimSpace(sku)
	if sku == "" || len(sku) > MaxSKULen || strings.ContainsAny(sku, " \t\r\n") {
		return "", apperr.Invalid(field, "sku must be 1 to %d characters without spaces", MaxSKULen)
	}
	return sku, nil
}

func validName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxNameLen {
		return "", apperr.Invalid(field, "name must be 1 to %d characters", MaxNameLen)
	}
	return name, nil
}

func validThreshold(field string, n int) error {
	if n < 0 || n > MaxStock {
		return apperr.Invalid(field, "lowStockThreshold must be between 0 and %d", MaxStock)
	}
	return nil
}

func parsePrice(field, price, currency string) (int64, error) {
	minor, err := money.ParseMinor(price, currency)
	if err != nil {
		return 0, apperr.Invalid(field, "price: %v", err)
	}
	return minor, nil
}

// Create adds a product to storeID's catalog, recording its initial stock.
func (s *Service) Create(ctx context.Context, storeID uuid.UUID, p CreateParams) (Product, error) {
	var err error
	if p.SKU, err = validSKU("input.sku", p.SKU); err != nil {
		return Product{}, err
	}
	if p.Name, err = validName("input.name", p.Name); err != nil {
		return Product{}, err
	}
	if p.StockOnHand < 0 || p.StockOnHand > MaxStock {
		return Product{}, apperr.Invalid("input.stockOnHand", "stockOnHand must be between 0 and %d", MaxStock)
	}
	threshold := 0
	if p.LowStockThreshold != nil {
		threshold = *p.LowStockThreshold
		if err := validThreshold("input.lowStockThreshold", threshold); err != nil {
			return Product{}, err
		}
	}
	var out Product
	err = s.db.Tx(ctx, db.StoreScope(storeID), func(tx pgx.Tx) error {
		currency, err := storeCurrency(ctx, tx, storeID)
		if err != nil {
			return err
		}
		price, err := parsePrice("input.price", p.Price, currency)
		if err != nil {
			return err
		}
		out, err = scan(tx.QueryRow(ctx, `INSERT INTO products (store_id, sku, name, price_minor, currency_code,
				stock_on_hand, low_stock_threshold) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+columns,
			storeID, p.SKU, p.Name, price, currency, p.StockOnHand, threshold))
		if c, ok := db.IsUniqueViolation(err); ok && strings.Contains(c, "sku") {
			return &apperr.Error{Code: apperr.Conflict, Field: "input.sku", Message: fmt.Sprintf("sku %q already exists in this store", p.SKU)}
		}
		if err != nil {
			return fmt.Errorf("insert product: %w", err)
		}
		if p.StockOnHand > 0 {
			return recordMovement(ctx, tx, storeID, out.ID, p.StockOnHand, "initial stock")
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
func (s *Service) Update(ctx context.Context, storeID, id uuid.UUID, p UpdateParams) (Product, error) {
	var name *string
	if p.Name != nil {
		n, err := validName("input.name", *p.Name)
		if err != nil {
			return Product{}, err
		}
		name = &n
	}
	if p.LowStockThreshold != nil {
		if err := validThreshold("input.lowStockThreshold", *p.LowStockThreshold); err != nil {
			return Product{}, err
		}
	}
	var out Product
	err := s.db.Tx(ctx, db.StoreScope(storeID), func(tx pgx.Tx) error {
		var price *int64
		if p.Price != nil {
			currency, err := storeCurrency(ctx, tx, storeID)
			if err != nil {
				return err
			}
			minor, err := parsePrice("input.price", *p.Price, currency)
			if err != nil {
				return err
			}
			price = &minor
		}
		var err error
		out, err = scan(tx.QueryRow(ctx, `UPDATE products SET name = COALESCE($3, name),
				price_minor = COALESCE($4, price_minor), low_stock_threshold = COALESCE($5, low_stock_threshold),
				updated_at = now()
			WHERE store_id = $1 AND id = $2 RETURNING `+columns, storeID, id, name, price, p.LowStockThreshold))
		return err
	})
	return out, err
}

// AdjustStock changes stock on hand by delta and records why. Stock on hand can never
// drop below what open orders have reserved.
func (s *Service) AdjustStock(ctx context.Context, storeID, id uuid.UUID, delta int, reason string) (Product, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		reason = "manual adjustment"
	}
	if delta == 0 || delta < -MaxStock || delta > MaxStock {
		return Product{}, apperr.Invalid("delta", "delta must be non-zero and between -%d and %d", MaxStock, MaxStock)
	}
	if utf8.RuneCountInString(reason) > 500 {
		return Product{}, apperr.Invalid("reason", "reason must be at most 500 characters")
	}
	var out Product
	err := s.db.Tx(ctx, db.StoreScope(storeID), func(tx pgx.Tx) error {
		cur, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM products WHERE store_id = $1 AND id = $2 FOR UPDATE`, storeID, id))
		if err != nil {
			return err
		}
		next := cur.StockOnHand + delta
		if next < cur.StockReserved {
			return &apperr.Error{Code: apperr.BadUserInput, Field: "delta", Message: fmt.Sprintf(
				"stock on hand would be %d, below the %d units reserved by open orders", next, cur.StockReserved)}
		}
		if next > MaxStock {
			return apperr.Invalid("delta", "stock on hand would exceed %d", MaxStock)
		}
		out, err = scan(tx.QueryRow(ctx, `UPDATE products SET stock_on_hand = $3, updated_at = now()
			WHERE store_id = $1 AND id = $2 RETURNING `+columns, storeID, id, next))
		if err != nil {
			return err
		}
		return recordMovement(ctx, tx, storeID, id, delta, reason)
	})
	return out, err
}

func recordMovement(ctx context.Context, tx pgx.Tx, storeID, productID uuid.UUID, delta int, reason string) error {
	_, err := tx.Exec(ctx, `INSERT INTO stock_movements (store_id, product_id, delta, reason) VALUES ($1, $2, $3, $4)`,
		storeID, productID, delta, reason)
	if err != nil {
		return fmt.Errorf("record stock movement: %w", err)
	}
	return nil
}

func storeCurrency(ctx context.Context, q db.Querier, storeID uuid.UUID) (string, error) {
	var c string
	err := q.QueryRow(ctx, `SELECT currency_code FROM stores WHERE id = $1`, storeID).Scan(&c)
	if err != nil {
		return "", fmt.Errorf("store currency: %w", err)
	}
	return c, nil
}

// Get returns product id of storeID.
func (s *Service) Get(ctx context.Context, storeID, id uuid.UUID) (Product, error) {
	var p Product
	err := s.db.Read(ctx, db.StoreScope(storeID), func(q db.Querier) error {
		var err error
		p, err = scan(q.QueryRow(ctx, `SELECT `+columns+` FROM products WHERE store_id = $1 AND id = $2`, storeID, id))
		return err
	})
	return p, err
}

// GetMany returns the products of storeID with the given ids (missing ones are absent).
func (s *Service) GetMany(ctx context.Context, storeID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]Product, error) {
	out := make(map[uuid.UUID]Product, len(ids))
	err := s.db.ReadAll(ctx, db.StoreScope(storeID), db.Into(
		`SELECT `+columns+` FROM products WHERE store_id = $1 AND id = ANY($2)`, []any{storeID, ids}, scanRows, into(out)))
	return out, err
}

func into(out map[uuid.UUID]Product) func([]Product) {
	return func(ps []Product) {
		for _, p := range ps {
			out[p.ID] = p
		}
	}
}

// GID is p's global id in the API.
func (p Product) GID() string { return gid.Encode("Product", p.ID) }

// Price is p's unit price.
func (p Product) Price() money.Money { return money.Of(p.PriceMinor, p.CurrencyCode) }
