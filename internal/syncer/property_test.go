package syncer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
// at that checkpoint. It returns how many runs failed (and were resumed).
func (w world) sync(t *rapid.T, tgt *syncertest.Target, crashAt int) (failed int) {
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
			return failed
		} else if connectors.IsTerminal(err) {
			t.Fatalf("terminal error: %v", err)
		}
		failed++
	}
	t.Fatal("the sync never completed")
	return failed
}

// modelMember is the model's end state of one target member: the consent
// rules of DESIGN.md §3 applied to its email's eligible records.
type modelMember struct {
	exists    bool
	status    connectors.MemberStatus
	firstName string
	phone     string
}

// outcomes is the set of end states of each member that a sync with the
// given number of failed (and resumed) runs may reach. Within a run, the
// records of one email are applied in source order, each after the write
// of the one before it is complete. A failed run has applied a prefix of
// the records from where it started (a write whose response was lost
// counts as applied), and the next run starts again from the last
// checkpoint: never before the previous run's start, never after its first
// unapplied record. The last run applies every record from its start to
// the end. With no failed run this is exactly one state: the records in
// source order. A replay can only change the end state where an opt-out is
// replayed after a later record of the same email was written; the member
// then ends opted out (consent errs on the safe side), never the reverse.
func (w world) outcomes(failed int) map[string][]modelMember {
	seeded := map[string]modelMember{}
	for _, s := range w.seed {
		seeded[s.Email] = modelMember{exists: true, status: s.Status, firstName: s.FirstName, phone: s.Phone}
	}
	p := mustPolicy(nil, w.spec)
	recs := map[string][]connectors.Contact{}
	for _, c := range w.current() {
		e := NormalizeEmail(c.Email)
		if ValidateEmail(e) != nil || !c.Active {
			continue
		}
		recs[e] = append(recs[e], c)
	}
	out := map[string][]modelMember{}
	for e, m := range seeded {
		if len(recs[e]) == 0 {
			out[e] = []modelMember{m}
		}
	}
	for e, rs := range recs {
		type state struct {
			m     modelMember
			start int
		}
		states := map[state]bool{{seeded[e], 0}: true}
		for range failed {
			next := map[state]bool{}
			for s := range states {
				m := s.m
				for a := s.start; ; a++ { // the failed run applied rs[s.start:a]
					for s2 := s.start; s2 <= a; s2++ {
						next[state{m, s2}] = true
					}
					if a == len(rs) {
						break
					}
					m = w.apply(p, m, rs[a])
				}
			}
			states = next
		}
		ends := map[modelMember]bool{}
		for s := range states {
			m := s.m
			for _, c := range rs[s.start:] {
				m = w.apply(p, m, c)
			}
			ends[m] = true
		}
		// The straight run (no replay) comes first.
		straight := seeded[e]
		for _, c := range rs {
			straight = w.apply(p, straight, c)
		}
		out[e] = []modelMember{straight}
		for m := range ends {
			if m != straight {
				out[e] = append(out[e], m)
			}
		}
	}
	return out
}

// apply is one eligible source record written to member m under the
// consent rules of DESIGN.md §3.
func (w world) apply(p *Policy, m modelMember, c connectors.Contact) modelMember {
	switch {
	case m.exists && m.status == connectors.MemberOptedOut:
		return m
	case !m.exists:
		if w.spec.Contacts == SubscribersOnly && c.Consent != connectors.ConsentSubscribed {
			return m
		}
		perm, _ := p.newContact(c.Consent)
		m = modelMember{exists: true, status: statusOf(perm), phone: c.Phone}
	default:
		if w.spec.Contacts == SubscribersOnly && c.Consent != connectors.ConsentSubscribed && c.Consent != connectors.ConsentOptedOut {
			return m
		}
		if c.Consent == connectors.ConsentOptedOut && (m.status == connectors.MemberSubscribed || m.status == connectors.MemberPending) {
			m.status = connectors.MemberOptedOut
		}
		if w.spec.UpdateExisting == UpdateAllFields {
			m.phone = c.Phone
		}
	}
	m.firstName = c.FirstName
	return m
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

// outcomeIndex is the index of the outcome in ms that target member g
// matches (0 is the straight run), or -1.
func outcomeIndex(ms []modelMember, g connectors.TargetContact) int {
	return slices.IndexFunc(ms, func(m modelMember) bool {
		return m.exists && g.Status == m.status && g.FirstName == m.firstName && g.Phone == m.phone
	})
}

func describe(ms []modelMember) string {
	var b strings.Builder
	for i, m := range ms {
		if i > 0 {
			b.WriteString(" or ")
		}
		if !m.exists {
			b.WriteString("not in target")
			continue
		}
		fmt.Fprintf(&b, "%s %q %q", m.status, m.firstName, m.phone)
	}
	return b.String()
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
		failed := w.sync(t, tgt, 0)
		if v := tgt.Violations(); len(v) > 0 {
			t.Fatalf("violations: %q", v)
		}
		want := w.outcomes(failed)
		got := tgt.Members()
		for e, ms := range want {
			g, ok := got[e]
			match := func(m modelMember) bool {
				return ok == m.exists && (!ok || g.Status == m.status && g.FirstName == m.firstName && g.Phone == m.phone)
			}
			if !slices.ContainsFunc(ms, match) {
				t.Fatalf("%s after %d failed runs: got in target %v, %s %q %q; want %s", e, failed, ok, g.Status, g.FirstName, g.Phone, describe(ms))
			}
		}
		inTarget := 0
		for _, ms := range want {
			if ms[0].exists { // every outcome of an email agrees on this
				inTarget++
			}
		}
		if len(got) != inTarget {
			t.Fatalf("target has %d members, the model %d", len(got), inTarget)
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
		refOutcomes := w.outcomes(w.sync(t, ref, 0))
		want := canonical(ref.Members())
		pages := (len(w.contacts) + w.pageSize - 1) / w.pageSize
		for k := 1; k < pages; k++ {
			tgt := w.target()
			outcomes := w.outcomes(w.sync(t, tgt, k)) // the crash counts as a failed run
			got := canonical(tgt.Members())
			if len(got) != len(want) {
				t.Fatalf("crash after checkpoint %d: %d members, want %d", k, len(got), len(want))
			}
			for e, m := range want {
				g := got[e]
				if equalMember(g, m) {
					continue
				}
				// Both ends must be ones their runs could reach, and the
				// difference must come from a replay (an opt-out replayed
				// after a later record of the email): not both straight.
				gi, mi := outcomeIndex(outcomes[e], g), outcomeIndex(refOutcomes[e], m)
				if gi >= 0 && mi >= 0 && (gi > 0 || mi > 0) {
					continue
				}
				t.Fatalf("crash after checkpoint %d: %s differs\n got %+v\nwant %+v\nreachable after the crash: %s\nreachable without: %s",
					k, e, g, m, describe(outcomes[e]), describe(refOutcomes[e]))
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
