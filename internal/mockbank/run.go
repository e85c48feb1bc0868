package mockbank

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Serve answers on ln until ctx is done, then shuts down gracefully, letting
// requests in progress finish.
func (b *Bank) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           b,
		ReadHeaderTimeout: 10 * time.Second,
		// A generous write timeout: injected latency must not be cut short.
		WriteTimeout: 5 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Run starts a bank on addr, prints where it listens to out, and serves until ctx
// is done.
func Run(ctx context.Context, addr string, cfg Config, out io.Writer) error {
	b, err := New(cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mock bank: %w", err)
	}
	fmt.Fprintf(out, "mock bank (Stripe API subset) listening on http://%s  seed=%d  faults=%s\n",
		ln.Addr(), b.Seed(), compactJSON(b.Faults()))
	return b.Serve(ctx, ln)
}
