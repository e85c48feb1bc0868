package mockbank

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// DefaultSecretKey is the secret key the bank and Ordergraph's client share when
// neither is configured. Like Stripe's test keys it starts with sk_test_.
const DefaultSecretKey = "sk_test_ordergraph_local"

// Config configures a Bank.
type Config struct {
	// SecretKey is the one API key the bank accepts (Authorization: Bearer …).
	SecretKey string
	// AdminToken, when set, is required as a bearer token on /admin/*; empty leaves
	// the operator endpoints open, which is meant for a bank bound to loopback.
	AdminToken string
	// Faults are the failure modes at start.
	Faults Faults
	// Seed seeds the fault decisions; zero picks a random seed (see Bank.Seed).
	Seed uint64
	// StatePath, when set, is a journal file the bank appends every change to and
	// replays at start, so its ledger and idempotency keys survive a restart.
	StatePath string
	// IdempotencyTTL is how long a key's result is replayed; zero means Stripe's 24 h.
	IdempotencyTTL time.Duration
	// Log receives the bank's own events; nil discards them.
	Log *slog.Logger
}

// LedgerEntry is one money movement the bank performed or refused: a charge
// (succeeded or declined) or a refund.
type LedgerEntry struct {
	// ID is the charge's ch_… or the refund's re_… id.
	ID string `json:"id"`
	// Kind is "charge" or "refund".
	Kind string `json:"kind"`
	// Status is "succeeded", or "failed" for a declined charge.
	Status         string            `json:"status"`
	PaymentIntent  string            `json:"paymentIntent"`
	Amount         int64             `json:"amount"`
	Currency       string            `json:"currency"`
	IdempotencyKey string            `json:"idempotencyKey,omitempty"`
	DeclineCode    string            `json:"declineCode,omitempty"`
	Metadata       map[string]string `json:"metadata"`
	Time           time.Time         `json:"time"`
}

// Bank is the mock bank: its accounts, its ledger, its idempotency layer and its
// faults. It is an http.Handler; all methods are safe for concurrent use.
type Bank struct {
	cfg    Config
	seed   uint64
	log    *slog.Logger
	faults *faultSource
	idem   *idempotencyStore

	// mu guards the money: intents, ledger, refunded and the journal. It is held
	// from a POST's checks to its commit, so that two refunds cannot both pass the
	// remaining-amount check.
	mu       sync.Mutex
	intents  map[string]*PaymentIntent
	ledger   []LedgerEntry
	refunded map[string]int64
	journal  *journal
}

// New returns a bank, replaying cfg.StatePath if it exists.
func New(cfg Config) (*Bank, error) {
	if cfg.SecretKey == "" {
		cfg.SecretKey = DefaultSecretKey
	}
	if cfg.IdempotencyTTL == 0 {
		cfg.IdempotencyTTL = DefaultIdempotencyTTL
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := cfg.Faults.Validate(); err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	seed := cfg.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	b := &Bank{
		cfg:      cfg,
		seed:     seed,
		log:      cfg.Log,
		faults:   newFaultSource(cfg.Faults, seed),
		idem:     newIdempotencyStore(cfg.IdempotencyTTL),
		intents:  map[string]*PaymentIntent{},
		refunded: map[string]int64{},
	}
	if cfg.StatePath != "" {
		j, err := openJournal(cfg.StatePath, b.replay)
		if err != nil {
			return nil, err
		}
		b.journal = j
	}
	return b, nil
}

// Seed returns the seed the fault decisions are drawn with, so that a run with a
// random seed can be repeated.
func (b *Bank) Seed() uint64 { return b.seed }

// Close closes the state file.
func (b *Bank) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.journal == nil {
		return nil
	}
	err := b.journal.close()
	b.journal = nil
	return err
}

// Faults returns the current failure modes.
func (b *Bank) Faults() Faults { return b.faults.get() }

// SetFaults replaces the failure modes.
func (b *Bank) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	b.faults.set(f)
	b.log.Info("mockbank: faults changed", "faults", f)
	return nil
}

// Ledger returns every charge and refund, oldest first.
func (b *Bank) Ledger() []LedgerEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.ledger)
}

// commit is the outcome of one executed POST: the objects it changed, its ledger
// entries and the answer saved under its idempotency key.
type commit struct {
	intents []*PaymentIntent
	entries []LedgerEntry
	saved   *savedResult
}

// apply records c in memory and in the journal. The caller holds b.mu.
func (b *Bank) apply(c commit) error {
	if b.journal != nil {
		if err := b.journal.append(c); err != nil {
			return err
		}
	}
	b.applyMemory(c)
	return nil
}

func (b *Bank) applyMemory(c commit) {
	for _, pi := range c.intents {
		b.intents[pi.ID] = pi
	}
	for _, e := range c.entries {
		b.ledger = append(b.ledger, e)
		if e.Kind == "refund" {
			b.refunded[e.PaymentIntent] += e.Amount
		}
	}
	if c.saved != nil {
		b.idem.save(*c.saved)
	}
}

// replay applies one journal record at start.
func (b *Bank) replay(c commit) {
	b.applyMemory(c)
}

// clone returns a deep copy of pi, so answers never share maps with the state.
func clone(pi *PaymentIntent) *PaymentIntent {
	c := *pi
	c.Metadata = cloneMap(pi.Metadata)
	c.PaymentMethodTypes = slices.Clone(pi.PaymentMethodTypes)
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own types always marshal
	}
	return b
}
