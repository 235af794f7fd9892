package quickbooks

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/quickbooks/quickbookstest"
)

// expectedPurchases totals a customer's transactions from the emulator's state.
func expectedPurchases(emu *quickbookstest.Emulator, id string) connectors.Purchases {
	var p connectors.Purchases
	for _, entity := range purchaseEntities {
		for _, tx := range emu.Transactions(entity, id) {
			if tx.Status == "Voided" {
				continue
			}
			if entity == entityRefundReceipt {
				p.Total -= tx.TotalAmt
				continue
			}
			p.Count++
			p.Total += tx.TotalAmt
			d, _ := time.Parse(time.DateOnly, tx.TxnDate)
			if p.First.IsZero() || d.Before(p.First) {
				p.First = d
			}
			if d.After(p.Last) {
				p.Last = d
			}
		}
	}
	p.Total = math.Round(p.Total*100) / 100
	return p
}

func TestFullPassDeliversEveryCustomerOnceWithPurchases(t *testing.T) {
	for _, n := range []int{0, 1, 999, 1000, 1001, 2500} {
		t.Run("", func(t *testing.T) {
			h := newHarness(t, quickbookstest.Options{})
			h.emu.Generate(n, 7)
			pages, _ := h.run(t, h.src, "")
			got := contactsOf(pages)
			if len(got) != n {
				t.Fatalf("%d customers: got %d contacts", n, len(got))
			}
			ids := byID(got)
			if len(ids) != n {
				t.Fatalf("%d customers: %d distinct IDs, duplicates delivered", n, len(ids))
			}
			inactive := 0
			for _, c := range h.emu.Customers() {
				ct, ok := ids[c.Id]
				if !ok {
					t.Fatalf("customer %s missing", c.Id)
				}
				if ct.Active != c.IsActive() || ct.Consent != connectors.ConsentUnknown {
					t.Fatalf("customer %s: active %v consent %q", c.Id, ct.Active, ct.Consent)
				}
				if !c.IsActive() {
					inactive++
				}
				want := expectedPurchases(h.emu, c.Id)
				if ct.Purchases.Count != want.Count || math.Abs(ct.Purchases.Total-want.Total) > 0.005 ||
					!ct.Purchases.First.Equal(want.First) || !ct.Purchases.Last.Equal(want.Last) {
					t.Fatalf("customer %s purchases %+v, want %+v", c.Id, ct.Purchases, want)
				}
			}
			if n >= 1000 && inactive == 0 {
				t.Fatal("generated data has no inactive customer: the test would not see them")
			}
			c, err := decodeCursor(lastCursor(t, pages))
			if err != nil || c.Mode != modeCDC {
				t.Fatalf("final cursor %+v, %v: want a CDC cursor", c, err)
			}
		})
	}
}

func TestFullPassResumesAfterEachPage(t *testing.T) {
	h := newHarness(t, quickbookstest.Options{})
	h.emu.Generate(2300, 3)
	stop := errors.New("killed")
	seen := map[string]int{}
	cur := ""
	for runs := 0; ; runs++ {
		if runs > 5 {
			t.Fatal("full pass does not finish when resumed page by page")
		}
		var page *connectors.Page
		err := h.src.Changes(context.Background(), cur, func(p connectors.Page) error {
			page = &p
			return stop // the run dies after writing one page
		})
		if !errors.Is(err, stop) {
			t.Fatalf("Changes returned %v, want the callback's error", err)
		}
		for _, c := range page.Contacts {
			seen[c.SourceID]++
		}
		cur = page.Cursor
		if c, _ := decodeCursor(cur); c.Mode == modeCDC {
			break
		}
	}
	if len(seen) != 2300 {
		t.Fatalf("resumed pass delivered %d customers, want 2300", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("customer %s delivered %d times", id, n)
		}
	}
}

