// Package dbtest gives test packages real PostgreSQL databases of their own.
//
// The first package to need one builds a template database, migrated once per set of
// migrations (its name carries their hash); every test binary then clones it with
// CREATE DATABASE ... TEMPLATE, which takes milliseconds, so packages run in parallel
// without sharing state. DATABASE_URL must name the local cluster's owner role, as
// `make test` sets it.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/migrations"
)

// Database is a test binary's own database.
type Database struct {
	Name string
	// OwnerURL connects as the schema owner; AppURL as the RLS-bound app role.
	OwnerURL, AppURL string
}

var (
	mu     sync.Mutex
	shared *Database
)

// Main creates the package's database, runs the tests, and drops it. Use it from
// TestMain: os.Exit(dbtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		if err := drop(shared.Name); err != nil {
			fmt.Fprintln(os.Stderr, "dbtest: drop:", err)
		}
	}
	return code
}

// Get returns the package's database, creating it on first use.
func Get(t testing.TB) *Database {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		return shared
	}
	d, err := create()
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	shared = d
	return d
}

// Own returns a database of the test's own, dropped when it ends: for tests that run
// something working on everything in its database, such as a River client working
// every available job, in parallel with the package's other tests.
func Own(t testing.TB) *Database {
	t.Helper()
	d, err := create()
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		if err := drop(d.Name); err != nil {
			t.Logf("dbtest: drop %s: %v", d.Name, err)
		}
	})
	return d
}

// Pool returns a pool on d connected as the app role, closed when the test ends.
func (d *Database) Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return pool(t, d.AppURL)
}

// AppPool returns a pool on the package's database connected as the app role.
func AppPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return pool(t, Get(t).AppURL)
}

// OwnerPool returns a pool on the package's database connected as the owner.
func OwnerPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return pool(t, Get(t).OwnerURL)
}

func pool(t testing.TB, url string) *pgxpool.Pool {
	p, err := db.Open(context.Background(), url, 8)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

func baseURL() (*url.URL, error) {
	s := os.Getenv("DATABASE_URL")
	if s == "" {
		return nil, fmt.Errorf("DATABASE_URL is not set: run the tests with `make test`, which starts the local database")
	}
	return url.Parse(s)
}

func withDB(u *url.URL, name string) string {
	c := *u
	c.Path = "/" + name
	return c.String()
}

func create() (*Database, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base, err := baseURL()
	if err != nil {
		return nil, err
	}
	tmpl, err := ensureTemplate(ctx, base)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, base.String())
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "og_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl)); err != nil {
		return nil, fmt.Errorf("clone template: %w", err)
	}
	owner := withDB(base, name)
	app, err := config.AppURL(owner, db.AppRole)
	if err != nil {
		return nil, err
	}
	return &Database{Name: name, OwnerURL: owner, AppURL: app}, nil
}

// ensureTemplate returns the name of the migrated template, building it if this set of
// migrations has none yet. An advisory lock serialises parallel test binaries.
func ensureTemplate(ctx context.Context, base *url.URL) (string, error) {
	name := "og_template_" + migrationsHash()[:12]
	conn, err := pgx.Connect(ctx, base.String())
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", base.Redacted(), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(74031)"); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock(74031)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	p, err := db.Open(ctx, withDB(base, building), 2)
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx, p, slog.New(slog.DiscardHandler))
	p.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, name)); err != nil {
		return "", err
	}
	return name, nil
}

func migrationsHash() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrations.FS.ReadFile(path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))
}

func drop(name string) error {
	base, err := baseURL()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base.String())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	return err
}
