package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/mockbank"
	"github.com/ordergraph/ordergraph/internal/payment"
)

// TestGatewayBinary builds the real binary and runs `ordergraph gateway` as make
// run does: without a database or any server configuration, on GATEWAY_ADDR,
// with a state file. The bank answers Ordergraph's client, stops on SIGTERM, and
// a restarted bank still holds its ledger and replays its idempotency keys.
func TestGatewayBinary(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "ordergraph")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	state := filepath.Join(t.TempDir(), "bank.jsonl")

	start := func() (addr string, stop func()) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr = l.Addr().String()
		require.NoError(t, l.Close())
		cmd := exec.Command(bin, "gateway", "-state", state, "-seed", "9")
		// Nothing of the server's configuration: the bank must not need it.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GATEWAY_ADDR=" + addr, "PAYMENT_GATEWAY_KEY=sk_test_binary"}
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { // a failed test must not leave the bank running
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})
		line, err := bufio.NewReader(stdout).ReadString('\n')
		require.NoError(t, err)
		assert.Contains(t, line, "http://"+addr)
		assert.Contains(t, line, "seed=9")
		return addr, func() {
			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			require.NoError(t, cmd.Wait(), "exits cleanly on SIGTERM")
		}
	}

	addr, stop := start()
	gw := payment.NewGateway(payment.GatewayConfig{URL: "http://" + addr, Key: "sk_test_binary"})
	params := payment.ChargeParams{IdempotencyKey: "pay-1", AmountMinor: 1500, Currency: "USD", PaymentMethod: "pm_card_visa"}
	first, err := gw.Charge(context.Background(), params)
	require.NoError(t, err)
	_, err = payment.NewGateway(payment.GatewayConfig{URL: "http://" + addr, Key: "sk_test_other"}).
		Charge(context.Background(), params)
	require.ErrorIs(t, err, payment.ErrInvalidRequest, "the key comes from PAYMENT_GATEWAY_KEY")
	stop()

	addr, stop = start()
	defer stop()
	res, err := http.Get("http://" + addr + "/admin/ledger")
	require.NoError(t, err)
	defer res.Body.Close()
	var page mockbank.LedgerPage
	require.NoError(t, json.NewDecoder(res.Body).Decode(&page))
	require.Equal(t, 1, page.Count, "the ledger survives a restart")
	assert.Equal(t, first.IntentID, page.Data[0].PaymentIntent)

	gw = payment.NewGateway(payment.GatewayConfig{URL: "http://" + addr, Key: "sk_test_binary"})
	again, err := gw.Charge(context.Background(), params)
	require.NoError(t, err)
	assert.True(t, again.Replayed, "so do the idempotency keys")
	assert.Equal(t, first.IntentID, again.IntentID)
}

func TestGatewayRejectsBadFlags(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	err := gateway(context.Background(), []string{"-decline-rate", "2"}, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "declineRate")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	assert.Error(t, gateway(ctx, []string{"-no-such-flag"}, &out))
}
