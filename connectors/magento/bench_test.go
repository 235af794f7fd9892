package magento

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/magento/magentotest"
	"github.com/contactsync/contactsync/internal/sandbox"
)

// BenchmarkChanges measures a full pass (every customer with its purchases)
// against the emulator with 100 ms of latency on every API call, OAuth 1.0a
// signed, reporting pages/s and API calls per pass.
func BenchmarkChanges(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			emu := magentotest.New(magentotest.Options{})
			emu.Generate(n, 1)
			srv := httptest.NewServer(emu.Handler())
			defer srv.Close()
			emu.Server().SetFaults(sandbox.Faults{Latency: sandbox.Duration{Duration: 100 * time.Millisecond}})
			s, err := New(&v1alpha1.SourceConnectionSpec{Magento: &v1alpha1.MagentoSource{BaseURL: srv.URL}},
				connectors.Config{Credentials: emu.Credentials()})
			if err != nil {
				b.Fatal(err)
			}
			var pages, contacts int
			calls := &connectors.CallCounter{}
			ctx := connectors.WithCallCounter(b.Context(), calls)
			b.ResetTimer()
			for b.Loop() {
				err := s.Changes(ctx, "", func(p connectors.Page) error {
					pages++
					contacts += len(p.Contacts)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			if contacts != n*b.N {
				b.Fatalf("got %d contacts, want %d", contacts, n*b.N)
			}
			b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(calls.Load())/float64(b.N), "calls/op")
		})
	}
}
