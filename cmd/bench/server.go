package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is the real ordergraph binary, started for the run.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}

	mu   sync.Mutex
	peak int64 // highest VmRSS sampled since the last reset, in kB
}

// startServer builds and starts `ordergraph serve` on a free loopback port, API only
// (SERVE_WORKERS=false: the measured process does no job work), with the default GC
// settings a user gets.
func startServer(ctx context.Context, ownerURL string) (*server, error) {
	log.Printf("building bin/ordergraph")
	build := exec.CommandContext(ctx, "go", "build", "-o", "bin/ordergraph", "./cmd/ordergraph")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	dataDir, err := os.MkdirTemp("", "ordergraph-bench-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("bin/ordergraph", "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+ownerURL, "APP_DATABASE_URL=", "HTTP_ADDR="+addr,
		"LOG_LEVEL=warn", "DATA_DIR="+dataDir, "SERVE_WORKERS=false", "GRAPHQL_MAX_COMPLEXITY=100000",
		"DB_MAX_CONNS=16")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	go s.sampleRSS()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				log.Printf("server pid %d ready on %s", cmd.Process.Pid, s.url)
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("server exited before it was ready")
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("server not ready after 30 s")
		}
	}
}

// stop ends the server by its pid (SIGTERM, then SIGKILL).
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *server) status(field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func (s *server) sampleRSS() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			rss := s.status("VmRSS")
			s.mu.Lock()
			s.peak = max(s.peak, rss)
			s.mu.Unlock()
		}
	}
}

func (s *server) resetPeakRSS() {
	s.mu.Lock()
	s.peak = 0
	s.mu.Unlock()
}

func (s *server) peakRSSMB() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return float64(s.peak) / 1024
}

// highWaterMB is the kernel's peak RSS of the server over the whole run.
func (s *server) highWaterMB() float64 { return float64(s.status("VmHWM")) / 1024 }
