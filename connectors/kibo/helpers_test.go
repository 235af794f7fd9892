package kibo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/kibo/kibotest"
	"github.com/contactsync/contactsync/connectors/transport"
)

// clock is a settable clock shared by the emulator and the source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	emu    *kibotest.Emulator
	srv    *httptest.Server
	clk    *clock
	cfg    connectors.Config
	spec   *v1alpha1.SourceConnectionSpec
	rotMu  sync.Mutex
	rotate []connectors.Token
}

// newEnv starts an emulator on a fake clock; retries are fast (1 ms).
func newEnv(t testing.TB, o kibotest.Options) *env {
	t.Helper()
	e := &env{clk: &clock{t: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}}
	if o.Now == nil {
		o.Now = e.clk.Now
	}
	e.emu = kibotest.New(o)
	e.srv = httptest.NewServer(e.emu.Handler())
	t.Cleanup(e.srv.Close)
	e.spec = &v1alpha1.SourceConnectionSpec{Kibo: &v1alpha1.KiboSource{TenantID: e.emu.TenantID(), SiteID: e.emu.SiteID()}}
	e.cfg = connectors.Config{
		Endpoint: e.srv.URL, Credentials: e.emu.Credentials(),
		HTTPClient: transport.NewLimiter(provider, limits, transport.Options{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}).Client(),
		OnTokenRotated: func(_ context.Context, tk connectors.Token) error {
			e.rotMu.Lock()
			defer e.rotMu.Unlock()
			e.rotate = append(e.rotate, tk)
			return nil
		},
	}
	return e
}

// source builds a Source from the env's config (changed by the test as needed).
func (e *env) source(t testing.TB) *Source {
	t.Helper()
	s, err := New(e.spec, e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.now = e.clk.Now
	return s
}

func (e *env) rotated() []connectors.Token {
	e.rotMu.Lock()
	defer e.rotMu.Unlock()
	return append([]connectors.Token(nil), e.rotate...)
}

// collect runs Changes and returns the pages.
func collect(t testing.TB, s *Source, cur string) ([]connectors.Page, error) {
	t.Helper()
	var pages []connectors.Page
	err := s.Changes(context.Background(), cur, func(p connectors.Page) error {
		pages = append(pages, p)
		return nil
	})
	return pages, err
}

func lastCursor(pages []connectors.Page, def string) string {
	if len(pages) == 0 {
		return def
	}
	return pages[len(pages)-1].Cursor
}

// ids counts the source IDs delivered across pages.
func ids(pages []connectors.Page) map[string]int {
	out := map[string]int{}
	for _, p := range pages {
		for _, c := range p.Contacts {
			out[c.SourceID]++
		}
	}
	return out
}

// recorder is a RoundTripper that logs the access token of each API call.
type recorder struct {
	mu     sync.Mutex
	tokens []string
	next   http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if tok := req.Header.Get("x-vol-app-claims"); tok != "" {
		r.mu.Lock()
		r.tokens = append(r.tokens, tok)
		r.mu.Unlock()
	}
	return r.next.RoundTrip(req)
}
