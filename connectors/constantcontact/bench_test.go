package constantcontact

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/constantcontact/constantcontacttest"
	"github.com/contactsync/contactsync/internal/sandbox"
)

// BenchmarkUpsert syncs N new contacts the way the engine does (Check,
// then Lookup and Upsert per MaxBatch) into an emulator with 100 ms
// latency and the vendor's 4 requests/s, through the connector's own
// limiter. It reports API calls and their ratio to ceil(N/MaxBatch).
//
//	go test -run '^$' -bench BenchmarkUpsert -benchtime 1x ./connectors/constantcontact/
func BenchmarkUpsert(b *testing.B) {
	// Poll as in production, not at the tests' pace.
	defer func(p time.Duration) { pollFirst = p }(pollFirst)
	pollFirst = 400 * time.Millisecond
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			people := sandbox.People(n, sandbox.GenOptions{Seed: 7, Now: time.Now(), CompanyShare: 0.3, SubscribedShare: 0.6})
			writes := make([]connectors.Write, 0, n)
			for i, p := range people {
				writes = append(writes, connectors.Write{Email: sandbox.EmailFor(p.FirstName, p.LastName, i), Create: true,
					Permission: connectors.PermissionImplicit, FirstName: p.FirstName, LastName: p.LastName,
					Company: p.Company, Phone: p.Phone, Address: connectors.Address{Street: p.Street, City: p.City,
						Region: p.Region, PostalCode: p.PostalCode, Country: p.Country}})
			}
			var calls int
			for range b.N {
				b.StopTimer()
				e := newEnv(b, envOpts{realLimits: true, emu: constantcontacttest.Options{DailyRequests: -1}})
				e.em.Sandbox().SetFaults(sandbox.Faults{Latency: sandbox.Duration{Duration: 100 * time.Millisecond}})
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				b.StartTimer()
				if _, err := e.target.Check(ctx); err != nil {
					b.Fatal(err)
				}
				for from := 0; from < n; from += DefaultLimits.MaxBatch {
					batch := writes[from:min(from+DefaultLimits.MaxBatch, n)]
					emails := make([]string, len(batch))
					for i, w := range batch {
						emails[i] = w.Email
					}
					if _, err := e.target.Lookup(ctx, emails); err != nil {
						b.Fatal(err)
					}
					res, err := e.target.Upsert(ctx, batch)
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range res {
						if r.Outcome != connectors.OutcomeCreated {
							b.Fatalf("result %+v", r)
						}
					}
				}
				b.StopTimer()
				cancel()
				total, _ := e.em.Sandbox().Requests()
				calls += total
				if got := len(e.em.Contacts()); got != n {
					b.Fatalf("account holds %d contacts, want %d", got, n)
				}
			}
			floor := (n + DefaultLimits.MaxBatch - 1) / DefaultLimits.MaxBatch
			b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
			b.ReportMetric(float64(calls)/float64(b.N)/float64(floor), "calls/floor")
		})
	}
}
