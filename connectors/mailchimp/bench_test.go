package mailchimp

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/mailchimp/mailchimptest"
	"github.com/contactsync/contactsync/internal/sandbox"
)

// BenchmarkUpsert is a first sync of N contacts into an empty audience at
// 100 ms emulated latency, as the engine drives a target: Check, then per
// batch of 500 a Lookup and an Upsert, ten batches at a time. It reports
// API calls and their ratio to the floor of ceil(N/500) batch calls.
// Run: go test -run '^$' -bench Upsert -benchtime 1x ./connectors/mailchimp/
func BenchmarkUpsert(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		for _, tags := range []int{0, 1} {
			b.Run(fmt.Sprintf("N=%d/tags=%d", n, tags), func(b *testing.B) {
				people := sandbox.People(n, sandbox.GenOptions{Seed: 1, Now: time.Now(), CompanyShare: 0.3})
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					e := newEnv(b, mailchimptest.Options{}, nil)
					e.emu.Sandbox().SetFaults(sandbox.Faults{Latency: sandbox.Duration{Duration: 100 * time.Millisecond}})
					var calls connectors.CallCounter
					ctx := connectors.WithCallCounter(context.Background(), &calls)
					b.StartTimer()
					created := firstSync(b, ctx, e.t, people, tags)
					b.StopTimer()
					if created != n {
						b.Fatalf("%d created, want %d", created, n)
					}
					floor := float64((n + limits.MaxBatch - 1) / limits.MaxBatch)
					b.ReportMetric(float64(calls.Load()), "calls/op")
					b.ReportMetric(float64(calls.Load())/floor, "calls/floor")
				}
			})
		}
	}
}

func firstSync(b *testing.B, ctx context.Context, t *Target, people []sandbox.Person, tags int) int {
	if _, err := t.Check(ctx); err != nil {
		b.Fatal(err)
	}
	batches := make(chan []connectors.Write)
	var mu sync.Mutex
	created := 0
	var wg sync.WaitGroup
	for range limits.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ws := range batches {
				emails := make([]string, len(ws))
				for i, w := range ws {
					emails[i] = w.Email
				}
				if _, err := t.Lookup(ctx, emails); err != nil {
					b.Error(err)
					return
				}
				res, err := t.Upsert(ctx, ws)
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				for _, r := range res {
					if r.Outcome == connectors.OutcomeCreated {
						created++
					}
				}
				mu.Unlock()
			}
		}()
	}
	var batch []connectors.Write
	for i, p := range people {
		// Unique, valid addresses: the benchmark measures throughput, not refusals.
		w := connectors.Write{Email: sandbox.EmailFor(p.FirstName, p.LastName, i), Create: true,
			Permission: connectors.PermissionImplicit, FirstName: p.FirstName, LastName: p.LastName, Company: p.Company,
			Phone: p.Phone, Address: connectors.Address{Street: p.Street, City: p.City, Region: p.Region, PostalCode: p.PostalCode, Country: p.Country}}
		if tags > 0 {
			w.Tags = []string{"QuickBooks Online"}
		}
		batch = append(batch, w)
		if len(batch) == limits.MaxBatch {
			batches <- batch
			batch = nil
		}
	}
	if len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	wg.Wait()
	return created
}
