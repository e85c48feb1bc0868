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
	"strconv"
	"strings"
	"time"
)

// target is a goal for one scenario, measured against its raw counterpart.
type target struct {
	Scenario string  `json:"scenario"`
	Raw      string  `json:"raw"`
	MinRatio float64 `json:"min_ours_over_raw"`
	MaxP99ms float64 `json:"max_p99_ms"`
}

// targets are the goals the report shows next to the figures.
var targets = []target{
	{Scenario: "READ", Raw: "READ raw SQL", MinRatio: 0.5, MaxP99ms: 100},
	{Scenario: "WRITE", Raw: "WRITE raw SQL", MinRatio: 0.5, MaxP99ms: 50},
}

// maxRSSMB is the goal for the server's peak RSS.
const maxRSSMB = 150

// report is what a run writes: raw JSON for tools, markdown for people.
type report struct {
	opts            options
	Date            time.Time          `json:"date"`
	Commit          string             `json:"commit"`
	Cores           int                `json:"cores"`
	CPU             string             `json:"cpu"`
	MemoryGiB       float64            `json:"memory_gib"`
	GoVersion       string             `json:"go_version"`
	PostgreSQL      string             `json:"postgresql"`
	Dataset         datasetInfo        `json:"dataset"`
	Concurrency     int                `json:"concurrency"`
	WarmupSeconds   float64            `json:"warmup_seconds"`
	DurationSeconds float64            `json:"duration_seconds"`
	Results         []result           `json:"results"`
	OursOverRaw     map[string]float64 `json:"ours_over_raw"`
	Targets         []target           `json:"targets"`
	ServerPeakRSSMB float64            `json:"server_peak_rss_mb"`
	Jobs            map[string]int     `json:"jobs_by_state"`
}

// datasetInfo describes the data set a run used.
type datasetInfo struct {
	Version     int     `json:"version"`
	Description string  `json:"description"`
	LoadSeconds float64 `json:"load_seconds"`
	Reused      bool    `json:"reused"`
}

// newReport records when and on what the run happens (taken before anything is
// written, so the commit's dirty flag describes the code that is measured).
func newReport(o options) *report {
	return &report{
		opts: o, Date: time.Now().UTC(), Commit: gitCommit(o.mdOut),
		Cores: runtime.NumCPU(), CPU: procField("/proc/cpuinfo", "model name"), MemoryGiB: memTotalGiB(),
		GoVersion: runtime.Version(), Concurrency: o.concurrency,
		WarmupSeconds: o.warmup.Seconds(), DurationSeconds: o.duration.Seconds(), Targets: targets,
	}
}

// describe records the PostgreSQL version and the data set.
func (r *report) describe(ctx context.Context, ds *dataset) error {
	r.Dataset = datasetInfo{Version: datasetVersion, Description: datasetDescription,
		LoadSeconds: ds.loadTime.Seconds(), Reused: ds.reused}
	return ds.owner.QueryRow(ctx, `SHOW server_version`).Scan(&r.PostgreSQL)
}

func (r *report) find(name string) (result, bool) {
	for _, res := range r.Results {
		if res.Scenario == name {
			return res, true
		}
	}
	return result{}, false
}

