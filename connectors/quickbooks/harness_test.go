package quickbooks

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/quickbooks/quickbookstest"
	"github.com/contactsync/contactsync/connectors/transport"
)

// harness is an emulator and a connector pointed at it.
type harness struct {
	emu     *quickbookstest.Emulator
	srv     *httptest.Server
	src     *Source
	mu      sync.Mutex
	rotated []connectors.Token
}

func newHarness(t testing.TB, o quickbookstest.Options) *harness {
	t.Helper()
	h := &harness{emu: quickbookstest.New(o)}
	h.srv = httptest.NewServer(h.emu.Handler())
	t.Cleanup(h.srv.Close)
	h.src = h.connect(t, h.emu.Credentials(), nil, transport.Options{BaseDelay: 1, MaxDelay: 1})
	return h
}

// connect builds a connector with these credentials and stored token.
func (h *harness) connect(t testing.TB, creds map[string][]byte, tok *connectors.Token, o transport.Options) *Source {
	t.Helper()
	spec := &v1alpha1.SourceConnectionSpec{QuickBooks: &v1alpha1.QuickBooksSource{RealmID: h.emu.RealmID()}, Endpoint: h.srv.URL}
	s, err := New(spec, connectors.Config{
		Endpoint: h.srv.URL, Credentials: creds, Token: tok,
		HTTPClient: transport.NewLimiter(Provider, connectors.Limits{Concurrency: 10}, o).Client(),
		OnTokenRotated: func(_ context.Context, tk connectors.Token) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.rotated = append(h.rotated, tk)
			return nil
		},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// run collects every page of one Changes call and counts its API calls.
func (h *harness) run(t testing.TB, s *Source, cur string) ([]connectors.Page, int64) {
	t.Helper()
	var pages []connectors.Page
	var calls connectors.CallCounter
	ctx := connectors.WithCallCounter(context.Background(), &calls)
	if err := s.Changes(ctx, cur, func(p connectors.Page) error {
		pages = append(pages, p)
		return nil
	}); err != nil {
		t.Fatalf("Changes(%q): %v", cur, err)
	}
	return pages, calls.Load()
}

func lastCursor(t testing.TB, pages []connectors.Page) string {
	t.Helper()
	if len(pages) == 0 {
		t.Fatal("no pages")
	}
	return pages[len(pages)-1].Cursor
}

func contactsOf(pages []connectors.Page) []connectors.Contact {
	var out []connectors.Contact
	for _, p := range pages {
		out = append(out, p.Contacts...)
	}
	return out
}

func byID(cs []connectors.Contact) map[string]connectors.Contact {
	m := map[string]connectors.Contact{}
	for _, c := range cs {
		m[c.SourceID] = c
	}
	return m
}
