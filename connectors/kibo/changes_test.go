package kibo

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/kibo/kibotest"
)

func TestChangesPagingEdges(t *testing.T) {
	for _, n := range []int{0, 1, 199, 200, 201, 450} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			e := newEnv(t, kibotest.Options{})
			e.emu.Generate(n, 11)
			s := e.source(t)
			pages, err := collect(t, s, "")
			if err != nil {
				t.Fatal(err)
			}
			got := ids(pages)
			if len(got) != n {
				t.Fatalf("%d accounts delivered, want %d", len(got), n)
			}
			for id, k := range got {
				if k != 1 {
					t.Fatalf("account %s delivered %d times", id, k)
				}
			}
			if want := (n + 199) / 200; len(pages) != want {
				t.Fatalf("%d pages, want %d", len(pages), want)
			}
			var prev time.Time
			for _, p := range pages {
				for _, c := range p.Contacts {
					if c.UpdatedAt.Before(prev) {
						t.Fatalf("account %s out of updateDate order", c.SourceID)
					}
					prev = c.UpdatedAt
				}
			}
			// Nothing changed: the next run sends nothing.
			e.clk.Add(time.Minute)
			again, err := collect(t, s, lastCursor(pages, ""))
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 && len(ids(again)) != 0 {
				t.Fatalf("idle run sent %d accounts", len(ids(again)))
			}
		})
	}
}

func TestChangesResumeAfterRestart(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	e.emu.Generate(650, 5)
	stop := errors.New("killed")
	var first []connectors.Page
	err := e.source(t).Changes(t.Context(), "", func(p connectors.Page) error {
		first = append(first, p)
		if len(first) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("error %v, want the callback's", err)
	}
	// A new process resumes from the checkpointed cursor.
	rest, err := collect(t, e.source(t), first[1].Cursor)
	if err != nil {
		t.Fatal(err)
	}
	all := ids(first)
	for id := range ids(rest) {
		if all[id] > 0 {
			t.Fatalf("account %s delivered again after resuming", id)
		}
		all[id]++
	}
	if len(all) != 650 {
		t.Fatalf("%d accounts after resuming, want 650", len(all))
	}
}

// Many accounts share one updateDate across page boundaries: resuming in the
// middle of them neither skips nor repeats any.
func TestWatermarkBoundary(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	same := e.clk.Now().Add(-time.Hour).Add(123 * time.Millisecond)
	for i := range 450 {
		at := same
		if i%50 == 0 {
			at = same.Add(-time.Duration(i) * time.Millisecond) // a few just before, in the same second
		}
		e.emu.PutAccount(kibotest.Account{EmailAddress: fmt.Sprintf("p%d@example.com", i), IsActive: true,
			AuditInfo: kibotest.AuditInfo{UpdateDate: at}})
	}
	for i := range 10 {
		e.emu.PutAccount(kibotest.Account{EmailAddress: fmt.Sprintf("later%d@example.com", i), IsActive: true,
			AuditInfo: kibotest.AuditInfo{UpdateDate: same.Add(time.Second)}})
	}
	for _, stopAfter := range []int{1, 2} {
		t.Run(strconv.Itoa(stopAfter), func(t *testing.T) {
			var head []connectors.Page
			stop := errors.New("stop")
			_ = e.source(t).Changes(t.Context(), "", func(p connectors.Page) error {
				head = append(head, p)
				if len(head) == stopAfter {
					return stop
				}
				return nil
			})
			tail, err := collect(t, e.source(t), head[len(head)-1].Cursor)
			if err != nil {
				t.Fatal(err)
			}
			seen := ids(head)
			for id, k := range ids(tail) {
				seen[id] += k
			}
			if len(seen) != 460 {
				t.Fatalf("%d accounts, want 460", len(seen))
			}
			for id, k := range seen {
				if k != 1 {
					t.Fatalf("account %s delivered %d times", id, k)
				}
			}
		})
	}
}

func TestIncrementalIncludesPurchaseChanges(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	e.emu.Generate(300, 9)
	s := e.source(t)
	pages, err := collect(t, s, "")
	if err != nil {
		t.Fatal(err)
	}
	cur := lastCursor(pages, "")
	e.clk.Add(time.Minute)

	e.emu.UpdateAccount(1010, func(a *kibotest.Account) { a.FirstName = "Renamed" })
	e.emu.SetActive(1011, false)
	e.emu.AddOrder(kibotest.Order{CustomerAccountID: 1020, Total: 40})
	e.emu.AddOrder(kibotest.Order{Email: "guest@example.com", Total: 10}) // a guest order: no account
	before, _ := e.emu.Account(1030)
	orders := e.emu.OrdersOf(1030)
	if len(orders) == 0 {
		t.Fatal("generated account 1030 has no orders; pick another seed")
	}
	refunded := orders[0].ID
	e.emu.Refund(refunded, 5)
	e.clk.Add(time.Minute)

	pages, err = collect(t, s, cur)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]connectors.Contact{}
	for _, p := range pages {
		for _, c := range p.Contacts {
			got[c.SourceID] = c
		}
	}
	if len(got) != 4 {
		t.Fatalf("incremental sent %d accounts (%v), want 1010, 1011, 1020, 1030", len(got), keys(got))
	}
	if got["1010"].FirstName != "Renamed" || got["1011"].Active {
		t.Fatalf("account changes not carried: %+v %+v", got["1010"], got["1011"])
	}
	after, _ := e.emu.Account(1020)
	if p := got["1020"].Purchases; p.Count != after.CommerceSummary.OrderCount || p.Last.IsZero() {
		t.Fatalf("purchases of 1020 %+v, want %d orders", p, after.CommerceSummary.OrderCount)
	}
	if want := before.CommerceSummary.TotalOrderAmount.Amount - 5; fmt.Sprintf("%.2f", got["1030"].Purchases.Total) != fmt.Sprintf("%.2f", want) {
		t.Fatalf("refund not reflected: total %.2f, want %.2f", got["1030"].Purchases.Total, want)
	}
	// And then nothing.
	e.clk.Add(time.Minute)
	idle, err := collect(t, s, lastCursor(pages, cur))
	if err != nil || len(ids(idle)) != 0 {
		t.Fatalf("idle run after incremental: %v, %d accounts", err, len(ids(idle)))
	}
}