func TestBoundaryTiesAreDeliveredExactlyOnce(t *testing.T) {
	frozen := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, quickbookstest.Options{Now: func() time.Time { return frozen }})
	// 2,100 customers written in one second: more than a page shares the watermark.
	for i := range 2100 {
		if _, err := h.emu.UpsertCustomer(quickbookstest.Customer{GivenName: "Tie", FamilyName: itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	counts := map[string]int{}
	cur := ""
	for range 10 {
		var last string
		err := h.src.Changes(context.Background(), cur, func(p connectors.Page) error {
			for _, c := range p.Contacts {
				counts[c.SourceID]++
			}
			last = p.Cursor
			return errors.New("stop after one page")
		})
		if err == nil {
			t.Fatal("callback error was swallowed")
		}
		cur = last
		if c, _ := decodeCursor(cur); c.Mode == modeCDC {
			break
		}
	}
	if len(counts) != 2100 {
		t.Fatalf("delivered %d of 2100 tied customers", len(counts))
	}
	for id, n := range counts {
		if n != 1 {
			t.Fatalf("customer %s delivered %d times", id, n)
		}
	}
}

func TestIncrementalUsesCDC(t *testing.T) {
	h := newHarness(t, quickbookstest.Options{})
	h.emu.Generate(300, 11)
	pages, _ := h.run(t, h.src, "")
	cur := lastCursor(t, pages)
	h.emu.Advance(2 * time.Second)

	// Idle: one call, one empty page that moves the watermark on.
	pages, calls := h.run(t, h.src, cur)
	if calls != 1 || len(pages) != 1 || len(pages[0].Contacts) != 0 {
		t.Fatalf("idle run: %d calls, %d pages: want 1 call and one empty page", calls, len(pages))
	}
	cur = pages[0].Cursor

	renamed, _ := h.emu.UpdateCustomer("5", func(c *quickbookstest.Customer) { c.GivenName = "Renamed" })
	if _, err := h.emu.SetActive("6", false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.emu.AddTransaction(quickbookstest.EntityInvoice, "7", h.emu.Now(), 123.45); err != nil {
		t.Fatal(err)
	}
	if err := h.emu.MergeCustomer("8", "9"); err != nil {
		t.Fatal(err)
	}
	pages, calls = h.run(t, h.src, cur)
	got := byID(contactsOf(pages))
	want := map[string]func(connectors.Contact) bool{
		"5": func(c connectors.Contact) bool {
			return c.FirstName == "Renamed" && c.UpdatedAt.Equal(renamed.MetaData.LastUpdatedTime.Time)
		},
		"6": func(c connectors.Contact) bool { return !c.Active },
		"7": func(c connectors.Contact) bool { return c.Purchases == expectedPurchases(h.emu, "7") },
		"8": func(c connectors.Contact) bool { return c.Deleted },
		"9": func(c connectors.Contact) bool { return c.Purchases == expectedPurchases(h.emu, "9") },
	}
	if len(got) != len(want) {
		t.Fatalf("incremental run delivered %v, want customers 5-9", keys(got))
	}
	for id, ok := range want {
		if c, found := got[id]; !found || !ok(c) {
			t.Errorf("customer %s: %+v", id, c)
		}
	}
	// CDC + customers by ID (7, 9) + 3 purchase queries.
	if calls > 5 {
		t.Errorf("incremental run made %d calls, want at most 5", calls)
	}
	// The same changes are not delivered again.
	h.emu.Advance(time.Second)
	pages, _ = h.run(t, h.src, lastCursor(t, pages))
	if n := len(contactsOf(pages)); n != 0 {
		t.Fatalf("re-run delivered %d contacts again", n)
	}
}

func keys(m map[string]connectors.Contact) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCDCWatermarkBoundary(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	h := newHarness(t, quickbookstest.Options{Now: func() time.Time { return clock() }})
	h.src.now = clock
	c, _ := h.emu.UpsertCustomer(quickbookstest.Customer{DisplayName: "Boundary One"})
	pages, _ := h.run(t, h.src, "")
	cur := lastCursor(t, pages)

	// A change in the very second of the last answer is still caught…
	h.emu.UpdateCustomer(c.Id, func(x *quickbookstest.Customer) { x.FamilyName = "Same Second" })
	pages, _ = h.run(t, h.src, cur)
	if got := contactsOf(pages); len(got) != 1 || got[0].LastName != "Same Second" {
		t.Fatalf("same-second change: got %+v", got)
	}
	cur = lastCursor(t, pages)
	// …and de-duplicated when the inclusive watermark returns it again.
	pages, _ = h.run(t, h.src, cur)
	if got := contactsOf(pages); len(got) != 0 {
		t.Fatalf("boundary object delivered again: %+v", got)
	}
}

func TestCursorFallbacks(t *testing.T) {
	h := newHarness(t, quickbookstest.Options{})
	h.emu.Generate(50, 1)
	for _, tc := range []struct {
		name string
		cur  string
	}{
		{"other company", cursor{Realm: "1", Mode: modeCDC, Since: time.Now()}.encode()},
		{"older than CDC window", cursor{Realm: h.emu.RealmID(), Mode: modeCDC, Since: time.Now().Add(-40 * 24 * time.Hour)}.encode()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages, _ := h.run(t, h.src, tc.cur)
			if n := len(contactsOf(pages)); n != 50 {
				t.Fatalf("got %d contacts, want a full pass of 50", n)
			}
		})
	}
	for _, bad := range []string{"garbage", "eyJ2IjoyfQ", cursor{Realm: "1", Mode: "weird", Since: time.Now()}.encode(), "eyJ2IjoxLCJtb2RlIjoiY2RjIn0"} {
		err := h.src.Changes(context.Background(), bad, func(connectors.Page) error { return nil })
		if connectors.KindOf(err) != connectors.KindInvalid {
			t.Errorf("cursor %q: got %v, want KindInvalid", bad, err)
		}
	}
}

func TestFullCDCAnswerFallsBackToFullPass(t *testing.T) {
	h := newHarness(t, quickbookstest.Options{CDCMaxObjects: 10})
	h.src.cdcMax = 10
	h.emu.Generate(20, 2)
	cur := cursor{Realm: h.emu.RealmID(), Mode: modeCDC, Since: h.emu.Now().Add(-time.Hour)}.encode()
	for i := range 12 {
		h.emu.UpdateCustomer(itoa(i+1), func(c *quickbookstest.Customer) { c.Notes = "changed" })
	}
	pages, _ := h.run(t, h.src, cur)
	if n := len(contactsOf(pages)); n != 20 {
		t.Fatalf("got %d contacts, want a full pass of 20 after a full CDC answer", n)
	}
}

func TestCursorNowSkipsExisting(t *testing.T) {
	h := newHarness(t, quickbookstest.Options{})
	h.emu.Generate(100, 5)
	cur, err := h.src.CursorNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h.emu.Advance(5 * time.Second)
	created, _ := h.emu.UpsertCustomer(quickbookstest.Customer{DisplayName: "Brand New", PrimaryEmailAddr: &quickbookstest.EmailAddress{Address: "new@example.com"}})
	pages, _ := h.run(t, h.src, cur)
	got := contactsOf(pages)
	if len(got) != 1 || got[0].SourceID != created.Id || got[0].Email != "new@example.com" {
		t.Fatalf("NewOnly cursor delivered %+v, want only the new customer", got)
	}
}
