package auth

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/ordergraph/ordergraph/internal/apperr"
)

// Password rules: long enough to resist guessing, short enough for bcrypt (72 bytes).
const (
	MinPasswordLen   = 10
	MaxPasswordBytes = 72
)

// ValidatePassword checks the minimum rules, naming field in the error.
func ValidatePassword(field, pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return apperr.Invalid(field, "password must be at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordBytes:
		return apperr.Invalid(field, "password must be at most %d bytes", MaxPasswordBytes)
	}
	var letter, other bool
	for _, r := range pw {
		if unicode.IsLetter(r) {
			letter = true
		} else {
			other = true
		}
	}
	if !letter || !other {
		return apperr.Invalid(field, "password must mix letters with digits or symbols")
	}
	return nil
}

// HashPassword hashes pw with bcrypt at cost.
func HashPassword(pw string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	return string(h), err
}

// CheckPassword reports whether pw matches hash.
func CheckPassword(hash, pw string) bool {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
	return err == nil
}

// dummyHash returns a hash of the given cost that no password matches. Checking a
// password against it makes a login for an unknown email cost what a wrong password
// for a known one costs — bcrypt's work depends on the hash's cost, so the dummy has
// the configured one — and response times do not reveal which emails exist.
func dummyHash(cost int) []byte {
	h, err := bcrypt.GenerateFromPassword([]byte("not-a-real-password"), cost)
	if err != nil { // only for a cost outside bcrypt's range, which hashing refuses too
		h, _ = bcrypt.GenerateFromPassword([]byte("not-a-real-password"), bcrypt.DefaultCost)
	}
	return h
}
