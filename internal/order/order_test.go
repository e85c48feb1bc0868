package order_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

type bundle struct {
	db      *db.DB
	orders  *order.Service
	storeID tenant.StoreID
}

// setup creates a store with one product (SKU "P", 10.00, 1000 in stock).
func setup(t *testing.T) bundle {
	t.Helper()
	pool := dbtest.AppPool(t)
	d := db.New(pool)
	st := dbtest.NewStore(t, d, dbtest.StoreOpts{})
	dbtest.NewProduct(t, d, st.ID, dbtest.ProductOpts{SKU: "P", Price: "10.00", Stock: 1000})
	inserter, err := river.NewClient(riverpgxv5.New(nil), &river.Config{}) // InsertTx only
	require.NoError(t, err)
	return bundle{db: d, orders: order.NewService(d, inserter), storeID: st.ID}
}

func (b bundle) place(t *testing.T, qty int) order.Order {
	t.Helper()
	sku := "P"
	o, _, err := b.orders.Create(context.Background(), b.storeID, order.CreateParams{
		IdempotencyKey: uuid.NewString(), CustomerEmail: "c@example.com",
		Lines:           []order.LineParams{{SKU: &sku, Quantity: qty}},
		ShippingAddress: order.Address{Line1: "1 Road", City: "Town", PostalCode: "1000", CountryCode: "DE"},
	})
	require.NoError(t, err)
	return o
}

var allStatuses = []order.Status{order.StatusPending, order.StatusOnHold, order.StatusAwaitingPayment,
	order.StatusPaid, order.StatusFulfilling, order.StatusShipped, order.StatusDelivered,
	order.StatusPaymentFailed, order.StatusCancelled}

// TestStateMachineCodeAndDatabaseAgree tries every pair of statuses against the
// database trigger and compares its verdict with CanTransition.
func TestStateMachineCodeAndDatabaseAgree(t *testing.T) {
	t.Parallel()
	b := setup(t)
	o := b.place(t, 1)
	ctx := context.Background()
	owner := db.New(dbtest.OwnerPool(t))
	errRollback := errors.New("rollback")
	for _, from := range allStatuses {
		for _, to := range allStatuses {
			if from == to {
				continue
			}
			var moveErr error
			err := owner.Tx(ctx, db.Store(b.storeID), func(tx pgx.Tx) error {
				// Only the owner may switch the trigger off, and only inside this
				// transaction, which is rolled back.
				for _, stmt := range []string{
					`ALTER TABLE orders DISABLE TRIGGER orders_status_transition`,
					`UPDATE orders SET status = '` + string(from) + `' WHERE id = '` + o.ID.String() + `'`,
					`ALTER TABLE orders ENABLE TRIGGER orders_status_transition`,
				} {
					if _, err := tx.Exec(ctx, stmt); err != nil {
						return err
					}
				}
				_, moveErr = tx.Exec(ctx, `UPDATE orders SET status = $2 WHERE id = $1`, o.ID, to)
				return errRollback
			})
			require.ErrorIs(t, err, errRollback)
			assert.Equal(t, order.CanTransition(from, to), moveErr == nil, "%s -> %s: database says %v", from, to, moveErr)
		}
	}
}

func TestReviewReasons(t *testing.T) {
	t.Parallel()
	o := order.Order{CurrencyCode: "EUR", TotalMinor: 4_999_99}
	assert.Empty(t, order.ReviewReasons(o, []order.Line{{LineNo: 1, Quantity: 99, SKU: "A"}}))
	o.TotalMinor = 5_000_00
	assert.Len(t, order.ReviewReasons(o, nil), 1)
	assert.Len(t, order.ReviewReasons(order.Order{CurrencyCode: "JPY", TotalMinor: 5_000}, nil), 1, "JPY has no minor unit")
	reasons := order.ReviewReasons(order.Order{CurrencyCode: "EUR"}, []order.Line{{LineNo: 2, Quantity: 100, SKU: "BULK"}})
	require.Len(t, reasons, 1)
	assert.Contains(t, reasons[0], "BULK")
}

// createOrder's last statement runs with the COMMIT: when it cannot number the order
// (here, the store's counter row is gone), the whole transaction rolls back — no stock
// reserved, no customer, no job — instead of committing what came before.
func TestCreateOrderFailingAtTheCommitWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	owner := db.New(dbtest.OwnerPool(t))
	require.NoError(t, owner.Tx(ctx, db.Store(b.storeID), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM store_counters WHERE store_id = $1`, b.storeID)
		if err == nil && tag.RowsAffected() != 1 {
			err = fmt.Errorf("deleted %d counter rows", tag.RowsAffected())
		}
		return err
	}))

	sku := "P"
	_, _, err := b.orders.Create(ctx, b.storeID, order.CreateParams{
		IdempotencyKey: "k", CustomerEmail: "nobody@example.com",
		Lines:           []order.LineParams{{SKU: &sku, Quantity: 1}},
		ShippingAddress: order.Address{Line1: "1 Road", City: "Town", PostalCode: "1000", CountryCode: "DE"},
	})
	require.Error(t, err)
	var products, reserved, customers, jobs int
	require.NoError(t, owner.Tx(ctx, db.Store(b.storeID), func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM products), (SELECT sum(stock_reserved) FROM products),
			(SELECT count(*) FROM customers),
			(SELECT count(*) FROM river_job WHERE args->>'store_id' = $1::text)`, b.storeID).Scan(&products, &reserved, &customers, &jobs)
	}))
	assert.Equal(t, []int{1, 0, 0, 0}, []int{products, reserved, customers, jobs}, "products, stock reserved, customers, jobs")
}

func TestScreen(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	small, big := b.place(t, 1), b.place(t, 500) // 5,000.00: held for review
	for _, tc := range []struct {
		o     order.Order
		want  order.Status
		event string
	}{{small, order.StatusAwaitingPayment, order.EventFraudCleared}, {big, order.StatusOnHold, order.EventFlagged}} {
		screen := func() order.Order {
			var got order.Order
			require.NoError(t, b.db.Tx(ctx, db.Store(b.storeID), func(tx pgx.Tx) (err error) {
				got, err = b.orders.Screen(ctx, tx, b.storeID, tc.o.ID)
				return err
			}))
			return got
		}
		got := screen()
		assert.Equal(t, tc.want, got.Status, "the moved order")
		// A second run (a retried job) changes nothing.
		got = screen()
		assert.Equal(t, tc.want, got.Status)
		evs, err := b.orders.EventsByOrders(ctx, b.storeID, []uuid.UUID{tc.o.ID})
		require.NoError(t, err)
		require.Len(t, evs[tc.o.ID], 2)
		assert.Equal(t, tc.event, evs[tc.o.ID][1].Type)
	}
}
