package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"golang.org/x/crypto/bcrypt"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/order"
	"github.com/ordergraph/ordergraph/internal/product"
	"github.com/ordergraph/ordergraph/internal/store"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Options configure a run; defaultOptions has make chaos's.
type Options struct {
	N    int
	Bin  string
	Keep bool
	// DatabaseURL is the cluster's owner URL; the run creates a database of its own
	// there unless OwnDatabase is set.
	DatabaseURL string
	// OwnDatabase, when set, is a migrated (or empty) database to run in, kept
	// afterwards: the test passes its own.
	OwnDatabase string
	Workers     int
	MaxWorkers  int
	KillEvery   time.Duration
	// ChaosFor is the least time the kills go on, even if the orders are placed and
	// the outage is over sooner.
	ChaosFor      time.Duration
	Outage        time.Duration
	TransientRate float64
	LostRate      float64
	CancelRate    float64
	Placers       int
	Products      int
	Lines         int
	RetryBudget   time.Duration
	RetryBase     time.Duration
	// BreakerOpenFor is the workers' PAYMENT_BREAKER_OPEN_FOR.
	BreakerOpenFor time.Duration
	RescueAfter    time.Duration
	Timeout        time.Duration
	Seed           uint64
	LogDir         string
}

const (
	bankKey     = "sk_test_chaos"
	initialUnit = 10 // units of stock on hand per order placed, per product
)

// run is one chaos run's state.
type run struct {
	o       Options
	out     io.Writer
	logDir  string
	pool    *pgxpool.Pool // the app role's
	d       *db.DB
	orders  *order.Service
	storeID tenant.StoreID
	initial map[uuid.UUID]int // product → stock on hand at start
	bankURL string
	bank    *exec.Cmd
	workers []*worker
	env     []string
	dropDB  func() // nil when the database is not the run's own

	placed    atomic.Int64
	placeErrs atomic.Int64
	kills     atomic.Int64
	cancelled atomic.Int64   // cancelOrder succeeded
	conflicts atomic.Int64   // cancelOrder refused (CONFLICT: too late)
	missed    atomic.Int64   // to be cancelled after payment, but seen past FULFILLING
	placedIn  time.Duration  // from the first order to the last placed
	cancels   sync.WaitGroup // the cancellations place started, still going when it returns
	outageAt  time.Time
	outageEnd time.Time
}

// worker is one `ordergraph worker` process slot, restarted after each kill.
type worker struct {
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// Run performs a chaos run, printing its progress and report to out. An error means
// the run could not be carried out; failed checks are in the Report.
func Run(ctx context.Context, o Options, out io.Writer) (*Report, error) {
	r := &run{o: o, out: out, initial: map[uuid.UUID]int{}}
	started := time.Now()
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	defer r.teardown()

	fmt.Fprintf(out, "chaos: %d orders, %d worker processes (SIGKILL every %s), bank %s with %.0f %% transient errors, %.0f %% lost answers, a %s outage in the middle\n",
		o.N, o.Workers, o.KillEvery, r.bankURL, 100*o.TransientRate, 100*o.LostRate, o.Outage)
	for _, w := range r.workers {
		if err := r.startWorker(w); err != nil {
			return nil, err
		}
	}

	chaosCtx, stopChaos := context.WithCancel(ctx)
	var chaos sync.WaitGroup
	if o.KillEvery > 0 {
		chaos.Go(func() { r.killLoop(chaosCtx) })
	}
	outageDone := make(chan error, 1)
	go func() { outageDone <- r.outage(ctx) }()
	if err := r.place(ctx); err != nil {
		stopChaos()
		chaos.Wait()
		return nil, err
	}
	placing := r.placedIn
	fmt.Fprintf(out, "chaos: %d orders placed in %s (%.0f/s), %d placement errors retried\n", r.placed.Load(),
		placing.Round(time.Millisecond), float64(r.placed.Load())/placing.Seconds(), r.placeErrs.Load())
	if err := <-outageDone; err != nil {
		stopChaos()
		chaos.Wait()
		return nil, err
	}
	if rest := o.ChaosFor - time.Since(started); rest > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(rest):
		}
	}
	stopChaos()
	chaos.Wait()
	chaosEnd := time.Now()
	fmt.Fprintf(out, "chaos: chaos over after %s (%d kills); waiting up to %s for every order to settle\n",
		chaosEnd.Sub(started).Round(time.Millisecond), r.kills.Load(), o.Timeout)

	r.cancels.Wait() // every cancellation tried before the books are settled
	settled, err := r.settle(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := r.check(ctx)
	if err != nil {
		return nil, err
	}
	rep.Elapsed, rep.SettleTime, rep.Settled = time.Since(started), time.Since(chaosEnd), settled
	rep.Kills, rep.Cancelled, rep.CancelConflicts = int(r.kills.Load()), int(r.cancelled.Load()), int(r.conflicts.Load()+r.missed.Load())
	rep.print(out)
	return rep, nil
}

