package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/payment"
	"github.com/ordergraph/ordergraph/internal/store"
)

// seedLifecycle leaves two demo orders where the workers alone would not: one paid,
// then cancelled (its refund is the server's workers' first job), and one whose
// payment is retrying after a real failed attempt (the bank is switched to an outage
// for that one call; the next attempt, two minutes on, goes through). The steps are
// the workers' own domain calls, against the real bank; the orders' other jobs find
// them moved on and do nothing. Without a bank at PAYMENT_GATEWAY_URL, or on a second
// run, it does nothing.
func seedLifecycle(ctx context.Context, d *db.DB, orders *order.Service, st store.Store, out io.Writer) error {
	gwCfg := payment.LoadGatewayConfig()
	gw := payment.NewGateway(gwCfg)
	place := func(key, method string) (order.Order, bool, error) {
		sku, name := demoProducts[2].sku, "Barbara Liskov"
		return orders.Create(ctx, st.ID, order.CreateParams{IdempotencyKey: key, CustomerEmail: "barbara@example.com",
			CustomerName: &name, PaymentMethod: method, Lines: []order.LineParams{{SKU: &sku, Quantity: 2}},
			ShippingAddress: order.Address{Line1: "7 Abstraction Road", City: "Berlin", PostalCode: "10115", CountryCode: "DE"}})
	}
	// screen runs the fraud check and makes one attempt to charge, as the workers would.
	screenAndCharge := func(o order.Order, outage bool) error {
		var p payment.Payment
		err := d.Tx(ctx, db.Store(st.ID), func(tx pgx.Tx) error {
			if _, err := orders.Screen(ctx, tx, st.ID, o.ID); err != nil {
				return err
			}
			var ok bool
			var err error
			if p, ok, err = payment.OpenOf(ctx, tx, st.ID, o.ID); err == nil && !ok {
				err = errors.New("no payment was opened")
			}
			return err
		})
		if err != nil {
			return err
		}
		if outage {
			if err := setFaults(ctx, gwCfg.URL, `{"outage": true}`); err != nil {
				return err
			}
			defer setFaults(context.WithoutCancel(ctx), gwCfg.URL, `{"outage": false}`) //nolint:errcheck // best effort
		}
		res, err := gw.Charge(ctx, payment.ChargeParams{IdempotencyKey: p.IdempotencyKey, AmountMinor: p.AmountMinor,
			Currency: p.CurrencyCode, PaymentMethod: p.PaymentMethod,
			Metadata: map[string]string{"store_id": st.ID.String(), "order_id": o.ID.String(), "payment_id": p.ID.String()}})
		r := order.ChargeResult{Status: payment.StatusCaptured, GatewayID: res.IntentID}
		switch {
		case errors.Is(err, payment.ErrTransient):
			r = order.ChargeResult{Status: payment.StatusRetrying, Error: err.Error(), Next: time.Now().Add(2 * time.Minute)}
		case err != nil:
			return err
		}
		return d.Tx(ctx, db.Store(st.ID), func(tx pgx.Tx) error {
			return orders.RecordCharge(ctx, tx, st.ID, o.ID, p.ID, r)
		})
	}

	if err := bankUp(ctx, gwCfg.URL); err != nil {
		fmt.Fprintf(out, "demo: no mock bank at %s (%v): no paid-then-cancelled or retrying demo orders\n", gwCfg.URL, err)
		return nil
	}
	refunded, replayed, err := place("demo-order-refunded", "pm_card_visa")
	if err != nil || replayed {
		return err
	}
	if err := screenAndCharge(refunded, false); err != nil {
		return fmt.Errorf("demo charge: %w", err)
	}
	if _, err := orders.Cancel(ctx, st.ID, refunded.ID, "the customer changed their mind", "demo seed"); err != nil {
		return fmt.Errorf("demo cancel after payment: %w", err)
	}
	retrying, _, err := place("demo-order-retrying", "pm_card_visa")
	if err != nil {
		return err
	}
	return screenAndCharge(retrying, true)
}

// bankUp checks that the mock bank's operator API answers at bankURL.
func bankUp(ctx context.Context, bankURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, bankURL+"/admin/faults", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /admin/faults: %s", res.Status)
	}
	return nil
}

// setFaults sets the mock bank's failure modes (its operator API).
func setFaults(ctx context.Context, bankURL, faults string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, bankURL+"/admin/faults", bytes.NewBufferString(faults))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("set bank faults: %s", res.Status)
	}
	return nil
}
