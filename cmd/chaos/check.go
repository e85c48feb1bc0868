package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/mockbank"
)

// Report is what a run found: its figures and its checks.
type Report struct {
	Elapsed, SettleTime  time.Duration
	Settled              bool
	Kills                int
	Cancelled            int // cancelOrder succeeded
	CancelConflicts      int // cancelOrder refused: the order had shipped
	OrdersByStatus       map[string]int
	PaymentsByStatus     map[string]int
	RefundsByStatus      map[string]int
	JobsByState          map[string]int
	Attempts, MaxAttempt int
	LedgerCharges        int // succeeded
	LedgerDeclines       int
	LedgerRefunds        int
	Checks               []Check
}

// Check is one assertion and its outcome; Problems lists (a sample of) what broke it.
type Check struct {
	Name     string
	Problems []string
}

// OK reports whether every check passed.
func (r *Report) OK() bool { return r.Failures() == 0 }

// Failures counts the failed checks.
func (r *Report) Failures() int {
	n := 0
	for _, c := range r.Checks {
		if len(c.Problems) > 0 {
			n++
		}
	}
	return n
}

func (r *Report) check(name string, problems []string) {
	r.Checks = append(r.Checks, Check{name, problems})
}

func (r *Report) print(out io.Writer) {
	fmt.Fprintf(out, "\nchaos report: %s in all, %s to settle after the chaos (settled: %v), %d worker kills, %d cancelled by staff (%d too late: shipped)\n",
		r.Elapsed.Round(time.Millisecond), r.SettleTime.Round(time.Millisecond), r.Settled, r.Kills, r.Cancelled, r.CancelConflicts)
	fmt.Fprintf(out, "  orders    %s\n", counts(r.OrdersByStatus))
	fmt.Fprintf(out, "  payments  %s; %d attempts, at most %d for one payment\n", counts(r.PaymentsByStatus), r.Attempts, r.MaxAttempt)
	fmt.Fprintf(out, "  refunds   %s\n", counts(r.RefundsByStatus))
	fmt.Fprintf(out, "  bank      %d succeeded charges, %d declined, %d refunds\n", r.LedgerCharges, r.LedgerDeclines, r.LedgerRefunds)
	fmt.Fprintf(out, "  jobs      %s\n", counts(r.JobsByState))
	for _, c := range r.Checks {
		if len(c.Problems) == 0 {
			fmt.Fprintf(out, "  ok    %s\n", c.Name)
			continue
		}
		fmt.Fprintf(out, "  FAIL  %s: %d problem(s)\n", c.Name, len(c.Problems))
		for _, p := range c.Problems[:min(len(c.Problems), 10)] {
			fmt.Fprintf(out, "          %s\n", p)
		}
	}
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// unsettled is the query that counts what is still moving: orders not DELIVERED or
// CANCELLED, payments and refunds still retrying, captured money of cancelled orders
// not yet refunded.
const unsettled = `SELECT
  (SELECT count(*) FROM orders WHERE status NOT IN ('DELIVERED', 'CANCELLED')),
  (SELECT count(*) FROM payments WHERE status IN ('PENDING', 'RETRYING')),
  (SELECT count(*) FROM refunds WHERE status IN ('PENDING', 'RETRYING')),
  (SELECT count(*) FROM payments p JOIN orders o ON o.store_id = p.store_id AND o.id = p.order_id
    WHERE o.status = 'CANCELLED' AND p.status = 'CAPTURED')
  -- A payment given up with its last answer unknown is looked at again by its
  -- reconciliation job: the books are settled once those have run.
  + (SELECT count(*) FROM river_job WHERE kind = 'payment_reconcile'
    AND state IN ('available', 'scheduled', 'running', 'retryable'))`

// settle waits until nothing is moving any more, or Timeout passes; it reports which.
func (r *run) settle(ctx context.Context) (bool, error) {
	deadline := time.Now().Add(r.o.Timeout)
	lastPrint := time.Now()
	for {
		var orders, payments, refunds, toRefund int
		err := r.d.Read(ctx, db.Store(r.storeID), func(q db.Querier) error {
			return q.QueryRow(ctx, unsettled).Scan(&orders, &payments, &refunds, &toRefund)
		})
		if err != nil {
			return false, err
		}
		if orders+payments+refunds+toRefund == 0 {
			return true, nil
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(r.out, "chaos: not settled after %s: %d orders in flight, %d payments and %d refunds retrying, %d captures of cancelled orders unrefunded\n",
				r.o.Timeout, orders, payments, refunds, toRefund)
			return false, nil
		}
		if time.Since(lastPrint) > 10*time.Second {
			lastPrint = time.Now()
			fmt.Fprintf(r.out, "chaos: settling: %d orders in flight, %d payments and %d refunds retrying, %d captures of cancelled orders unrefunded\n",
				orders, payments, refunds, toRefund)
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

type paymentRow struct {
	id, orderID              uuid.UUID
	orderStatus, status, key string
	amount, refunded         int64
	attempts                 int
	gatewayID                *string
	lastError                *string
}

type refundRow struct {
	paymentID   uuid.UUID
	status, key string
	amount      int64
}

type productRow struct {
	id                        uuid.UUID
	sku                       string
	onHand, reserved, shipped int
}

// check reads the database and the bank's ledger and runs every check.
func (r *run) check(ctx context.Context) (*Report, error) {
	rep := &Report{OrdersByStatus: map[string]int{}, PaymentsByStatus: map[string]int{}, RefundsByStatus: map[string]int{},
		JobsByState: map[string]int{}}
	var pays []paymentRow
	var refunds []refundRow
	var products []productRow
	paidOrders := map[uuid.UUID]int{} // order → its payments that took money (CAPTURED or REFUNDED)
	// One transaction (read-only in effect): a scoped Read pipelines one statement.
	err := r.d.Tx(ctx, db.Store(r.storeID), func(q pgx.Tx) error {
		rows, err := q.Query(ctx, `SELECT status, count(*) FROM orders GROUP BY status`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s string
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				return err
			}
			rep.OrdersByStatus[s] = n
		}
		rows.Close() // not only Next to the end: the transaction's first rows hold its pipeline
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = q.Query(ctx, `SELECT p.id, p.order_id, o.status, p.status, p.idempotency_key, p.amount_minor, p.refunded_minor,
		    p.attempts, p.gateway_charge_id, p.last_error
		  FROM payments p JOIN orders o ON o.store_id = p.store_id AND o.id = p.order_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p paymentRow
			if err := rows.Scan(&p.id, &p.orderID, &p.orderStatus, &p.status, &p.key, &p.amount, &p.refunded, &p.attempts, &p.gatewayID, &p.lastError); err != nil {
				return err
			}
			pays = append(pays, p)
		}
		rows.Close() // not only Next to the end: the transaction's first rows hold its pipeline
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = q.Query(ctx, `SELECT payment_id, status, idempotency_key, amount_minor FROM refunds`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var f refundRow
			if err := rows.Scan(&f.paymentID, &f.status, &f.key, &f.amount); err != nil {
				return err
			}
			refunds = append(refunds, f)
		}
		rows.Close() // not only Next to the end: the transaction's first rows hold its pipeline
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = q.Query(ctx, `SELECT p.id, p.sku, p.stock_on_hand, p.stock_reserved,
		    coalesce((SELECT -sum(m.delta) FROM stock_movements m
		      WHERE m.store_id = p.store_id AND m.product_id = p.id AND m.reason LIKE 'shipped%'), 0)
		  FROM products p ORDER BY p.sku`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p productRow
			if err := rows.Scan(&p.id, &p.sku, &p.onHand, &p.reserved, &p.shipped); err != nil {
				return err
			}
			products = append(products, p)
		}
		rows.Close() // not only Next to the end: the transaction's first rows hold its pipeline
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = q.Query(ctx, `SELECT state::text, count(*) FROM river_job GROUP BY state`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s string
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				return err
			}
			rep.JobsByState[s] = n
		}
		rows.Close()
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read the outcome: %w", err)
	}
	ledger, err := r.ledger(ctx)
	if err != nil {
		return nil, fmt.Errorf("the bank's ledger: %w", err)
	}

	// The bank's side: succeeded charges by idempotency key and by order, refunds by
	// key and by PaymentIntent.
	chargesByKey, chargesByOrder := map[string]int{}, map[string]int{}
	refundsByKey, refundedByIntent := map[string]int{}, map[string]int64{}
	for _, e := range ledger {
		switch {
		case e.Kind == "charge" && e.Status == "succeeded":
			rep.LedgerCharges++
			chargesByKey[e.IdempotencyKey]++
			chargesByOrder[e.Metadata["order_id"]]++
		case e.Kind == "charge":
			rep.LedgerDeclines++
		case e.Kind == "refund" && e.Status == "succeeded":
			rep.LedgerRefunds++
			refundsByKey[e.IdempotencyKey]++
			refundedByIntent[e.PaymentIntent] += e.Amount
		}
	}

	for _, p := range pays {
		rep.PaymentsByStatus[p.status]++
		rep.Attempts += p.attempts
		rep.MaxAttempt = max(rep.MaxAttempt, p.attempts)
		if p.status == "CAPTURED" || p.status == "REFUNDED" {
			paidOrders[p.orderID]++
		}
	}
	for _, f := range refunds {
		rep.RefundsByStatus[f.status]++
	}

	total := 0
	var notTerminal []string
	for s, n := range rep.OrdersByStatus {
		total += n
		if s != "DELIVERED" && s != "CANCELLED" {
			notTerminal = append(notTerminal, fmt.Sprintf("%d orders %s", n, s))
		}
	}
	var lost []string
	if total != r.o.N {
		lost = append(lost, fmt.Sprintf("%d orders in the database, %d placed", total, r.o.N))
	}
	rep.check(fmt.Sprintf("all %d orders placed are there, none lost", r.o.N), lost)
	rep.check("every order DELIVERED or CANCELLED, none stuck", notTerminal)

	var open []string
	for _, p := range pays {
		if p.status == "PENDING" || p.status == "RETRYING" {
			open = append(open, fmt.Sprintf("payment %s of a %s order is %s after %d attempts", p.id, p.orderStatus, p.status, p.attempts))
		}
	}
	for _, f := range refunds {
		if f.status != "SUCCEEDED" {
			open = append(open, fmt.Sprintf("refund of payment %s is %s", f.paymentID, f.status))
		}
	}
	rep.check("no payment or refund left pending, retrying or failed", open)

	// One capture per paid order: a DELIVERED order has one payment that took money,
	// charged once in the ledger; every charge in the ledger belongs to such a payment.
	var charged []string
	known := map[string]bool{}
	for _, p := range pays {
		known[p.key] = true
		took := p.status == "CAPTURED" || p.status == "REFUNDED"
		switch n := chargesByKey[p.key]; {
		case took && n != 1:
			charged = append(charged, fmt.Sprintf("payment %s (%s) has %d succeeded charges in the ledger", p.id, p.status, n))
		case !took && n != 0:
			why := ""
			if p.lastError != nil {
				why = fmt.Sprintf("; after %d attempts, last error: %.100s", p.attempts, *p.lastError)
			}
			charged = append(charged, fmt.Sprintf("payment %s is %s, but the bank charged it %d time(s) (order %s%s)", p.id, p.status, n, p.orderStatus, why))
		}
	}
	for key, n := range chargesByKey {
		if !known[key] {
			charged = append(charged, fmt.Sprintf("%d ledger charge(s) under key %q, which no payment has", n, key))
		}
	}
	rep.check("exactly one succeeded charge per payment that took money, none for the others", charged)

	var perOrder []string
	for _, p := range pays {
		if p.orderStatus == "DELIVERED" && paidOrders[p.orderID] != 1 {
			perOrder = append(perOrder, fmt.Sprintf("DELIVERED order %s has %d payments that took money", p.orderID, paidOrders[p.orderID]))
		}
	}
	unpaid := 0
	seen := map[uuid.UUID]bool{}
	for _, p := range pays {
		if p.orderStatus != "CANCELLED" || paidOrders[p.orderID] > 0 || seen[p.orderID] {
			continue
		}
		seen[p.orderID] = true
		unpaid++
		if n := chargesByOrder[p.orderID.String()]; n > 0 {
			perOrder = append(perOrder, fmt.Sprintf("order %s was cancelled unpaid, but the bank holds %d charge(s) for it", p.orderID, n))
		}
	}
	if d := rep.OrdersByStatus["DELIVERED"]; d != countPaidDelivered(pays, paidOrders) {
		perOrder = append(perOrder, fmt.Sprintf("%d orders DELIVERED, %d of them with a payment that took money", d, countPaidDelivered(pays, paidOrders)))
	}
	rep.check(fmt.Sprintf("one capture per DELIVERED order; no charge for the %d orders cancelled unpaid", unpaid), perOrder)

	var refundProblems []string
	for _, p := range pays {
		gid := ""
		if p.gatewayID != nil {
			gid = *p.gatewayID
		}
		switch {
		case p.orderStatus == "CANCELLED" && p.status == "CAPTURED":
			refundProblems = append(refundProblems, fmt.Sprintf("order %s is CANCELLED, its payment CAPTURED and not refunded", p.orderID))
		case p.status == "REFUNDED" && (refundedByIntent[gid] != p.amount || p.refunded != p.amount):
			refundProblems = append(refundProblems, fmt.Sprintf("payment %s of %d REFUNDED: %d refunded in the bank, %d recorded", p.id, p.amount, refundedByIntent[gid], p.refunded))
		case p.status != "REFUNDED" && gid != "" && refundedByIntent[gid] != 0:
			refundProblems = append(refundProblems, fmt.Sprintf("payment %s is %s, but the bank refunded %d of it", p.id, p.status, refundedByIntent[gid]))
		case p.status == "REFUNDED" && p.orderStatus != "CANCELLED":
			refundProblems = append(refundProblems, fmt.Sprintf("payment %s REFUNDED, its order %s", p.id, p.orderStatus))
		}
	}
	for _, f := range refunds {
		if n := refundsByKey[f.key]; f.status == "SUCCEEDED" && n != 1 {
			refundProblems = append(refundProblems, fmt.Sprintf("refund of payment %s: %d refunds in the ledger under its key", f.paymentID, n))
		}
	}
	rep.check(fmt.Sprintf("refunds match the %d cancellations after payment, once each", rep.PaymentsByStatus["REFUNDED"]), refundProblems)

	var stock []string
	for _, p := range products {
		if init := r.initial[p.id]; init != p.onHand+p.reserved+p.shipped {
			stock = append(stock, fmt.Sprintf("%s: initial %d != on hand %d + reserved %d + shipped %d", p.sku, init, p.onHand, p.reserved, p.shipped))
		}
		if p.reserved != 0 {
			stock = append(stock, fmt.Sprintf("%s: %d units still reserved with every order settled", p.sku, p.reserved))
		}
	}
	rep.check("per product initial stock = on hand + reserved + shipped, nothing left reserved", stock)
	return rep, nil
}

func countPaidDelivered(pays []paymentRow, paid map[uuid.UUID]int) int {
	seen := map[uuid.UUID]bool{}
	for _, p := range pays {
		if p.orderStatus == "DELIVERED" && paid[p.orderID] > 0 {
			seen[p.orderID] = true
		}
	}
	return len(seen)
}

// ledger reads the bank's whole ledger from its operator endpoint.
func (r *run) ledger(ctx context.Context) ([]mockbank.LedgerEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.bankURL+"/admin/ledger", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET /admin/ledger: %s: %s", resp.Status, b)
	}
	var page mockbank.LedgerPage
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, err
	}
	return page.Data, nil
}

func postJSON(ctx context.Context, url, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, b)
	}
	return nil
}
