// Package tenant names the tenant of every scoped query: a store, by its id.
//
// StoreID is a type of its own, not a bare uuid.UUID, so that a store's id cannot be
// passed where an order's or a product's is expected (or the other way round) without
// a compile error. It lives in a leaf package because internal/db scopes transactions
// by it and internal/store, which owns stores, is built on internal/db.
package tenant

import (
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// StoreID identifies a store: the tenant.
type StoreID uuid.UUID

// ParseStoreID parses a store id in uuid's text form.
func ParseStoreID(s string) (StoreID, error) {
	u, err := uuid.Parse(s)
	return StoreID(u), err
}

// NewStoreID returns a fresh random store id.
func NewStoreID() StoreID { return StoreID(uuid.New()) }

// UUID is id as a uuid.
func (id StoreID) UUID() uuid.UUID { return uuid.UUID(id) }

// String is id in uuid's text form.
func (id StoreID) String() string { return uuid.UUID(id).String() }

// IsZero reports whether id is the zero id (no store).
func (id StoreID) IsZero() bool { return id == StoreID{} }

// UUIDValue lets pgx send id as a uuid parameter (pgtype.UUIDValuer).
func (id StoreID) UUIDValue() (pgtype.UUID, error) { return pgtype.UUID{Bytes: id, Valid: true}, nil }

// ScanUUID lets pgx scan a uuid column into id (pgtype.UUIDScanner).
func (id *StoreID) ScanUUID(v pgtype.UUID) error {
	*id = v.Bytes
	return nil
}

// MarshalText encodes id as text (JSON job args, logs).
func (id StoreID) MarshalText() ([]byte, error) { return uuid.UUID(id).MarshalText() }

// UnmarshalText decodes id from text.
func (id *StoreID) UnmarshalText(b []byte) error { return (*uuid.UUID)(id).UnmarshalText(b) }
