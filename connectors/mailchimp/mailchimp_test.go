package mailchimp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/mailchimp/mailchimptest"
	"github.com/contactsync/contactsync/connectors/transport"
	"github.com/contactsync/contactsync/internal/sandbox"
)

// env is a connector wired to a fresh emulator.
type env struct {
	emu    *mailchimptest.Emulator
	srv    *httptest.Server
	listID string
	t      *Target
}

func newEnv(t testing.TB, opts mailchimptest.Options, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	emu := mailchimptest.New(opts)
	var h http.Handler = emu.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	id := emu.CreateList("Acme Customers")
	tg, err := New("Acme Customers", srv.URL, connectors.Config{
		Credentials: map[string][]byte{KeyAPIKey: []byte(emu.APIKey()), KeyWebhookToken: []byte("s3cret")},
		HTTPClient: transport.NewLimiter(Provider, limits, transport.Options{BaseDelay: 5 * time.Millisecond,
			MaxDelay: 20 * time.Millisecond}).Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{emu: emu, srv: srv, listID: id, t: tg}
}

func TestNewCredentials(t *testing.T) {
	tests := []struct {
		name  string
		creds map[string]string
		kind  connectors.ErrorKind
		base  string
	}{
		{"api key", map[string]string{"api-key": "0123456789abcdef0123456789abcdef-us21"}, "", "https://us21.api.mailchimp.com/3.0"},
		{"oauth", map[string]string{"access-token": "tok", "server": "eu1"}, "", "https://eu1.api.mailchimp.com/3.0"},
		{"key without dc", map[string]string{"api-key": "0123456789abcdef"}, connectors.KindAuth, ""},
		{"token without server", map[string]string{"access-token": "tok"}, connectors.KindAuth, ""},
		{"nothing", map[string]string{}, connectors.KindAuth, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := map[string][]byte{}
			for k, v := range tt.creds {
				creds[k] = []byte(v)
			}
			tg, err := New("Acme", "", connectors.Config{Credentials: creds})
			if got := connectors.KindOf(err); got != tt.kind {
				t.Fatalf("kind %q, want %q (%v)", got, tt.kind, err)
			}
			if err != nil {
				for _, v := range tt.creds {
					if strings.Contains(err.Error(), v) {
						t.Errorf("error reveals a secret: %v", err)
					}
				}
				return
			}
			if tg.base != tt.base {
				t.Errorf("base %q, want %q", tg.base, tt.base)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	e := newEnv(t, mailchimptest.Options{}, nil)
	other := e.emu.CreateList("Donors")
	_ = e.emu.Seed(e.listID, mailchimptest.Member{Email: "a@acme-books.com", Status: "subscribed"},
		mailchimptest.Member{Email: "b@acme-books.com", Status: "transactional"})
	tests := []struct {
		audience string
		id       string
		kind     connectors.ErrorKind
	}{
		{"Acme Customers", e.listID, ""},
		{"acme customers", e.listID, ""},
		{other, other, ""},
		{"Missing Audience", "", connectors.KindNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.audience, func(t *testing.T) {
			tg, _ := New(tt.audience, e.srv.URL, connectors.Config{Credentials: map[string][]byte{KeyAPIKey: []byte(e.emu.APIKey())}})
			info, err := tg.Check(context.Background())
			if connectors.KindOf(err) != tt.kind {
				t.Fatalf("err %v, want kind %q", err, tt.kind)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.audience) || !strings.Contains(err.Error(), "Donors") {
					t.Errorf("message should name the audience and the ones found: %v", err)
				}
				return
			}
			if info.ID != tt.id || (tt.id == e.listID && info.MemberCount != 2) {
				t.Errorf("info %+v", info)
			}
		})
	}
	t.Run("revoked key", func(t *testing.T) {
		key := e.emu.APIKey()
		e.emu.Revoke(key)
		tg, _ := New("Acme Customers", e.srv.URL, connectors.Config{Credentials: map[string][]byte{KeyAPIKey: []byte(key)}})
		_, err := tg.Check(context.Background())
		if connectors.KindOf(err) != connectors.KindAuth || strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "api-key") {
			t.Errorf("err %v", err)
		}
	})
}

func TestUpsertConsent(t *testing.T) {
	e := newEnv(t, mailchimptest.Options{AllowAPIResubscribe: true}, nil)
	seed := []mailchimptest.Member{
		{Email: "unsub@acme-books.com", Status: "unsubscribed", UnsubscribedBy: mailchimptest.ByContact},
		{Email: "apiunsub@acme-books.com", Status: "unsubscribed", UnsubscribedBy: mailchimptest.ByAPI},
		{Email: "cleaned@acme-books.com", Status: "cleaned"},
		{Email: "trans@acme-books.com", Status: "transactional"},
		{Email: "sub@acme-books.com", Status: "subscribed"},
		{Email: "archived@acme-books.com", Status: "archived"},
	}
	if err := e.emu.Seed(e.listID, seed...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		w       connectors.Write
		outcome connectors.Outcome
		status  string // member status after
	}{
		{"new explicit", connectors.Write{Email: "new1@acme-books.com", Create: true, Permission: connectors.PermissionExplicit, FirstName: "Ann"}, connectors.OutcomeCreated, "subscribed"},
		{"new not set", connectors.Write{Email: "new2@acme-books.com", Create: true, Permission: connectors.PermissionNotSet}, connectors.OutcomeCreated, "transactional"},
		{"new pending", connectors.Write{Email: "new3@acme-books.com", Create: true, Permission: connectors.PermissionPending}, connectors.OutcomeCreated, "pending"},
		// Lookup raced: the engine thinks these are new; their status must not change.
		{"create over contact unsubscribe", connectors.Write{Email: "unsub@acme-books.com", Create: true, Permission: connectors.PermissionExplicit}, connectors.OutcomeOptedOut, "unsubscribed"},
		{"create over api unsubscribe", connectors.Write{Email: "apiunsub@acme-books.com", Create: true, Permission: connectors.PermissionExplicit}, connectors.OutcomeOptedOut, "unsubscribed"},
		{"create over cleaned", connectors.Write{Email: "cleaned@acme-books.com", Create: true, Permission: connectors.PermissionImplicit}, connectors.OutcomeOptedOut, "cleaned"},
		{"create over transactional", connectors.Write{Email: "trans@acme-books.com", Create: true, Permission: connectors.PermissionExplicit}, connectors.OutcomeUpdated, "transactional"},
		{"create over archived", connectors.Write{Email: "archived@acme-books.com", Create: true, Permission: connectors.PermissionExplicit}, connectors.OutcomeFailed, "archived"},
		{"update keeps status", connectors.Write{Email: "sub@acme-books.com", ID: "x", LastName: "Lee"}, connectors.OutcomeUpdated, "subscribed"},
		{"source opt-out", connectors.Write{Email: "trans@acme-books.com", Unsubscribe: true}, connectors.OutcomeUnsubscribed, "unsubscribed"},
		{"fake address", connectors.Write{Email: "test@mailinator.com", Create: true, Permission: connectors.PermissionExplicit}, connectors.OutcomeInvalidEmail, ""},
		{"bad syntax", connectors.Write{Email: "jane@", Create: true, Permission: connectors.PermissionExplicit}, connectors.OutcomeInvalidEmail, ""},
		{"bad permission", connectors.Write{Email: "new4@acme-books.com", Create: true, Permission: "Maybe"}, connectors.OutcomeFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.t.Upsert(context.Background(), []connectors.Write{tt.w})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 || res[0].Outcome != tt.outcome || res[0].Email != tt.w.Email {
				t.Fatalf("results %+v, want %s", res, tt.outcome)
			}
			if strings.Contains(res[0].Message, tt.w.Email) && strings.Contains(tt.w.Email, "@acme") {
				t.Errorf("message carries the full address: %q", res[0].Message)
			}
			m, ok := e.emu.Member(e.listID, tt.w.Email)
			if tt.status == "" {
				if ok {
					t.Errorf("member created: %+v", m)
				}
				return
			}
			if m.Status != tt.status {
				t.Errorf("status %q, want %q", m.Status, tt.status)
			}
		})
	}
	t.Run("compliance refusal maps to opted out", func(t *testing.T) {
		if memberOutcome("x is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.", "") != connectors.OutcomeOptedOut ||
			memberOutcome("x was permanently deleted and cannot be re-imported.", "") != connectors.OutcomeOptedOut {
			t.Error("compliance and forgotten refusals must be OptedOut")
		}
	})
}

func TestUpsertFieldsTagsAndLookup(t *testing.T) {
	e := newEnv(t, mailchimptest.Options{}, nil)
	ctx := context.Background()
	_ = e.emu.Seed(e.listID, mailchimptest.Member{Email: "old@acme-books.com", Status: "subscribed", Tags: []string{"Lapsed"}})
	addr := connectors.Address{Street: "1 Main St", City: "Austin", Region: "TX", PostalCode: "78701", Country: "US"}
	writes := []connectors.Write{
		{Email: "new@acme-books.com", Create: true, Permission: connectors.PermissionImplicit, FirstName: "Ann", LastName: "Lee",
			Company: "Acme Books LLC", Phone: "(512) 555-0101", Address: addr, Custom: map[string]string{"Lifetime Value Score": "12"},
			Tags: []string{"QuickBooks Online"}, AddGroups: []string{"VIP"}},
		{Email: "old@acme-books.com", ID: "x", Address: connectors.Address{City: "Austin"}, Tags: []string{"QuickBooks Online"},
			RemoveGroups: []string{"Lapsed"}},
	}
	res, err := e.t.Upsert(ctx, writes)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != connectors.OutcomeCreated || res[1].Outcome != connectors.OutcomeUpdated {
		t.Fatalf("results %+v", res)
	}
	fields := e.emu.MergeFields(e.listID)
	if fields["COMPANY"] != "text" {
		t.Errorf("COMPANY not created: %v", fields)
	}
	for tag := range fields {
		if len(tag) > 10 {
			t.Errorf("merge tag %q longer than 10", tag)
		}
	}
	got, err := e.t.Lookup(ctx, []string{"new@acme-books.com", "old@acme-books.com", "absent@acme-books.com"})
	if err != nil {
		t.Fatal(err)
	}
	n := got["new@acme-books.com"]
	if n.FirstName != "Ann" || n.Company != "Acme Books LLC" || n.Address != addr || n.Custom["Lifetime Value Score"] != "12" ||
		n.Status != connectors.MemberSubscribed || !n.InList {
		t.Errorf("new member %+v", n)
	}
	slices.Sort(n.Groups)
	if !slices.Equal(n.Groups, []string{"QuickBooks Online", "VIP"}) {
		t.Errorf("groups %v", n.Groups)
	}
	if o := got["old@acme-books.com"]; !slices.Equal(o.Groups, []string{"QuickBooks Online"}) || o.Address.City != "" {
		t.Errorf("old member %+v (an incomplete address must not be written)", o)
	}
	if _, ok := got["absent@acme-books.com"]; ok {
		t.Error("absent member found")
	}
	// A second connector (no snapshot, a few emails in a big-enough
	// audience) reads members one by one and sees the same.
	fresh, _ := New(e.listID, e.srv.URL, connectors.Config{Credentials: map[string][]byte{KeyAPIKey: []byte(e.emu.APIKey())}})
	var many []mailchimptest.Member
	for i := range 2500 {
		many = append(many, mailchimptest.Member{Email: sandbox.EmailFor("x", "y", i), Status: "subscribed"})
	}
	_ = e.emu.Seed(e.listID, many...)
	_, before := e.emu.Sandbox().Requests()
	got2, err := fresh.Lookup(ctx, []string{"new@acme-books.com"})
	if err != nil {
		t.Fatal(err)
	}
	if g := got2["new@acme-books.com"]; g.FirstName != "Ann" || len(g.Groups) != 2 {
		t.Errorf("per-member lookup %+v", g)
	}
	_, after := e.emu.Sandbox().Requests()
	if after["GET /3.0/lists/{id}/members/{id}"]-before["GET /3.0/lists/{id}/members/{id}"] != 1 {
		t.Errorf("per-member lookup calls: %v", after)
	}
}

func TestLookupSnapshotCalls(t *testing.T) {
	e := newEnv(t, mailchimptest.Options{}, nil)
	var seed []mailchimptest.Member
	for i := range 2500 {
		seed = append(seed, mailchimptest.Member{Email: sandbox.EmailFor("p", "q", i), Status: "subscribed"})
	}
	_ = e.emu.Seed(e.listID, seed...)
	ctx := connectors.WithCallCounter(context.Background(), &connectors.CallCounter{})
	var calls connectors.CallCounter
	ctx = connectors.WithCallCounter(ctx, &calls)
	if _, err := e.t.Check(ctx); err != nil {
		t.Fatal(err)
	}
	found := 0
	for start := 0; start < 2500; start += 500 {
		emails := make([]string, 0, 500)
		for i := start; i < start+500; i++ {
			emails = append(emails, sandbox.EmailFor("p", "q", i))
		}
		got, err := e.t.Lookup(ctx, emails)
		if err != nil {
			t.Fatal(err)
		}
		found += len(got)
	}
	// Check 1, merge fields 1, three pages of members: the snapshot serves the rest.
	if found != 2500 || calls.Load() != 5 {
		t.Errorf("found %d in %d calls, want 2500 in 5", found, calls.Load())
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults sandbox.Faults
		opts   mailchimptest.Options
		kind   connectors.ErrorKind // "" : recovers by retry
	}{
		{"some 429s", sandbox.Faults{RateLimitShare: 0.3, Seed: 7}, mailchimptest.Options{}, ""},
		{"some 5xx", sandbox.Faults{ServerErrorShare: 0.3, Seed: 7}, mailchimptest.Options{}, ""},
		{"throttled without body", sandbox.Faults{FailNext: 100, FailStatus: 429}, mailchimptest.Options{EmptyThrottleBody: true}, connectors.KindRateLimited},
		{"akamai 503", sandbox.Faults{FailNext: 100, FailStatus: 503}, mailchimptest.Options{}, connectors.KindTransient},
		{"timeouts", sandbox.Faults{TimeoutShare: 1, Timeout: sandbox.Duration{Duration: 50 * time.Millisecond}}, mailchimptest.Options{}, connectors.KindTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts, nil)
			if _, err := e.t.Check(context.Background()); err != nil {
				t.Fatal(err)
			}
			e.emu.Sandbox().SetFaults(tt.faults)
			writes := make([]connectors.Write, 50)
			for i := range writes {
				writes[i] = connectors.Write{Email: sandbox.EmailFor("f", "g", i), Create: true, Permission: connectors.PermissionExplicit}
			}
			res, err := e.t.Upsert(context.Background(), writes)
			if connectors.KindOf(err) != tt.kind {
				t.Fatalf("err %v, want kind %q", err, tt.kind)
			}
			if tt.kind == connectors.KindRateLimited && connectors.RetryAfterOf(err) <= 0 {
				t.Errorf("no RetryAfter on %v", err)
			}
			if err == nil && len(res) != 50 {
				t.Errorf("%d results", len(res))
			}
		})
	}
}

