package graph_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOrderMoneyNeverWraps: line totals and the order total are checked against the
// largest amount (money.MaxMinor, 10,000,000,000,000.00 in a two-digit currency)
// instead of wrapping around int64, and the error names the field at fault.
func TestOrderMoneyNeverWraps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, c := e.owner(t)
	e.newProduct(t, c, "MAX", "10000000000000.00", 1_000_000)
	e.newProduct(t, c, "MAX2", "10000000000000.00", 1_000_000)
	e.newProduct(t, c, "ODD", "7440737095517.16", 1_000_000)
	e.newProduct(t, c, "BILLION", "1000000000.00", 1_000_000)
	e.newProduct(t, c, "CENT", "0.01", 1_000_000)

	for _, tc := range []struct {
		name  string
		lines []map[string]any
		field string // "" when the order is accepted
		total string
	}{
		// The order, whose total wrapped around to 1.00.
		{"wraps to 1.00", []map[string]any{line("MAX", 9223), line("MAX2", 9223), line("ODD", 1)}, "input.lines.0.quantity", ""},
		{"one line past int64", []map[string]any{line("MAX", 10_000)}, "input.lines.0.quantity", ""},
		{"one line just past the limit", []map[string]any{line("BILLION", 10_000), line("CENT", 1)}, "input.lines", ""},
		{"line past the limit", []map[string]any{line("CENT", 1), line("MAX", 2)}, "input.lines.1.quantity", ""},
		{"sum past the limit", []map[string]any{line("MAX", 1), line("MAX2", 1)}, "input.lines", ""},
		{"sum past the limit by a cent", []map[string]any{line("MAX", 1), line("CENT", 1)}, "input.lines", ""},
		{"line at the limit", []map[string]any{line("BILLION", 10_000)}, "", "10000000000000.00"},
		{"order at the limit", []map[string]any{line("MAX", 1)}, "", "10000000000000.00"},
	} {
		r := e.do(t, c, createOrder, map[string]any{"in": orderInput(unique("money"), tc.lines...)})
		if tc.field != "" {
			assert.Equal(t, "BAD_USER_INPUT", r.code(), tc.name)
			assert.Equal(t, tc.field, r.field(), tc.name)
			continue
		}
		require.Empty(t, r.Errors, tc.name)
		var out struct{ CreateOrder placedOrder }
		require.NoError(t, json.Unmarshal(r.Data, &out))
		assert.Equal(t, tc.total, out.CreateOrder.Total.Amount, tc.name)
	}
}