// setup creates and migrates the database, seeds the store, and starts the bank.
func (r *run) setup(ctx context.Context) error {
	o := r.o
	if _, err := os.Stat(o.Bin); err != nil {
		return fmt.Errorf("the ordergraph binary %s: %w (build it: go build -o bin/ordergraph ./cmd/ordergraph)", o.Bin, err)
	}
	r.logDir = o.LogDir
	if r.logDir == "" {
		var err error
		if r.logDir, err = os.MkdirTemp("", "ordergraph-chaos-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(r.logDir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "chaos: logs in %s\n", r.logDir)

	base, err := url.Parse(o.DatabaseURL)
	if err != nil || o.DatabaseURL == "" {
		return errors.New("DATABASE_URL: want the cluster's owner URL (make chaos sets it)")
	}
	name := o.OwnDatabase
	if name == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		name = "ordergraph_chaos_" + hex.EncodeToString(b)
		if err := adminExec(ctx, base.String(), "CREATE DATABASE "+name); err != nil {
			return fmt.Errorf("create database: %w", err)
		}
		r.dropDB = func() {
			if o.Keep {
				fmt.Fprintf(r.out, "chaos: database %s kept\n", name)
				return
			}
			if err := adminExec(context.Background(), base.String(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				fmt.Fprintf(r.out, "chaos: drop database %s: %v\n", name, err)
			}
		}
	}
	u := *base
	u.Path = "/" + name
	ownerURL := u.String()
	owner, err := db.Open(ctx, ownerURL, 2)
	if err != nil {
		return err
	}
	err = db.Migrate(ctx, owner, slog.New(slog.DiscardHandler))
	owner.Close()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	appURL, err := config.AppURL(ownerURL, db.AppRole)
	if err != nil {
		return err
	}
	if r.pool, err = db.Open(ctx, appURL, int32(o.Placers+4)); err != nil {
		return err
	}
	r.d = db.New(r.pool)
	inserter, err := river.NewClient(riverpgxv5.New(r.pool), &river.Config{})
	if err != nil {
		return err
	}
	// The same timing as the workers', which open the payments.
	r.orders = order.NewService(r.d, inserter, order.Config{PaymentBudget: o.RetryBudget})
	if err := r.seed(ctx); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := r.startBank(ctx); err != nil {
		return err
	}
	r.env = append(os.Environ(),
		"DATABASE_URL="+ownerURL, "APP_DATABASE_URL="+appURL,
		"PAYMENT_GATEWAY_URL="+r.bankURL, "PAYMENT_GATEWAY_KEY="+bankKey,
		"FULFILLMENT_STEP_DELAY=0", "PAYMENT_RETRY_BASE="+o.RetryBase.String(),
		"PAYMENT_RETRY_BUDGET="+o.RetryBudget.String(), "JOB_RESCUE_AFTER="+o.RescueAfter.String(),
		"PAYMENT_BREAKER_OPEN_FOR="+o.BreakerOpenFor.String(),
		fmt.Sprintf("MAX_WORKERS=%d", o.MaxWorkers), fmt.Sprintf("DB_MAX_CONNS=%d", o.MaxWorkers+2), "LOG_LEVEL=warn")
	for range o.Workers {
		r.workers = append(r.workers, &worker{})
	}
	return nil
}

func adminExec(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// seed creates the store's owner, the store and its products, with stock enough for
// every order.
func (r *run) seed(ctx context.Context) error {
	users := auth.NewUsers(r.d, auth.NewTokens([]byte("chaos-secret-chaos-secret-chaos-secret"), time.Hour), bcrypt.MinCost)
	s, err := users.SignUp(ctx, "owner-"+uuid.NewString()[:8]+"@chaos.test", "chaos-password-1", "Chaos Owner")
	if err != nil {
		return err
	}
	st, err := store.NewService(r.d).Create(ctx, s.User.ID, store.CreateParams{Name: "Chaos store", Slug: "chaos-" + uuid.NewString()[:8], CurrencyCode: "EUR"})
	if err != nil {
		return err
	}
	r.storeID = st.ID
	for i := range r.o.Products {
		zero := 0
		p, err := product.NewService(r.d).Create(ctx, st.ID, product.CreateParams{SKU: fmt.Sprintf("CHAOS-%d", i),
			Name: fmt.Sprintf("Chaos product %d", i), Price: fmt.Sprintf("%d.50", 5+i), StockOnHand: initialUnit * r.o.N,
			LowStockThreshold: &zero})
		if err != nil {
			return err
		}
		r.initial[p.ID] = p.StockOnHand
	}
	return nil
}

// startBank starts `ordergraph gateway` on a free loopback port with the faults, and
// reads its address from its first line.
func (r *run) startBank(ctx context.Context) error {
	o := r.o
	logf, err := os.Create(filepath.Join(r.logDir, "bank.log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(o.Bin, "gateway", "-addr", "127.0.0.1:0", "-key", bankKey, "-seed", fmt.Sprint(o.Seed),
		"-transient-error-rate", fmt.Sprint(o.TransientRate), "-lost-response-rate", fmt.Sprint(o.LostRate), "-log-level", "warn")
	cmd.Env = append(os.Environ(), "GATEWAY_ADMIN_TOKEN=", "GATEWAY_STATE=")
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the bank: %w", err)
	}
	r.bank = cmd
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
			fmt.Fprintln(logf, sc.Text())
		}
	}()
	select {
	case l := <-lines:
		_, rest, ok := strings.Cut(l, "listening on ")
		if !ok {
			return fmt.Errorf("the bank said %q", l)
		}
		r.bankURL, _, _ = strings.Cut(rest, " ")
	case <-time.After(10 * time.Second):
		return errors.New("the bank did not start within 10 s (see bank.log)")
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// startWorker starts w's process.
func (r *run) startWorker(w *worker) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.log == nil {
		f, err := os.CreateTemp(r.logDir, "worker-*.log")
		if err != nil {
			return err
		}
		w.log = f
	}
	cmd := exec.Command(r.o.Bin, "worker")
	cmd.Env, cmd.Stdout, cmd.Stderr = r.env, w.log, w.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start a worker: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	w.cmd, w.done = cmd, done
	return nil
}

// killLoop SIGKILLs the workers in turn every KillEvery and restarts each at once.
func (r *run) killLoop(ctx context.Context) {
	t := time.NewTicker(r.o.KillEvery)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w := r.workers[i%len(r.workers)]
		w.mu.Lock()
		cmd, done := w.cmd, w.done
		w.mu.Unlock()
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		r.kills.Add(1)
		fmt.Fprintf(w.log, "--- chaos: SIGKILL pid %d, restarting\n", cmd.Process.Pid)
		if err := r.startWorker(w); err != nil {
			fmt.Fprintln(r.out, "chaos:", err)
		}
	}
}

// outage switches the bank's full outage on when half the orders are placed and off
// after Outage.
func (r *run) outage(ctx context.Context) error {
	if r.o.Outage <= 0 {
		return nil
	}
	for r.placed.Load() < int64(r.o.N/2) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := r.setFaults(ctx, `{"outage": true}`); err != nil {
		return err
	}
	r.outageAt = time.Now()
	fmt.Fprintf(r.out, "chaos: bank outage on (%d orders placed)\n", r.placed.Load())
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(r.o.Outage):
	}
	if err := r.setFaults(ctx, `{"outage": false}`); err != nil {
		return err
	}
	r.outageEnd = time.Now()
	fmt.Fprintf(r.out, "chaos: bank outage off after %s\n", r.outageEnd.Sub(r.outageAt).Round(time.Millisecond))
	return nil
}

