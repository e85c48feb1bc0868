package money

import (
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
