package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// report is what a run writes: raw JSON for tools, markdown for people.
type report struct {
	opts        options
	Date        time.Time `json:"date"`
	Commit      string    `json:"commit"`
	CPU         string    `json:"cpu"`
	Cores       int       `json:"cores"`
	MemoryGB    float64   `json:"memory_gb"`
	GoVersion   string    `json:"go_version"`
	Postgres    string    `json:"postgres"`
	Concurrency int       `json:"concurrency"`
	Duration    string    `json:"duration"`
	Dataset     string    `json:"dataset"`
	LoadTime    string    `json:"dataset_load_time,omitempty"`
	Results     []result  `json:"results"`
	ServerHWMMB float64   `json:"server_peak_rss_mb"`
}

func newReport(o options, ds *dataset) *report {
	r := &report{
		opts: o, Date: time.Now().UTC(), Commit: gitCommit(), CPU: cpuModel(), Cores: runtime.NumCPU(),
		MemoryGB: memTotalGB(), GoVersion: runtime.Version(), Concurrency: o.concurrency, Duration: o.duration.String(),
		Dataset: fmt.Sprintf("%d stores × (%d products, %d customers, %d orders of 1–5 lines, a payment each, an invoice for 80%%)",
			numStores, productsPerStore, customersPerStore, ordersPerStore),
	}
	if ds.loadTime > 0 {
		r.LoadTime = ds.loadTime.Round(time.Second).String()
	}
	_ = ds.pool.QueryRow(context.Background(), `SELECT split_part(version(), ' on ', 1)`).Scan(&r.Postgres)
	return r
}

func (r *report) add(res result) { r.Results = append(r.Results, res) }

func (r *report) find(name string) result {
	for _, res := range r.Results {
		if res.Name == name {
			return res
		}
	}
	return result{}
}

func (r *report) write() error {
	if err := os.MkdirAll(filepath.Dir(r.opts.jsonOut), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(r.opts.jsonOut, b, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(r.opts.mdOut, []byte(r.markdown()), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s and %s", r.opts.jsonOut, r.opts.mdOut)
	return nil
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Benchmarks")
	p("")
	p("Written by `make bench` (cmd/bench); numbers from one run. Re-run to reproduce.")
	p("")
	p("| | |")
	p("|---|---|")
	p("| date | %s |", r.Date.Format("2006-01-02 15:04 MST"))
	p("| commit | `%s` |", r.Commit)
	p("| machine | %d cores, %s, %.0f GiB RAM |", r.Cores, r.CPU, r.MemoryGB)
	p("| software | %s, %s |", r.GoVersion, r.Postgres)
	p("| data set | %s |", r.Dataset)
	p("| load | %d concurrent clients, %s measured after a %s warm-up, loopback |", r.Concurrency, r.Duration, r.opts.warmup)
	p("")
	p("| scenario | requests/s | p50 | p99 | failed | ours/raw | target |")
	p("|---|---:|---:|---:|---:|---:|---|")
	for _, pair := range []struct{ ours, raw, target string }{
		{"READ", "READ raw SQL", "ours/raw ≥ 0.5, p99 < 100 ms"},
		{"WRITE", "WRITE raw SQL", "ours/raw ≥ 0.5, p99 < 50 ms"},
	} {
		o, raw := r.find(pair.ours), r.find(pair.raw)
		ratio := "–"
		if raw.Throughput > 0 {
			ratio = fmt.Sprintf("%.2f", o.Throughput/raw.Throughput)
		}
		p("| %s | %.0f | %s | %s | %d | %s | %s |", o.Name, o.Throughput, ms(o.P50), ms(o.P99), o.Failed, ratio, pair.target)
		p("| %s | %.0f | %s | %s | %d | | |", raw.Name, raw.Throughput, ms(raw.P50), ms(raw.P99), raw.Failed)
	}
	p("")
	p("Server peak RSS: %.0f MB over the whole run (READ: %.0f MB, WRITE: %.0f MB sampled); target < 150 MB.",
		r.ServerHWMMB, r.find("READ").ServerPeakRSSMB, r.find("WRITE").ServerPeakRSSMB)
	p("")
	p("- READ: `orders(first: 50)` with customer, lines + product, payments and invoice over HTTP, rotating")
	p("  over the stores' API keys. READ raw SQL: the same page as one hand-written SQL query (JSON-aggregated")
	p("  relations) through pgx, as the RLS-bound app role with the store set transaction-locally.")
	p("- WRITE: `createOrder` with 3 random products, a random customer of 5,000 and a new idempotency key per")
	p("  request. WRITE raw SQL: the statements createOrder runs, in one transaction through pgx.")
	p("- The load generator (vegeta, in-process), the server and PostgreSQL share the same cores.")
	p("- What limits these numbers, with profiles: [performance.md](performance.md).")
	p("")
	p("Reproduce: `make bench` (flags: `make bench ARGS=\"-duration 30s -concurrency 32 -reload\"`).")
	return b.String()
}

func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += "-dirty"
	}
	return c
}

func cpuModel() string {
	return procField("/proc/cpuinfo", "model name", "unknown CPU")
}

func memTotalGB() float64 {
	var kb float64
	fmt.Sscanf(procField("/proc/meminfo", "MemTotal", "0"), "%f", &kb)
	return kb / 1024 / 1024
}

func procField(path, key, def string) string {
	f, err := os.Open(path)
	if err != nil {
		return def
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return def
}