func TestConnectionLimitRespected(t *testing.T) {
	// The emulator refuses the 11th simultaneous request; the shared
	// transport's concurrency limit must keep us under it.
	e := newEnv(t, mailchimptest.Options{}, nil)
	e.emu.Sandbox().SetFaults(sandbox.Faults{Latency: sandbox.Duration{Duration: 20 * time.Millisecond}})
	var seed []mailchimptest.Member
	// 50 pages of members cost more than 40 GETs: Lookup reads members one by one.
	for i := range 50_000 {
		seed = append(seed, mailchimptest.Member{Email: sandbox.EmailFor("c", "d", i), Status: "subscribed"})
	}
	_ = e.emu.Seed(e.listID, seed...)
	emails := make([]string, 40)
	for i := range emails {
		emails[i] = sandbox.EmailFor("c", "d", i*1000)
	}
	got, err := e.t.Lookup(context.Background(), emails)
	if err != nil || len(got) != 40 {
		t.Fatalf("lookup: %d found, %v", len(got), err)
	}
	_, counts := e.emu.Sandbox().Requests()
	if counts["GET /3.0/lists/{id}/members/{id}"] != 40 {
		t.Errorf("requests %v: a 429 was retried, so more than 10 were in flight", counts)
	}
}

func TestUnsubscribes(t *testing.T) {
	e := newEnv(t, mailchimptest.Options{}, nil)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var seed []mailchimptest.Member
	for i := range 1500 {
		seed = append(seed, mailchimptest.Member{Email: sandbox.EmailFor("u", "v", i), Status: "unsubscribed",
			LastChanged: t0.Add(time.Duration(i) * time.Second)})
	}
	seed = append(seed, mailchimptest.Member{Email: "still@acme-books.com", Status: "subscribed", LastChanged: t0.Add(time.Hour)})
	_ = e.emu.Seed(e.listID, seed...)
	var got []connectors.Unsubscribe
	mark, err := e.t.Unsubscribes(context.Background(), t0.Add(99*time.Second), func(us []connectors.Unsubscribe) error {
		got = append(got, us...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1400 || !mark.Equal(t0.Add(1499*time.Second)) || got[0].Email != sandbox.EmailFor("u", "v", 100) {
		t.Fatalf("%d unsubscribes, mark %v, first %+v", len(got), mark, got[0])
	}
	var calls connectors.CallCounter
	ctx := connectors.WithCallCounter(context.Background(), &calls)
	n := 0
	if _, err := e.t.Unsubscribes(ctx, mark, func(us []connectors.Unsubscribe) error { n += len(us); return nil }); err != nil || n != 0 || calls.Load() != 1 {
		t.Errorf("idle poll: %d unsubscribes in %d calls, %v", n, calls.Load(), err)
	}
}

func TestWebhook(t *testing.T) {
	e := newEnv(t, mailchimptest.Options{}, nil)
	got := make(chan connectors.WebhookEvent, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if AnswerValidation(w, r) {
			return
		}
		body := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(body)
		if err := e.t.VerifyWebhook(r, body); err != nil {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		ev, err := e.t.ParseWebhook(r, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- ev
	}))
	defer receiver.Close()
	// Registration makes the emulator GET the URL first.
	creds := e.emu.APIKey()
	req, _ := http.NewRequest("POST", e.srv.URL+"/3.0/lists/"+e.listID+"/webhooks",
		strings.NewReader(`{"url":"`+receiver.URL+`/webhooks/mailchimp/tenant-a/news/s3cret"}`))
	req.SetBasicAuth("x", creds)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("register webhook: %v %v", resp.StatusCode, err)
	}
	_ = e.emu.Seed(e.listID, mailchimptest.Member{Email: "Jane@Acme-Books.com", Status: "subscribed"})
	if err := e.emu.ContactUnsubscribe(e.listID, "jane@acme-books.com"); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-got:
		if len(ev.Unsubscribes) != 1 || ev.Unsubscribes[0].Email != "jane@acme-books.com" || ev.Unsubscribes[0].At.IsZero() {
			t.Errorf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook")
	}

	tests := []struct {
		name, path, body string
		verifyErr        bool
		unsubs           int
	}{
		{"wrong token", "/webhooks/mailchimp/a/b/guess", "type=unsubscribe&data[email]=x@y.com", true, 0},
		{"cleaned is not an opt-out", "/h/s3cret", "type=cleaned&data[email]=x@y.com", false, 0},
		{"admin deletion is not an opt-out", "/h/s3cret", "type=unsubscribe&data[action]=delete&data[email]=x@y.com", false, 0},
		{"unsubscribe", "/h/s3cret/", "type=unsubscribe&fired_at=2026-03-26+21%3A40%3A57&data[action]=unsub&data[email]=X@y.com", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
			if err := e.t.VerifyWebhook(r, []byte(tt.body)); (err != nil) != tt.verifyErr {
				t.Fatalf("verify: %v", err)
			}
			if tt.verifyErr {
				return
			}
			ev, err := e.t.ParseWebhook(r, []byte(tt.body))
			if err != nil || len(ev.Unsubscribes) != tt.unsubs {
				t.Errorf("event %+v, %v", ev, err)
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	p, ok := connectors.TargetFor(Provider)
	if !ok || p.Limits.MaxBatch != 500 || p.Limits.Concurrency != 10 {
		t.Fatalf("provider %+v registered %v", p, ok)
	}
	if p.Keys.Missing(map[string][]byte{"access-token": []byte("t")}) == nil ||
		p.Keys.Missing(map[string][]byte{"access-token": []byte("t"), "server": []byte("us6")}) != nil ||
		p.Keys.Missing(map[string][]byte{"api-key": []byte("k-us6")}) != nil {
		t.Error("keys: api-key, or access-token and server")
	}
}
