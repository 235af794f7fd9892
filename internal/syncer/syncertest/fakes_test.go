package syncertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

func collect(t *testing.T, s *Source, cursor string) (ids []string, last string) {
	t.Helper()
	err := s.Changes(context.Background(), cursor, func(p connectors.Page) error {
		for _, c := range p.Contacts {
			ids = append(ids, c.SourceID+":"+c.FirstName)
		}
		last = p.Cursor
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, last
}

func TestSourceServesCurrentVersions(t *testing.T) {
	s := NewSource(2,
		connectors.Contact{SourceID: "1", FirstName: "a"},
		connectors.Contact{SourceID: "2", FirstName: "b"},
		connectors.Contact{SourceID: "1", FirstName: "a2"},
	)
	ids, cur := collect(t, s, "")
	if len(ids) != 2 || ids[0] != "2:b" || ids[1] != "1:a2" || cur != "3" {
		t.Fatalf("got %q, cursor %q", ids, cur)
	}
	s.Put(connectors.Contact{SourceID: "2", FirstName: "b2"})
	if ids, cur = collect(t, s, cur); len(ids) != 1 || ids[0] != "2:b2" || cur != "4" {
		t.Fatalf("after the cursor: %q, %q", ids, cur)
	}
	if ids, _ = collect(t, s, cur); len(ids) != 0 {
		t.Fatalf("idle: %q", ids)
	}
	if err := s.Changes(context.Background(), "x", func(connectors.Page) error { return nil }); connectors.KindOf(err) != connectors.KindInvalid {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestSourceWriteOptOut(t *testing.T) {
	s := NewSource(10, connectors.Contact{SourceID: "1", Email: "A@example.com", Consent: connectors.ConsentSubscribed})
	for _, want := range []int{1, 1} { // a second opt-out matches but changes nothing
		if n, err := s.WriteOptOut(context.Background(), "a@example.com"); err != nil || n != want {
			t.Fatalf("got %d, %v", n, err)
		}
	}
	var got []connectors.Contact
	_ = s.Changes(context.Background(), "1", func(p connectors.Page) error { got = append(got, p.Contacts...); return nil })
	if len(got) != 1 || got[0].Consent != connectors.ConsentOptedOut {
		t.Fatalf("got %+v", got)
	}
	if n, _ := s.WriteOptOut(context.Background(), "nobody@example.com"); n != 0 {
		t.Fatalf("matched %d", n)
	}
}

func TestTargetSemantics(t *testing.T) {
	ctx := context.Background()
	tg := NewTarget(connectors.Limits{MaxBatch: 2})
	tg.Seed(connectors.TargetContact{Email: "out@example.com", Status: connectors.MemberOptedOut})
	tests := []struct {
		name   string
		w      connectors.Write
		want   connectors.Outcome
		status connectors.MemberStatus
	}{
		{"create pending", connectors.Write{Email: "new@example.com", Create: true, Permission: connectors.PermissionPending}, connectors.OutcomeCreated, connectors.MemberPending},
		{"upsert keeps status", connectors.Write{Email: "new@example.com", Create: true, Permission: connectors.PermissionExplicit}, connectors.OutcomeUpdated, connectors.MemberPending},
		{"compliance refusal", connectors.Write{Email: "out@example.com", Create: true, Permission: connectors.PermissionExplicit}, connectors.OutcomeOptedOut, connectors.MemberOptedOut},
		{"unsubscribe", connectors.Write{Email: "new@example.com", Unsubscribe: true}, connectors.OutcomeUnsubscribed, connectors.MemberOptedOut},
		{"update of a missing member", connectors.Write{Email: "ghost@example.com"}, connectors.OutcomeFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := tg.Upsert(ctx, []connectors.Write{tt.w})
			if err != nil || len(rs) != 1 || rs[0].Outcome != tt.want {
				t.Fatalf("got %+v, %v", rs, err)
			}
			if m, _ := tg.Member(tt.w.Email); m.Status != tt.status {
				t.Fatalf("status %q, want %q", m.Status, tt.status)
			}
		})
	}
	if v := tg.Violations(); len(v) != 1 {
		t.Fatalf("violations %q, want the subscribing create of an opted-out member", v)
	}
	if _, err := tg.Upsert(ctx, make([]connectors.Write, 3)); connectors.KindOf(err) != connectors.KindInvalid {
		t.Fatalf("oversized batch: %v", err)
	}
}

func TestTargetFaults(t *testing.T) {
	ctx := context.Background()
	tg := NewTarget(connectors.Limits{})
	kinds := []FaultKind{RateLimited, Timeout, AuthFailed}
	tg.SetSchedule(func(op Op, call int) Fault {
		if op == OpUpsert && call < len(kinds) {
			return Fault{Kind: kinds[call], RetryAfter: 3 * time.Second}
		}
		return Fault{}
	})
	w := []connectors.Write{{Email: "a@example.com", Create: true, Permission: connectors.PermissionNotSet}}
	_, err := tg.Upsert(ctx, w)
	if connectors.KindOf(err) != connectors.KindRateLimited || connectors.RetryAfterOf(err) != 3*time.Second {
		t.Fatalf("429: %v", err)
	}
	if _, ok := tg.Member("a@example.com"); ok {
		t.Fatal("a 429 applied the write")
	}
	if _, err = tg.Upsert(ctx, w); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	if _, ok := tg.Member("a@example.com"); !ok {
		t.Fatal("a timeout must apply the write and lose the response")
	}
	if _, err = tg.Upsert(ctx, w); !connectors.IsTerminal(err) {
		t.Fatalf("auth: %v", err)
	}
	var calls connectors.CallCounter
	if _, err := tg.Lookup(connectors.WithCallCounter(ctx, &calls), []string{"a@example.com"}); err != nil || calls.Load() != 1 {
		t.Fatalf("lookup counted %d, %v", calls.Load(), err)
	}
}
