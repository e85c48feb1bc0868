// Package config reads Ordergraph's settings from environment variables. Every setting
// has a safe default for local use; production mode (APP_ENV=production) requires the
// secrets and turns off developer conveniences such as introspection.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultDBMaxConns is the default size of the connection pool, which the API and the
// job workers share; reads use at most half of it at once (db.New).
const DefaultDBMaxConns = 16

// Config is the process configuration.
type Config struct {
	Production bool
	// DatabaseURL connects as the schema owner; migrations run with it.
	DatabaseURL string
	// AppDatabaseURL connects as the app role that RLS binds; the server uses it.
	AppDatabaseURL string
	DBMaxConns     int32

	HTTPAddr string
	// PprofAddr, when set, serves net/http/pprof there (keep it on loopback).
	PprofAddr    string
	LogLevel     string
	MaxBodyBytes int64

	JWTSecret []byte
	JWTTTL    time.Duration

	BcryptCost           int
	LoginRatePerMinute   int
	APIKeyFailuresPerMin int

	// ServeWorkers makes `serve` run the job workers too (set false for API-only
	// replicas and scale workers with `ordergraph worker`).
	ServeWorkers bool
	// MaxWorkers is how many jobs one process works at once.
	MaxWorkers int
	// PaymentRetryBudget bounds how long a payment keeps retrying transient gateway
	// failures before the order is compensated; PaymentRetryBase is the first wait.
	PaymentRetryBudget time.Duration
	PaymentRetryBase   time.Duration
	// FulfillmentStepDelay is the time between two fulfillment steps.
	FulfillmentStepDelay time.Duration
	// PaymentBreakerOpenFor is how long the gateway's circuit breaker stays open after
	// transient failures in a row before it lets a probe through.
	PaymentBreakerOpenFor time.Duration
	// JobRescueAfter is how long a running job may go without finishing before River
	// runs it again elsewhere (its process is presumed dead).
	JobRescueAfter time.Duration

	Introspection bool
	MaxQueryDepth int
	MaxComplexity int
	DataDir       string
	AppRole       string
}

// Load reads the environment.
func Load() (*Config, error) {
	c := &Config{
		Production:            env("APP_ENV", "development") == "production",
		DatabaseURL:           os.Getenv("DATABASE_URL"),
		AppDatabaseURL:        os.Getenv("APP_DATABASE_URL"),
		HTTPAddr:              env("HTTP_ADDR", "127.0.0.1:8080"),
		PprofAddr:             os.Getenv("PPROF_ADDR"),
		LogLevel:              env("LOG_LEVEL", "info"),
		DataDir:               env("DATA_DIR", ".data"),
		AppRole:               "ordergraph_app",
		JWTTTL:                24 * time.Hour,
		MaxQueryDepth:         12,
		MaxComplexity:         5000,
		BcryptCost:            12,
		LoginRatePerMinute:    10,
		APIKeyFailuresPerMin:  20,
		MaxBodyBytes:          1 << 20,
		DBMaxConns:            DefaultDBMaxConns,
		ServeWorkers:          true,
		MaxWorkers:            10,
		PaymentRetryBudget:    time.Hour,
		PaymentRetryBase:      time.Second,
		FulfillmentStepDelay:  5 * time.Second,
		PaymentBreakerOpenFor: 30 * time.Second,
		JobRescueAfter:        5 * time.Minute,
	}
	var errs []error
	intVar := func(name string, dst *int) {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				errs = append(errs, fmt.Errorf("%s: want a non-negative integer, got %q", name, v))
				return
			}
			*dst = n
		}
	}
	intVar("GRAPHQL_MAX_DEPTH", &c.MaxQueryDepth)
	intVar("GRAPHQL_MAX_COMPLEXITY", &c.MaxComplexity)
	intVar("BCRYPT_COST", &c.BcryptCost)
	intVar("RATE_LIMIT_LOGIN_PER_MIN", &c.LoginRatePerMinute)
	intVar("RATE_LIMIT_API_KEY_FAILURES_PER_MIN", &c.APIKeyFailuresPerMin)
	var maxBody, maxConns int
	maxBody, maxConns = int(c.MaxBodyBytes), int(c.DBMaxConns)
	intVar("MAX_BODY_BYTES", &maxBody)
	intVar("DB_MAX_CONNS", &maxConns)
	c.MaxBodyBytes, c.DBMaxConns = int64(maxBody), int32(maxConns)
	intVar("MAX_WORKERS", &c.MaxWorkers)
	durationVar := func(name string, dst *time.Duration, min time.Duration) {
		if v := os.Getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < min {
				errs = append(errs, fmt.Errorf("%s: want a duration of at least %s such as 30s, got %q", name, min, v))
				return
			}
			*dst = d
		}
	}
	durationVar("JWT_TTL", &c.JWTTTL, time.Second)
	durationVar("PAYMENT_RETRY_BUDGET", &c.PaymentRetryBudget, time.Second)
	durationVar("PAYMENT_RETRY_BASE", &c.PaymentRetryBase, time.Millisecond)
	durationVar("FULFILLMENT_STEP_DELAY", &c.FulfillmentStepDelay, 0)
	durationVar("JOB_RESCUE_AFTER", &c.JobRescueAfter, time.Second)
	durationVar("PAYMENT_BREAKER_OPEN_FOR", &c.PaymentBreakerOpenFor, 100*time.Millisecond)
	if c.PaymentRetryBudget > 12*time.Hour {
		errs = append(errs, errors.New("PAYMENT_RETRY_BUDGET: at most 12h, well inside the gateway's 24 h idempotency window"))
	}
	boolVar := func(name string, dst *bool) {
		if v := os.Getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: want true or false, got %q", name, v))
			}
			*dst = b
		}
	}
	boolVar("SERVE_WORKERS", &c.ServeWorkers)
	c.Introspection = !c.Production
	boolVar("GRAPHQL_INTROSPECTION", &c.Introspection)
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is not set (make run sets it for the local database)"))
	} else if c.AppDatabaseURL == "" {
		u, err := AppURL(c.DatabaseURL, c.AppRole)
		if err != nil {
			errs = append(errs, err)
		}
		c.AppDatabaseURL = u
	}
	if s := os.Getenv("JWT_SECRET"); s != "" {
		if len(s) < 32 {
			errs = append(errs, errors.New("JWT_SECRET: must be at least 32 characters"))
		}
		c.JWTSecret = []byte(s)
	} else if c.Production {
		errs = append(errs, errors.New("JWT_SECRET is required when APP_ENV=production"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// EnsureJWTSecret generates a development JWT secret under DataDir the first time and
// reuses it afterwards, so tokens survive restarts.
func (c *Config) EnsureJWTSecret() error {
	if len(c.JWTSecret) > 0 {
		return nil
	}
	path := filepath.Join(c.DataDir, "jwt-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		c.JWTSecret = []byte(strings.TrimSpace(string(b)))
		return nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return err
	}
	secret := hex.EncodeToString(buf)
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", c.DataDir, err)
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	c.JWTSecret = []byte(secret)
	return nil
}

// AppURL derives the app role's URL from the owner's: same host and database, the
// app role as user, no password (local clusters trust loopback; elsewhere set
// APP_DATABASE_URL).
func AppURL(ownerURL, role string) (string, error) {
	u, err := url.Parse(ownerURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("DATABASE_URL: want postgres://user@host:port/db, got %q", redact(ownerURL))
	}
	u.User = url.User(role)
	return u.String(), nil
}

func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = url.User(u.User.Username())
		return u.String()
	}
	return "<unparseable>"
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