// write writes the JSON and the markdown.
func (r *report) write() error {
	r.OursOverRaw = map[string]float64{}
	for _, t := range targets {
		ours, _ := r.find(t.Scenario)
		raw, _ := r.find(t.Raw)
		if raw.PerSecond > 0 {
			r.OursOverRaw[t.Scenario] = ratio(ours, raw)
		}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	for path, data := range map[string][]byte{r.opts.jsonOut: append(b, '\n'), r.opts.mdOut: []byte(r.markdown())} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	log.Printf("wrote %s and %s", r.opts.jsonOut, r.opts.mdOut)
	return nil
}

// scenarioLabels say in the markdown what each scenario is.
var scenarioLabels = map[string]string{
	"READ":          "READ: GraphQL over HTTP",
	"READ raw SQL":  "READ raw: one SQL query via pgx",
	"WRITE":         "WRITE: GraphQL over HTTP",
	"WRITE raw SQL": "WRITE raw: createOrder's SQL via pgx",
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	loaded := fmt.Sprintf("loaded in %.0f s", r.Dataset.LoadSeconds)
	if r.Dataset.Reused {
		loaded += " by an earlier run, reset to its loaded state for this one"
	}

	p("# Benchmarks")
	p("")
	p("Written by `make bench` (cmd/bench) from one run; see [How to reproduce](#how-to-reproduce).")
	p("")
	p("| | |")
	p("|---|---|")
	p("| date | %s |", r.Date.Format("2006-01-02 15:04 UTC"))
	p("| commit | `%s` |", r.Commit)
	p("| machine | %d cores (nproc), %s, %.1f GiB memory |", r.Cores, r.CPU, r.MemoryGiB)
	p("| Go | %s |", r.GoVersion)
	p("| PostgreSQL | %s |", r.PostgreSQL)
	p("| data set | %s; %s |", r.Dataset.Description, loaded)
	p("| load | %d concurrent clients per scenario, as fast as answers come back; %s measured per scenario after a %s warm-up, in %d rounds alternating with its raw counterpart; loopback |",
		r.Concurrency, seconds(r.DurationSeconds), seconds(r.WarmupSeconds), r.opts.rounds)
	p("")
	p("## Results")
	p("")
	p("| scenario | requests/s | p50 | p99 | failed | ours/raw | server RSS |")
	p("|---|---:|---:|---:|---:|---:|---:|")
	for _, res := range r.Results {
		ratio, rss := "", "–" // the server serves no raw request
		if v, ok := r.OursOverRaw[res.Scenario]; ok {
			ratio, rss = fmt.Sprintf("%.2f", v), fmt.Sprintf("%.0f MB", res.ServerPeakRSSMB)
		}
		p("| %s | %.0f | %.1f ms | %.1f ms | %d of %s | %s | %s |", scenarioLabels[res.Scenario], res.PerSecond,
			res.P50ms, res.P99ms, res.Failed, thousands(res.Requests), ratio, rss)
	}
	p("")
	p("| target | measured | met |")
	p("|---|---:|---|")
	for _, t := range targets {
		ours, _ := r.find(t.Scenario)
		ratio := r.OursOverRaw[t.Scenario]
		p("| %s ours/raw ≥ %.1f | %.2f | %s |", t.Scenario, t.MinRatio, ratio, met(ratio >= t.MinRatio))
		p("| %s p99 < %.0f ms | %.1f ms | %s |", t.Scenario, t.MaxP99ms, ours.P99ms, met(ours.P99ms < t.MaxP99ms))
	}
	p("| server peak RSS < %d MB | %.0f MB | %s |", maxRSSMB, r.ServerPeakRSSMB, met(r.ServerPeakRSSMB < maxRSSMB))
	p("")
	p("Server RSS in the results is the highest VmRSS of the server process sampled every 100 ms during the")
	p("measurement; server peak RSS is the kernel's high-water mark (VmHWM) over the whole run, start-up and")
	p("warm-ups included.")
	p("")
	p("The server ran with its default settings, job workers included: they work the fraud check that every")
	p("new order enqueues, from both WRITE scenarios, while the load runs. %s Each scenario started once", r.backlogSentence())
	p("the workers had caught up. Jobs by state at the end: %s.", jobSummary(r.Jobs))
	p("")
	p("After each round of a WRITE scenario the database is vacuumed and analyzed, as autovacuum soon would")
	p("be, so that autovacuum does not start in the middle of the next round and slow whichever scenario")
	p("that happens to be.")
	p("")
	p("## What is measured")
	p("")
	p("- **READ**: `orders(first: 50)` with each order's customer, lines with their products, payments and")
	p("  invoice, over HTTP with a STAFF API key, rotating over the stores. **READ raw**: the same page as one")
	p("  hand-written SQL query (relations aggregated to JSON), decoded into Go structs.")
	p("- **WRITE**: `createOrder` with 3 random products (quantity 1–3), a customer drawn from 5,000 emails")
	p("  per store (2,000 of them existing customers) and a new idempotency key per request. **WRITE raw**:")
	p("  the statements createOrder runs (idempotency check, product locks, stock reservation, customer")
	p("  upsert, job insert, numbering with order, lines and event), in one transaction.")
	p("- The raw scenarios run through pgx as the RLS-bound app role with the store set transaction-locally,")
	p("  as the server does, with no HTTP or GraphQL: they are the limit the server is compared with.")
	p("- A request fails unless it returns HTTP 200 with data and no GraphQL errors; every response is checked.")
	p("- The load generator (vegeta, in-process), the server and PostgreSQL share the machine's cores.")
	p("  What limits the numbers: [performance.md](performance.md).")
	p("")
	p("## How to reproduce")
	p("")
	p("Run `make bench` from the repository root: it starts the project's PostgreSQL (scripts/pg.sh), loads")
	p("the data set into the database `ordergraph_bench` on the first run (later runs reuse and reset it),")
	p("builds and starts `bin/ordergraph serve` against it, runs the four scenarios and rewrites this file and")
	p("`bench-results/results.json`. Flags go in `ARGS`, e.g. `make bench ARGS=\"-duration 30s -reload\"`:")
	p("`-duration` (measured time per scenario, default 30s), `-rounds` (3: ours and raw alternate, so a slow")
	p("spell of the machine falls on both), `-warmup` (3s), `-concurrency` (32), `-reload` (load the data set")
	p("again) and `-only read|write`. Figures vary from run to run on a shared machine; compare runs made on")
	p("the same one.")
	return b.String()
}

// thousands formats n with thousands separators: 12,345.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// backlogSentence says how far the job workers fell behind the measured runs.
func (r *report) backlogSentence() string {
	var behind []string
	for _, res := range r.Results {
		if res.JobBacklog > 0 {
			behind = append(behind, fmt.Sprintf("%s left %s due, cleared in %.0f s", res.Scenario,
				thousands(res.JobBacklog), res.JobCatchUpSeconds))
		}
	}
	if len(behind) == 0 {
		return "They kept up with every run."
	}
	return "They fell behind: " + strings.Join(behind, "; ") + "."
}

func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func seconds(s float64) string { return (time.Duration(s * float64(time.Second))).String() }

// jobSummary lists job counts by state, e.g. "completed 12000".
func jobSummary(jobs map[string]int) string {
	if len(jobs) == 0 {
		return "none"
	}
	var parts []string
	for _, state := range []string{"completed", "available", "running", "pending", "scheduled", "retryable", "cancelled", "discarded"} {
		if n, ok := jobs[state]; ok {
			parts = append(parts, fmt.Sprintf("%s %s", state, thousands(n)))
		}
	}
	return strings.Join(parts, ", ")
}

// gitCommit is HEAD's short hash, with "-dirty" when the work tree differs from it
// (untracked files included, the report itself excluded).
func gitCommit(reportPath string) string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(out))
	status, err := exec.Command("git", "status", "--porcelain", "--", ".", ":(exclude)"+reportPath).Output()
	if err != nil || len(status) > 0 {
		commit += "-dirty"
	}
	return commit
}

func memTotalGiB() float64 {
	kb, _ := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 64)
	return kb / (1 << 20)
}

// procField returns the value of "key: value" in a /proc file, or "unknown".
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
