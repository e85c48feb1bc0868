package main

import (
	"slices"
	"time"
)

// result is one measured scenario.
type result struct {
	Scenario   string  `json:"scenario"`
	Requests   int     `json:"requests"`
	Failed     int     `json:"failed"`
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"requests_per_second"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	// ServerPeakRSSMB is the highest VmRSS of the server sampled during the scenario.
	ServerPeakRSSMB float64 `json:"server_peak_rss_mb"`
	// JobBacklog is how many jobs were still due for the server's workers at the end,
	// and JobCatchUpSeconds how long the workers then took to work them.
	JobBacklog        int     `json:"job_backlog_at_end"`
	JobCatchUpSeconds float64 `json:"job_catch_up_seconds"`
	// Rounds is how many interleaved rounds the figures sum up (see combine).
	Rounds int `json:"rounds"`

	rec recorder // the outcomes, for combine
}

// combine sums up two rounds of one scenario: their requests over their time, and the
// percentiles of all their latencies.
func (r result) combine(o result) result {
	var rec recorder
	rec.merge(&r.rec)
	rec.merge(&o.rec)
	out := rec.result(r.Scenario, time.Duration((r.Seconds+o.Seconds)*float64(time.Second)))
	out.ServerPeakRSSMB = max(r.ServerPeakRSSMB, o.ServerPeakRSSMB)
	out.JobBacklog = max(r.JobBacklog, o.JobBacklog)
	out.JobCatchUpSeconds = r.JobCatchUpSeconds + o.JobCatchUpSeconds
	out.Rounds = r.Rounds + o.Rounds
	return out
}

// recorder collects one scenario's outcomes.
type recorder struct {
	latencies  []time.Duration
	failed     int
	firstError string
}

// add records one request: its latency and, if it failed, why ("" if it did not).
func (r *recorder) add(latency time.Duration, failure string) {
	r.latencies = append(r.latencies, latency)
	if failure != "" {
		r.failed++
		if r.firstError == "" {
			r.firstError = failure
		}
	}
}

// merge adds o's outcomes to r's.
func (r *recorder) merge(o *recorder) {
	r.latencies = append(r.latencies, o.latencies...)
	r.failed += o.failed
	if r.firstError == "" {
		r.firstError = o.firstError
	}
}

// result summarises the outcomes of a scenario that ran for elapsed.
func (r *recorder) result(name string, elapsed time.Duration) result {
	res := result{Scenario: name, Requests: len(r.latencies), Failed: r.failed, FirstError: r.firstError,
		Seconds: elapsed.Seconds(), Rounds: 1, rec: *r}
	if len(r.latencies) == 0 {
		return res
	}
	lat := slices.Clone(r.latencies)
	slices.Sort(lat)
	quantile := func(q float64) float64 { return msOf(lat[min(len(lat)-1, int(q*float64(len(lat))))]) }
	res.PerSecond = float64(len(lat)) / elapsed.Seconds()
	res.P50ms, res.P99ms, res.MaxMs = quantile(0.50), quantile(0.99), msOf(lat[len(lat)-1])
	return res
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