func keys(m map[string]connectors.Contact) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Accounts updated while a concurrent, offset-paged pass runs shift the
// later offsets; the scan notices and resumes by key, so none is skipped.
func TestScanSurvivesUpdatesDuringPass(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	e.emu.Generate(1000, 3)
	s := e.source(t)
	touched := false
	seen := map[string]bool{}
	err := s.Changes(t.Context(), "", func(p connectors.Page) error {
		for _, c := range p.Contacts {
			seen[c.SourceID] = true
		}
		if !touched {
			touched = true
			e.clk.Add(time.Minute)
			for _, c := range p.Contacts[:7] { // move already-sent accounts out of the window
				id, _ := strconv.Atoi(c.SourceID)
				e.emu.UpdateAccount(id, func(a *kibotest.Account) { a.LastName += "x" })
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1000 {
		t.Fatalf("%d accounts seen, want 1000: the shifted offsets skipped some", len(seen))
	}
}

func TestCursorNow(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	e.emu.Generate(250, 4)
	s := e.source(t)
	cur, err := s.CursorNow(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Add(time.Minute)
	if pages, err := collect(t, s, cur); err != nil || len(ids(pages)) != 0 {
		t.Fatalf("after CursorNow: %v, %d accounts", err, len(ids(pages)))
	}
	e.emu.UpdateAccount(1100, func(a *kibotest.Account) { a.FirstName = "New" })
	e.clk.Add(time.Minute)
	pages, err := collect(t, s, cur)
	if got := ids(pages); err != nil || len(got) != 1 || got["1100"] != 1 {
		t.Fatalf("after one change: %v, %v", err, got)
	}
}

func TestCursorGarbage(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	s := newEnv(t, kibotest.Options{}).source(t)
	for _, c := range []string{
		"garbage!", "2024-06-01T00:00:00Z", enc("{"), enc(`{"v":2}`), enc(`{"v":1,"a":{"t":"0001-01-01T00:00:00Z"}}`),
		enc(`{"v":1,"x":1}`), enc(`{"v":1,"a":{"t":"yesterday"}}`), enc(`[]`),
	} {
		err := s.Changes(t.Context(), c, func(connectors.Page) error { return nil })
		var ce *connectors.Error
		if !errors.As(err, &ce) || ce.Kind != connectors.KindInvalid || ce.Op != "read cursor" {
			t.Errorf("cursor %q: %v, want an Invalid cursor error", c, err)
		}
	}
	// A valid cursor round-trips.
	at := time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)
	want := cursor{Accounts: &key{At: at, ID: "42"}, Orders: &key{At: at}}
	got, err := parseCursor(want.encode())
	if err != nil || !got.Accounts.At.Equal(at) || got.Accounts.ID != "42" || got.Orders == nil {
		t.Fatalf("round trip: %+v %v", got, err)
	}
}

func TestKeyOrder(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	k := key{At: at, ID: "99"}
	tests := []struct {
		at    time.Time
		id    string
		after bool
	}{
		{at, "100", true}, {at, "99", false}, {at, "98", false}, {at.Add(time.Millisecond), "1", true},
		{at.Add(-time.Millisecond), "1000", false},
	}
	for _, tc := range tests {
		if got := k.after(tc.at, tc.id); got != tc.after {
			t.Errorf("(%v, %s) after %v: %v, want %v", tc.at, tc.id, k, got, tc.after)
		}
	}
	if compareIDs("0000000000000000000000000000000a", "00000000000000000000000000000009") <= 0 {
		t.Error("hex order IDs compare as numbers")
	}
}