// place places N orders from Placers concurrent clients, each with a customer of its
// own (the fraud rules hold a customer's 21st order in an hour). A failed placement is
// retried with the same idempotency key, as a client would. CancelRate of them are
// cancelled later (r.cancels: still going when place returns).
func (r *run) place(ctx context.Context) error {
	o := r.o
	skus := make([]string, o.Products)
	for i := range skus {
		skus[i] = fmt.Sprintf("CHAOS-%d", i)
	}
	started := time.Now()
	var wg sync.WaitGroup
	cancels := &r.cancels
	afterPayment := make(chan uuid.UUID, o.N)
	defer close(afterPayment)
	cancels.Go(func() { r.cancelAfterPayment(ctx, afterPayment) })
	errc := make(chan error, o.Placers)
	for g := range o.Placers {
		rnd := mrand.New(mrand.NewPCG(o.Seed, uint64(g)))
		wg.Go(func() {
			for i := g; i < o.N; i += o.Placers {
				p := order.CreateParams{IdempotencyKey: uuid.NewString(), CustomerEmail: fmt.Sprintf("customer-%d@chaos.test", i),
					ShippingAddress: order.Address{Line1: "1 Chaos Road", City: "Town", PostalCode: "1000", CountryCode: "DE"}}
				first := rnd.IntN(o.Products)
				for l := range o.Lines {
					sku := skus[(first+l)%o.Products]
					p.Lines = append(p.Lines, order.LineParams{SKU: &sku, Quantity: 1 + rnd.IntN(3)})
				}
				var placed order.Order
				var err error
				for try := range 5 {
					if placed, _, err = r.orders.Create(ctx, r.storeID, p); err == nil {
						break
					}
					r.placeErrs.Add(1)
					fmt.Fprintf(r.out, "chaos: placing order %d (try %d): %v\n", i, try+1, err)
					time.Sleep(100 * time.Millisecond)
				}
				if err != nil {
					errc <- fmt.Errorf("placing order %d: %w", i, err)
					return
				}
				r.placed.Add(1)
				switch x := rnd.Float64(); {
				case x < o.CancelRate/2:
					delay := time.Duration(rnd.IntN(3000)) * time.Millisecond
					cancels.Go(func() { r.cancel(ctx, placed.ID, delay) })
				case x < o.CancelRate:
					afterPayment <- placed.ID
				}
			}
		})
	}
	wg.Wait()
	r.placedIn = time.Since(started)
	close(errc)
	return errors.Join(func() (errs []error) {
		for err := range errc {
			errs = append(errs, err)
		}
		return
	}()...)
}

