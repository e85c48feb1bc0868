package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordergraph/ordergraph/internal/config"
)

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

func TestHTTPEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.MaxBodyBytes = 2048 })

	res, body := get(t, e.srv.URL+"/healthz")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.JSONEq(t, `{"status":"ok"}`, body)
	res, body = get(t, e.srv.URL+"/readyz")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, body, `"database":"ok"`)

	res, body = get(t, e.srv.URL+"/playground")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, body, "/graphql")

	// Request ids are echoed, or made up when missing or malformed.
	res, _ = get(t, e.srv.URL+"/healthz", "X-Request-ID", "my-request-0001")
	assert.Equal(t, "my-request-0001", res.Header.Get("X-Request-ID"))
	res, _ = get(t, e.srv.URL+"/healthz", "X-Request-ID", "bad id <script>")
	assert.Len(t, res.Header.Get("X-Request-ID"), 24)

	e.do(t, creds{}, `{ __typename }`, nil)
	_, body = get(t, e.srv.URL+"/metrics")
	assert.Contains(t, body, `http_requests_total{method="GET",route="GET /healthz",status="200"}`)
	assert.Contains(t, body, `graphql_operations_total{field="__typename",outcome="ok",type="query"}`)
	assert.Contains(t, body, "graphql_operation_duration_seconds_bucket")

	// Bodies over the limit are refused, not read.
	big := `{"query":"{ __typename }","variables":{"x":"` + strings.Repeat("a", 4096) + `"}}`
	res, err := http.Post(e.srv.URL+"/graphql", "application/json", strings.NewReader(big))
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	assert.Contains(t, string(b), "BAD_USER_INPUT")
	// Without a Content-Length the body is cut off while it is read.
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", io.MultiReader(strings.NewReader(big)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	assert.Contains(t, string(b), "request body is larger than 2048 bytes")

	// Malformed JSON is a clear client error.
	r, err := http.Post(e.srv.URL+"/graphql", "application/json", strings.NewReader(`{"query": `))
	require.NoError(t, err)
	b, _ = io.ReadAll(r.Body)
	r.Body.Close()
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, string(b), "errors")

	// An operation that does not parse is 422 with application/json, 400 with
	// application/graphql-response+json, each in the media type asked for.
	for accept, status := range map[string]int{"application/json": http.StatusUnprocessableEntity,
		"application/graphql-response+json": http.StatusBadRequest} {
		req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", strings.NewReader(`{"query": "{ orders("}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", accept)
		r, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		assert.Equal(t, status, r.StatusCode, accept)
		assert.Equal(t, accept, r.Header.Get("Content-Type"))
		assert.Contains(t, string(b), "GRAPHQL_PARSE_FAILED")
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAccessLog: every request is logged as JSON with its id, and with its store once
// authentication has found it.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	e := newEnv(t, io.Writer(logs))
	_, c := e.owner(t)
	e.ok(t, c, nil, `{ store { id } }`, nil)
	storeID := c.StoreID[strings.LastIndexByte(c.StoreID, '/')+1:]
	var found bool
	for _, line := range strings.Split(logs.String(), "\n") {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) != nil || entry["msg"] != "request" || entry["store_id"] != storeID {
			continue
		}
		found = true
		assert.NotEmpty(t, entry["request_id"])
		assert.Equal(t, "/graphql", entry["path"])
		assert.EqualValues(t, 200, entry["status"])
	}
	assert.True(t, found, "no access-log line with store_id %s in:\n%s", storeID, logs.String())
}
