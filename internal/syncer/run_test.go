package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/internal/syncer/syncertest"
)

// harness runs the engine against the fakes and records what it does.
type harness struct {
	src    *syncertest.Source
	tgt    *syncertest.Target
	sleeps []time.Duration
	cps    []Checkpoint
	mu     sync.Mutex
}

func newHarness(pageSize int, limits connectors.Limits, contacts ...connectors.Contact) *harness {
	h := &harness{src: syncertest.NewSource(pageSize, contacts...), tgt: syncertest.NewTarget(limits)}
	h.tgt.RecordWrites()
	return h
}

func (h *harness) params(p *Policy, cursor string) Params {
	return Params{
		Source: h.src, Target: h.tgt, Policy: p, Cursor: cursor, FirstSync: cursor == "",
		Now: func() time.Time { return testNow },
		Checkpoint: func(_ context.Context, cp Checkpoint) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.cps = append(h.cps, cp)
			return nil
		},
		Retry: Retry{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: time.Minute,
			Sleep: func(_ context.Context, d time.Duration) error {
				h.mu.Lock()
				defer h.mu.Unlock()
				h.sleeps = append(h.sleeps, d)
				return nil
			}},
	}
}

func (h *harness) run(t *testing.T, p *Policy, cursor string) (Report, error) {
	t.Helper()
	return Run(context.Background(), h.params(p, cursor))
}

func contact(id, email string, consent connectors.Consent) connectors.Contact {
	return connectors.Contact{SourceID: id, Email: email, FirstName: "F" + id, LastName: "L" + id, Active: true, Consent: consent, UpdatedAt: testNow}
}

var smallLimits = connectors.Limits{MaxBatch: 3, MaxLookup: 2, Concurrency: 2}

