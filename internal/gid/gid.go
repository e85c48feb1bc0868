// Package gid encodes the API's global object ids: gid://ordergraph/<Type>/<uuid>.
// The type is part of the id so node(id) knows where to look and an Order's id can
// never be mistaken for a Product's.
package gid

import (
	"encoding/hex"
	"strings"

	"github.com/google/uuid"

	"github.com/ordergraph/ordergraph/internal/apperr"
)

const prefix = "gid://ordergraph/"

// Encode returns the global id of object id of type typ.
func Encode(typ string, id uuid.UUID) string {
	// One allocation: an id is written for every object of every response.
	var b strings.Builder
	b.Grow(len(prefix) + len(typ) + 1 + 36)
	b.WriteString(prefix)
	b.WriteString(typ)
	b.WriteByte('/')
	var h [36]byte
	hex.Encode(h[0:8], id[0:4])
	h[8] = '-'
	hex.Encode(h[9:13], id[4:6])
	h[13] = '-'
	hex.Encode(h[14:18], id[6:8])
	h[18] = '-'
	hex.Encode(h[19:23], id[8:10])
	h[23] = '-'
	hex.Encode(h[24:], id[10:])
	b.Write(h[:])
	return b.String()
}

// Parse splits a global id into its type and uuid.
func Parse(s string) (typ string, id uuid.UUID, ok bool) {
	rest, found := strings.CutPrefix(s, prefix)
	if !found {
		return "", uuid.Nil, false
	}
	typ, raw, found := strings.Cut(rest, "/")
	if !found || typ == "" {
		return "", uuid.Nil, false
	}
	id, err := uuid.Parse(raw)
	return typ, id, err == nil
}

// Decode parses a global id that must be of type typ. A malformed id or one of another
// type is BAD_USER_INPUT on field.
func Decode(field, typ, s string) (uuid.UUID, error) {
	t, id, ok := Parse(s)
	if !ok || t != typ {
		return uuid.Nil, apperr.Invalid(field, "%q is not a valid %s id (want gid://ordergraph/%s/<uuid>)", s, typ, typ)
	}
	return id, nil
}
