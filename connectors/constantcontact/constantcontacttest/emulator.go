// Package constantcontacttest is a stateful, in-memory emulator of the
// Constant Contact API v3 (api.cc.email/v3) and of its OAuth2 server
// (authz.constantcontact.com/oauth2/default/v1), both served under one base
// URL. It is written from the vendor's documentation
// (shared/research/targets.md §2 and §3.2), never from our connector, so that
// it catches the connector's misreadings: rotating refresh tokens, expiring
// access tokens with the documented 401 body, 4 requests/s and 10,000/day per
// application, asynchronous bulk activities, and the consent rules (imports
// never change an existing contact's permission, a contact who unsubscribed
// himself cannot be opted back in by PUT, unsubscribed contacts are not
// added to lists).
//
// Fault injection, request counting and the common /_sandbox/ routes come
// from internal/sandbox. Its own admin routes:
//
//	POST /_sandbox/contacts  seed contacts (JSON array of SeedContact)
//	POST /_sandbox/lists     seed lists ({"name": "..."}), answers the list
//	GET  /_sandbox/state     lists, contacts, custom fields, tags, activities
//	POST /_sandbox/tokens    {"action": "expire-access" | "revoke-refresh" | "issue-refresh"}
package constantcontacttest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Options configure an Emulator. Zero values take the documented defaults.
type Options struct {
	// ClientID of the one registered application (default "cc-emulator-client").
	ClientID string
	// ClientSecret of the application (default "cc-emulator-secret");
	// ignored when PublicClient is set (PKCE apps have no secret).
	ClientSecret string
	PublicClient bool
	// LongLivedRefreshTokens makes refreshes return the same refresh token
	// (a per-app setting); by default they rotate and the old one dies.
	LongLivedRefreshTokens bool
	// AccessTokenTTL (default 24h, as documented).
	AccessTokenTTL time.Duration
	// ConfirmedOptIn makes sign_up_form create contacts as pending_confirmation.
	ConfirmedOptIn bool
	// RequestsPerSecond per application in a sliding one-second window
	// (default 4; negative: unlimited) and DailyRequests per UTC day
	// (default 10,000; negative: unlimited).
	RequestsPerSecond int
	DailyRequests     int
	// TokenRequestsPerSecond on the token endpoint (default 1; negative: unlimited).
	TokenRequestsPerSecond int
	// ArrayAuthErrors writes 401 bodies as an array instead of the
	// documented object (the shape is unconfirmed, clients accept both).
	ArrayAuthErrors bool
	// ActivityDuration is how long a bulk activity of n items takes
	// (default 100ms + 20µs per item).
	ActivityDuration func(items int) time.Duration
	// RefusedEmail marks syntactically valid addresses the API refuses as
	// invalid anyway (the vendor does so for signup abuse); nil: none.
	RefusedEmail func(email string) bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.ClientID == "" {
		o.ClientID = "cc-emulator-client"
	}
	if o.PublicClient {
		o.ClientSecret = ""
	} else if o.ClientSecret == "" {
		o.ClientSecret = "cc-emulator-secret"
	}
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = 24 * time.Hour
	}
	if o.RequestsPerSecond == 0 {
		o.RequestsPerSecond = 4
	}
	if o.DailyRequests == 0 {
		o.DailyRequests = 10000
	}
	if o.TokenRequestsPerSecond == 0 {
		o.TokenRequestsPerSecond = 1
	}
	if o.ActivityDuration == nil {
		o.ActivityDuration = func(n int) time.Duration { return 100*time.Millisecond + time.Duration(n)*20*time.Microsecond }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Emulator is one Constant Contact account with one registered application.
// It is safe for concurrent use.
type Emulator struct {
	opts Options
	srv  *sandbox.Server
	api  *http.ServeMux

	mu sync.Mutex
	// Account data.
	lists      map[string]*list // by list_id
	listOrder  []string
	contacts   map[string]*contact // by contact_id
	byEmail    map[string]*contact // by lower-cased email
	order      []*contact          // creation order, for stable paging
	fields     map[string]*customField
	fieldOrder []string
	tags       map[string]*tag
	tagOrder   []string
	activities map[string]*activity
	actOrder   []string
	seq        int64
	// OAuth state.
	auth authState
	// Rate limiting of API and token requests.
	apiWindow   []time.Time
	tokenWindow []time.Time
	day         string
	dayCount    int
}

// New builds an emulator.
func New(o Options) *Emulator {
	o.defaults()
	e := &Emulator{opts: o, api: http.NewServeMux()}
	e.resetData()
	e.routes()
	e.srv = sandbox.NewServer(e.api,
		sandbox.WithErrorBody(e.faultBody),
		sandbox.WithRequestKey(requestKey),
		sandbox.WithReset(e.resetData))
	e.adminRoutes()
	return e
}

func (e *Emulator) resetData() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lists = map[string]*list{}
	e.listOrder = nil
	e.contacts = map[string]*contact{}
	e.byEmail = map[string]*contact{}
	e.order = nil
	e.fields = map[string]*customField{}
	e.fieldOrder = nil
	e.tags = map[string]*tag{}
	e.tagOrder = nil
	e.activities = map[string]*activity{}
	e.actOrder = nil
	e.auth = newAuthState()
	e.apiWindow, e.tokenWindow, e.day, e.dayCount = nil, nil, "", 0
}

// Handler is the emulator with fault injection and the /_sandbox/ routes.
func (e *Emulator) Handler() http.Handler { return e.srv }

// Sandbox gives the shared plumbing: faults, request counts, reset.
func (e *Emulator) Sandbox() *sandbox.Server { return e.srv }

// Start serves the emulator on a loopback port; the caller closes it.
func (e *Emulator) Start() *httptest.Server { return httptest.NewServer(e.srv) }

// ClientID of the registered application.
func (e *Emulator) ClientID() string { return e.opts.ClientID }

// Credentials returns Secret data for the connector: client-id,
// client-secret (unless the app is public) and a freshly issued refresh-token.
func (e *Emulator) Credentials() map[string][]byte {
	rt := e.IssueRefreshToken()
	c := map[string][]byte{"client-id": []byte(e.opts.ClientID), "refresh-token": []byte(rt)}
	if e.opts.ClientSecret != "" {
		c["client-secret"] = []byte(e.opts.ClientSecret)
	}
	return c
}

func (e *Emulator) now() time.Time { return e.opts.Now().UTC() }

// nextSeq orders records; callers hold e.mu.
func (e *Emulator) nextSeq() int64 {
	e.seq++
	return e.seq
}

// requestKey groups request counts by route pattern, so IDs do not make a
// line each.
func requestKey(r *http.Request) string {
	p := r.URL.Path
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range parts {
		if i >= 2 && looksLikeID(s) {
			parts[i] = "{id}"
		}
	}
	return r.Method + " /" + strings.Join(parts, "/")
}

func looksLikeID(s string) bool { return len(s) == 36 && strings.Count(s, "-") == 4 }
