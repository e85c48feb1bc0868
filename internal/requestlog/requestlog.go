// Package requestlog carries a request's id and a logger annotated with it (and the
// store id, once known) through the context, so every log line of a request can be
// found by its id.
package requestlog

import (
	"context"
	"log/slog"
)

type ctxKey struct{}

type entry struct {
	id  string
	ip  string
	log *slog.Logger
}

// With returns ctx carrying the request id, the client's IP and the request's logger.
func With(ctx context.Context, id, clientIP string, log *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, entry{id: id, ip: clientIP, log: log})
}

// WithLogger returns ctx with the request's logger replaced (e.g. annotated with the
// store id once authentication has found it).
func WithLogger(ctx context.Context, log *slog.Logger) context.Context {
	e, _ := ctx.Value(ctxKey{}).(entry)
	e.log = log
	return context.WithValue(ctx, ctxKey{}, e)
}

// ClientIP returns the request's client IP, or "".
func ClientIP(ctx context.Context) string {
	e, _ := ctx.Value(ctxKey{}).(entry)
	return e.ip
}

// From returns the request's logger, or fallback outside a request.
func From(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if e, ok := ctx.Value(ctxKey{}).(entry); ok && e.log != nil {
		return e.log
	}
	if fallback == nil {
		return slog.Default()
	}
	return fallback
}

// ID returns the request id, or "".
func ID(ctx context.Context) string {
	e, _ := ctx.Value(ctxKey{}).(entry)
	return e.id
}
