package store

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/page"
	"github.com/ordergraph/ordergraph/internal/tenant"
)

// Membership is a user's role in a store.
type Membership struct {
	StoreID   tenant.StoreID
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

func membershipFromRow(r dbsqlc.Membership) Membership {
	return Membership{StoreID: r.StoreID, UserID: r.UserID, Role: Role(r.Role), CreatedAt: r.CreatedAt}
}

// RoleOf returns userID's role in storeID, or FORBIDDEN when the user is not a member.
func (s *Service) RoleOf(ctx context.Context, userID uuid.UUID, storeID tenant.StoreID) (Role, error) {
	var role Role
	err := s.db.Read(ctx, db.Scope{UserID: userID}, func(q db.Querier) error {
		r, err := queries.MembershipGetRole(ctx, q, dbsqlc.MembershipGetRoleParams{StoreID: storeID, UserID: userID})
		role = Role(r)
		return err
	})
	if db.IsNoRows(err) {
		return "", apperr.New(apperr.Forbidden, "you are not a member of this store")
	}
	return role, err
}

// MembershipsOf returns all of userID's memberships, oldest first.
func (s *Service) MembershipsOf(ctx context.Context, userID uuid.UUID) ([]Membership, error) {
	var out []Membership
	err := s.db.Read(ctx, db.Scope{UserID: userID}, func(q db.Querier) error {
		rows, err := queries.MembershipListByUser(ctx, q, userID)
		for _, r := range rows {
			m := membershipFromRow(r.Membership)
			m.Store = storeFromRow(r.Store)
			out = append(out, m)
		}
		return err
	})
	return out, err
}

// AddMember gives the user with email a role in storeID. The grantor may not grant a
// role above their own.
func (s *Service) AddMember(ctx context.Context, storeID tenant.StoreID, grantor Role, email string, role Role) (Member, error) {
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
	var m Member
	err := s.db.Tx(ctx, db.Store(storeID), func(tx pgx.Tx) error {
		u, err := queries.UserGetByEmail(ctx, tx, email)
		if db.IsNoRows(err) {
			return apperr.Invalid("email", "no user has signed up with %s yet", email)
		}
		if err != nil {
			return fmt.Errorf("find user: %w", err)
		}
		row, err := queries.MembershipCreate(ctx, tx, dbsqlc.MembershipCreateParams{StoreID: storeID, UserID: u.ID,
			Role: dbsqlc.MemberRole(role)})
		if _, ok := db.IsUniqueViolation(err); ok {
			return &apperr.Error{Code: apperr.Conflict, Field: "email", Message: email + " is already a member of this store"}
		}
		if err != nil {
			return fmt.Errorf("insert membership: %w", err)
		}
		st, err := queries.StoreGetByID(ctx, tx, storeID)
		if err != nil {
			return fmt.Errorf("read store: %w", err)
		}
		m = Member{Membership: membershipFromRow(row), Email: u.Email, Name: u.Name}
		m.Store = storeFromRow(st)
		return nil
	})
	return m, err
}

// ListMembers returns a page of storeID's members, oldest first.
func (s *Service) ListMembers(ctx context.Context, storeID tenant.StoreID, args page.Args) ([]Member, bool, error) {
	arg := dbsqlc.MembershipListMembersParams{StoreID: storeID, MaxRows: int32(args.First + 1)}
	if args.After != nil {
		var err error
		if arg.AfterCreatedAt, arg.AfterUserID, err = args.After.TimeID(); err != nil {
			return nil, false, err
		}
	}
	var out []Member
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		rows, err := queries.MembershipListMembers(ctx, q, arg)
		for _, r := range rows {
			out = append(out, Member{Membership: membershipFromRow(r.Membership), Email: r.Email, Name: r.Name})
		}
		return err
	})
	out, more := page.Trim(out, args.First)
	return out, more, err
}

// MemberCursor is the cursor of m in ListMembers' ordering.
func MemberCursor(m Member) page.Cursor {
	return page.TimeCursor(MemberSort, m.CreatedAt, m.UserID)
}

// MemberSort names ListMembers' ordering.
const MemberSort = "members"

// Member returns userID's membership in storeID with the user's details, or NOT_FOUND.
func (s *Service) Member(ctx context.Context, storeID tenant.StoreID, userID uuid.UUID) (Member, error) {
	var m Member
	err := s.db.Read(ctx, db.Store(storeID), func(q db.Querier) error {
		r, err := queries.MembershipGetMember(ctx, q, dbsqlc.MembershipGetMemberParams{StoreID: storeID, UserID: userID})
		m = Member{Membership: membershipFromRow(r.Membership), Email: r.Email, Name: r.Name}
		return db.NotFound(err, "member")
	})
	return m, err
}
