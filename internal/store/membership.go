package store

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/page"
)

// Membership is a user's role in a store.
type Membership struct {
	StoreID   uuid.UUID
	UserID    uuid.UUID
	Role      Role
	CreatedAt time.Time
	Store     Store
}

// Member is a store's member with the user's public details.
type Member struct {
	Membership
	Email string
	Name  string
}

// RoleOf returns userID's role in storeID, or FORBIDDEN when the user is not a member.
func (s *Service) RoleOf(ctx context.Context, userID, storeID uuid.UUID) (Role, error) {
	var role Role
	err := s.db.Read(ctx, db.Scope{UserID: userID}, func(q db.Querier) error {
		return q.QueryRow(ctx, `SELECT role FROM memberships WHERE store_id = $1 AND user_id = $2`,
			storeID, userID).Scan(&role)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.New(apperr.Forbidden, "you are not a member of this store")
	}
	return role, err
}

// MembershipsOf returns all of userID's memberships, oldest first.
func (s *Service) MembershipsOf(ctx context.Context, userID uuid.UUID) ([]Membership, error) {
	var out []Membership
	err := s.db.Read(ctx, db.Scope{UserID: userID}, func(q db.Querier) error {
		rows, err := q.Query(ctx, `SELECT m.store_id, m.user_id, m.role, m.created_at,
				s.id, s.slug, s.name, s.currency_code, s.created_at
			FROM memberships m JOIN stores s ON s.id = m.store_id
			WHERE m.user_id = $1 ORDER BY m.created_at, m.store_id`, userID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Membership, error) {
			var m Membership
			err := r.Scan(&m.StoreID, &m.UserID, &m.Role, &m.CreatedAt,
				&m.Store.ID, &m.Store.Slug, &m.Store.Name, &m.Store.CurrencyCode, &m.Store.CreatedAt)
			return m, err
		})
		return err
	})
	return out, err
}

// AddMember gives the user with email a role in storeID. The grantor may not grant a
// role above their own.
func (s *Service) AddMember(ctx context.Context, storeID uuid.UUID, grantor Role, email string, role Role) (Member, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if _, err := mail.ParseAddress(email); err != nil {
		return Member{}, apperr.Invalid("email", "email %q is not a valid address", email)
	}
	if !role.Valid() {
		return Member{}, apperr.Invalid("role", "unknown role %q", role)
	}
	if !grantor.AtLeast(role) {
		return Member{}, apperr.New(apperr.Forbidden, "you cannot grant %s, a role above your own (%s)", role, grantor)
	}
	m := Member{Membership: Membership{StoreID: storeID, Role: role}, Email: email}
	err := s.db.Tx(ctx, db.StoreScope(storeID), func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, name FROM users WHERE email = $1`, email).Scan(&m.UserID, &m.Name)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.Invalid("email", "no user has signed up with %s yet", email)
		}
		if err != nil {
			return fmt.Errorf("find user: %w", err)
		}
		err = tx.QueryRow(ctx, `INSERT INTO memberships (store_id, user_id, role) VALUES ($1, $2, $3)
			RETURNING created_at`, storeID, m.UserID, role).Scan(&m.CreatedAt)
		if _, ok := db.IsUniqueViolation(err); ok {
			return &apperr.Error{Code: apperr.Conflict, Field: "email", Message: email + " is already a member of this store"}
		}
		if err != nil {
			return fmt.Errorf("insert membership: %w", err)
		}
		return tx.QueryRow(ctx, `SELECT id, slug, name, currency_code, created_at FROM stores WHERE id = $1`, storeID).
			Scan(&m.Store.ID, &m.Store.Slug, &m.Store.Name, &m.Store.CurrencyCode, &m.Store.CreatedAt)
	})
	return m, err
}

// ListMembers returns a page of storeID's members, oldest first.
func (s *Service) ListMembers(ctx context.Context, storeID uuid.UUID, args page.Args) ([]Member, bool, error) {
	after, afterID := time.Time{}, uuid.Nil
	if args.After != nil {
		var err error
		if after, afterID, err = args.After.TimeID(); err != nil {
			return nil, false, err
		}
	}
	return db.Page(ctx, s.db, db.StoreScope(storeID), args.First,
		`SELECT m.store_id, m.user_id, m.role, m.created_at, u.email, u.name
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.store_id = $1 AND (m.created_at, m.user_id) > ($2, $3)
		ORDER BY m.created_at, m.user_id LIMIT $4`, []any{storeID, after, afterID, args.First + 1},
		func(rows pgx.Rows) ([]Member, error) {
			return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Member, error) {
				var m Member
				err := r.Scan(&m.StoreID, &m.UserID, &m.Role, &m.CreatedAt, &m.Email, &m.Name)
				return m, err
			})
		})
}

// MemberCursor is the cursor of m in ListMembers' ordering.
func MemberCursor(m Member) page.Cursor {
	return page.TimeCursor(MemberSort, m.CreatedAt, m.UserID)
}

// MemberSort names ListMembers' ordering.
const MemberSort = "members"

// Member returns userID's membership in storeID with the user's details.
func (s *Service) Member(ctx context.Context, storeID, userID uuid.UUID) (Member, error) {
	var m Member
	err := s.db.Read(ctx, db.StoreScope(storeID), func(q db.Querier) error {
		return q.QueryRow(ctx, `SELECT m.store_id, m.user_id, m.role, m.created_at, u.email, u.name
			FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.store_id = $1 AND m.user_id = $2`, storeID, userID).
			Scan(&m.StoreID, &m.UserID, &m.Role, &m.CreatedAt, &m.Email, &m.Name)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return m, apperr.NotFoundf("member not found")
	}
	return m, err
}
