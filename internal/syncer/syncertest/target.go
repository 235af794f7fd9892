package syncertest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// FaultKind is a failure a Target call can suffer.
type FaultKind int

const (
	// NoFault: the call goes through.
	NoFault FaultKind = iota
	// RateLimited: HTTP 429 with Retry-After; nothing applied.
	RateLimited
	// ServerError: HTTP 503; nothing applied.
	ServerError
	// Timeout: the write is applied but the response is lost (the client
	// times out), so the engine retries a write that already happened.
	Timeout
	// AuthFailed: HTTP 401, terminal.
	AuthFailed
)

// Fault is what one call suffers.
type Fault struct {
	Kind       FaultKind
	RetryAfter time.Duration
}

// Op names a Target call in fault schedules.
type Op string

const (
	OpLookup Op = "lookup"
	OpUpsert Op = "upsert"
)

// Target is an in-memory email-marketing list with real semantics:
// members have statuses, an opted-out member is never subscribed again (a
// subscribing write is refused with OutcomeOptedOut, as Mailchimp's
// "Member In Compliance State"), writes are upserts by email, and a batch
// can partly fail. It records every consent violation it is asked to
// commit, for property tests.
type Target struct {
	mu         sync.Mutex
	limits     connectors.Limits
	members    map[string]*connectors.TargetContact
	unsubAt    map[string]time.Time
	nextID     int
	schedule   func(op Op, call int) Fault
	calls      map[Op]int
	refuse     map[string]bool
	invalid    map[string]bool
	reject     map[string]string
	latency    time.Duration
	record     bool
	writes     []connectors.Write
	violations []string
	now        func() time.Time
}

// NewTarget returns an empty target with these limits.
func NewTarget(limits connectors.Limits) *Target {
	return &Target{
		limits: limits, members: map[string]*connectors.TargetContact{}, unsubAt: map[string]time.Time{},
		calls: map[Op]int{}, refuse: map[string]bool{}, invalid: map[string]bool{}, reject: map[string]string{},
		now: time.Now,
	}
}

// Seed puts contacts in the target as they are (the list before any sync).
func (t *Target) Seed(cs ...connectors.TargetContact) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range cs {
		c.Email = connectors.NormalizeEmail(c.Email)
		if c.ID == "" {
			t.nextID++
			c.ID = fmt.Sprintf("m%d", t.nextID)
		}
		c = cloneMember(c)
		t.members[c.Email] = &c
	}
}

// OptOut unsubscribes a member in the target (the person clicked
// "unsubscribe"), at the given time.
func (t *Target) OptOut(email string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m, ok := t.members[email]; ok {
		m.Status = connectors.MemberOptedOut
		t.unsubAt[email] = at
	}
}

// SetSchedule makes calls fail: schedule is called with each call's op and
// its index among the calls of that op (from 0).
func (t *Target) SetSchedule(schedule func(op Op, call int) Fault) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.schedule = schedule
}

// RefuseOnWrite makes writes to email fail with OutcomeOptedOut although
// Lookup shows the member as it is (a compliance state the list API hides).
func (t *Target) RefuseOnWrite(email string) { t.set(t.refuse, email) }

// InvalidOnWrite makes the target reject email as fake or invalid.
func (t *Target) InvalidOnWrite(email string) { t.set(t.invalid, email) }

// RejectOnWrite makes writes to email fail (OutcomeFailed) with a message
// that quotes the address, as providers do.
func (t *Target) RejectOnWrite(email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reject[email] = fmt.Sprintf("%s looks fake or invalid, please enter a real email address", email)
}

func (t *Target) set(m map[string]bool, email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m[email] = true
}

// SetLatency delays every call by d.
func (t *Target) SetLatency(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.latency = d
}

// RecordWrites keeps every write applied, for Writes.
func (t *Target) RecordWrites() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.record = true
}

// Writes returns the writes applied so far, in order.
func (t *Target) Writes() []connectors.Write {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.writes)
}

// Violations lists the consent and batching rules the engine broke.
func (t *Target) Violations() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.violations)
}

// Calls returns how many calls of op were made, failed ones included.
func (t *Target) Calls(op Op) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls[op]
}

// Members returns a copy of the target's state, by email.
func (t *Target) Members() map[string]connectors.TargetContact {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]connectors.TargetContact, len(t.members))
	for e, m := range t.members {
		out[e] = cloneMember(*m)
	}
	return out
}

