package magento

import (
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/magento/magentotest"
)

func TestFullPassAllAuthModesAndPaging(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     magentotest.Options
		bearer   bool
		pageSize int
	}{
		{"oauth1 clamp paging, pages of 7", magentotest.Options{}, false, 7},
		{"bearer empty paging, pages of 10", magentotest.Options{BearerAllowed: true, Paging: magentotest.PagingEmpty}, true, 10},
		{"input limits, one page of 300", magentotest.Options{InputLimits: true}, false, 300},
		{"legacy 2.3 search without is_subscribed", magentotest.Options{Legacy23: true}, false, 25},
		{"total an exact multiple of the page size", magentotest.Options{}, false, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.opts)
			f.emu.Generate(120, 11)
			creds := f.emu.Credentials()
			if tc.bearer {
				creds = f.emu.BearerCredentials()
			}
			s := f.source(t, creds)
			s.pageSize, s.orderBatch = tc.pageSize, 9
			acc, err := s.Check(t.Context())
			if err != nil || acc.Name != "Default Store View" || !strings.HasSuffix(acc.ID, "/default") {
				t.Fatalf("Check: %+v, %v", acc, err)
			}
			got, times, cur := collect(t, s, "")
			want := truth(f.emu)
			if len(got) != 120 {
				t.Fatalf("got %d customers, want 120", len(got))
			}
			for _, c := range f.emu.Customers() {
				id := itoa(c.Customer.ID)
				k := got[id]
				if times[id] != 1 {
					t.Fatalf("customer %s delivered %d times", id, times[id])
				}
				wantConsent := connectors.ConsentOptedOut
				if c.Subscribed {
					wantConsent = connectors.ConsentSubscribed
				}
				if k.Consent != wantConsent || k.Email != c.Customer.Email || k.Active != (c.Customer.Confirmation == "") {
					t.Fatalf("customer %s: got %+v, want consent %s", id, k, wantConsent)
				}
				if !samePurchases(k.Purchases, want[id]) {
					t.Fatalf("customer %s purchases: got %+v, want %+v", id, k.Purchases, want[id])
				}
				if a := c.Customer.Addresses[0]; k.Address.City != a.City || k.Phone != a.Telephone || k.Address.Region != a.Region.RegionCode {
					t.Fatalf("customer %s address: got %+v", id, k)
				}
			}
			// An idle run after the full pass: one call for customers, one for orders.
			f.emu.Server().ResetCounts()
			got, _, _ = collect(t, s, cur)
			if total, byRoute := f.emu.Server().Requests(); len(got) != 0 || total != 2 {
				t.Fatalf("idle run: %d contacts, %d calls %v; want 0 and 2", len(got), total, byRoute)
			}
		})
	}
}

