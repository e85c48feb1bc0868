// Package auth owns identity: users and their passwords, the JWTs that log them in,
// and the per-request authentication that turns a bearer credential (a user token plus
// X-Store-ID, or a store's API key) into a Principal.
package auth
