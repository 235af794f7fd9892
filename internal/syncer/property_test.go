package syncer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/internal/syncer/syncertest"
)

// world is one generated scenario: a source feed, a target before the
// sync, a policy and the target's limits and faults.
type world struct {
	contacts []connectors.Contact
	seed     []connectors.TargetContact
	spec     PolicySpec
	pageSize int
	limits   connectors.Limits
	faults   map[int]syncertest.FaultKind // upsert and lookup call index → fault
}

var (
	consents = []connectors.Consent{connectors.ConsentSubscribed, connectors.ConsentNotSubscribed, connectors.ConsentUnknown, connectors.ConsentOptedOut}
	statuses = []connectors.MemberStatus{connectors.MemberSubscribed, connectors.MemberPending, connectors.MemberNotSubscribed, connectors.MemberOptedOut}
	perms    = []connectors.Permission{connectors.PermissionExplicit, connectors.PermissionImplicit, connectors.PermissionNotSet, connectors.PermissionPending}
)

func genWorld(t *rapid.T) world {
	pool := []string{"a@example.com", "B@example.com ", "c@example.org", "d@example.net", "e@example.com", "f@example.com", "bad@", "", "g@example.com"}
	n := rapid.IntRange(1, 25).Draw(t, "contacts")
	w := world{pageSize: rapid.IntRange(1, 5).Draw(t, "pageSize"), faults: map[int]syncertest.FaultKind{}}
	for i := range n {
		c := connectors.Contact{
			// Some IDs repeat: later versions of one source contact.
			SourceID:  fmt.Sprint(rapid.IntRange(0, n/2+1).Draw(t, "sourceID")),
			Email:     rapid.SampledFrom(pool).Draw(t, "email"),
			FirstName: fmt.Sprintf("First%d", i),
			Phone:     fmt.Sprintf("555-%d", i),
			Active:    rapid.Float64Range(0, 1).Draw(t, "active") < 0.85,
			Consent:   rapid.SampledFrom(consents).Draw(t, "consent"),
			UpdatedAt: testNow.Add(time.Duration(i) * time.Minute),
		}
		if k := rapid.IntRange(0, 3).Draw(t, "purchases"); k > 0 {
			c.Purchases = connectors.Purchases{Count: k, Total: float64(k * 40), First: testNow.AddDate(0, 0, -200), Last: testNow.AddDate(0, 0, -rapid.IntRange(0, 200).Draw(t, "days"))}
		}
		w.contacts = append(w.contacts, c)
	}
	for _, e := range pool {
		e = NormalizeEmail(e)
		if ValidateEmail(e) != nil || !rapid.Bool().Draw(t, "inTarget") {
			continue
		}
		w.seed = append(w.seed, connectors.TargetContact{
			Email: e, Status: rapid.SampledFrom(statuses).Draw(t, "status"), InList: rapid.Bool().Draw(t, "inList"),
			FirstName: "Old", Phone: "000", Groups: rapid.SliceOfDistinct(rapid.SampledFrom([]string{"Repeat", "Recent", "Other"}), rapid.ID[string]).Draw(t, "groups"),
		})
	}
	w.spec = PolicySpec{
		Contacts:             rapid.SampledFrom([]ContactsMode{AllContacts, SubscribersOnly, SplitBySubscription}).Draw(t, "mode"),
		NewContactPermission: rapid.SampledFrom(perms).Draw(t, "perm"),
		UpdateExisting:       rapid.SampledFrom([]UpdateExisting{UpdateAllFields, UpdateSkipPhoneAndAddress}).Draw(t, "update"),
		Tags:                 []string{"Synced"},
		Segments:             []Segment{{Preset: "Repeat"}, {Preset: "Recent"}},
	}
	if w.spec.Contacts == SplitBySubscription {
		w.spec.SplitLists = SplitLists{NewSubscribers: "subs", NewNonSubscribers: "nonsubs", Existing: "existing"}
	}
	w.limits = connectors.Limits{MaxBatch: rapid.IntRange(1, 6).Draw(t, "batch"), MaxLookup: rapid.IntRange(1, 6).Draw(t, "lookup"), Concurrency: rapid.IntRange(1, 3).Draw(t, "concurrency")}
	for range rapid.IntRange(0, 6).Draw(t, "faults") {
		w.faults[rapid.IntRange(0, 30).Draw(t, "faultAt")] = rapid.SampledFrom([]syncertest.FaultKind{syncertest.RateLimited, syncertest.ServerError, syncertest.Timeout}).Draw(t, "fault")
	}
	return w
}

