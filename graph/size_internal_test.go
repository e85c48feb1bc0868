package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/ordergraph/ordergraph/graph/generated"
)

// countingServer is the GraphQL handler without a database (enough for operations
// refused before execution and for __typename), counting how often gqlparser's
// validator runs.
func countingServer(t *testing.T) (http.Handler, *atomic.Int64) {
	t.Helper()
	srv := NewServer(&Resolver{}, ServerConfig{MaxDepth: 12, MaxComplexity: 5000})
	var validations atomic.Int64
	srv.SetValidationRulesFn(func() *rules.Rules {
		validations.Add(1)
		return rules.NewDefaultRules()
	})
	return srv, &validations
}

func post(t *testing.T, h http.Handler, query string) (code string, elapsed time.Duration) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	elapsed = time.Since(start)
	var resp struct {
		Errors []struct{ Extensions map[string]any }
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp), rec.Body.String())
	if len(resp.Errors) > 0 {
		code, _ = resp.Errors[0].Extensions["code"].(string)
	}
	return code, elapsed
}

// TestLargeDocumentsAreRefusedBeforeValidation: every expensive shape, made as large as
// a request may be, is refused without gqlparser's validator running at all (so in
// time linear in the request), while the same shape at a size a client would send
// still works.
func TestLargeDocumentsAreRefusedBeforeValidation(t *testing.T) {
	h, validations := countingServer(t)
	for _, sh := range attackShapes {
		t.Run(sh.name, func(t *testing.T) {
			// As many repetitions as the token limit lets through, or just past it.
			n := 14000
			q := sh.build(n)
			before := validations.Load()
			// Structural, not timed: the validator never ran (TestRefusalIsLinear and
			// the benchmarks look at time).
			code, _ := post(t, h, q)
			assert.NotEmpty(t, code, "refused with a code")
			assert.Contains(t, []string{sizeLimitCode, "GRAPHQL_PARSE_FAILED"}, code)
			assert.Equal(t, before, validations.Load(), "the validator never ran")

			// Past the token limit the parser refuses a shape before the size check
			// runs; the largest instance the parser takes must meet the size check.
			for code == "GRAPHQL_PARSE_FAILED" && n > 1 {
				n = n * 9 / 10
				q = sh.build(n)
				code, _ = post(t, h, q)
			}
			if sh.name == "deep nesting" {
				// One node per level: as deep as the parser allows is still under the
				// node limit, and the depth rule refuses it in validation.
				assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", code, "%d levels", n)
			} else {
				assert.Equal(t, sizeLimitCode, code, "the largest instance the parser takes (%d) is refused by the size check", n)
				assert.Equal(t, before, validations.Load(), "the validator never ran")
			}

			// A small instance passes the size limit: it is validated (and may be
			// refused by validation for its own reasons, as repeated arguments are).
			small := sh.build(20)
			before = validations.Load()
			code, _ = post(t, h, small)
			assert.NotEqual(t, sizeLimitCode, code)
			if code != "GRAPHQL_PARSE_FAILED" {
				assert.Equal(t, before+1, validations.Load(), "validated")
			}
		})
	}
}

// TestRefusalIsLinear: refusing the document (__typename 14,000 times) costs
// no more per byte than refusing one just over the limit; time is measured in the same
// test on the same machine, with a wide margin for a noisy host.
func TestRefusalIsLinear(t *testing.T) {
	h, _ := countingServer(t)
	shape := attackShapes[0].build
	small, big := shape(DefaultMaxNodes/10), shape(14000)
	ts, tb := bestOf(t, h, small), bestOf(t, h, big)
	ratio := float64(len(big)) / float64(len(small))
	t.Logf("small %d bytes %v, big %d bytes %v", len(small), ts, len(big), tb)
	assert.Less(t, float64(tb), 4*ratio*float64(ts)+float64(20*time.Millisecond), "refusal time grows linearly")
}

func bestOf(t *testing.T, h http.Handler, q string) time.Duration {
	best := time.Hour
	for range 5 {
		code, d := post(t, h, q)
		require.Equal(t, sizeLimitCode, code)
		best = min(best, d)
	}
	return best
}

// TestAcceptedDocumentsValidateQuickly: at the limits, every shape is still cheap to
// validate — the merge cost bounds the quadratic rule.
func TestAcceptedDocumentsValidateQuickly(t *testing.T) {
	h, validations := countingServer(t)
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}, Directives: Directives()}).Schema()
	for _, sh := range attackShapes {
		// The largest size this shape may have.
		lo, hi := 1, 14000
		for lo < hi {
			mid := (lo + hi + 1) / 2
			doc, err := parser.ParseQuery(&ast.Source{Input: sh.build(mid)})
			ok := err == nil
			if ok {
				n, cycle := documentSize(doc, DefaultMaxNodes)
				ok = cycle == "" && n <= DefaultMaxNodes && mergeCost(doc, DefaultMaxMergeCost) <= DefaultMaxMergeCost
			}
			if ok {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		q := sh.build(lo)
		before := validations.Load()
		code, _ := post(t, h, q)
		assert.NotEqual(t, sizeLimitCode, code, sh.name)
		if code != "GRAPHQL_PARSE_FAILED" {
			assert.Equal(t, before+1, validations.Load(), sh.name)
		}
		// Validation alone (what the limits bound; executing 2,000 fields is another
		// matter), the best of three runs on this shared machine.
		best := time.Hour
		for range 3 {
			doc, err := parser.ParseQuery(&ast.Source{Input: q})
			require.NoError(t, err)
			start := time.Now()
			validator.ValidateWithRules(schema, doc, rules.NewDefaultRules())
			best = min(best, time.Since(start))
		}
		t.Logf("%-32s largest accepted n=%5d (%6d bytes): validated in %v, code %q", sh.name, lo, len(q), best, code)
		// Generous for a loaded machine and the race detector: the quadratic case
		// this guards against took seconds.
		assert.Less(t, best, time.Second, sh.name)
	}
}

func TestDocumentSizeCountsExpandedFragments(t *testing.T) {
	doc, err := parser.ParseQuery(&ast.Source{Input: attackShapes[7].build(14000)})
	require.NoError(t, err)
	n, cycle := documentSize(doc, 1000)
	assert.Empty(t, cycle)
	assert.Equal(t, 1001, n, "2^40 fields saturate the count")

	doc, err = parser.ParseQuery(&ast.Source{Input: `{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A }`})
	require.NoError(t, err)
	_, cycle = documentSize(doc, 1000)
	assert.NotEmpty(t, cycle)

	for q, want := range map[string]int{
		`{ __typename }`:                                   2,
		`{ a: __typename b: __typename }`:                  3,
		`{ me(x: [1, 2]) { id } }`:                         7, // op, me, arg, list, 2 items, id
		`{ ...F ...F } fragment F on Query { __typename }`: 1 + 2*2 + 2,
	} {
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		require.NoError(t, err)
		n, _ := documentSize(doc, 1000)
		assert.Equal(t, want, n, q)
	}
}
