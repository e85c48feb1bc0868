package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ordergraph/ordergraph/internal/auth"
)

// The playground page tries GraphiQL from a CDN and, when that cannot be loaded
// (no internet, CDN blocked, SRI mismatch, too slow), falls back to a small
// built-in editor that needs nothing from outside.
//
//go:embed playground.html
var playgroundHTML string

var playgroundPage = template.Must(template.New("playground").Parse(playgroundHTML))

// cdnAsset is a file loaded from the CDN with its Subresource Integrity hash.
type cdnAsset struct {
	URL string `json:"url"`
	SRI string `json:"sri"`
}

// The GraphiQL, React and ReactDOM builds (and hashes) that gqlgen v0.17.98's
// playground.Handler uses; scripts are in the order they must run.
var (
	graphiQLScripts = []cdnAsset{
		{"https://cdn.jsdelivr.net/npm/react@18.2.0/umd/react.production.min.js",
			"sha256-S0lp+k7zWUMk2ixteM6HZvu8L9Eh//OVrt+ZfbCpmgY="},
		{"https://cdn.jsdelivr.net/npm/react-dom@18.2.0/umd/react-dom.production.min.js",
			"sha256-IXWO0ITNDjfnNXIu5POVfqlgYoop36bDzhodR6LW5Pc="},
		{"https://cdn.jsdelivr.net/npm/graphiql@4.1.2/graphiql.min.js",
			"sha256-hnImuor1znlJkD/FOTL3jayfS/xsyNoP04abi8bFJWs="},
	}
	graphiQLCSS = cdnAsset{"https://cdn.jsdelivr.net/npm/graphiql@4.1.2/graphiql.min.css",
		"sha256-MEh+B2NdMSpj9kexQNN3QKc8UzMrCXW/Sx/phcpuyIU="}
)

// graphiQLTimeout is how long the page waits for the CDN before it shows the
// fallback editor (GraphiQL can still be switched to if it arrives later).
const graphiQLTimeout = 8 * time.Second

// playgroundHeaders pre-fills an empty headers editor with what our API expects.
const playgroundHeaders = "{\n" +
	`  "Authorization": "Bearer <token or API key>",` + "\n" +
	`  "` + auth.StoreHeader + `": "<store id>"` + "\n}"

// playgroundConfig is handed to the page's script as a JSON object.
type playgroundConfig struct {
	Endpoint       string     `json:"endpoint"`
	Scripts        []cdnAsset `json:"scripts"`
	CSS            cdnAsset   `json:"css"`
	DefaultHeaders string     `json:"defaultHeaders"`
	TimeoutMS      int64      `json:"timeoutMs"`
}

// inlineScriptRE finds the page's inline script (the CDN ones are added by it).
// html/template escapes every value it inserts, so "</script" cannot occur inside.
var inlineScriptRE = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// playgroundHandler serves the GraphQL playground for endpoint. The page is
// rendered once, here; it panics if the page cannot be, which is a bug.
func playgroundHandler(title, endpoint string) http.Handler {
	var buf bytes.Buffer
	err := playgroundPage.Execute(&buf, struct {
		Title    string
		Endpoint string
		Config   playgroundConfig
	}{title, endpoint, playgroundConfig{
		Endpoint:       endpoint,
		Scripts:        graphiQLScripts,
		CSS:            graphiQLCSS,
		DefaultHeaders: playgroundHeaders,
		TimeoutMS:      graphiQLTimeout.Milliseconds(),
	}})
	if err != nil {
		panic("web: rendering the playground: " + err.Error())
	}
	page := buf.Bytes()
	scripts := inlineScriptRE.FindAllSubmatch(page, -1)
	if len(scripts) != 1 {
		panic("web: the playground page must have exactly one inline script")
	}
	csp := playgroundCSP(endpoint, scripts[0][1])

	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", csp)
		_, _ = w.Write(page)
	})
}

// playgroundCSP allows exactly what the page needs: its own inline script (by
// hash, as the page never changes), the CDN's scripts and stylesheet, requests to
// the endpoint, and the data: fonts and images that GraphiQL's stylesheet embeds.
// Inline styles are allowed outright: besides the page's own <style>, GraphiQL's
// dialogs insert <style> elements at run time, which no hash can cover.
func playgroundCSP(endpoint string, inlineScript []byte) string {
	sum := sha256.Sum256(inlineScript)
	scriptHash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"

	var cdn []string
	for _, a := range slices.Concat(graphiQLScripts, []cdnAsset{graphiQLCSS}) {
		if o := origin(a.URL); !slices.Contains(cdn, o) {
			cdn = append(cdn, o)
		}
	}
	cdnHosts := strings.Join(cdn, " ")

	connect := "'self'"
	if o := origin(endpoint); o != "" {
		connect = o // an endpoint on another origin
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src " + scriptHash + " " + cdnHosts,
		"style-src 'unsafe-inline' " + cdnHosts,
		"connect-src " + connect,
		"font-src data:",
		"img-src data:",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// origin returns scheme://host of an absolute URL, "" for a relative one.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
