package web

import (
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func getPlayground(t *testing.T, h http.Handler) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/playground", nil))
	return rec.Result(), rec.Body.String()
}

func TestPlaygroundPage(t *testing.T) {
	t.Parallel()
	res, body := getPlayground(t, playgroundHandler("Ordergraph playground", "/graphql"))

	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Contains(t, body, "<title>Ordergraph playground</title>")
	assert.Contains(t, body, `"endpoint":"/graphql"`)
	assert.Contains(t, body, "POST /graphql")

	// GraphiQL from the CDN, pinned with SRI, and headers pre-filled for our auth.
	for _, a := range slices.Concat(graphiQLScripts, []cdnAsset{graphiQLCSS}) {
		assert.Contains(t, body, `"url":"`+a.URL+`","sri":"`+a.SRI+`"`)
	}
	assert.Contains(t, body, `\"Authorization\": \"Bearer \u003ctoken or API key\u003e\"`)
	assert.Contains(t, body, `\"X-Store-ID\": \"\u003cstore id\u003e\"`)

	// The offline fallback editor.
	for _, el := range []string{
		`<main id="fallback" hidden>`, `<textarea id="query"`, `<textarea id="variables"`,
		`<textarea id="headers"`, `<button id="run"`, `<pre id="result"`,
		"could not be loaded",
	} {
		assert.Contains(t, body, el)
	}
}

func TestPlaygroundCSP(t *testing.T) {
	t.Parallel()
	res, body := getPlayground(t, playgroundHandler("Ordergraph playground", "/graphql"))
	csp := res.Header.Get("Content-Security-Policy")

	// The one inline script is allowed by its hash, and nothing else inline.
	_, script, ok := strings.Cut(body, "<script>")
	require.True(t, ok)
	script, _, ok = strings.Cut(script, "</script>")
	require.True(t, ok)
	sum := sha256.Sum256([]byte(script))
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	assert.Equal(t, "default-src 'none'; "+
		"script-src "+hash+" https://cdn.jsdelivr.net; "+
		"style-src 'unsafe-inline' https://cdn.jsdelivr.net; "+
		"connect-src 'self'; font-src data:; img-src data:; "+
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'", csp)
	assert.NotContains(t, script, "unsafe")
	assert.Equal(t, 1, strings.Count(body, "<script"), "CDN scripts are added by the inline one")

	// An endpoint on another origin is the one place requests may go.
	res, _ = getPlayground(t, playgroundHandler("x", "https://api.example.com/graphql"))
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "; connect-src https://api.example.com;")
}

func TestPlaygroundEscapes(t *testing.T) {
	t.Parallel()
	_, body := getPlayground(t, playgroundHandler(`<b>"T"</b>`, `/q"</script><script>alert(1)//`))
	assert.NotContains(t, body, "<b>")
	assert.NotContains(t, body, "</script><script>")
	assert.Equal(t, 1, strings.Count(body, "<script"))
	assert.Contains(t, body, "<title>&lt;b&gt;&#34;T&#34;&lt;/b&gt;</title>")
	assert.Contains(t, body, `"endpoint":"/q\"\u003c/script\u003e\u003cscript\u003ealert(1)//"`)
}

func TestPlaygroundRoute(t *testing.T) {
	t.Parallel()
	h := NewHandler(Config{
		Logger:   slog.New(slog.DiscardHandler),
		Registry: prometheus.NewRegistry(),
	})
	res, body := getPlayground(t, h)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotEmpty(t, res.Header.Get("Content-Security-Policy"))
	assert.Contains(t, body, `id="fallback"`)
}