func TestIncrementalChanges(t *testing.T) {
	f := newFixture(t, magentotest.Options{})
	f.emu.Generate(40, 5)
	s := f.source(t, f.emu.Credentials())
	s.pageSize = 8
	_, _, cur := collect(t, s, "")
	f.clock.Add(time.Hour)

	// Several saves in the same second as the watermark, across runs.
	c1, _ := f.emu.Customer(3)
	c1.Customer.Firstname = "Renamed"
	f.emu.UpsertCustomer(c1.Customer, c1.Subscribed)
	got, _, cur := collect(t, s, cur)
	if len(got) != 1 || got["3"].FirstName != "Renamed" {
		t.Fatalf("one saved customer: got %v", got)
	}
	c2, _ := f.emu.Customer(4) // saved in the same second as customer 3
	f.emu.UpsertCustomer(c2.Customer, c2.Subscribed)
	got, _, cur = collect(t, s, cur)
	if len(got) != 1 || got["4"].SourceID != "4" {
		t.Fatalf("a save in the watermark's second must be delivered, and only it: got %v", keys(got))
	}
	if got, _, _ := collect(t, s, cur); len(got) != 0 {
		t.Fatalf("nothing changed: got %v", keys(got))
	}

	// A new order, a refund and a guest order bring their customers back.
	f.clock.Add(time.Minute)
	id7 := int64(7)
	ord := f.emu.AddOrder(magentotest.Order{CustomerID: &id7, CustomerEmail: "whatever@example.com", GrandTotal: 100})
	got, _, cur = collect(t, s, cur)
	if len(got) != 1 || !samePurchases(got["7"].Purchases, truth(f.emu)["7"]) {
		t.Fatalf("new order: got %v", got)
	}
	f.clock.Add(time.Minute)
	before := got["7"].Purchases.Total
	if _, err := f.emu.RefundOrder(ord.EntityID, 40); err != nil {
		t.Fatal(err)
	}
	got, _, cur = collect(t, s, cur)
	if p := got["7"].Purchases; len(got) != 1 || p.Total > before-39.99 || p.Total < before-40.01 {
		t.Fatalf("refund of 40 must lower the total from %.2f: got %+v", before, got)
	}
	c9, _ := f.emu.Customer(9)
	f.clock.Add(time.Minute)
	f.emu.AddOrder(magentotest.Order{CustomerEmail: strings.ToUpper(c9.Customer.Email), GrandTotal: 10})
	got, _, cur = collect(t, s, cur)
	if c9.Customer.Email != "" && (got["9"].SourceID != "9" || !samePurchases(got["9"].Purchases, truth(f.emu)["9"])) {
		t.Fatalf("guest order by the customer's email: got %v", got)
	}
	// A guest without an account moves only the watermark.
	f.clock.Add(time.Minute)
	f.emu.AddOrder(magentotest.Order{CustomerEmail: "walk-in@example.org", GrandTotal: 5})
	got, _, next := collect(t, s, cur)
	if len(got) != 0 || next == cur {
		t.Fatalf("guest-only order: got %v; the cursor must still move", keys(got))
	}
}

func TestCursorNowSkipsExisting(t *testing.T) {
	f := newFixture(t, magentotest.Options{})
	f.emu.Generate(30, 2)
	s := f.source(t, f.emu.Credentials())
	cur, err := s.CursorNow(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := collect(t, s, cur)
	if len(got) > 1 { // the newest row's second may hold more than the one ID CursorNow records
		t.Fatalf("NewOnly start: got %d existing customers", len(got))
	}
	f.clock.Add(time.Hour)
	c, _ := f.emu.UpsertCustomer(magentotest.Customer{Email: "new@example.com", Firstname: "New", Lastname: "Person"}, true)
	got, _, _ = collect(t, s, cur)
	if got[itoa(c.ID)].Consent != connectors.ConsentSubscribed {
		t.Fatalf("new customer after CursorNow: got %v", keys(got))
	}
}

func TestSavesDuringARunAreNotLost(t *testing.T) {
	f := newFixture(t, magentotest.Options{})
	f.emu.Generate(200, 9)
	s := f.source(t, f.emu.Credentials())
	s.pageSize, s.prefetch = 10, 1
	f.clock.Add(time.Hour)
	seen := map[string]bool{}
	pages := 0
	err := s.Changes(t.Context(), "", func(p connectors.Page) error {
		pages++
		if pages == 3 { // save early rows: they move to the end and shift every page after them
			for _, id := range []int64{1, 2, 3, 150} {
				c, _ := f.emu.Customer(id)
				f.emu.UpsertCustomer(c.Customer, c.Subscribed)
			}
		}
		for _, c := range p.Contacts {
			seen[c.SourceID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.emu.Customers() {
		if !seen[itoa(c.Customer.ID)] {
			t.Fatalf("customer %d was lost by a save during the run", c.Customer.ID)
		}
	}
}

func TestBadCursor(t *testing.T) {
	f := newFixture(t, magentotest.Options{})
	s := f.source(t, f.emu.Credentials())
	for _, cur := range []string{"not base64 !", "e30", "eyJ2IjoyfQ", "eyJ2IjoxLCJjIjoieWVzdGVyZGF5In0"} {
		err := s.Changes(t.Context(), cur, func(connectors.Page) error { return nil })
		if connectors.KindOf(err) != connectors.KindInvalid || !strings.Contains(err.Error(), "cursor") {
			t.Errorf("cursor %q: want an Invalid error naming the cursor, got %v", cur, err)
		}
	}
}

func keys(m map[string]connectors.Contact) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
