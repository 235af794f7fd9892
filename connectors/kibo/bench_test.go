package kibo

import (
	"strconv"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/kibo/kibotest"
	"github.com/contactsync/contactsync/internal/sandbox"
)

// BenchmarkChanges is a full pass at 100 ms emulated latency per call.
// Pages are fetched 8 at a time by offset and delivered in order.
func BenchmarkChanges(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			e := newEnv(b, kibotest.Options{Now: time.Now})
			e.emu.Generate(n, 1)
			e.emu.Sandbox().SetFaults(sandbox.Faults{Latency: sandbox.Duration{Duration: 100 * time.Millisecond}})
			var pages, calls int64
			b.ResetTimer()
			for range b.N {
				s := e.source(b)
				s.now = time.Now
				counter := &connectors.CallCounter{}
				got := 0
				err := s.Changes(connectors.WithCallCounter(b.Context(), counter), "", func(p connectors.Page) error {
					pages++
					got += len(p.Contacts)
					return nil
				})
				if err != nil || got != n {
					b.Fatalf("%v, %d contacts, want %d", err, got, n)
				}
				calls += counter.Load()
			}
			b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
		})
	}
}
