package magento

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/magento/magentotest"
	"github.com/contactsync/contactsync/connectors/transport"
)

// clock is a settable time for the emulator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	emu   *magentotest.Emulator
	srv   *httptest.Server
	clock *clock
}

// newFixture serves an emulator whose traffic is validated against the
// vendor's OpenAPI document (skipped only when shared/apispecs is absent).
func newFixture(t testing.TB, o magentotest.Options) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	o.Now = c.Now
	emu := magentotest.New(o)
	var h http.Handler = emu.Handler()
	router, err := magentotest.SpecRouter()
	switch {
	case errors.Is(err, magentotest.ErrNoSpec):
		t.Log("shared/apispecs/magento not found: traffic is not validated against the spec")
	case err != nil:
		t.Fatalf("loading the Magento spec: %v", err)
	default:
		h = magentotest.Validating(router, h, func(err error) { t.Errorf("spec: %v", err) })
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{emu: emu, srv: srv, clock: c}
}

func (f *fixture) source(t testing.TB, creds map[string][]byte) *Source {
	t.Helper()
	lim := transport.NewLimiter(Name, Limits, transport.Options{MaxRetries: -1})
	s, err := New(&v1alpha1.SourceConnectionSpec{Magento: &v1alpha1.MagentoSource{BaseURL: "https://shop.example.com", StoreCode: "default"}},
		connectors.Config{Endpoint: f.srv.URL, Credentials: creds, HTTPClient: lim.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// collect runs Changes and returns the contacts by SourceID, the delivery
// count per SourceID and the last cursor.
func collect(t testing.TB, s *Source, cur string) (map[string]connectors.Contact, map[string]int, string) {
	t.Helper()
	got, times := map[string]connectors.Contact{}, map[string]int{}
	last := cur
	err := s.Changes(t.Context(), cur, func(p connectors.Page) error {
		for _, c := range p.Contacts {
			got[c.SourceID] = c
			times[c.SourceID]++
		}
		last = p.Cursor
		return nil
	})
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	return got, times, last
}

// truth computes a customer's purchases from the emulator's orders, as the
// research notes define them: non-canceled orders by customer_id, and
// guest orders by email; refunds lower the total.
func truth(emu *magentotest.Emulator) map[string]connectors.Purchases {
	byEmail := map[string][]int64{}
	for _, c := range emu.Customers() {
		if e := connectors.NormalizeEmail(c.Customer.Email); e != "" {
			byEmail[e] = append(byEmail[e], c.Customer.ID)
		}
	}
	out := map[string]connectors.Purchases{}
	for _, o := range emu.Orders() {
		if o.State == "canceled" {
			continue
		}
		var owners []int64
		if e := connectors.NormalizeEmail(o.CustomerEmail); plausibleEmail(e) { // guest orders: only mailable addresses
			owners = byEmail[e]
		}
		if o.CustomerID != nil {
			owners = []int64{*o.CustomerID}
		}
		for _, id := range owners {
			k := itoa(id)
			p := out[k]
			p.Count++
			p.Total += o.GrandTotal - o.TotalRefunded
			out[k] = p
		}
	}
	return out
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func samePurchases(a, b connectors.Purchases) bool {
	return a.Count == b.Count && math.Abs(a.Total-b.Total) < 0.005
}