// TestConsent checks DESIGN.md §3 contact by contact: what is written, with
// which permission, to which lists, and how it counts.
func TestConsent(t *testing.T) {
	split := SplitLists{NewSubscribers: "subs", NewNonSubscribers: "nonsubs", Existing: "existing"}
	member := func(status connectors.MemberStatus, inList bool, groups ...string) *connectors.TargetContact {
		return &connectors.TargetContact{Email: "a@example.com", Status: status, InList: inList, FirstName: "Old", LastName: "La", Groups: groups}
	}
	type want struct {
		kind    string // "", "create", "update", "unsubscribe"
		perm    connectors.Permission
		groups  []string
		status  connectors.MemberStatus
		counter func(r Report) int64
	}
	created := func(r Report) int64 { return r.Created }
	updated := func(r Report) int64 { return r.Updated }
	unchangedN := func(r Report) int64 { return r.Unchanged }
	unsub := func(r Report) int64 { return r.Unsubscribed }
	optedOut := func(r Report) int64 { return r.Skipped.UnsubscribedInTarget }
	notSub := func(r Report) int64 { return r.Skipped.NotSubscribed }
	tests := []struct {
		name     string
		spec     PolicySpec
		consent  connectors.Consent
		existing *connectors.TargetContact
		want     want
	}{
		{"all: new gets newContactPermission", PolicySpec{NewContactPermission: connectors.PermissionPending}, connectors.ConsentUnknown, nil,
			want{kind: "create", perm: connectors.PermissionPending, status: connectors.MemberPending, counter: created}},
		{"all: new not-subscribed still gets newContactPermission", PolicySpec{}, connectors.ConsentNotSubscribed, nil,
			want{kind: "create", perm: connectors.PermissionImplicit, status: connectors.MemberSubscribed, counter: created}},
		{"all: new source opt-out is created without permission", PolicySpec{NewContactPermission: connectors.PermissionExplicit}, connectors.ConsentOptedOut, nil,
			want{kind: "create", perm: connectors.PermissionNotSet, status: connectors.MemberNotSubscribed, counter: created}},
		{"opted out in target is never written", PolicySpec{}, connectors.ConsentSubscribed, member(connectors.MemberOptedOut, true),
			want{status: connectors.MemberOptedOut, counter: optedOut}},
		{"opted out in target, source opt-out too", PolicySpec{}, connectors.ConsentOptedOut, member(connectors.MemberOptedOut, false),
			want{status: connectors.MemberOptedOut, counter: optedOut}},
		{"existing keeps its status", PolicySpec{NewContactPermission: connectors.PermissionExplicit}, connectors.ConsentSubscribed, member(connectors.MemberNotSubscribed, true),
			want{kind: "update", status: connectors.MemberNotSubscribed, counter: updated}},
		{"existing pending stays pending", PolicySpec{}, connectors.ConsentSubscribed, member(connectors.MemberPending, true),
			want{kind: "update", status: connectors.MemberPending, counter: updated}},
		{"source opt-out unsubscribes an existing contact", PolicySpec{}, connectors.ConsentOptedOut, member(connectors.MemberSubscribed, true),
			want{kind: "unsubscribe", status: connectors.MemberOptedOut, counter: unsub}},
		{"source opt-out of a pending contact unsubscribes it", PolicySpec{}, connectors.ConsentOptedOut, member(connectors.MemberPending, true),
			want{kind: "unsubscribe", status: connectors.MemberOptedOut, counter: unsub}},
		{"source opt-out leaves a contact without permission as it is", PolicySpec{}, connectors.ConsentOptedOut, member(connectors.MemberNotSubscribed, true),
			want{kind: "update", status: connectors.MemberNotSubscribed, counter: updated}},
		{"existing outside the list is added to it", PolicySpec{}, connectors.ConsentUnknown, &connectors.TargetContact{Email: "a@example.com", Status: connectors.MemberSubscribed, FirstName: "Fa", LastName: "La"},
			want{kind: "update", status: connectors.MemberSubscribed, counter: updated}},
		{"existing and identical is unchanged", PolicySpec{}, connectors.ConsentUnknown, &connectors.TargetContact{Email: "a@example.com", Status: connectors.MemberSubscribed, InList: true, FirstName: "Fa", LastName: "La"},
			want{status: connectors.MemberSubscribed, counter: unchangedN}},
		{"subscribers only: new subscriber is Explicit", PolicySpec{Contacts: SubscribersOnly, NewContactPermission: connectors.PermissionPending}, connectors.ConsentSubscribed, nil,
			want{kind: "create", perm: connectors.PermissionExplicit, status: connectors.MemberSubscribed, counter: created}},
		{"subscribers only: non-subscriber skipped", PolicySpec{Contacts: SubscribersOnly}, connectors.ConsentUnknown, nil,
			want{counter: notSub}},
		{"subscribers only: new opt-out skipped", PolicySpec{Contacts: SubscribersOnly}, connectors.ConsentOptedOut, nil,
			want{counter: notSub}},
		{"subscribers only: existing opt-out still unsubscribed", PolicySpec{Contacts: SubscribersOnly}, connectors.ConsentOptedOut, member(connectors.MemberSubscribed, true),
			want{kind: "unsubscribe", status: connectors.MemberOptedOut, counter: unsub}},
		{"split: new subscriber", PolicySpec{Contacts: SplitBySubscription, SplitLists: split, NewContactPermission: connectors.PermissionNotSet}, connectors.ConsentSubscribed, nil,
			want{kind: "create", perm: connectors.PermissionExplicit, groups: []string{"subs"}, status: connectors.MemberSubscribed, counter: created}},
		{"split: new non-subscriber", PolicySpec{Contacts: SplitBySubscription, SplitLists: split}, connectors.ConsentNotSubscribed, nil,
			want{kind: "create", perm: connectors.PermissionNotSet, groups: []string{"nonsubs"}, status: connectors.MemberNotSubscribed, counter: created}},
		{"split: new unknown consent", PolicySpec{Contacts: SplitBySubscription, SplitLists: split, NewContactPermission: connectors.PermissionImplicit}, connectors.ConsentUnknown, nil,
			want{kind: "create", perm: connectors.PermissionImplicit, groups: []string{"nonsubs"}, status: connectors.MemberSubscribed, counter: created}},
		{"split: existing goes to the existing list", PolicySpec{Contacts: SplitBySubscription, SplitLists: split}, connectors.ConsentSubscribed, member(connectors.MemberNotSubscribed, true),
			want{kind: "update", groups: []string{"existing"}, status: connectors.MemberNotSubscribed, counter: updated}},
		{"split: contact created by the sync is not 'existing'", PolicySpec{Contacts: SplitBySubscription, SplitLists: split}, connectors.ConsentSubscribed, &connectors.TargetContact{Email: "a@example.com", Status: connectors.MemberSubscribed, InList: true, FirstName: "Fa", LastName: "La", Groups: []string{"subs"}},
			want{groups: []string{"subs"}, status: connectors.MemberSubscribed, counter: unchangedN}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(10, smallLimits, contact("a", " A@Example.com ", tt.consent))
			if tt.existing != nil {
				h.tgt.Seed(*tt.existing)
			}
			rep, err := h.run(t, mustPolicy(t, tt.spec), "")
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.want.counter(rep); got != 1 {
				t.Fatalf("the expected counter is %d, want 1; report %+v", got, rep)
			}
			writes := h.tgt.Writes()
			if tt.want.kind == "" {
				if len(writes) != 0 {
					t.Fatalf("wrote %+v, want nothing", writes)
				}
			} else {
				if len(writes) != 1 {
					t.Fatalf("wrote %+v, want one write", writes)
				}
				w := writes[0]
				if w.Email != "a@example.com" || w.Create != (tt.want.kind == "create") || w.Unsubscribe != (tt.want.kind == "unsubscribe") {
					t.Fatalf("write %+v is not a %s", w, tt.want.kind)
				}
				if w.Permission != tt.want.perm {
					t.Fatalf("permission %q, want %q", w.Permission, tt.want.perm)
				}
				if tt.existing != nil && w.AddToList == tt.existing.InList {
					t.Fatalf("AddToList %v for a contact with InList %v", w.AddToList, tt.existing.InList)
				}
			}
			m, ok := h.tgt.Member("a@example.com")
			if tt.want.status != "" && (!ok || m.Status != tt.want.status) {
				t.Fatalf("member %+v, want status %s", m, tt.want.status)
			}
			if tt.want.groups != nil && !slices.Equal(m.Groups, tt.want.groups) {
				t.Fatalf("groups %q, want %q", m.Groups, tt.want.groups)
			}
			if v := h.tgt.Violations(); len(v) > 0 {
				t.Fatal(v)
			}
		})
	}
}

