package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/db/dbtest"
)

// TestChaosSmall is make chaos in CI: a hundred orders through the faulty bank, a
// mid-run outage and killed workers, in a database of the test's own. It keeps make
// chaos's two-minute retry budget: a shorter one makes payments run out of it (a
// process's circuit breaker stays open 30 s), and a payment that runs out after a lost
// answer is the bug TestLostChargeThenBudgetEndsIsRefunded (jobs) shows.
func TestChaosSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos run takes a minute or more")
	}
	bin := filepath.Join(t.TempDir(), "ordergraph")
	build := exec.Command("go", "build", "-o", bin, "github.com/ordergraph/ordergraph/cmd/ordergraph")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "build the ordergraph binary")

	dbase := dbtest.Own(t)
	o := defaultOptions()
	o.N, o.Bin, o.DatabaseURL, o.OwnDatabase, o.LogDir = 100, bin, os.Getenv("DATABASE_URL"), dbase.Name, t.TempDir()
	o.KillEvery, o.ChaosFor, o.Outage, o.CancelRate = 2*time.Second, 10*time.Second, 3*time.Second, 0.1
	o.RetryBase, o.Timeout, o.BreakerOpenFor = 50*time.Millisecond, 3*time.Minute, 3*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := Run(ctx, o, t.Output())
	require.NoError(t, err)
	for _, c := range rep.Checks {
		if len(c.Problems) > 0 {
			t.Errorf("%s: %v", c.Name, c.Problems[:min(len(c.Problems), 10)])
		}
	}
	require.True(t, rep.Settled, "every order settled")
	require.Positive(t, rep.Kills, "workers were killed")
}