func (w world) target() *syncertest.Target {
	tgt := syncertest.NewTarget(w.limits)
	tgt.Seed(w.seed...)
	tgt.RecordWrites()
	var calls int
	tgt.SetSchedule(func(syncertest.Op, int) syncertest.Fault {
		calls++ // the fake calls the schedule under its lock
		return syncertest.Fault{Kind: w.faults[calls-1], RetryAfter: time.Second}
	})
	return tgt
}

func (w world) params(tgt *syncertest.Target, cursor string, checkpoint func(context.Context, Checkpoint) error) Params {
	return Params{
		Source: syncertest.NewSource(w.pageSize, w.contacts...), Target: tgt, Policy: mustPolicy(nil, w.spec),
		Cursor: cursor, FirstSync: true, Now: func() time.Time { return testNow }, Checkpoint: checkpoint,
		Retry: Retry{MaxAttempts: 3, Sleep: func(context.Context, time.Duration) error { return nil }},
	}
}

// sync runs until the feed is done, resuming from the last checkpoint after
// each failed run, as the controller does. crashAt > 0 kills the first run
// at that checkpoint.
func (w world) sync(t *rapid.T, tgt *syncertest.Target, crashAt int) {
	cursor, n := "", 0
	errCrash := errors.New("crash")
	for range 50 {
		p := w.params(tgt, cursor, func(_ context.Context, cp Checkpoint) error {
			cursor = cp.Cursor
			if n++; n == crashAt {
				return errCrash
			}
			return nil
		})
		if _, err := Run(context.Background(), p); err == nil {
			return
		} else if connectors.IsTerminal(err) {
			t.Fatalf("terminal error: %v", err)
		}
	}
	t.Fatal("the sync never completed")
}

// model applies the consent rules of DESIGN.md §3 to one email's eligible
// records in source order: the expected end state of that member.
type modelMember struct {
	exists    bool
	status    connectors.MemberStatus
	firstName string
	phone     string
}

func (w world) model() map[string]modelMember {
	out := map[string]modelMember{}
	for _, s := range w.seed {
		out[s.Email] = modelMember{exists: true, status: s.Status, firstName: s.FirstName, phone: s.Phone}
	}
	p := mustPolicy(nil, w.spec)
	for _, c := range w.current() {
		e := NormalizeEmail(c.Email)
		if ValidateEmail(e) != nil || !c.Active {
			continue
		}
		m := out[e]
		switch {
		case m.exists && m.status == connectors.MemberOptedOut:
			continue
		case !m.exists:
			if w.spec.Contacts == SubscribersOnly && c.Consent != connectors.ConsentSubscribed {
				continue
			}
			perm, _ := p.newContact(c.Consent)
			m = modelMember{exists: true, status: statusOf(perm), phone: c.Phone}
		default:
			if w.spec.Contacts == SubscribersOnly && c.Consent != connectors.ConsentSubscribed && c.Consent != connectors.ConsentOptedOut {
				continue
			}
			if c.Consent == connectors.ConsentOptedOut && (m.status == connectors.MemberSubscribed || m.status == connectors.MemberPending) {
				m.status = connectors.MemberOptedOut
			}
			if w.spec.UpdateExisting == UpdateAllFields {
				m.phone = c.Phone
			}
		}
		m.firstName = c.FirstName
		out[e] = m
	}
	return out
}

// current is what a first sync reads: each source contact once, in its
// latest version, at the position of its latest change.
func (w world) current() []connectors.Contact {
	last := map[string]int{}
	for i, c := range w.contacts {
		last[c.SourceID] = i
	}
	var out []connectors.Contact
	for i, c := range w.contacts {
		if last[c.SourceID] == i {
			out = append(out, c)
		}
	}
	return out
}

