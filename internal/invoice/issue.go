package invoice

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// The statuses of an invoice.
const (
	StatusIssued = "ISSUED"
	StatusVoid   = "VOID" // the order was cancelled after payment; the number stays taken
)

// Line is one line of an invoice: what the order line was placed at.
type Line struct {
	InvoiceID      uuid.UUID
	LineNo         int
	SKU            string
	Description    string
	Quantity       int
	UnitPriceMinor int64
	TotalMinor     int64
}

func lineFromRow(r dbsqlc.InvoiceLine) Line {
	return Line{InvoiceID: r.InvoiceID, LineNo: int(r.LineNo), SKU: r.Sku, Description: r.Description,
		Quantity: int(r.Quantity), UnitPriceMinor: r.UnitPriceMinor, TotalMinor: r.TotalMinor}
}

// IssueParams are the totals of the order an invoice is issued for.
type IssueParams struct {
	OrderID       uuid.UUID
	SubtotalMinor int64
	TotalMinor    int64
	CurrencyCode  string
}

// Issue issues the invoice of an order in the caller's transaction: the store's next
// invoice number (gap-free: taken under the counter's row lock, given back by a
// rollback) and the order's lines.
func Issue(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, p IssueParams) (Invoice, error) {
	row, err := queries.InvoiceCreateNumbered(ctx, tx, dbsqlc.InvoiceCreateNumberedParams{StoreID: storeID,
		OrderID: p.OrderID, SubtotalMinor: p.SubtotalMinor, TotalMinor: p.TotalMinor, CurrencyCode: p.CurrencyCode})
	if err != nil {
		return Invoice{}, fmt.Errorf("issue invoice: %w", err)
	}
	if err := queries.InvoiceLineCreateFromOrder(ctx, tx, dbsqlc.InvoiceLineCreateFromOrderParams{StoreID: storeID,
		InvoiceID: row.ID, OrderID: p.OrderID}); err != nil {
		return Invoice{}, fmt.Errorf("invoice lines: %w", err)
	}
	return FromRow(row), nil
}

// Void voids the issued invoice of an order in the caller's transaction; ok is false
// when the order has none.
func Void(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, orderID uuid.UUID, reason string) (Invoice, bool, error) {
	row, err := queries.InvoiceVoid(ctx, tx, dbsqlc.InvoiceVoidParams{StoreID: storeID, OrderID: orderID, Reason: &reason})
	if db.IsNoRows(err) {
		return Invoice{}, false, nil
	}
	if err != nil {
		return Invoice{}, false, fmt.Errorf("void invoice: %w", err)
	}
	return FromRow(row), true, nil
}

// ListLinesByInvoices returns the lines of the given invoices, in line order.
func (s *Service) ListLinesByInvoices(ctx context.Context, storeID tenant.StoreID, ids []uuid.UUID) (map[uuid.UUID][]Line, error) {
	out := make(map[uuid.UUID][]Line, len(ids))
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.InvoiceLineListByInvoices(ctx, q, dbsqlc.InvoiceLineListByInvoicesParams{StoreID: storeID, InvoiceIds: ids})
		for _, r := range rows {
			out[r.InvoiceID] = append(out[r.InvoiceID], lineFromRow(r))
		}
		return err
	})
	return out, err
}
