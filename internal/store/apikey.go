package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/gid"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// APIKeyPrefix starts every API key secret, so a bearer credential is recognisable as
// a key (not a JWT) and scanners can find leaked keys.
const APIKeyPrefix = "og_"

// APIKey is a store's API key. The secret itself is never stored: only its SHA-256
// (a fast hash is right for 256 random bits) and a short prefix for recognition.
type APIKey struct {
	ID         uuid.UUID
	StoreID    tenant.StoreID
	Name       string
	Role       Role
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// HashAPIKey returns the stored form of a secret.
func HashAPIKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

func apiKeyFromRow(r dbsqlc.ApiKey) APIKey {
	return APIKey{ID: r.ID, StoreID: r.StoreID, Name: r.Name, Role: Role(r.Role), Prefix: r.KeyPrefix,
		CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
}

// CreateAPIKey creates a key for storeID and returns it with its secret, which is
// shown this once. The creator may not create a key above their own role.
func (s *Service) CreateAPIKey(ctx context.Context, storeID tenant.StoreID, creator Role, createdBy uuid.UUID, name string, role Role) (APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return APIKey{}, "", apperr.Invalid("name", "name must be 1 to 100 characters")
	}
	if !role.Valid() {
		return APIKey{}, "", apperr.Invalid("role", "unknown role %q", role)
	}
	if !creator.AtLeast(role) {
		return APIKey{}, "", apperr.New(apperr.Forbidden, "you cannot create a key with %s, a role above your own (%s)", role, creator)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return APIKey{}, "", err
	}
	secret := APIKeyPrefix + base64.RawURLEncoding.EncodeToString(buf)
	var by *uuid.UUID
	if createdBy != uuid.Nil {
		by = &createdBy
	}
	var key APIKey
	err := s.db.Tx(ctx, db.Store(storeID), func(tx pgx.Tx) error {
		row, err := queries.APIKeyCreate(ctx, tx, dbsqlc.APIKeyCreateParams{StoreID: storeID, Name: name,
			Role: dbsqlc.MemberRole(role), KeyPrefix: secret[:len(APIKeyPrefix)+6], KeyHash: HashAPIKey(secret), CreatedBy: by})
		key = apiKeyFromRow(row)
		return err
	})
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	return key, secret, nil
}

// RevokeAPIKey revokes key id of storeID. Revoking twice is harmless.
func (s *Service) RevokeAPIKey(ctx context.Context, storeID tenant.StoreID, id uuid.UUID) (APIKey, error) {
	var key APIKey
	err := s.db.Tx(ctx, db.Store(storeID), func(tx pgx.Tx) error {
		row, err := queries.APIKeyRevoke(ctx, tx, dbsqlc.APIKeyRevokeParams{StoreID: storeID, ID: id})
		key = apiKeyFromRow(row)
		return db.NotFound(err, "API key")
	})
	if err == nil {
		s.keys.forget(id)
	}
	return key, err
}

// ListAPIKeys returns storeID's keys, newest first, revoked ones included.
func (s *Service) ListAPIKeys(ctx context.Context, storeID tenant.StoreID) ([]APIKey, error) {
	var out []APIKey
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.APIKeyListByStore(ctx, q, storeID)
		for _, r := range rows {
			out = append(out, apiKeyFromRow(r))
		}
		return err
	})
	return out, err
}

// lastUsedGranularity bounds how often a key's last_used_at is written: once a minute
// is precise enough to answer "is this key still in use?" without a write per request.
const lastUsedGranularity = time.Minute

// ErrInvalidAPIKey is returned for an unknown or revoked key.
var ErrInvalidAPIKey = apperr.New(apperr.Unauthenticated, "invalid or revoked API key")

// AuthenticateAPIKey resolves a secret to its active key and records its use (to the
// minute). A key it authenticated less than the cache's TTL ago is not read again.
func (s *Service) AuthenticateAPIKey(ctx context.Context, secret string) (APIKey, error) {
	hash := HashAPIKey(secret)
	now := time.Now()
	if key, ok := s.keys.get(hash, now); ok {
		return key, nil
	}
	var key APIKey
	err := s.db.Read(ctx, db.Scope{APIKeyHash: hash}, func(q db.Querier) error {
		row, err := queries.APIKeyGetByHash(ctx, q, hash)
		key = apiKeyFromRow(row)
		return err
	})
	if db.IsNoRows(err) {
		return key, ErrInvalidAPIKey
	}
	if err != nil {
		return key, err
	}
	if key.RevokedAt != nil {
		return key, ErrInvalidAPIKey
	}
	if key.LastUsedAt == nil || time.Since(*key.LastUsedAt) > lastUsedGranularity {
		err = s.db.Tx(ctx, db.Store(key.StoreID), func(tx pgx.Tx) error {
			return queries.APIKeyTouch(ctx, tx, dbsqlc.APIKeyTouchParams{StoreID: key.StoreID, ID: key.ID})
		})
		if err != nil {
			return key, fmt.Errorf("record api key use: %w", err)
		}
		key.LastUsedAt = &now
	}
	s.keys.put(hash, key, now)
	return key, nil
}

// GID is k's global id in the API.
func (k APIKey) GID() string { return gid.Encode("ApiKey", k.ID) }