// conflicting lists the emails that two eligible source contacts share, one
// opted out and the other not. A crash can replay the opt-out after the
// other was written; the engine keeps no state across runs to order them,
// so the resumed run may end with the contact unsubscribed (never the
// reverse: consent errs on the safe side).
func (w world) conflicting() map[string]bool {
	optedOut, other := map[string]bool{}, map[string]bool{}
	for _, c := range w.current() {
		e := NormalizeEmail(c.Email)
		if ValidateEmail(e) != nil || !c.Active {
			continue
		}
		if c.Consent == connectors.ConsentOptedOut {
			optedOut[e] = true
		} else {
			other[e] = true
		}
	}
	out := map[string]bool{}
	for e := range optedOut {
		out[e] = other[e]
	}
	return out
}

func statusOf(p connectors.Permission) connectors.MemberStatus {
	switch p {
	case connectors.PermissionExplicit, connectors.PermissionImplicit:
		return connectors.MemberSubscribed
	case connectors.PermissionPending:
		return connectors.MemberPending
	}
	return connectors.MemberNotSubscribed
}

// TestPropertyConsentAndNoLostUpdate: under generated populations, target
// states and fault schedules, the target ends exactly as the consent model
// says, no consent rule is broken on the way, and nothing is duplicated.
func TestPropertyConsentAndNoLostUpdate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWorld(t)
		tgt := w.target()
		w.sync(t, tgt, 0)
		if v := tgt.Violations(); len(v) > 0 {
			t.Fatalf("violations: %q", v)
		}
		want := w.model()
		got := tgt.Members()
		for e, m := range want {
			g, ok := got[e]
			if ok != m.exists {
				t.Fatalf("%s: in target %v, want %v", e, ok, m.exists)
			}
			if !ok {
				continue
			}
			if g.Status != m.status || g.FirstName != m.firstName || g.Phone != m.phone {
				t.Fatalf("%s: got %s %q %q, want %s %q %q", e, g.Status, g.FirstName, g.Phone, m.status, m.firstName, m.phone)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("target has %d members, the model %d", len(got), len(want))
		}
		initiallyOut := map[string]bool{}
		for _, s := range w.seed {
			if s.Status == connectors.MemberOptedOut {
				initiallyOut[s.Email] = true
			}
		}
		for _, wr := range tgt.Writes() {
			if initiallyOut[wr.Email] {
				t.Fatalf("wrote %+v to a contact opted out in the target", wr)
			}
		}
	})
}

// TestPropertyResumeFromEveryCheckpoint: a run killed after any checkpoint
// and resumed from its cursor ends in the same target state as one that
// ran through.
func TestPropertyResumeFromEveryCheckpoint(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWorld(t)
		ref := w.target()
		w.sync(t, ref, 0)
		want := canonical(ref.Members())
		conflicting := w.conflicting()
		pages := (len(w.contacts) + w.pageSize - 1) / w.pageSize
		for k := 1; k < pages; k++ {
			tgt := w.target()
			w.sync(t, tgt, k)
			got := canonical(tgt.Members())
			if len(got) != len(want) {
				t.Fatalf("crash after checkpoint %d: %d members, want %d", k, len(got), len(want))
			}
			for e, m := range want {
				g := got[e]
				if equalMember(g, m) || (conflicting[e] && g.Status == connectors.MemberOptedOut) {
					continue
				}
				t.Fatalf("crash after checkpoint %d: %s differs\n got %+v\nwant %+v", k, e, g, m)
			}
			if v := tgt.Violations(); len(v) > 0 {
				t.Fatalf("violations: %q", v)
			}
		}
	})
}

// canonical drops what legitimately differs between runs: IDs and the
// order groups and tags were added in.
func canonical(ms map[string]connectors.TargetContact) map[string]connectors.TargetContact {
	for e, m := range ms {
		m.ID = ""
		slices.Sort(m.Groups)
		slices.Sort(m.Tags)
		ms[e] = m
	}
	return ms
}

func equalMember(a, b connectors.TargetContact) bool {
	return a.Email == b.Email && a.Status == b.Status && a.InList == b.InList && a.FirstName == b.FirstName &&
		a.LastName == b.LastName && a.Company == b.Company && a.Phone == b.Phone && a.Address == b.Address &&
		maps.Equal(a.Custom, b.Custom) && slices.Equal(a.Groups, b.Groups) && slices.Equal(a.Tags, b.Tags)
}
