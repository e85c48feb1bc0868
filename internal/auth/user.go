package auth

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbsqlc"
	"github.com/ordergraph/ordergraph/internal/gid"
)

// User is a person who logs in. Users are global; memberships tie them to stores.
type User struct {
	ID        uuid.UUID
	Email     string
	Name      string
	CreatedAt time.Time
}

// Users signs users up and logs them in.
type Users struct {
	db         *db.DB
	tokens     *Tokens
	bcryptCost int
	dummyHash  []byte // see dummyHash
}

// NewUsers returns the user service.
func NewUsers(d *db.DB, tokens *Tokens, bcryptCost int) *Users {
	return &Users{db: d, tokens: tokens, bcryptCost: bcryptCost, dummyHash: dummyHash(bcryptCost)}
}

// Session is a logged-in user with a token.
type Session struct {
	Token     string
	ExpiresAt time.Time
	User      User
}

// NormalizeEmail trims and lower-cases an email and checks its form.
func NormalizeEmail(field, email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 || !strings.Contains(email[strings.LastIndexByte(email, '@'):], ".") {
		return "", apperr.Invalid(field, "%q is not a valid email address", email)
	}
	return email, nil
}

// SignUp creates a user and logs them in.
func (u *Users) SignUp(ctx context.Context, email, password, name string) (Session, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return Session{}, err
	}
	if err := ValidatePassword("password", password); err != nil {
		return Session{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return Session{}, apperr.Invalid("name", "name must be 1 to 100 characters")
	}
	hash, err := HashPassword(password, u.bcryptCost)
	if err != nil {
		return Session{}, fmt.Errorf("hash password: %w", err)
	}
	var user User
	err = u.db.Tx(ctx, db.Scope{}, func(tx pgx.Tx) error {
		row, err := queries.UserCreate(ctx, tx, dbsqlc.UserCreateParams{Email: email, Name: name, PasswordHash: hash})
		user = userFromRow(row)
		return err
	})
	if _, ok := db.IsUniqueViolation(err); ok {
		return Session{}, &apperr.Error{Code: apperr.Conflict, Field: "email", Message: "an account with this email already exists"}
	}
	if err != nil {
		return Session{}, fmt.Errorf("insert user: %w", err)
	}
	return u.session(user)
}

// Login checks an email and password and returns a session.
func (u *Users) Login(ctx context.Context, email, password string) (Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var user User
	var hash string
	err := u.db.Read(ctx, db.Scope{}, func(q db.Querier) error {
		row, err := queries.UserGetByEmail(ctx, q, email)
		user, hash = userFromRow(row), row.PasswordHash
		return err
	})
	switch {
	case db.IsNoRows(err):
		_ = bcrypt.CompareHashAndPassword(u.dummyHash, []byte(password))
		return Session{}, badLogin()
	case err != nil:
		return Session{}, err
	case !CheckPassword(hash, password):
		return Session{}, badLogin()
	}
	return u.session(user)
}

func badLogin() error {
	return apperr.New(apperr.Unauthenticated, "wrong email or password")
}

func (u *Users) session(user User) (Session, error) {
	tok, exp, err := u.tokens.Issue(user.ID)
	if err != nil {
		return Session{}, err
	}
	return Session{Token: tok, ExpiresAt: exp, User: user}, nil
}

// Get returns user id, or NOT_FOUND.
func (u *Users) Get(ctx context.Context, id uuid.UUID) (User, error) {
	var user User
	err := u.db.Read(ctx, db.Scope{}, func(q db.Querier) error {
		row, err := queries.UserGetByID(ctx, q, id)
		user = userFromRow(row)
		return db.NotFound(err, "user")
	})
	return user, err
}

var queries = dbsqlc.New()

func userFromRow(r dbsqlc.User) User {
	return User{ID: r.ID, Email: r.Email, Name: r.Name, CreatedAt: r.CreatedAt}
}

// GID is u's global id in the API.
func (u User) GID() string { return gid.Encode("User", u.ID) }
