// Package web is the HTTP edge: routing, request ids, structured request logs,
// metrics, body limits, panics, and authentication (which puts the principal into the
// request context, the only place the tenant travels implicitly).
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ordergraph/ordergraph/internal/apperr"
	"github.com/ordergraph/ordergraph/internal/auth"
	"github.com/ordergraph/ordergraph/internal/requestlog"
)

// Config wires the handler.
type Config struct {
	GraphQL       http.Handler
	Authenticator *auth.Authenticator
	Logger        *slog.Logger
	Registry      *prometheus.Registry
	MaxBodyBytes  int64
	// Ready reports whether the service can serve (the database answers).
	Ready func(ctx context.Context) error
	// Dashboard serves the admin UI at /; nil serves a short landing page.
	Dashboard http.Handler
}

// NewHandler returns the root HTTP handler.
func NewHandler(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/graphql", authenticate(cfg.Authenticator, cfg.GraphQL))
	mux.Handle("GET /playground", playgroundHandler("Ordergraph playground", "/graphql"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := cfg.Ready(ctx); err != nil {
			requestlog.From(r.Context(), cfg.Logger).Warn("not ready", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	if cfg.Dashboard != nil {
		mux.Handle("/", cfg.Dashboard)
	} else {
		mux.HandleFunc("GET /{$}", landing)
	}
	m := newMetrics(cfg.Registry)
	return edge(cfg, m, mux)
}

// edge wraps every request: id, logging, metrics, panic recovery and body limit.
func edge(cfg Config, m *metrics, next *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !requestIDRE.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		ip := auth.ClientIP(r)
		log := cfg.Logger.With("request_id", id)
		ctx := requestlog.With(r.Context(), id, ip, log)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if cfg.MaxBodyBytes > 0 {
			if r.ContentLength > cfg.MaxBodyBytes {
				WriteError(sw, http.StatusRequestEntityTooLarge, apperr.BadUserInput, BodyTooLargeMessage(cfg.MaxBodyBytes), id)
				m.requests.WithLabelValues(r.Method, "oversized", "413").Inc()
				return
			}
			// Bodies without a length are cut off at the limit while being read.
			r.Body = http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes)
		}
		defer func() {
			if v := recover(); v != nil {
				log.Error("panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if !sw.wrote {
					WriteError(sw, http.StatusInternalServerError, apperr.Internal, "internal error", id)
				}
			}
			d := time.Since(start)
			route := r.Pattern // set by the mux on this request while routing it
			if route == "" {
				route = "unmatched"
			}
			m.requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.status)).Inc()
			m.duration.WithLabelValues(r.Method, route).Observe(d.Seconds())
			if route != "GET /metrics" && route != "GET /healthz" {
				requestlog.From(ctx, log).LogAttrs(ctx, slog.LevelInfo, "request",
					slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.Int("status", sw.status), slog.Duration("duration", d), slog.String("ip", ip))
			}
		}()
		if h, pattern := next.Handler(r); pattern == "" {
			unrouted(sw, r, h, id)
			return
		}
		next.ServeHTTP(sw, r)
	})
}

// unrouted answers a request no route takes — the mux's 404 or 405 — in the GraphQL
// error shape with a code instead of the mux's plain text.
func unrouted(w http.ResponseWriter, r *http.Request, muxAnswer http.Handler, requestID string) {
	rec := &headerRecorder{header: http.Header{}, status: http.StatusOK}
	muxAnswer.ServeHTTP(rec, r)
	if allow := rec.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	if rec.status == http.StatusMethodNotAllowed {
		WriteError(w, rec.status, apperr.BadRequest, fmt.Sprintf("%s is not allowed on %s", r.Method, apperr.Truncate(r.URL.Path, apperr.MaxEcho)), requestID)
		return
	}
	WriteError(w, http.StatusNotFound, apperr.NotFound, fmt.Sprintf("no such endpoint: %s", apperr.Truncate(r.URL.Path, apperr.MaxEcho)), requestID)
}

// headerRecorder keeps a handler's status and headers and drops its body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) WriteHeader(status int)      { h.status = status }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }

// authenticate resolves credentials into the context. A failure does not end the
// request: operations that need no credentials (signUp, login) still work, and the
// others report the failure as a GraphQL error with its code.
func authenticate(a *auth.Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, err := a.Authenticate(r)
		if err != nil {
			ctx = auth.WithAuthError(ctx, err)
		} else if p != nil {
			ctx = auth.WithPrincipal(ctx, p)
			if p.HasStore() {
				requestlog.Annotate(ctx, "store_id", p.StoreID.String())
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// BodyTooLargeMessage is the message of a 413: the same whether the body's declared
// length was over the limit or the body was cut off at the limit while being read.
func BodyTooLargeMessage(limit int64) string {
	return fmt.Sprintf("request body is larger than %d bytes", limit)
}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, hijack).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// WriteError answers a request the GraphQL executor never saw (refused at the edge or
// by the transport) in the GraphQL error shape, so clients parse one format: the
// message, capped at apperr.MaxMessage, with the code and the request id.
func WriteError(w http.ResponseWriter, status int, code apperr.Code, msg, requestID string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{
		"message": apperr.Truncate(msg, apperr.MaxMessage), "extensions": map[string]string{"code": string(code), "requestId": requestID}}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func landing(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><title>Ordergraph</title>
<h1>Ordergraph</h1><ul>
<li><a href="/playground">GraphQL playground</a> (POST /graphql)</li>
<li><a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>, <a href="/metrics">/metrics</a></li></ul>`)
}
