// Package alert owns alerts: what a store's people should look at — stock running
// low, a payment retrying or failed, an order held for review. At most one alert of a
// kind is open per subject (a product, a payment, an order); the steps that raise one
// resolve it when its cause goes away, and staff can resolve it by hand.
package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Kind is what an alert is about.
type Kind string

// The kinds of alerts.
const (
	KindLowStock        Kind = "LOW_STOCK"
	KindPaymentRetrying Kind = "PAYMENT_RETRYING"
	KindPaymentFailed   Kind = "PAYMENT_FAILED"
	KindOrderOnHold     Kind = "ORDER_ON_HOLD"
	KindWebhookFailing  Kind = "WEBHOOK_FAILING"
)

// Status is whether an alert still needs attention.
type Status string

// The statuses of an alert.
const (
	StatusOpen     Status = "OPEN"
	StatusResolved Status = "RESOLVED"
)

// Alert is one alert.
type Alert struct {
	ID         uuid.UUID
	StoreID    tenant.StoreID
	Kind       Kind
	Status     Status
	SubjectID  uuid.UUID
	OrderID    *uuid.UUID
	Message    string
	Data       json.RawMessage
	CreatedAt  time.Time
	ResolvedAt *time.Time
	ResolvedBy *string
}

// FromRow maps an alerts row to an Alert.
func FromRow(r dbsqlc.Alert) Alert {
	return Alert{ID: r.ID, StoreID: r.StoreID, Kind: Kind(r.Kind), Status: Status(r.Status), SubjectID: r.SubjectID,
		OrderID: r.OrderID, Message: r.Message, Data: r.Data, CreatedAt: r.CreatedAt, ResolvedAt: r.ResolvedAt,
		ResolvedBy: r.ResolvedBy}
}

var queries = dbsqlc.New()

// Params describe an alert to open.
type Params struct {
	Kind      Kind
	SubjectID uuid.UUID
	OrderID   *uuid.UUID
	Message   string
	Data      map[string]any
}

// Open opens an alert in the caller's transaction, unless one of its kind is open for
// its subject already.
func Open(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, p Params) error {
	data, err := json.Marshal(p.Data)
	if err != nil || p.Data == nil {
		data = []byte("{}")
	}
	err = queries.AlertOpen(ctx, tx, dbsqlc.AlertOpenParams{StoreID: storeID, Kind: string(p.Kind),
		SubjectID: p.SubjectID, OrderID: p.OrderID, Message: p.Message, Data: data})
	if err != nil {
		return fmt.Errorf("open %s alert: %w", p.Kind, err)
	}
	return nil
}

// ResolveSubject resolves the open alert of kind for subject in the caller's
// transaction, if there is one: its cause went away.
func ResolveSubject(ctx context.Context, tx pgx.Tx, storeID tenant.StoreID, kind Kind, subject uuid.UUID) error {
	by := "system"
	err := queries.AlertResolveSubject(ctx, tx, dbsqlc.AlertResolveSubjectParams{StoreID: storeID, Kind: string(kind),
		SubjectID: subject, ResolvedBy: &by})
	if err != nil {
		return fmt.Errorf("resolve %s alert: %w", kind, err)
	}
	return nil
}

// Service lists and resolves alerts for the API.
type Service struct{ db *db.DB }

// NewService returns the alert service.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// Resolve resolves alert id of storeID by hand; by names who did. Resolving a resolved
// alert changes nothing.
func (s *Service) Resolve(ctx context.Context, storeID tenant.StoreID, id uuid.UUID, by string) (Alert, error) {
	var a Alert
	err := s.db.Tx(ctx, db.Store(storeID), func(tx pgx.Tx) error {
		row, err := queries.AlertResolve(ctx, tx, dbsqlc.AlertResolveParams{StoreID: storeID, ID: id, ResolvedBy: &by})
		a = FromRow(row)
		return db.NotFound(err, "alert")
	})
	return a, err
}

// Get returns alert id of storeID, or NOT_FOUND.
func (s *Service) Get(ctx context.Context, storeID tenant.StoreID, id uuid.UUID) (Alert, error) {
	var a Alert
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		row, err := queries.AlertGetByID(ctx, q, dbsqlc.AlertGetByIDParams{StoreID: storeID, ID: id})
		a = FromRow(row)
		return db.NotFound(err, "alert")
	})
	return a, err
}

// Filter narrows List.
type Filter struct {
	Statuses []Status
	Kinds    []Kind
}

func (f Filter) where(storeID tenant.StoreID) *db.Filter {
	w := &db.Filter{}
	w.Add("store_id = ?", storeID)
	if len(f.Statuses) > 0 {
		ss := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			ss[i] = string(s)
		}
		w.Add("status = ANY(?)", ss)
	}
	if len(f.Kinds) > 0 {
		ks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			ks[i] = string(k)
		}
		w.Add("kind = ANY(?)", ks)
	}
	return w
}

// Sort names List's ordering (newest first).
const Sort = "alerts.created_desc"

// Cursor is a's position in List's ordering.
func Cursor(a Alert) page.Cursor { return page.TimeCursor(Sort, a.CreatedAt, a.ID) }

// List returns a page of storeID's alerts matching f, newest first.
//
// Hand-written SQL: its WHERE clause depends on the filter (db.Filter).
func (s *Service) List(ctx context.Context, storeID tenant.StoreID, f Filter, args page.Args) ([]Alert, bool, error) {
	w := f.where(storeID)
	if args.After != nil {
		t, id, err := args.After.TimeID()
		if err != nil {
			return nil, false, err
		}
		w.Add("(created_at, id) < (?, ?)", t, id)
	}
	sql := `SELECT * FROM alerts WHERE ` + w.Where() + ` ORDER BY created_at DESC, id DESC LIMIT ` + w.Arg(args.First+1)
	var out []Alert
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := q.Query(ctx, sql, w.Args...)
		if err != nil {
			return err
		}
		as, err := pgx.CollectRows(rows, pgx.RowToStructByName[dbsqlc.Alert])
		for _, r := range as {
			out = append(out, FromRow(r))
		}
		return err
	})
	out, more := page.Trim(out, args.First)
	return out, more, err
}

// Count returns how many of storeID's alerts match f.
func (s *Service) Count(ctx context.Context, storeID tenant.StoreID, f Filter) (int, error) {
	w := f.where(storeID)
	var n int
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM alerts WHERE `+w.Where(), w.Args...).Scan(&n)
	})
	return n, err
}


// GID is a's global id in the API.
func (a Alert) GID() string { return gid.Encode("Alert", a.ID) }
