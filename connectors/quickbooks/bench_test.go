package quickbooks

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/quickbooks/quickbookstest"
	"github.com/contactsync/contactsync/connectors/transport"
	"github.com/contactsync/contactsync/internal/sandbox"
)

// BenchmarkChanges is a first sync at 100 ms of emulated latency, under
// the registered limits (10 in flight, 450 requests a minute with a burst of
// 50) and the emulator's own throttle (500 a minute per realm).
//
//	go test ./connectors/quickbooks -run '^$' -bench BenchmarkChanges -benchtime 1x
func BenchmarkChanges(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run("customers="+strconv.Itoa(n), func(b *testing.B) {
			emu := quickbookstest.New(quickbookstest.Options{})
			emu.Generate(n, 42)
			srv := httptest.NewServer(emu.Handler())
			defer srv.Close()
			emu.Server().SetFaults(sandbox.Faults{Latency: sandbox.Duration{Duration: 100 * time.Millisecond}})
			var pages, calls int64
			var elapsed time.Duration
			for b.Loop() {
				spec := &v1alpha1.SourceConnectionSpec{QuickBooks: &v1alpha1.QuickBooksSource{RealmID: emu.RealmID()}}
				s, err := New(spec, connectors.Config{Endpoint: srv.URL, Credentials: emu.Credentials(),
					HTTPClient: transport.NewLimiter(Provider, Limits, transport.Options{}).Client()})
				if err != nil {
					b.Fatal(err)
				}
				var counter connectors.CallCounter
				ctx := connectors.WithCallCounter(context.Background(), &counter)
				got := 0
				start := time.Now()
				err = s.Changes(ctx, "", func(p connectors.Page) error {
					pages++
					got += len(p.Contacts)
					return nil
				})
				elapsed += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("got %d contacts, want %d", got, n)
				}
				calls += counter.Load()
			}
			b.ReportMetric(float64(pages)/elapsed.Seconds(), "pages/s")
			b.ReportMetric(float64(calls)/float64(b.N), "api-calls/op")
			b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/sync")
		})
	}
}
