// Package mailchimptest is a stateful, in-memory emulator of the Mailchimp
// Marketing API v3 (audiences, members, merge fields, tags, batch
// subscribe, webhooks, OAuth metadata), written from Mailchimp's
// documentation (shared/research/targets.md §1 and §3.1), never from our
// connector, so that it catches the connector's misreadings.
//
// It is built on internal/sandbox: fault injection, request counts and the
// /_sandbox/ admin plumbing are shared with every other emulator. Its own
// admin routes seed audiences and members, show state and revoke keys.
package mailchimptest

import (
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Options tune the emulator. The zero value is Mailchimp's documented behaviour.
type Options struct {
	// DC is the data centre of the issued API key (default "us6"). Requests
	// for any data centre are served: with an endpoint override there is
	// no host switching.
	DC string
	// MaxConnections per credential before 429 (default 10).
	MaxConnections int
	// MaxLists is how many audiences the account may have (default 5);
	// POST /lists beyond it is refused and constraints.may_create is false.
	MaxLists int
	// AllowAPIResubscribe lets the API re-subscribe members that the
	// account (not the contact) unsubscribed through the API, as reported
	// in 2026. Contact unsubscribes and cleaned members are always refused.
	AllowAPIResubscribe bool
	// OmitProblemType drops "type" from error bodies, as some real responses do.
	OmitProblemType bool
	// EmptyThrottleBody makes injected 429s carry no body.
	EmptyThrottleBody bool
	// FakeEmail says which addresses Mailchimp refuses as "fake or invalid"
	// (default: local part test, fake or asdf, or a mailinator.com or
	// test.com domain).
	FakeEmail func(email string) bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Emulator is a Mailchimp account: audiences with their members, merge
// fields and tags, API keys and OAuth tokens. It is safe for concurrent use.
type Emulator struct {
	opts Options
	srv  *sandbox.Server

	mu       sync.Mutex
	lists    map[string]*list
	order    []string
	keys     map[string]bool // API keys and OAuth access tokens → valid
	codes    map[string]bool // OAuth authorization codes not yet used
	inflight map[string]int
	apiKey   string
	token    string
	outbox   []delivery // webhooks to send once the lock is released

	ids atomic.Int64
}

// New returns an emulator with one valid API key and one OAuth access token.
func New(opts Options) *Emulator {
	if opts.DC == "" {
		opts.DC = "us6"
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 10
	}
	if opts.MaxLists <= 0 {
		opts.MaxLists = 5
	}
	if opts.FakeEmail == nil {
		opts.FakeEmail = defaultFake
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Emulator{opts: opts}
	e.resetData()
	e.srv = sandbox.NewServer(e.routes(),
		sandbox.WithErrorBody(e.writeFault),
		sandbox.WithRequestKey(routeKey),
		sandbox.WithReset(e.resetData))
	e.adminRoutes()
	return e
}

func (e *Emulator) resetData() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lists = map[string]*list{}
	e.order = nil
	e.keys = map[string]bool{}
	e.codes = map[string]bool{}
	e.inflight = map[string]int{}
	e.apiKey = randomHex(16) + "-" + e.opts.DC
	e.token = randomHex(16)
	e.keys[e.apiKey] = true
	e.keys[e.token] = true
}

// Handler serves the API under /3.0, the OAuth endpoints under /oauth2 and
// the admin endpoints under /_sandbox/, with the per-credential connection
// limit in front.
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serve) }

// Sandbox is the shared sandbox server: faults and request counts.
func (e *Emulator) Sandbox() *sandbox.Server { return e.srv }

// Start serves the emulator on a loopback port.
func (e *Emulator) Start() *httptest.Server { return httptest.NewServer(e.Handler()) }

// APIKey is a valid API key ("<32 hex>-<dc>").
func (e *Emulator) APIKey() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.apiKey
}

// AccessToken is a valid OAuth access token (for the server DC).
func (e *Emulator) AccessToken() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.token
}

// DC is the account's data centre.
func (e *Emulator) DC() string { return e.opts.DC }

// Credentials returns Secret data for the API key.
func (e *Emulator) Credentials() map[string][]byte {
	return map[string][]byte{"api-key": []byte(e.APIKey())}
}

// Revoke invalidates an API key or access token: later requests with it
// get 401 API Key Invalid.
func (e *Emulator) Revoke(credential string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.keys, credential)
}

// IssueAuthCode returns a one-time OAuth authorization code, as the
// authorize page would after the user consents.
func (e *Emulator) IssueAuthCode() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := randomHex(16)
	e.codes[c] = true
	return c
}

// serve applies the connection limit to API requests, then hands over to
// the sandbox server (faults, counts, admin) and the API routes. The limit
// wraps the sandbox so injected latency holds the connection, as a slow
// real response does.
func (e *Emulator) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, sandbox.AdminPrefix) || !strings.HasPrefix(r.URL.Path, "/3.0/") {
		e.srv.ServeHTTP(w, r)
		return
	}
	cred := credential(r)
	e.mu.Lock()
	over := e.inflight[cred] >= e.opts.MaxConnections
	if !over {
		e.inflight[cred]++
	}
	e.mu.Unlock()
	if over {
		e.writeProblem(w, r, errTooMany(e.opts.MaxConnections))
		return
	}
	defer func() {
		e.mu.Lock()
		e.inflight[cred]--
		e.mu.Unlock()
	}()
	e.srv.ServeHTTP(w, r)
}

// credential returns the API key or token of a request, "" when none.
func credential(r *http.Request) string {
	if _, pw, ok := r.BasicAuth(); ok {
		return pw
	}
	h := r.Header.Get("Authorization")
	for _, p := range []string{"Bearer ", "OAuth ", "apikey "} {
		if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
			return strings.TrimSpace(h[len(p):])
		}
	}
	return ""
}

// authorize checks the credential: missing → API Key Missing, unknown or
// revoked → API Key Invalid.
func (e *Emulator) authorize(r *http.Request) *problem {
	c := credential(r)
	if c == "" {
		return errKeyMissing()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.keys[c] {
		return errKeyInvalid()
	}
	return nil
}

func (e *Emulator) now() time.Time { return e.opts.Now().UTC().Truncate(time.Second) }

func (e *Emulator) nextWebID() int     { return int(100000000 + e.ids.Add(1)) }
func (e *Emulator) nextSegmentID() int { return int(5000000 + e.ids.Add(1)) }

func randomHex(n int) string { return strings.ReplaceAll(newUUID(), "-", "")[:2*n] }

// validEmail is Mailchimp's syntax check: one @, a dotted domain, no spaces.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || strings.ContainsAny(s, " \t") {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".") && !strings.HasPrefix(domain, ".")
}

func defaultFake(email string) bool {
	e := strings.ToLower(email)
	at := strings.LastIndexByte(e, '@')
	if at < 0 {
		return false
	}
	switch e[:at] {
	case "test", "fake", "asdf":
		return true
	}
	switch e[at+1:] {
	case "mailinator.com", "test.com":
		return true
	}
	return false
}

// timestamp formats times as Mailchimp does: ISO 8601 with +00:00, "" for zero.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05+00:00")
}
