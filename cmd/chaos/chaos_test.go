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
// mid-run outage and killed workers, in a database of the test's own. The budget and
// the backoff's cap are shorter than make chaos's so that the slowest payments settle
// (captured, or failed and compensated) within seconds, not minutes.
func TestChaosSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos run takes about a minute")
	}
	bin := filepath.Join(t.TempDir(), "ordergraph")
	build := exec.Command("go", "build", "-o", bin, "github.com/ordergraph/ordergraph/cmd/ordergraph")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "build the ordergraph binary")

	dbase := dbtest.Own(t)
	o := defaultOptions()
	o.N, o.Bin, o.DatabaseURL, o.OwnDatabase, o.LogDir = 100, bin, os.Getenv("DATABASE_URL"), dbase.Name, t.TempDir()
	o.KillEvery, o.Outage, o.CancelRate = 2*time.Second, 3*time.Second, 0.1
	o.RetryBudget, o.RetryBase, o.Timeout = 30*time.Second, 50*time.Millisecond, 2*time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
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