// Member returns one member.
func (t *Target) Member(email string) (connectors.TargetContact, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.members[email]
	if !ok {
		return connectors.TargetContact{}, false
	}
	return cloneMember(*m), true
}

// Check describes the fake list.
func (t *Target) Check(ctx context.Context) (connectors.ListInfo, error) {
	connectors.CountCall(ctx)
	t.mu.Lock()
	defer t.mu.Unlock()
	return connectors.ListInfo{ID: "list", Name: "Fake List", MemberCount: int64(len(t.members))}, nil
}

// Limits declares the limits given to NewTarget.
func (t *Target) Limits() connectors.Limits { return t.limits }

// begin counts a call, waits the latency and returns its fault.
func (t *Target) begin(ctx context.Context, op Op) (Fault, error) {
	connectors.CountCall(ctx)
	t.mu.Lock()
	n := t.calls[op]
	t.calls[op]++
	f := Fault{}
	if t.schedule != nil {
		f = t.schedule(op, n)
	}
	lat := t.latency
	t.mu.Unlock()
	if lat > 0 {
		timer := time.NewTimer(lat)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			return f, ctx.Err()
		}
	}
	return f, nil
}

func faultError(op Op, f Fault) error {
	e := &connectors.Error{Provider: "fake", Op: string(op)}
	switch f.Kind {
	case RateLimited:
		e.Kind, e.StatusCode, e.RetryAfter, e.Message = connectors.KindRateLimited, 429, f.RetryAfter, "too many requests"
	case ServerError:
		e.Kind, e.StatusCode, e.Message = connectors.KindTransient, 503, "service unavailable"
	case Timeout:
		e.Kind, e.Err = connectors.KindTransient, context.DeadlineExceeded
	case AuthFailed:
		e.Kind, e.StatusCode, e.Message = connectors.KindAuth, 401, "API key invalid"
	default:
		return nil
	}
	return e
}

// Lookup returns the members among emails.
func (t *Target) Lookup(ctx context.Context, emails []string) (map[string]connectors.TargetContact, error) {
	f, err := t.begin(ctx, OpLookup)
	if err != nil {
		return nil, err
	}
	if err := faultError(OpLookup, f); err != nil {
		return nil, err
	}
	if t.limits.MaxLookup > 0 && len(emails) > t.limits.MaxLookup {
		return nil, &connectors.Error{Kind: connectors.KindInvalid, Provider: "fake", Op: "lookup",
			Message: fmt.Sprintf("%d emails in one lookup, the most is %d", len(emails), t.limits.MaxLookup)}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]connectors.TargetContact, len(emails))
	for _, e := range emails {
		if m, ok := t.members[e]; ok {
			out[e] = cloneMember(*m)
		}
	}
	return out, nil
}