func TestSkipsAndCounts(t *testing.T) {
	inactive := contact("3", "inactive@example.com", connectors.ConsentSubscribed)
	inactive.Active = false
	deleted := contact("5", "deleted@example.com", connectors.ConsentSubscribed)
	deleted.Deleted = true
	h := newHarness(2, smallLimits,
		contact("1", "", connectors.ConsentSubscribed),
		contact("2", "not-an-email@", connectors.ConsentSubscribed),
		inactive,
		contact("4", "ok@example.com", connectors.ConsentSubscribed),
		deleted,
	)
	rep, err := h.run(t, mustPolicy(t, PolicySpec{}), "")
	if err != nil {
		t.Fatal(err)
	}
	want := Skipped{NoEmail: 1, InvalidEmail: 1, Inactive: 1}
	if rep.Skipped != want || rep.Fetched != 5 || rep.Created != 1 {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Reason != ReasonInvalidEmail || rep.Errors[0].SourceID != "2" || rep.Errors[0].Email != "n***@" {
		t.Fatalf("errors %+v", rep.Errors)
	}
	// An inactive contact is never brought over, on later runs either (a
	// QuickBooks cursor re-reads its boundary second; an invoice touches the
	// customer)...
	h.src.Put(inactive)
	rep, err = h.run(t, mustPolicy(t, PolicySpec{}), rep.Cursor)
	if err != nil || rep.Created != 0 || rep.Skipped.Inactive != 1 {
		t.Fatalf("incremental run: %+v, %v", rep, err)
	}
	// ...but deactivating a contact already in the list does not remove it:
	// it keeps being updated.
	gone := contact("4", "ok@example.com", connectors.ConsentSubscribed)
	gone.Active = false
	gone.FirstName = "Renamed"
	h.src.Put(gone)
	rep, err = h.run(t, mustPolicy(t, PolicySpec{}), rep.Cursor)
	if err != nil || rep.Updated != 1 || rep.Skipped.Inactive != 0 {
		t.Fatalf("deactivated contact: %+v, %v", rep, err)
	}
}

func TestTagsSegmentsAndUnchanged(t *testing.T) {
	spec := PolicySpec{Tags: []string{"QuickBooks Online"}, Segments: []Segment{{Preset: "Recent"}, {Name: "big", When: "contact.purchases.total > 100.0", List: "VIP"}}}
	c := contact("1", "a@example.com", connectors.ConsentSubscribed)
	c.Purchases = connectors.Purchases{Count: 1, Total: 150, First: testNow.AddDate(0, 0, -5), Last: testNow.AddDate(0, 0, -5)}
	h := newHarness(10, smallLimits, c)
	h.tgt.Seed(connectors.TargetContact{Email: "b@example.com", Status: connectors.MemberSubscribed, InList: true, Groups: []string{"Unmanaged"}})
	pol := mustPolicy(t, spec)
	if _, err := h.run(t, pol, ""); err != nil {
		t.Fatal(err)
	}
	m, _ := h.tgt.Member("a@example.com")
	if !slices.Equal(m.Tags, []string{"QuickBooks Online"}) || !slices.Equal(m.Groups, []string{"Recent", "VIP"}) {
		t.Fatalf("member %+v", m)
	}

	// Nothing changed: a full pass writes nothing.
	rep, err := h.run(t, pol, "")
	if err != nil || rep.Unchanged != 1 || rep.Updated != 0 || len(h.tgt.Writes()) != 1 {
		t.Fatalf("idle full pass: %+v %v, writes %d", rep, err, len(h.tgt.Writes()))
	}

	// A refund drops the total: the contact leaves VIP but keeps Recent and unmanaged groups.
	c.Purchases.Total = 50
	h.tgt.Seed(func() connectors.TargetContact { m.Groups = append(m.Groups, "Unmanaged"); return m }())
	h.src.Put(c)
	if _, err := h.run(t, pol, "1"); err != nil {
		t.Fatal(err)
	}
	m, _ = h.tgt.Member("a@example.com")
	if !slices.Equal(m.Groups, []string{"Recent", "Unmanaged"}) {
		t.Fatalf("groups after the refund %q", m.Groups)
	}
	last := h.tgt.Writes()[len(h.tgt.Writes())-1]
	if !slices.Equal(last.RemoveGroups, []string{"VIP"}) || len(last.AddGroups) != 0 || len(last.Tags) != 0 {
		t.Fatalf("write %+v", last)
	}
}

func TestDuplicatesInOneRun(t *testing.T) {
	first := contact("1", "dup@example.com", connectors.ConsentSubscribed)
	first.Phone = "111"
	second := contact("2", "DUP@example.com", connectors.ConsentSubscribed)
	second.FirstName = "Second"
	h := newHarness(10, connectors.Limits{MaxBatch: 10, MaxLookup: 10, Concurrency: 4}, first, contact("3", "x@example.com", connectors.ConsentUnknown), second)
	rep, err := h.run(t, mustPolicy(t, PolicySpec{}), "")
	if err != nil {
		t.Fatal(err)
	}
	if v := h.tgt.Violations(); len(v) > 0 {
		t.Fatal(v)
	}
	m, _ := h.tgt.Member("dup@example.com")
	if m.FirstName != "Second" || m.Phone != "111" || rep.Created != 2 || rep.Updated != 1 || rep.ContactsSeen != 2 {
		t.Fatalf("member %+v, report %+v", m, rep)
	}
}

func TestFaultsAndRetries(t *testing.T) {
	contacts := []connectors.Contact{}
	for i := range 9 {
		contacts = append(contacts, contact(fmt.Sprint(i), fmt.Sprintf("p%d@example.com", i), connectors.ConsentSubscribed))
	}
	tests := []struct {
		name     string
		schedule func(op syncertest.Op, call int) syncertest.Fault
		wantErr  bool
		terminal bool
		minSleep time.Duration
	}{
		{"429 honours Retry-After", func(op syncertest.Op, call int) syncertest.Fault {
			if op == syncertest.OpUpsert && call == 0 {
				return syncertest.Fault{Kind: syncertest.RateLimited, RetryAfter: 7 * time.Second}
			}
			return syncertest.Fault{}
		}, false, false, 7 * time.Second},
		{"5xx on lookup is retried", func(op syncertest.Op, call int) syncertest.Fault {
			if op == syncertest.OpLookup && call < 2 {
				return syncertest.Fault{Kind: syncertest.ServerError}
			}
			return syncertest.Fault{}
		}, false, false, 0},
		{"timeout after applying is retried harmlessly", func(op syncertest.Op, call int) syncertest.Fault {
			if op == syncertest.OpUpsert && call%2 == 0 {
				return syncertest.Fault{Kind: syncertest.Timeout}
			}
			return syncertest.Fault{}
		}, false, false, 0},
		{"persistent 5xx fails after the attempts", func(op syncertest.Op, call int) syncertest.Fault {
			if op == syncertest.OpUpsert && call >= 1 {
				return syncertest.Fault{Kind: syncertest.ServerError}
			}
			return syncertest.Fault{}
		}, true, false, 0},
		{"auth failure is terminal at once", func(op syncertest.Op, call int) syncertest.Fault {
			if op == syncertest.OpUpsert && call >= 1 {
				return syncertest.Fault{Kind: syncertest.AuthFailed}
			}
			return syncertest.Fault{}
		}, true, true, 0},
		{"a Retry-After beyond MaxDelay ends the run", func(op syncertest.Op, call int) syncertest.Fault {
			if op == syncertest.OpUpsert && call >= 1 {
				return syncertest.Fault{Kind: syncertest.RateLimited, RetryAfter: 10 * time.Hour}
			}
			return syncertest.Fault{}
		}, true, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(3, connectors.Limits{MaxBatch: 3, MaxLookup: 3, Concurrency: 1}, contacts...)
			h.tgt.SetSchedule(tt.schedule)
			rep, err := h.run(t, mustPolicy(t, PolicySpec{}), "")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if connectors.IsTerminal(err) != tt.terminal {
					t.Fatalf("terminal %v for %v", connectors.IsTerminal(err), err)
				}
				// Only the first page was written: the cursor stands there.
				if rep.Cursor != "3" || len(h.cps) != 1 || h.cps[0].Cursor != "3" {
					t.Fatalf("cursor %q, checkpoints %+v", rep.Cursor, h.cps)
				}
				if tt.terminal && h.tgt.Calls(syncertest.OpUpsert) != 2 {
					t.Fatalf("a terminal error was retried: %d upserts", h.tgt.Calls(syncertest.OpUpsert))
				}
				return
			}
			if rep.Created != 9 || len(h.tgt.Members()) != 9 || rep.Cursor != "9" {
				t.Fatalf("report %+v, members %d", rep, len(h.tgt.Members()))
			}
			if tt.minSleep > 0 && (len(h.sleeps) == 0 || h.sleeps[0] < tt.minSleep) {
				t.Fatalf("sleeps %v, want the first at least %v", h.sleeps, tt.minSleep)
			}
			if int64(h.tgt.Calls(syncertest.OpUpsert)+h.tgt.Calls(syncertest.OpLookup)) != rep.APICalls.Target {
				t.Fatalf("target calls %d counted, fake saw %d", rep.APICalls.Target, h.tgt.Calls(syncertest.OpUpsert)+h.tgt.Calls(syncertest.OpLookup))
			}
		})
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	r := Retry{BaseDelay: time.Second, MaxDelay: 10 * time.Second}.withDefaults()
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 10 * time.Second} {
		for range 20 {
			if d := r.delay(attempt, 0); d < want/2 || d > want {
				t.Fatalf("attempt %d: delay %v outside [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
	if d := r.delay(1, 5*time.Second); d < 5*time.Second {
		t.Fatalf("Retry-After ignored: %v", d)
	}
}

func TestPerContactOutcomes(t *testing.T) {
	h := newHarness(10, connectors.Limits{MaxBatch: 10},
		contact("1", "refused@example.com", connectors.ConsentSubscribed),
		contact("2", "fake@example.com", connectors.ConsentSubscribed),
		contact("3", "rejected@example.com", connectors.ConsentSubscribed),
		contact("4", "fine@example.com", connectors.ConsentSubscribed),
	)
	h.tgt.RefuseOnWrite("refused@example.com")
	h.tgt.InvalidOnWrite("fake@example.com")
	h.tgt.RejectOnWrite("rejected@example.com")
	rep, err := h.run(t, mustPolicy(t, PolicySpec{}), "")
	if err != nil {
		t.Fatal(err)
	}
	want := Report{Created: 1, Failed: 1, Skipped: Skipped{UnsubscribedInTarget: 1, InvalidEmail: 1}}
	if rep.Created != want.Created || rep.Failed != want.Failed || rep.Skipped != want.Skipped || rep.ContactsSeen != 1 {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Errors) != 2 {
		t.Fatalf("errors %+v", rep.Errors)
	}
	for _, e := range rep.Errors {
		if strings.Contains(e.Message, "rejected@example.com") || strings.Contains(e.Email, "ejected") {
			t.Fatalf("unmasked email in %+v", e)
		}
	}
	if rep.Cursor != "4" {
		t.Fatalf("failed contacts are recorded: the cursor must pass them, got %q", rep.Cursor)
	}
}

func TestMaxContacts(t *testing.T) {
	var cs []connectors.Contact
	for i := range 6 {
		cs = append(cs, contact(fmt.Sprint(i), fmt.Sprintf("p%d@example.com", i), connectors.ConsentSubscribed))
	}
	h := newHarness(2, connectors.Limits{MaxBatch: 2, Concurrency: 1}, cs...)
	h.tgt.Seed(connectors.TargetContact{Email: "p5@example.com", Status: connectors.MemberSubscribed, InList: true})
	rep, err := h.run(t, mustPolicy(t, PolicySpec{MaxContacts: 3}), "")
	if err != nil {
		t.Fatal(err)
	}
	// p0, p1 created; p2 created; p3, p4 over the cap; p5 exists: updates still flow.
	if rep.Created != 3 || rep.Skipped.OverCap != 2 || rep.Updated != 1 || rep.ContactsInTarget != 4 {
		t.Fatalf("report %+v", rep)
	}
	// An incremental run starts from what status says the target holds.
	h.src.Put(contact("9", "new@example.com", connectors.ConsentSubscribed))
	p := h.params(mustPolicy(t, PolicySpec{MaxContacts: 5}), rep.Cursor)
	p.ContactsInTarget = 4
	rep, err = Run(context.Background(), p)
	if err != nil || rep.Created != 1 || rep.ContactsInTarget != 5 {
		t.Fatalf("incremental: %+v %v", rep, err)
	}
}

func TestDryRun(t *testing.T) {
	var cs []connectors.Contact
	for i := range 30 {
		cs = append(cs, contact(fmt.Sprint(i), fmt.Sprintf("p%d@example.com", i), connectors.ConsentSubscribed))
	}
	cs[3].Consent = connectors.ConsentOptedOut
	h := newHarness(7, smallLimits, cs...)
	h.tgt.Seed(connectors.TargetContact{Email: "p3@example.com", Status: connectors.MemberSubscribed, InList: true})
	rep, err := h.run(t, mustPolicy(t, PolicySpec{DryRun: true}), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.tgt.Writes()) != 0 || h.tgt.Calls(syncertest.OpUpsert) != 0 || len(h.cps) != 0 {
		t.Fatalf("a dry run wrote or checkpointed: %d writes, %d checkpoints", len(h.tgt.Writes()), len(h.cps))
	}
	if rep.Created != 29 || rep.Unsubscribed != 1 || len(rep.Plan) != maxPlan || rep.Cursor != "" || !rep.DryRun {
		t.Fatalf("report %+v", rep)
	}
	var sawUnsub bool
	for _, c := range rep.Plan {
		if strings.Contains(c.Email, "p1") && c.Email != "p***@example.com" {
			t.Fatalf("unmasked %q", c.Email)
		}
		sawUnsub = sawUnsub || (c.Action == "Unsubscribe" && c.Email == "p***@example.com")
	}
	if !sawUnsub {
		t.Fatalf("plan %+v lacks the unsubscribe", rep.Plan)
	}
}

func TestCheckpointsAreOrderedAndComplete(t *testing.T) {
	var cs []connectors.Contact
	for i := range 50 {
		cs = append(cs, contact(fmt.Sprint(i), fmt.Sprintf("p%d@example.com", i), connectors.ConsentSubscribed))
	}
	h := newHarness(4, connectors.Limits{MaxBatch: 3, MaxLookup: 2, Concurrency: 4}, cs...)
	h.tgt.SetLatency(time.Millisecond)
	rep, err := h.run(t, mustPolicy(t, PolicySpec{}), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.cps) != 13 {
		t.Fatalf("%d checkpoints, want one per page (13)", len(h.cps))
	}
	prev := 0
	for _, cp := range h.cps {
		var n int
		fmt.Sscan(cp.Cursor, &n)
		if n <= prev {
			t.Fatalf("checkpoint %q after %d", cp.Cursor, prev)
		}
		prev = n
		// Every contact up to the cursor is in the target.
		for i := range n {
			if _, ok := h.tgt.Member(fmt.Sprintf("p%d@example.com", i)); !ok && cp.Report.Created < int64(n) {
				t.Fatalf("checkpoint %q passes p%d which is not written (created %d)", cp.Cursor, i, cp.Report.Created)
			}
		}
		if cp.Report.Created < int64(n) {
			t.Fatalf("checkpoint %q reports %d created", cp.Cursor, cp.Report.Created)
		}
	}
	if rep.Cursor != "50" || rep.APICalls.Source != 13 || rep.APICalls.Target != int64(h.tgt.Calls(syncertest.OpLookup)+h.tgt.Calls(syncertest.OpUpsert)) {
		t.Fatalf("report %+v", rep)
	}
}

func TestCheckpointErrorStopsTheRun(t *testing.T) {
	var cs []connectors.Contact
	for i := range 10 {
		cs = append(cs, contact(fmt.Sprint(i), fmt.Sprintf("p%d@example.com", i), connectors.ConsentSubscribed))
	}
	h := newHarness(2, smallLimits, cs...)
	p := h.params(mustPolicy(t, PolicySpec{}), "")
	boom := errors.New("status patch failed")
	p.Checkpoint = func(context.Context, Checkpoint) error { return boom }
	if _, err := Run(context.Background(), p); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}

func TestSourceFailureAndCancellation(t *testing.T) {
	var cs []connectors.Contact
	for i := range 10 {
		cs = append(cs, contact(fmt.Sprint(i), fmt.Sprintf("p%d@example.com", i), connectors.ConsentSubscribed))
	}
	h := newHarness(2, smallLimits, cs...)
	h.src.SetFault(func(page int) error {
		if page == 2 {
			return &connectors.Error{Kind: connectors.KindTransient, Provider: "fake", Op: "list", StatusCode: 502}
		}
		return nil
	})
	rep, err := h.run(t, mustPolicy(t, PolicySpec{}), "")
	if err == nil || !strings.Contains(err.Error(), "source") || rep.Cursor != "4" {
		t.Fatalf("err %v, cursor %q", err, rep.Cursor)
	}

	ctx, cancel := context.WithCancel(context.Background())
	h2 := newHarness(2, connectors.Limits{MaxBatch: 2, Concurrency: 1}, cs...)
	h2.tgt.SetLatency(20 * time.Millisecond)
	p := h2.params(mustPolicy(t, PolicySpec{}), "")
	p.Checkpoint = func(context.Context, Checkpoint) error { cancel(); return nil }
	rep, err = Run(ctx, p)
	if !errors.Is(err, context.Canceled) || rep.Cursor != "2" {
		t.Fatalf("got %v, cursor %q", err, rep.Cursor)
	}
}

func TestPush(t *testing.T) {
	tgt := syncertest.NewTarget(smallLimits)
	p := Params{Target: tgt, Policy: mustPolicy(t, PolicySpec{}), Cursor: "keep", Now: func() time.Time { return testNow },
		Checkpoint: func(context.Context, Checkpoint) error { t.Fatal("Push checkpointed"); return nil }}
	rep, err := Push(context.Background(), p, []connectors.Contact{
		contact("d1", "donor@example.org", connectors.ConsentSubscribed), contact("d2", "", connectors.ConsentSubscribed),
	})
	if err != nil || rep.Created != 1 || rep.Skipped.NoEmail != 1 || rep.Cursor != "keep" {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestSharedLimiter(t *testing.T) {
	ls := NewLimiters()
	limits := connectors.Limits{MaxBatch: 1, Concurrency: 4, RequestsPerSecond: 1000, Burst: 1}
	lim := ls.For("cred", limits)
	if ls.For("cred", connectors.Limits{}) != lim || ls.For("other", limits) == lim {
		t.Fatal("limiters are not shared per key")
	}
	var cs []connectors.Contact
	for i := range 20 {
		cs = append(cs, contact(fmt.Sprint(i), fmt.Sprintf("p%d@example.com", i), connectors.ConsentSubscribed))
	}
	h := newHarness(5, limits, cs...)
	p := h.params(mustPolicy(t, PolicySpec{}), "")
	p.Limiters, p.LimiterKey = ls, "cred"
	start := time.Now()
	rep, err := Run(context.Background(), p)
	if err != nil || rep.Created != 20 {
		t.Fatalf("%+v %v", rep, err)
	}
	// 40 calls at 1000/s with a burst of 1 take at least 39 ms.
	if d := time.Since(start); d < 35*time.Millisecond {
		t.Fatalf("40 calls in %v: the rate limit was not applied", d)
	}
}

func TestSyncUnsubscribes(t *testing.T) {
	src := syncertest.NewSource(10,
		contact("1", "gone@example.com", connectors.ConsentSubscribed),
		contact("2", "other@example.com", connectors.ConsentSubscribed))
	tgt := syncertest.NewTarget(smallLimits)
	tgt.Seed(connectors.TargetContact{Email: "gone@example.com", Status: connectors.MemberSubscribed, InList: true},
		connectors.TargetContact{Email: "stranger@example.com", Status: connectors.MemberSubscribed, InList: true})
	t0 := testNow.Add(-time.Hour)
	tgt.OptOut("gone@example.com", t0.Add(time.Minute))
	tgt.OptOut("stranger@example.com", t0.Add(2*time.Minute))
	rep, err := SyncUnsubscribes(context.Background(), tgt, src, t0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Written != 1 || rep.NotFound != 1 || rep.Failed != 0 || !rep.Watermark.Equal(t0.Add(2*time.Minute)) || rep.APICalls.Target != 1 || rep.APICalls.Source != 2 {
		t.Fatalf("%+v", rep)
	}
	// The opt-out reached the source: the next run unsubscribes nobody new
	// and never re-subscribes the contact.
	h := &harness{src: src, tgt: tgt}
	if _, err := h.run(t, mustPolicy(t, PolicySpec{}), ""); err != nil {
		t.Fatal(err)
	}
	if m, _ := tgt.Member("gone@example.com"); m.Status != connectors.MemberOptedOut {
		t.Fatalf("re-subscribed: %+v", m)
	}
}

// failingWriter fails every opt-out transiently.
type failingWriter struct{}

func (failingWriter) WriteOptOut(context.Context, string) (int, error) {
	return 0, &connectors.Error{Kind: connectors.KindTransient, Provider: "fake", Op: "opt out", Message: "x@example.com busy"}
}

func TestSyncUnsubscribesKeepsFailuresForTheNextPoll(t *testing.T) {
	tgt := syncertest.NewTarget(smallLimits)
	tgt.Seed(connectors.TargetContact{Email: "x@example.com", Status: connectors.MemberSubscribed})
	at := testNow.Add(-time.Minute)
	tgt.OptOut("x@example.com", at)
	rep, err := SyncUnsubscribes(context.Background(), tgt, failingWriter{}, testNow.Add(-time.Hour))
	if err != nil || rep.Failed != 1 || !rep.Watermark.Before(at) || len(rep.Errors) != 1 || strings.Contains(rep.Errors[0].Message, "x@example.com") {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestIdleRunIsCheap(t *testing.T) {
	var cs []connectors.Contact
	for i := range 20 {
		cs = append(cs, contact(fmt.Sprint(i), fmt.Sprintf("p%d@example.com", i), connectors.ConsentSubscribed))
	}
	h := newHarness(5, smallLimits, cs...)
	rep, err := h.run(t, mustPolicy(t, PolicySpec{}), "")
	if err != nil {
		t.Fatal(err)
	}
	idle, err := h.run(t, mustPolicy(t, PolicySpec{}), rep.Cursor)
	if err != nil || idle.APICalls.Source+idle.APICalls.Target > 1 || idle.Fetched != 0 || idle.Cursor != rep.Cursor {
		t.Fatalf("idle run: %+v %v", idle, err)
	}
}
