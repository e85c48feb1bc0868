// Package requestlog carries a request's id and a logger annotated with it (and the
// store id, once known) through the context, so every log line of a request can be
// found by its id.
package requestlog

import (
	"context"
	"log/slog"
	"sync"
)

type ctxKey struct{}

// entry is shared by the whole request: authentication annotates its logger deep in
// the handler chain, and the edge's access-log line, written last, sees it.
type entry struct {
	id string
	ip string

	mu  sync.Mutex
	log *slog.Logger
}

// With returns ctx carrying the request id, the client's IP and the request's logger.
func With(ctx context.Context, id, clientIP string, log *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, &entry{id: id, ip: clientIP, log: log})
}

// Annotate adds attributes (such as the store id) to every later log line of the
// request, the access-log line included.
func Annotate(ctx context.Context, args ...any) {
	if e, ok := ctx.Value(ctxKey{}).(*entry); ok {
		e.mu.Lock()
		e.log = e.log.With(args...)
		e.mu.Unlock()
	}
}

// ClientIP returns the request's client IP, or "".
func ClientIP(ctx context.Context) string {
	if e, ok := ctx.Value(ctxKey{}).(*entry); ok {
		return e.ip
	}
	return ""
}

// From returns the request's logger, or fallback outside a request.
func From(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if e, ok := ctx.Value(ctxKey{}).(*entry); ok {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.log
	}
	if fallback == nil {
		return slog.Default()
	}
	return fallback
}

// ID returns the request id, or "".
func ID(ctx context.Context) string {
	if e, ok := ctx.Value(ctxKey{}).(*entry); ok {
		return e.id
	}
	return ""
}
