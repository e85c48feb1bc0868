package money

import (
	"math/big"
	"strings"
	"testing"
)

// FuzzParseMinor: ParseMinor never panics, accepts only what a decimal reading of the
// string agrees with, never returns more than MaxMinor, and round-trips through
// FormatMinor.
func FuzzParseMinor(f *testing.F) {
	for _, s := range []string{"19.99", "0", "0.00", " 7.5 ", "1.234", "10000000000000.00", "10000000000000.01",
		"9223372036854775807", "92233720368547758.08", "-0", "+1", "1e3", "0x10", "1_000", "٣", "１", "1.", ".5",
		"00000000000000000000019.99", "1.2.3", "\x00", "NaN", "Inf", "1 000"} {
		for _, cur := range []string{"EUR", "JPY", "KWD"} {
			f.Add(s, cur)
		}
	}
	f.Fuzz(func(t *testing.T, s, currency string) {
		n, err := ParseMinor(s, currency)
		if err != nil {
			return
		}
		if n < 0 || n > MaxMinor {
			t.Fatalf("ParseMinor(%q) = %d, outside [0, MaxMinor]", s, n)
		}
		exp := Exponent(currency)
		// The accepted text is a plain decimal: digits, at most one dot, no more
		// fraction digits than the currency has.
		trimmed := strings.TrimSpace(s)
		whole, frac, _ := strings.Cut(trimmed, ".")
		if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || len(frac) > exp {
			t.Fatalf("ParseMinor accepted %q", s)
		}
		want, ok := new(big.Rat).SetString(trimmed)
		if !ok {
			t.Fatalf("ParseMinor accepted %q, which is not a decimal", s)
		}
		want.Mul(want, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
		if !want.IsInt() || want.Num().Cmp(big.NewInt(n)) != 0 {
			t.Fatalf("ParseMinor(%q, %s) = %d, want %s", s, currency, n, want.RatString())
		}
		back, err := ParseMinor(FormatMinor(n, currency), currency)
		if err != nil || back != n {
			t.Fatalf("FormatMinor(%d) = %q does not parse back: %d, %v", n, FormatMinor(n, currency), back, err)
		}
	})
}

// FuzzMulAdd: the checked operations agree with exact arithmetic.
func FuzzMulAdd(f *testing.F) {
	f.Add(int64(1999), int64(3))
	f.Add(MaxMinor, int64(1))
	f.Add(int64(1_000_000_000_000_000), int64(10_000))
	f.Add(int64(-1), int64(-1))
	f.Fuzz(func(t *testing.T, a, b int64) {
		bound := big.NewInt(MaxMinor)
		exact := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
		got, ok := Mul(a, b)
		wantOK := a >= 0 && b >= 0 && a <= MaxMinor && exact.Cmp(bound) <= 0
		if ok != wantOK || (ok && big.NewInt(got).Cmp(exact) != 0) {
			t.Fatalf("Mul(%d, %d) = %d, %v; exact %s", a, b, got, ok, exact)
		}
		exact = new(big.Int).Add(big.NewInt(a), big.NewInt(b))
		got, ok = Add(a, b)
		wantOK = a >= 0 && b >= 0 && a <= MaxMinor && exact.Cmp(bound) <= 0
		if ok != wantOK || (ok && big.NewInt(got).Cmp(exact) != 0) {
			t.Fatalf("Add(%d, %d) = %d, %v; exact %s", a, b, got, ok, exact)
		}
	})
}