// Upsert applies writes. A RateLimited, ServerError or AuthFailed fault
// applies nothing; a Timeout applies everything and then fails.
func (t *Target) Upsert(ctx context.Context, writes []connectors.Write) ([]connectors.Result, error) {
	f, err := t.begin(ctx, OpUpsert)
	if err != nil {
		return nil, err
	}
	if f.Kind != Timeout {
		if err := faultError(OpUpsert, f); err != nil {
			return nil, err
		}
	}
	if t.limits.MaxBatch > 0 && len(writes) > t.limits.MaxBatch {
		return nil, &connectors.Error{Kind: connectors.KindInvalid, Provider: "fake", Op: "upsert",
			Message: fmt.Sprintf("%d writes in one batch, the most is %d", len(writes), t.limits.MaxBatch)}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	seen := map[string]bool{}
	results := make([]connectors.Result, 0, len(writes))
	for _, w := range writes {
		if seen[w.Email] {
			t.violations = append(t.violations, fmt.Sprintf("%s written twice in one batch", connectors.MaskEmail(w.Email)))
		}
		seen[w.Email] = true
		results = append(results, t.apply(w))
	}
	if f.Kind == Timeout {
		return nil, faultError(OpUpsert, f)
	}
	return results, nil
}

func subscribing(p connectors.Permission) bool {
	return p == connectors.PermissionExplicit || p == connectors.PermissionImplicit || p == connectors.PermissionPending
}

// apply applies one write under t.mu.
func (t *Target) apply(w connectors.Write) connectors.Result {
	res := connectors.Result{Email: w.Email}
	m, exists := t.members[w.Email]
	switch {
	case t.invalid[w.Email]:
		res.Outcome, res.Message = connectors.OutcomeInvalidEmail, "invalid email address"
		return res
	case t.reject[w.Email] != "":
		res.Outcome, res.Message = connectors.OutcomeFailed, t.reject[w.Email]
		return res
	case exists && m.Status == connectors.MemberOptedOut && !w.Unsubscribe:
		if w.Create && subscribing(w.Permission) {
			t.violations = append(t.violations, fmt.Sprintf("%s is opted out and was created again with permission %s", connectors.MaskEmail(w.Email), w.Permission))
		}
		res.Outcome, res.Message = connectors.OutcomeOptedOut, "Member In Compliance State"
		return res
	case t.refuse[w.Email]:
		res.Outcome, res.Message = connectors.OutcomeOptedOut, "Member In Compliance State"
		return res
	case !exists && !w.Create:
		res.Outcome, res.Message = connectors.OutcomeFailed, "no such member"
		return res
	}
	if t.record {
		t.writes = append(t.writes, cloneWrite(w))
	}
	res.Outcome = connectors.OutcomeUpdated
	if !exists {
		t.nextID++
		m = &connectors.TargetContact{ID: fmt.Sprintf("m%d", t.nextID), Email: w.Email, InList: true, Status: statusOf(w.Permission)}
		t.members[w.Email] = m
		res.Outcome = connectors.OutcomeCreated
	}
	res.ID = m.ID
	if w.AddToList {
		m.InList = true
	}
	if w.Unsubscribe {
		if m.Status != connectors.MemberOptedOut {
			t.unsubAt[w.Email] = t.now()
		}
		m.Status = connectors.MemberOptedOut
		res.Outcome = connectors.OutcomeUnsubscribed
	}
	setIf(&m.FirstName, w.FirstName)
	setIf(&m.LastName, w.LastName)
	setIf(&m.Company, w.Company)
	setIf(&m.Phone, w.Phone)
	setIf(&m.Address.Street, w.Address.Street)
	setIf(&m.Address.City, w.Address.City)
	setIf(&m.Address.Region, w.Address.Region)
	setIf(&m.Address.PostalCode, w.Address.PostalCode)
	setIf(&m.Address.Country, w.Address.Country)
	for k, v := range w.Custom {
		if m.Custom == nil {
			m.Custom = map[string]string{}
		}
		m.Custom[k] = v
	}
	for _, tag := range w.Tags {
		if !slices.Contains(m.Tags, tag) {
			m.Tags = append(m.Tags, tag)
		}
	}
	for _, g := range w.AddGroups {
		if !slices.Contains(m.Groups, g) {
			m.Groups = append(m.Groups, g)
		}
	}
	m.Groups = slices.DeleteFunc(m.Groups, func(g string) bool { return slices.Contains(w.RemoveGroups, g) })
	return res
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

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// Unsubscribes reports the members that opted out after since.
func (t *Target) Unsubscribes(ctx context.Context, since time.Time, fn func([]connectors.Unsubscribe) error) (time.Time, error) {
	connectors.CountCall(ctx)
	t.mu.Lock()
	var us []connectors.Unsubscribe
	mark := since
	for e, at := range t.unsubAt {
		if at.After(since) {
			us = append(us, connectors.Unsubscribe{Email: e, At: at})
			if at.After(mark) {
				mark = at
			}
		}
	}
	t.mu.Unlock()
	slices.SortFunc(us, func(a, b connectors.Unsubscribe) int { return a.At.Compare(b.At) })
	if len(us) == 0 {
		return mark, nil
	}
	return mark, fn(us)
}

func cloneMember(m connectors.TargetContact) connectors.TargetContact {
	m.Custom = maps.Clone(m.Custom)
	m.Groups = slices.Clone(m.Groups)
	m.Tags = slices.Clone(m.Tags)
	return m
}

func cloneWrite(w connectors.Write) connectors.Write {
	w.Custom = maps.Clone(w.Custom)
	w.Tags = slices.Clone(w.Tags)
	w.AddGroups = slices.Clone(w.AddGroups)
	w.RemoveGroups = slices.Clone(w.RemoveGroups)
	return w
}
