// Package mockbank is a bank that speaks the subset of Stripe's API that Ordergraph
// charges and refunds through: PaymentIntents created and confirmed in one call,
// their retrieval, and Refunds — with Stripe's object shapes, error objects, status
// codes, test payment methods and Idempotency-Key semantics.
//
// It runs as its own process (`ordergraph gateway`), as a real bank would, so that
// killing Ordergraph never resets its ledger or its idempotency keys; with a state
// file it survives its own restarts too. Operators (and the chaos run) inspect it
// through GET /admin/ledger and change its failure modes at run time through
// /admin/faults: random declines, transient 5xx and 429 answers, latency, a full
// outage and "charged, then the answer was lost".
//
// Where Stripe's documented behaviour and a test's convenience differ, the package
// follows Stripe: a client that works against it should work against Stripe's test
// mode with nothing changed but the URL and the key. The one deliberate split is in
// the faults: a transient error happens in front of the API (nothing runs, nothing is
// saved under the idempotency key), while a "stored" error is a 500 raised after the
// endpoint began, which Stripe saves and replays for the key's lifetime.
package mockbank
