package graph_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/config"
)

// send makes one HTTP request and decodes the GraphQL error shape of its answer.
func send(t *testing.T, method, url, contentType string, body io.Reader, header ...string) (int, gqlResponse, http.Header, int) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out gqlResponse
	if method != http.MethodHead {
		require.NoError(t, json.Unmarshal(raw, &out), "%s %s: %s", method, contentType, raw)
	}
	return res.StatusCode, out, res.Header, len(raw)
}

// TestTransportErrorsHaveCodes: every error the HTTP layer writes itself has a code and
// a request id.
func TestTransportErrorsHaveCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gql := e.srv.URL + "/graphql"
	query := `{"query":"{ __typename }"}`
	for _, tc := range []struct {
		name, method, contentType, body string
		status                          int
		code                            string
	}{
		{"text/plain", "POST", "text/plain", query, 400, "BAD_REQUEST"},
		{"form", "POST", "application/x-www-form-urlencoded", "query=%7B__typename%7D", 400, "BAD_REQUEST"},
		{"multipart", "POST", "multipart/form-data; boundary=x", "--x\r\n\r\n--x--", 400, "BAD_REQUEST"},
		{"no content type", "POST", "", query, 400, "BAD_REQUEST"},
		{"PUT", "PUT", "application/json", query, 400, "BAD_REQUEST"},
		{"DELETE", "DELETE", "", "", 400, "BAD_REQUEST"},
		{"PATCH", "PATCH", "application/json", query, 400, "BAD_REQUEST"},
		{"malformed JSON", "POST", "application/json", `{"query": `, 400, "BAD_REQUEST"},
		{"JSON of the wrong shape", "POST", "application/json", `["{ __typename }"]`, 400, "BAD_REQUEST"},
	} {
		status, r, _, _ := send(t, tc.method, gql, tc.contentType, strings.NewReader(tc.body))
		assert.Equal(t, tc.status, status, tc.name)
		assert.Equal(t, tc.code, r.code(), tc.name)
		if assert.NotEmpty(t, r.Errors, tc.name) {
			assert.NotEmpty(t, r.Errors[0].Extensions["requestId"], tc.name)
		}
	}

	// A mutation by GET is 405 with a code; a query by GET still works.
	status, r, h, _ := send(t, "GET", gql+"?"+url.Values{"query": {`mutation { login(email: "a@b.c", password: "x") { token } }`}}.Encode(), "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, status)
	assert.Equal(t, "BAD_REQUEST", r.code())
	assert.Equal(t, "POST", h.Get("Allow"))
	status, r, _, _ = send(t, "GET", gql+"?"+url.Values{"query": {`{ __typename }`}}.Encode(), "", nil)
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"__typename":"Query"}`, string(r.Data))
	status, r, _, _ = send(t, "GET", gql+"?"+url.Values{"query": {`{ __typename }`}, "variables": {`[`}}.Encode(), "", nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "BAD_REQUEST", r.code())

	// Routes that do not exist, or not for this method.
	status, r, _, _ = send(t, "GET", e.srv.URL+"/no-such-thing", "", nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "NOT_FOUND", r.code())
	status, r, h, _ = send(t, "POST", e.srv.URL+"/healthz", "application/json", strings.NewReader("{}"))
	assert.Equal(t, http.StatusMethodNotAllowed, status)
	assert.Equal(t, "BAD_REQUEST", r.code())
	assert.Contains(t, h.Get("Allow"), "GET")
}

// TestOversizedBodiesAgree: a body over the limit is 413 with the same code and
// message whether it declares its length or is sent chunked and cut off while read.
func TestOversizedBodiesAgree(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.MaxBodyBytes = 2048 })
	big := `{"query":"{ __typename }","variables":{"x":"` + strings.Repeat("a", 4096) + `"}}`
	s1, r1, _, _ := send(t, "POST", e.srv.URL+"/graphql", "application/json", strings.NewReader(big))
	s2, r2, _, _ := send(t, "POST", e.srv.URL+"/graphql", "application/json", io.MultiReader(strings.NewReader(big)))
	assert.Equal(t, http.StatusRequestEntityTooLarge, s1)
	assert.Equal(t, http.StatusRequestEntityTooLarge, s2, "chunked")
	assert.Equal(t, "BAD_USER_INPUT", r1.code())
	assert.Equal(t, r1.code(), r2.code())
	require.NotEmpty(t, r2.Errors)
	assert.Equal(t, r1.Errors[0].Message, r2.Errors[0].Message)
	assert.NotEmpty(t, r2.Errors[0].Extensions["requestId"])
}

// TestErrorsDoNotEchoLargeInput: error messages repeat at most a short prefix of what
// the client sent.
func TestErrorsDoNotEchoLargeInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	huge := strings.Repeat("x", 40_000)
	_, r, _, n := send(t, "POST", e.srv.URL+"/graphql", "application/json", strings.NewReader(`{"query": "`+huge))
	assert.Equal(t, "BAD_REQUEST", r.code())
	assert.Less(t, n, 2000, "invalid JSON body")

	_, r, _, n = send(t, "POST", e.srv.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{ store { id } }"}`),
		"Authorization", "Bearer whatever", "X-Store-ID", strings.Repeat("s", 100_000))
	assert.Equal(t, "X-Store-ID", r.field())
	assert.Less(t, n, 2000, "X-Store-ID")

	_, owner := e.owner(t)
	for name, q := range map[string]string{
		"email":     `mutation($e: String!) { signUp(email: $e, password: "correct-horse-1", name: "A") { token } }`,
		"node id":   `query($e: ID!) { node(id: $e) { id } }`,
		"date-time": `query($e: DateTime) { orders(filter: {createdFrom: $e}) { totalCount } }`,
		"member":    `mutation($e: String!) { addMember(email: $e, role: STAFF) { role } }`,
	} {
		r := e.do(t, owner, q, map[string]any{"e": huge + "@example.com"})
		require.NotEmpty(t, r.Errors, name)
		assert.Equal(t, "BAD_USER_INPUT", r.code(), name)
		raw, _ := json.Marshal(r.Errors)
		assert.Less(t, len(raw), 2000, name)
	}
	r = e.do(t, owner, `mutation($in: CreateOrderInput!) { createOrder(input: $in) { id } }`,
		map[string]any{"in": orderInput("echo", line("X", 1), map[string]any{"sku": huge, "quantity": 1})})
	require.NotEmpty(t, r.Errors)
	raw, _ := json.Marshal(r.Errors)
	assert.Less(t, len(raw), 2000, "sku")
}

// TestPersistedQueryNotFound: an unknown automatic-persisted-query hash answers
// Apollo's PERSISTED_QUERY_NOT_FOUND, so the client sends the query with its hash.
func TestPersistedQueryNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := `{ __typename }`
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	post := func(body map[string]any) gqlResponse {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		_, r, _, _ := send(t, "POST", e.srv.URL+"/graphql", "application/json", strings.NewReader(string(b)))
		return r
	}
	r := post(map[string]any{"extensions": ext})
	assert.Equal(t, "PERSISTED_QUERY_NOT_FOUND", r.code())
	r = post(map[string]any{"query": q, "extensions": ext})
	assert.Empty(t, r.Errors)
	r = post(map[string]any{"extensions": ext})
	assert.Empty(t, r.Errors)
	assert.JSONEq(t, `{"__typename":"Query"}`, string(r.Data))
}
