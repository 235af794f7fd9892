package constantcontact

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/api/v1alpha1"
	"github.com/contactsync/contactsync/connectors"
	"github.com/contactsync/contactsync/connectors/constantcontact/constantcontacttest"
	"github.com/contactsync/contactsync/connectors/transport"
)

func init() {
	// Emulator activities finish in milliseconds: poll fast in tests.
	pollFirst = 5 * time.Millisecond
}

// env is a target wired to a fresh emulator.
type env struct {
	em      *constantcontacttest.Emulator
	srv     *httptest.Server
	target  *Target
	mu      sync.Mutex
	rotated []connectors.Token
	persist func(connectors.Token) error
}

type envOpts struct {
	emu  constantcontacttest.Options
	list string
	// create sets spec.constantContact.createIfMissing.
	create bool
	// realLimits uses the connector's own limiter (4/s); otherwise a fast
	// client without rate limits and short retry delays.
	realLimits bool
	// wrap wraps the emulator's handler (spec validation).
	wrap func(http.Handler) http.Handler
}

func newEnv(t testing.TB, o envOpts) *env { return newEnvFrom(t, nil, o) }

// newEnvFrom wires a target to em, or to a new emulator built from o.emu.
func newEnvFrom(t testing.TB, em *constantcontacttest.Emulator, o envOpts) *env {
	t.Helper()
	if !o.realLimits {
		if o.emu.RequestsPerSecond == 0 {
			o.emu.RequestsPerSecond = -1
		}
		if o.emu.TokenRequestsPerSecond == 0 {
			o.emu.TokenRequestsPerSecond = -1
		}
	}
	if o.emu.ActivityDuration == nil {
		o.emu.ActivityDuration = func(int) time.Duration { return 2 * time.Millisecond }
	}
	if em == nil {
		em = constantcontacttest.New(o.emu)
	}
	e := &env{em: em}
	h := e.em.Handler()
	if o.wrap != nil {
		h = o.wrap(h)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	if o.list == "" {
		o.list = "Newsletter"
		e.em.CreateList(o.list)
	}
	cfg := connectors.Config{Endpoint: e.srv.URL, Credentials: e.em.Credentials(),
		OnTokenRotated: func(_ context.Context, tok connectors.Token) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			if e.persist != nil {
				if err := e.persist(tok); err != nil {
					return err
				}
			}
			e.rotated = append(e.rotated, tok)
			return nil
		}}
	if !o.realLimits {
		lim := transport.NewLimiter(Provider, connectors.Limits{DailyRequests: DefaultLimits.DailyRequests},
			transport.Options{MaxRetries: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
		cfg.HTTPClient = lim.Client()
	}
	tg, err := New(&v1alpha1.ListTargetSpec{ConstantContact: &v1alpha1.ConstantContactTarget{List: o.list, CreateIfMissing: o.create}}, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.target = tg
	return e
}

func (e *env) lastRotated() connectors.Token {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.rotated) == 0 {
		return connectors.Token{}
	}
	return e.rotated[len(e.rotated)-1]
}

// calls returns the emulator's count for a route key ("POST /v3/contacts").
func (e *env) calls(route string) int {
	_, by := e.em.Sandbox().Requests()
	return by[route]
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func resultsByEmail(rs []connectors.Result) map[string]connectors.Result {
	out := map[string]connectors.Result{}
	for _, r := range rs {
		out[r.Email] = r
	}
	return out
}

func specFor(list string) v1alpha1.ConstantContactTarget {
	return v1alpha1.ConstantContactTarget{List: list}
}

func (t *Target) specForTest() *v1alpha1.ListTargetSpec {
	s := t.spec
	return &v1alpha1.ListTargetSpec{ConstantContact: &s}
}
