package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/store"
)

// DemoPassword is every demo user's password. The demo is for local use only.
const DemoPassword = "demo-password-1"

var demoUsers = []struct {
	email, name string
	role        store.Role
}{
	{"owner@demo.test", "Olivia Owner", store.RoleOwner},
	{"staff@demo.test", "Sam Staff", store.RoleStaff},
	{"viewer@demo.test", "Vic Viewer", store.RoleViewer},
}

// seed creates the demo store "demo" with an owner, a staff member and a viewer, a
// small catalog and a few orders, through the same services the API uses. Running it
// again changes nothing.
func seed(ctx context.Context, cfg *config.Config, log *slog.Logger, out io.Writer) error {
	if err := cfg.EnsureJWTSecret(); err != nil {
		return err
	}
	pool, err := db.Open(ctx, cfg.AppDatabaseURL, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	d := db.New(pool)
	users := auth.NewUsers(d, auth.NewTokens(cfg.JWTSecret, cfg.JWTTTL), cfg.BcryptCost)
	stores := store.NewService(d)

	ids := map[string]auth.User{}
	for _, u := range demoUsers {
		s, err := users.SignUp(ctx, u.email, DemoPassword, u.name)
		if errors.Is(err, apperr.ErrConflict) {
			s, err = users.Login(ctx, u.email, DemoPassword)
		}
		if err != nil {
			return fmt.Errorf("demo user %s: %w", u.email, err)
		}
		ids[u.email] = s.User
	}
	owner := ids[demoUsers[0].email]
	st, err := stores.Create(ctx, owner.ID, store.CreateParams{Name: "Demo Store", Slug: "demo", CurrencyCode: "EUR"})
	if errors.Is(err, apperr.ErrConflict) {
		st, err = findStore(ctx, stores, owner, "demo")
	}
	if err != nil {
		return fmt.Errorf("demo store: %w", err)
	}
	for _, u := range demoUsers[1:] {
		_, err := stores.AddMember(ctx, st.ID, store.RoleOwner, u.email, u.role)
		if err != nil && !errors.Is(err, apperr.ErrConflict) {
			return fmt.Errorf("demo member %s: %w", u.email, err)
		}
	}
	if err := seedCatalog(ctx, cfg, pool, d, st, out); err != nil {
		return err
	}
	log.Info("demo data ready", "store", st.Slug, "store_id", st.ID.String())
	fmt.Fprintf(out, "\nDemo store %q (X-Store-ID: %s)\n", st.Name, st.ID)
	for _, u := range demoUsers {
		fmt.Fprintf(out, "  %-7s %-18s password: %s\n", u.role, u.email, DemoPassword)
	}
	fmt.Fprintln(out)
	return nil
}

func findStore(ctx context.Context, stores *store.Service, owner auth.User, slug string) (store.Store, error) {
	ms, err := stores.ListMemberships(ctx, owner.ID)
	if err != nil {
		return store.Store{}, err
	}
	for _, m := range ms {
		if m.Store.Slug == slug {
			return m.Store, nil
		}
	}
	return store.Store{}, fmt.Errorf("slug %q is taken by a store the demo owner is not a member of", slug)
}
