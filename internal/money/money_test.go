package money

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAndFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, currency string
		minor        int64
		out          string
	}{
		{"19.99", "EUR", 1999, "19.99"},
		{"19.9", "EUR", 1990, "19.90"},
		{"19", "EUR", 1900, "19.00"},
		{"0.05", "USD", 5, "0.05"},
		{"0", "EUR", 0, "0.00"},
		{" 7.5 ", "EUR", 750, "7.50"},
		{"1500", "JPY", 1500, "1500"},
		{"1.234", "KWD", 1234, "1.234"},
	} {
		got, err := ParseMinor(tc.in, tc.currency)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.minor, got, tc.in)
		assert.Equal(t, tc.out, FormatMinor(got, tc.currency), tc.in)
	}
	for _, bad := range []string{"", "-1", "+1", "1.", ".5", "1.999", "1e3", "abc", "1,50", "NaN", "99999999999999999999"} {
		_, err := ParseMinor(bad, "EUR")
		assert.Error(t, err, bad)
	}
	_, err := ParseMinor("1.5", "JPY")
	assert.Error(t, err, "JPY has no minor unit")
	assert.Equal(t, "-0.05", FormatMinor(-5, "EUR"))
}

func TestKnownCurrency(t *testing.T) {
	t.Parallel()
	assert.True(t, KnownCurrency("EUR"))
	assert.False(t, KnownCurrency("EURO"))
	assert.False(t, KnownCurrency("eur"))
}

func TestMulAndAddAreChecked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b, want int64
		ok         bool
	}{
		{1999, 3, 5997, true},
		{0, 10_000, 0, true},
		{MaxMinor, 1, MaxMinor, true},
		{MaxMinor, 0, 0, true},
		{MaxMinor / 10_000, 10_000, MaxMinor, true},
		{MaxMinor/10_000 + 1, 10_000, 0, false},
		{MaxMinor + 1, 1, 0, false},
		// The line: 10,000 × 10,000,000,000,000.00 wraps int64.
		{1_000_000_000_000_000, 10_000, 0, false},
		{math.MaxInt64, 2, 0, false},
		{2, math.MaxInt64, 0, false},
		{-1, 1, 0, false},
		{1, -1, 0, false},
	} {
		got, ok := Mul(tc.a, tc.b)
		assert.Equal(t, tc.ok, ok, "Mul(%d, %d)", tc.a, tc.b)
		assert.Equal(t, tc.want, got, "Mul(%d, %d)", tc.a, tc.b)
	}
	for _, tc := range []struct {
		a, b, want int64
		ok         bool
	}{
		{1, 2, 3, true},
		{MaxMinor - 1, 1, MaxMinor, true},
		{MaxMinor, 0, MaxMinor, true},
		{MaxMinor, 1, 0, false},
		{1, MaxMinor, 0, false},
		{math.MaxInt64, math.MaxInt64, 0, false},
		{math.MaxInt64 - 1, 2, 0, false},
		{-5, 3, 0, false},
	} {
		got, ok := Add(tc.a, tc.b)
		assert.Equal(t, tc.ok, ok, "Add(%d, %d)", tc.a, tc.b)
		assert.Equal(t, tc.want, got, "Add(%d, %d)", tc.a, tc.b)
	}
}
