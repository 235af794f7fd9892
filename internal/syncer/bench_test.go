package syncer

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/internal/syncer/syncertest"
)

// Mailchimp-like limits: 500 per batch, 10 connections.
var benchLimits = connectors.Limits{MaxBatch: 500, MaxLookup: 500, Concurrency: 10}

// BenchmarkRun measures the engine itself: a first sync of 10,000 contacts
// with zero-latency fakes (the fake target's own bookkeeping included).
func BenchmarkRun(b *testing.B) {
	const n = 10_000
	pol := mustPolicy(b, PolicySpec{Tags: []string{"Shop"}, Segments: []Segment{{Preset: "Repeat"}, {Preset: "Recent"}}})
	src := syncertest.NewGenerated(1000, n, func(i int) connectors.Contact { return syncertest.Synthetic(i, testNow) })
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	for b.Loop() {
		tgt := syncertest.NewTarget(benchLimits)
		rep, err := Run(context.Background(), Params{Source: src, Target: tgt, Policy: pol, FirstSync: true, Now: func() time.Time { return testNow }})
		if err != nil || rep.Created == 0 {
			b.Fatalf("%+v %v", rep, err)
		}
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&ms1)
	contacts := float64(n) * float64(b.N)
	b.ReportMetric(contacts/elapsed.Seconds(), "contacts/s")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/contacts, "B/contact")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/contacts, "allocs/contact")
}

// sink is a target that keeps nothing: every contact is new and created.
// It isolates the engine's memory from a fake's state in the million run.
type sink struct{ writes atomic.Int64 }

func (s *sink) Check(context.Context) (connectors.ListInfo, error) { return connectors.ListInfo{}, nil }
func (s *sink) Limits() connectors.Limits                          { return benchLimits }
func (s *sink) Lookup(ctx context.Context, _ []string) (map[string]connectors.TargetContact, error) {
	connectors.CountCall(ctx)
	return nil, nil
}

func (s *sink) Upsert(ctx context.Context, ws []connectors.Write) ([]connectors.Result, error) {
	connectors.CountCall(ctx)
	s.writes.Add(int64(len(ws)))
	rs := make([]connectors.Result, len(ws))
	for i, w := range ws {
		rs[i] = connectors.Result{Email: w.Email, Outcome: connectors.OutcomeCreated}
	}
	return rs, nil
}

// BenchmarkRunMillion streams 1,000,000 contacts and reports the peak heap,
// sampled every few milliseconds; it fails above 256 MiB.
func BenchmarkRunMillion(b *testing.B) {
	const n = 1_000_000
	pol := mustPolicy(b, PolicySpec{Tags: []string{"Shop"}, Segments: []Segment{{Preset: "Repeat"}, {Preset: "Recent"}}})
	for b.Loop() {
		runtime.GC()
		src := syncertest.NewGenerated(1000, n, func(i int) connectors.Contact { return syncertest.Synthetic(i, testNow) })
		tgt := &sink{}
		stop := make(chan struct{})
		peak := make(chan uint64)
		go samplePeakHeap(stop, peak)
		start := time.Now()
		rep, err := Run(context.Background(), Params{Source: src, Target: tgt, Policy: pol, FirstSync: true, Now: func() time.Time { return testNow }})
		elapsed := time.Since(start)
		close(stop)
		p := <-peak
		if err != nil || rep.Created != tgt.writes.Load() || rep.Fetched != n {
			b.Fatalf("%+v %v", rep, err)
		}
		mib := float64(p) / (1 << 20)
		b.ReportMetric(mib, "peak-heap-MiB")
		b.ReportMetric(float64(n)/elapsed.Seconds(), "contacts/s")
		b.ReportMetric(float64(rep.APICalls.Target), "target-calls")
		if mib > 256 {
			b.Fatalf("peak heap %.0f MiB, the bar is 256 MiB", mib)
		}
	}
}

// samplePeakHeap reports the largest live heap seen until stop closes.
func samplePeakHeap(stop <-chan struct{}, out chan<- uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(s)
		peak = max(peak, s[0].Value.Uint64())
		select {
		case <-stop:
			out <- peak
			return
		case <-t.C:
		}
	}
}
