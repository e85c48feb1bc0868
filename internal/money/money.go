// Package money converts between decimal strings ("19.99", the API's Decimal scalar)
// and integer minor units (1999), the only form money takes in the database and in
// arithmetic. Floats are never involved.
package money

import (
	"fmt"
	"strconv"
	"strings"
)

// currencyExponent lists the supported ISO 4217 currencies and their minor-unit digits.
var currencyExponent = map[string]int{
	"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2, "SEK": 2, "NOK": 2,
	"DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "RON": 2, "BGN": 2, "MXN": 2, "BRL": 2, "INR": 2,
	"CNY": 2, "HKD": 2, "SGD": 2, "ZAR": 2, "ILS": 2, "TRY": 2, "AED": 2, "SAR": 2, "THB": 2,
	"MYR": 2, "PHP": 2, "IDR": 2, "JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0,
	"KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3,
}

// KnownCurrency reports whether code is a supported currency.
func KnownCurrency(code string) bool { _, ok := currencyExponent[code]; return ok }

// Exponent returns the number of minor-unit digits of code (2 if unknown).
func Exponent(code string) int {
	if e, ok := currencyExponent[code]; ok {
		return e
	}
	return 2
}

// MaxMinor bounds amounts so sums of many lines cannot overflow int64.
const MaxMinor = int64(1e15)

// ParseMinor parses a non-negative decimal string into minor units of currency.
func ParseMinor(s, currency string) (int64, error) {
	exp := Exponent(currency)
	s = strings.TrimSpace(s)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || strings.HasPrefix(whole, "+") || strings.HasPrefix(whole, "-") {
		return 0, fmt.Errorf("%q is not a non-negative decimal such as 19.99", s)
	}
	if len(frac) > exp {
		return 0, fmt.Errorf("%q has more than %d decimal places for %s", s, exp, currency)
	}
	frac += strings.Repeat("0", exp-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n < 0 || n > MaxMinor {
		return 0, fmt.Errorf("%q is not a valid amount", s)
	}
	return n, nil
}

// FormatMinor formats minor units of currency as a decimal string.
func FormatMinor(minor int64, currency string) string {
	exp := Exponent(currency)
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	s := strconv.FormatInt(minor, 10)
	if exp == 0 {
		return sign + s
	}
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	return sign + s[:len(s)-exp] + "." + s[len(s)-exp:]
}

// Money is an amount in minor units of a currency: the API's Money type.
type Money struct {
	Minor    int64
	Currency string
}

// Of returns minor units of currency as Money.
func Of(minor int64, currency string) Money { return Money{Minor: minor, Currency: currency} }

// Amount is the decimal string of m ("19.99").
func (m Money) Amount() string { return FormatMinor(m.Minor, m.Currency) }

// CurrencyCode is m's ISO 4217 code.
func (m Money) CurrencyCode() string { return m.Currency }

// Mul returns a × b in minor units, and false when the product is negative or exceeds
// MaxMinor (int64 overflow included).
func Mul(a, b int64) (int64, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if a != 0 && b > MaxMinor/a {
		return 0, false
	}
	return a * b, true
}

// Add returns a + b in minor units, and false when the sum is negative or exceeds
// MaxMinor.
func Add(a, b int64) (int64, bool) {
	if a < 0 || b < 0 || a > MaxMinor-b {
		return 0, false
	}
	return a + b, true
}
