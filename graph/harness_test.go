package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/cmd/ordergraph/app"
	"github.com/ordergraph/ordergraph/internal/config"
	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// testSecret signs the tests' tokens; tests forge tokens with it.
var testSecret = []byte("test-secret-test-secret-test-secret-0123")

// env is a running API server over real HTTP on the package's database.
type env struct {
	srv  *httptest.Server
	cfg  *config.Config
	pool *pgxpool.Pool
}

// newEnv starts a server. opts are func(*config.Config) to adjust its configuration,
// a pgx.QueryTracer to watch its SQL, an io.Writer to receive its JSON logs, or a
// graphql.HandlerExtension to add to the GraphQL server.
func newEnv(t testing.TB, opts ...any) *env {
	t.Helper()
	d := dbtest.Get(t)
	cfg := &config.Config{
		DatabaseURL: d.OwnerURL, AppDatabaseURL: d.AppURL, AppRole: db.AppRole,
		JWTSecret: testSecret, JWTTTL: time.Hour, BcryptCost: 4,
		LoginRatePerMinute: 0, APIKeyFailuresPerMin: 0,
		Introspection: true, MaxQueryDepth: 12, MaxComplexity: 5000,
		MaxBodyBytes: 1 << 20, DBMaxConns: 8,
	}
	var logTo io.Writer = io.Discard
	var exts []graphql.HandlerExtension
	poolCfg, err := db.PoolConfig(d.AppURL, 0)
	require.NoError(t, err)
	for _, o := range opts {
		switch o := o.(type) {
		case func(*config.Config):
			o(cfg)
		case pgx.QueryTracer:
			poolCfg.ConnConfig.Tracer = o
		case io.Writer:
			logTo = o
		case graphql.HandlerExtension:
			exts = append(exts, o)
		default:
			t.Fatalf("newEnv: unknown option %T", o)
		}
	}
	poolCfg.MaxConns = cfg.DBMaxConns
	pool, err := db.OpenConfig(context.Background(), poolCfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	log := slog.New(slog.NewJSONHandler(logTo, nil))
	inserter, err := app.NewInsertClient(pool, log)
	require.NoError(t, err)
	srv := httptest.NewServer(app.NewHandler(app.Params{Config: cfg, Pool: pool, Logger: log, Jobs: inserter,
		GraphQLExtensions: exts}))
	t.Cleanup(srv.Close)
	return &env{srv: srv, cfg: cfg, pool: pool}
}

// creds are what a request authenticates with.
type creds struct {
	Bearer  string
	StoreID string
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Status int             `json:"-"`
}

// code is the first error's extensions.code, or "".
func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func (r gqlResponse) field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

// do posts one GraphQL operation.
func (e *env) do(t testing.TB, c creds, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if c.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.Bearer)
	}
	if c.StoreID != "" {
		req.Header.Set("X-Store-ID", c.StoreID)
	}
	res, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out gqlResponse
	require.NoError(t, json.Unmarshal(raw, &out), "response: %s", raw)
	out.Status = res.StatusCode
	return out
}

// ok runs an operation that must succeed and decodes its data into dst.
func (e *env) ok(t testing.TB, c creds, dst any, query string, vars map[string]any) {
	t.Helper()
	r := e.do(t, c, query, vars)
	require.Empty(t, r.Errors, "operation failed: %s", query)
	if dst != nil {
		require.NoError(t, json.Unmarshal(r.Data, dst))
	}
}

var seq atomic.Int64

// unique returns a string unique within the test run.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, seq.Add(1))
}

type account struct {
	Email, Token, UserID string
}

func (e *env) signUp(t testing.TB) account {
	t.Helper()
	email := unique("user") + "@example.com"
	var out struct {
		SignUp struct {
			Token string
			User  struct{ ID string }
		}
	}
	e.ok(t, creds{}, &out, `mutation($e: String!) { signUp(email: $e, password: "correct-horse-1", name: "Test User") { token user { id } } }`,
		map[string]any{"e": email})
	return account{Email: email, Token: out.SignUp.Token, UserID: out.SignUp.User.ID}
}

// newStore creates a store owned by a; it returns the store's id.
func (e *env) newStore(t testing.TB, a account) string {
	t.Helper()
	var out struct{ CreateStore struct{ ID string } }
	e.ok(t, creds{Bearer: a.Token}, &out, `mutation($s: String!) { createStore(name: "Shop", slug: $s, currencyCode: "EUR") { id } }`,
		map[string]any{"s": unique("shop")})
	return out.CreateStore.ID
}

// owner returns a new user with a new store, as credentials for that store.
func (e *env) owner(t testing.TB) (account, creds) {
	a := e.signUp(t)
	return a, creds{Bearer: a.Token, StoreID: e.newStore(t, a)}
}

// apiKey creates an API key with role in the store of c and returns its secret.
func (e *env) apiKey(t testing.TB, c creds, role string) (id, secret string) {
	t.Helper()
	var out struct {
		CreateApiKey struct {
			Secret string
			ApiKey struct{ ID string }
		}
	}
	e.ok(t, c, &out, `mutation($r: Role!) { createApiKey(name: "backend", role: $r) { secret apiKey { id } } }`,
		map[string]any{"r": role})
	return out.CreateApiKey.ApiKey.ID, out.CreateApiKey.Secret
}

type product struct {
	ID, SKU                                    string
	StockOnHand, StockReserved, StockAvailable int
	Price                                      struct{ Amount, CurrencyCode string }
}

// newProduct creates a product in the store of c.
func (e *env) newProduct(t testing.TB, c creds, sku, price string, stock int) product {
	t.Helper()
	var out struct{ CreateProduct product }
	e.ok(t, c, &out, `mutation($in: CreateProductInput!) { createProduct(input: $in) {
		id sku stockOnHand stockReserved stockAvailable price { amount currencyCode } } }`,
		map[string]any{"in": map[string]any{"sku": sku, "name": "Product " + sku, "price": price, "stockOnHand": stock, "lowStockThreshold": 2}})
	return out.CreateProduct
}

// orderInput is a valid createOrder input for the given lines.
func orderInput(key string, lines ...map[string]any) map[string]any {
	ls := make([]any, len(lines))
	for i, l := range lines {
		ls[i] = l
	}
	return map[string]any{
		"idempotencyKey": key,
		"customer":       map[string]any{"email": "ada@example.com", "name": "Ada Lovelace"},
		"lines":          ls,
		"shippingAddress": map[string]any{"line1": "1 Analytical Way", "city": "London", "postalCode": "N1 9GU",
			"countryCode": "GB"},
	}
}

const createOrder = `mutation($in: CreateOrderInput!) { createOrder(input: $in) {
	id number status total { amount currencyCode } subtotal { amount }
	customer { id email name } lines { lineNumber sku quantity unitPrice { amount } total { amount } product { id } }
	events { type message } } }`

type placedOrder struct {
	ID, Status string
	Number     int
	Total      struct{ Amount, CurrencyCode string }
	Customer   struct{ ID, Email string }
	Lines      []struct {
		LineNumber, Quantity int
		SKU                  string
		Total                struct{ Amount string }
	}
	Events []struct{ Type, Message string }
}
