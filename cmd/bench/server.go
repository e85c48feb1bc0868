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
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ordergraph/ordergraph/internal/mockbank"
)

// serverBinary is where the server is built to.
const serverBinary = "bin/ordergraph"

// server is the real ordergraph binary, started as a child process for the run.
type server struct {
	cmd     *exec.Cmd
	url     string
	dataDir string
	done    chan struct{} // closed when the process has exited

	mu      sync.Mutex
	peakRSS int64 // highest VmRSS sampled since the last takePeakRSS, in kB
}

// startServer builds the server and starts `ordergraph serve` on a free loopback port
// against the bench database, with its default configuration apart from what the
// benchmark needs (quiet logs, a query-complexity limit that admits the READ query)
// and, when set, PPROF_ADDR. Its environment is otherwise empty, so settings of the
// caller's shell (GOGC, DB_MAX_CONNS, …) cannot change the figures. It is ready when
// startServer returns; stop it with stop.
func startServer(ctx context.Context, databaseURL string) (*server, error) {
	log.Printf("server: go build -o %s ./cmd/ordergraph", serverBinary)
	build := exec.CommandContext(ctx, "go", "build", "-o", serverBinary, "./cmd/ordergraph")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "ordergraph-bench-")
	if err != nil {
		return nil, err
	}
	bankURL, err := startBank(ctx)
	if err != nil {
		return nil, err
	}
	// Its workers carry every order through the whole lifecycle, as in production, at
	// once (no fulfillment delays) and against a bank that answers at once.
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"DATABASE_URL=" + databaseURL, "HTTP_ADDR=" + addr, "LOG_LEVEL=warn", "DATA_DIR=" + dataDir,
		"GRAPHQL_MAX_COMPLEXITY=100000",
		"PAYMENT_GATEWAY_URL=" + bankURL, "PAYMENT_GATEWAY_KEY=" + benchBankKey, "FULFILLMENT_STEP_DELAY=0",
	}
	if v, ok := os.LookupEnv("PPROF_ADDR"); ok {
		env = append(env, "PPROF_ADDR="+v)
	}
	// The banner on stdout goes to a file; warnings and errors (stderr) show.
	stdout, err := os.Create(filepath.Join(dataDir, "stdout.log"))
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	cmd := exec.Command(serverBinary, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, stdout, os.Stderr
	// Its own process group, so a Ctrl-C reaches only the bench, which then stops the
	// server; and killed by the kernel should the bench die without doing so.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dataDir)
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr, dataDir: dataDir, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	go s.sampleRSS()
	if err := s.waitReady(ctx, time.Minute); err != nil {
		s.stop()
		return nil, err
	}
	log.Printf("server: pid %d ready on %s", cmd.Process.Pid, s.url)
	return s, nil
}

// freeLoopbackAddr returns a loopback address with a port that was free a moment ago.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitReady polls /readyz until it answers 200.
func (s *server) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready after %s", timeout)
		}
		select {
		case <-s.done:
			return fmt.Errorf("server exited before it was ready: %v", s.cmd.ProcessState)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop ends the server by its pid (SIGTERM, then SIGKILL after 20 s) and removes its
// data directory.
func (s *server) stop() {
	defer os.RemoveAll(s.dataDir)
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		log.Printf("server: pid %d did not stop within 20 s; killing it", s.cmd.Process.Pid)
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	log.Printf("server: pid %d stopped", s.cmd.Process.Pid)
}

// statusKB reads a "<field>: <n> kB" line of the server's /proc/<pid>/status.
func (s *server) statusKB(field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, s.cmd.Process.Pid)
}

// sampleRSS samples VmRSS every 100 ms until the server exits.
func (s *server) sampleRSS() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			if rss, err := s.statusKB("VmRSS"); err == nil {
				s.mu.Lock()
				s.peakRSS = max(s.peakRSS, rss)
				s.mu.Unlock()
			}
		}
	}
}

// takePeakRSS returns the highest VmRSS sampled since the last call, in MB, and
// starts a new window.
func (s *server) takePeakRSS() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	peak := s.peakRSS
	s.peakRSS = 0
	return kBToMB(peak)
}

// highWaterMB is the kernel's record of the server's peak RSS (VmHWM) over its whole
// life, in MB.
func (s *server) highWaterMB() (float64, error) {
	kb, err := s.statusKB("VmHWM")
	return kBToMB(kb), err
}

// kBToMB converts /proc's kB (KiB) to MB (10⁶ bytes).
func kBToMB(kb int64) float64 { return float64(kb) * 1024 / 1e6 }

// benchBankKey is the secret key of the bench's mock bank.
const benchBankKey = "sk_test_ordergraph_bench"

// startBank starts the mock bank, without faults, on a free loopback port in this
// process, for the server's payment workers; it runs until ctx ends.
func startBank(ctx context.Context) (string, error) {
	bank, err := mockbank.New(mockbank.Config{SecretKey: benchBankKey})
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() { _ = bank.Serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), nil
}