// cancel cancels an order after delay, as a store's staff would; CONFLICT (it has
// shipped) is an expected answer.
func (r *run) cancel(ctx context.Context, id uuid.UUID, delay time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(delay):
	}
	_, err := r.orders.Cancel(ctx, r.storeID, id, "chaos: the customer changed their mind", "chaos@chaos.test")
	var ae *apperr.Error
	switch {
	case err == nil:
		r.cancelled.Add(1)
	case errors.As(err, &ae) && ae.Code == apperr.Conflict:
		r.conflicts.Add(1)
	default:
		fmt.Fprintf(r.out, "chaos: cancelOrder %s: %v\n", id, err)
	}
}

// cancelAfterPayment cancels each order sent on ids once it is seen PAID or
// FULFILLING, which makes the refund path run; with no delay between fulfillment
// steps the window is short, and an order seen past it is left alone. One query every
// 50 ms watches them all: a poller per order would take the pool from intake.
func (r *run) cancelAfterPayment(ctx context.Context, ids <-chan uuid.UUID) {
	var watching []uuid.UUID
	var cancels sync.WaitGroup
	defer cancels.Wait()
	deadline := time.Now().Add(r.o.RetryBudget + time.Minute)
	for open := true; (open || len(watching) > 0) && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return
		case id, ok := <-ids:
			if !ok {
				open, ids = false, nil
			} else {
				watching = append(watching, id)
			}
			continue
		case <-time.After(50 * time.Millisecond):
		}
		if len(watching) == 0 {
			continue
		}
		status := map[uuid.UUID]string{}
		err := r.d.Read(ctx, db.Store(r.storeID), func(q db.Querier) error {
			rows, err := q.Query(ctx, `SELECT id, status FROM orders WHERE id = ANY($1)`, watching)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id uuid.UUID
				var s string
				if err := rows.Scan(&id, &s); err != nil {
					return err
				}
				status[id] = s
			}
			return rows.Err()
		})
		if err != nil {
			fmt.Fprintf(r.out, "chaos: watching orders to cancel: %v\n", err)
			continue
		}
		still := watching[:0]
		for _, id := range watching {
			switch order.Status(status[id]) {
			case order.StatusPaid, order.StatusFulfilling:
				cancels.Go(func() { r.cancel(ctx, id, 0) })
			case order.StatusShipped, order.StatusDelivered, order.StatusCancelled:
				r.missed.Add(1)
			default:
				still = append(still, id)
			}
		}
		watching = still
	}
}

// setFaults posts faults (JSON; fields left out keep their value) to the bank.
func (r *run) setFaults(ctx context.Context, faults string) error {
	return postJSON(ctx, r.bankURL+"/admin/faults", faults)
}

// teardown stops the workers and the bank (SIGTERM, then SIGKILL after 25 s) and
// drops the run's database.
func (r *run) teardown() {
	stop := func(cmd *exec.Cmd, done <-chan struct{}) {
		if cmd == nil || cmd.Process == nil {
			return
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(25 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	var wg sync.WaitGroup
	for _, w := range r.workers {
		w.mu.Lock()
		cmd, done := w.cmd, w.done
		w.mu.Unlock()
		wg.Go(func() { stop(cmd, done) })
	}
	wg.Wait()
	if r.bank != nil {
		done := make(chan struct{})
		go func() { _ = r.bank.Wait(); close(done) }()
		stop(r.bank, done)
	}
	for _, w := range r.workers {
		if w.log != nil {
			_ = w.log.Close()
		}
	}
	if r.pool != nil {
		r.pool.Close()
	}
	if r.dropDB != nil {
		r.dropDB()
	}
}
