package kibo

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/kibo/kibotest"
	"github.com/contactsync/contactsync/connectors/transport"
)

// Every access token used was persisted through OnTokenRotated first.
func TestTicketRotationPersistedBeforeUse(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	e.emu.Generate(50, 1)
	rec := &recorder{next: http.DefaultTransport}
	var mu sync.Mutex
	persistedAt := map[string]int{} // access token → calls made when it was persisted
	e.cfg.HTTPClient = transport.NewLimiter(provider, limits, transport.Options{}).ClientWith(rec)
	e.cfg.OnTokenRotated = func(_ context.Context, tk connectors.Token) error {
		mu.Lock()
		defer mu.Unlock()
		rec.mu.Lock()
		persistedAt[tk.AccessToken] = len(rec.tokens)
		rec.mu.Unlock()
		if tk.RefreshToken == "" || tk.Expiry.IsZero() {
			t.Errorf("rotated token without refresh token or expiry: %+v", tk.Expiry)
		}
		return nil
	}
	s := e.source(t)
	if _, err := s.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.emu.ExpireTickets() // Kibo refuses the token before our expiry says so
	if _, err := collect(t, s, ""); err != nil {
		t.Fatal(err)
	}
	e.clk.Add(2 * 3600e9) // past accessTokenExpiration: refreshed proactively
	if _, err := s.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	issued, refreshed := e.emu.TicketStats()
	if issued != 3 || refreshed != 2 {
		t.Fatalf("tickets issued %d, refreshed %d; want 3 and 2", issued, refreshed)
	}
	for i, tok := range rec.tokens {
		at, ok := persistedAt[tok]
		if !ok || at > i {
			t.Fatalf("call %d used a token persisted at %d (ok=%v)", i, at, ok)
		}
	}
	if len(persistedAt) != 3 {
		t.Fatalf("%d tokens persisted, want 3", len(persistedAt))
	}
}

func TestStoredTokenSupersedes(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	first := e.source(t)
	if _, err := first.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	tok := e.rotated()[0]

	e.cfg.Token = &tok
	s := e.source(t)
	if _, err := s.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if issued, _ := e.emu.TicketStats(); issued != 1 {
		t.Fatalf("a valid stored ticket was not used: %d tickets issued", issued)
	}

	// An expired stored ticket is refreshed with its refresh token.
	e.clk.Add(2 * 3600e9)
	s = e.source(t)
	if _, err := s.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, refreshed := e.emu.TicketStats(); refreshed != 1 {
		t.Fatalf("refreshed %d, want 1", refreshed)
	}
	// A stored refresh token Kibo no longer knows: the keys mint a new ticket.
	stale := connectors.Token{AccessToken: "gone", RefreshToken: "gone"}
	e.cfg.Token = &stale
	s = e.source(t)
	if _, err := s.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if issued, _ := e.emu.TicketStats(); issued != 3 {
		t.Fatalf("issued %d, want 3", issued)
	}
}

func TestPersistFailureFailsRefresh(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	rec := &recorder{next: http.DefaultTransport}
	e.cfg.HTTPClient = transport.NewLimiter(provider, limits, transport.Options{}).ClientWith(rec)
	e.cfg.OnTokenRotated = func(context.Context, connectors.Token) error { return errors.New("api server down") }
	_, err := e.source(t).Check(t.Context())
	if connectors.KindOf(err) != connectors.KindTransient || !strings.Contains(err.Error(), "could not be saved") {
		t.Fatalf("error %v, want a transient store failure", err)
	}
	if len(rec.tokens) != 0 {
		t.Fatalf("the unsaved ticket was used %d times", len(rec.tokens))
	}
}

func TestBadCredentials(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	e.cfg.Credentials = map[string][]byte{"application-id": []byte("app"), "shared-secret": []byte("s3cr3t-value")}
	_, err := e.source(t).Check(t.Context())
	var ce *connectors.Error
	if !errors.As(err, &ce) || ce.Kind != connectors.KindAuth || ce.StatusCode != 401 {
		t.Fatalf("error %v, want AuthenticationFailed 401", err)
	}
	if msg := err.Error(); strings.Contains(msg, "s3cr3t-value") || !strings.Contains(msg, "application-id") {
		t.Fatalf("message %q leaks the secret or lacks the fix", msg)
	}
	// Wrong tenant: the app is not installed there.
	e.cfg.Credentials = e.emu.Credentials()
	e.spec.Kibo.TenantID = 999
	_, err = e.source(t).Check(t.Context())
	if connectors.KindOf(err) != connectors.KindAuth || !strings.Contains(err.Error(), "tenant 999") {
		t.Fatalf("wrong tenant: %v", err)
	}
}

func TestConcurrentCallersShareOneTicket(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	s := e.source(t)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			_, err := s.Check(context.Background())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if issued, _ := e.emu.TicketStats(); issued != 1 {
		t.Fatalf("%d tickets for concurrent callers, want 1", issued)
	}
}

func TestNewValidates(t *testing.T) {
	e := newEnv(t, kibotest.Options{})
	tests := []struct {
		name   string
		change func(*env)
		kind   connectors.ErrorKind
	}{
		{"no kibo block", func(e *env) { e.spec.Kibo = nil }, connectors.KindInvalid},
		{"zero site", func(e *env) { e.spec.Kibo.SiteID = 0 }, connectors.KindInvalid},
		{"bad endpoint", func(e *env) { e.cfg.Endpoint = "ftp://x" }, connectors.KindInvalid},
		{"no secret", func(e *env) { delete(e.cfg.Credentials, "shared-secret") }, connectors.KindAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &env{emu: e.emu, cfg: e.cfg}
			kb := *e.spec.Kibo
			c.spec = &v1alpha1.SourceConnectionSpec{Kibo: &kb}
			c.cfg.Credentials = e.emu.Credentials()
			tc.change(c)
			if _, err := New(c.spec, c.cfg); connectors.KindOf(err) != tc.kind {
				t.Fatalf("error %v, want %s", err, tc.kind)
			}
		})
	}
	p, ok := connectors.SourceFor("kibo")
	if !ok || len(p.Keys.Missing(map[string][]byte{"application-id": []byte("x")})) != 1 {
		t.Fatalf("kibo not registered with its keys: %v", ok)
	}
	s, err := New(e.spec, connectors.Config{Credentials: e.emu.Credentials()})
	if err != nil || s.apiBase != "https://t12345-s23456.mozu.com/api" || s.authBase != "https://home.mozu.com/api" {
		t.Fatalf("real hosts: %v %s %s", err, s.apiBase, s.authBase)
	}
}
