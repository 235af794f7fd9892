// Package quickbookstest is a stateful, in-memory emulator of the QuickBooks
// Online Accounting API v3, written from Intuit's documentation
// (shared/research/sources.md §1), not from our client, so that it catches
// the client's misreadings. It serves, under one base URL:
//
//	POST /oauth2/v1/tokens/bearer                     OAuth 2.0 token endpoint (rotating refresh tokens)
//	GET  /v3/company/{realm}/query?query=…            the query language (paging, Active default, count(*))
//	GET  /v3/company/{realm}/cdc?entities=…&changedSince=…   change data capture (30 days, 1,000 objects)
//	GET  /v3/company/{realm}/companyinfo/{realm}
//	GET  /v3/company/{realm}/customer/{id}, POST /v3/company/{realm}/customer (create, sparse update)
//
// with Intuit's throttling (500 requests a minute and 10 in flight per
// realm, Fault 3001), fault bodies, and signed webhooks in the legacy and
// the CloudEvents forms. The /_sandbox/ admin endpoints are listed in admin.go.
package quickbookstest

import (
	"net/http"
	"sync"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Options configure an Emulator. Zero values take the defaults.
type Options struct {
	RealmID      string // default "9130355377398186"
	CompanyName  string // default "Acme Books LLC"
	ClientID     string // default generated
	ClientSecret string // default generated
	// WebhookVerifierToken signs webhooks (default generated).
	WebhookVerifierToken string
	// AccessTokenTTL (default 3600 s).
	AccessTokenTTL time.Duration
	// RotateEvery rotates the refresh token only when it is older than this;
	// 0 rotates it on every refresh.
	RotateEvery time.Duration
	// RefreshIdleExpiry is the rolling inactivity expiry of a refresh token
	// (default 100 days); RefreshHardExpiry its hard maximum (default 5 years).
	RefreshIdleExpiry, RefreshHardExpiry time.Duration
	// RequestsPerMinute per realm (default 500; negative: no limit) and
	// Concurrent requests in flight (default 10; negative: no limit).
	RequestsPerMinute, Concurrent int
	// ThrottleRetryAfter, when set, is sent as Retry-After on throttle 429s
	// (Intuit does not document one).
	ThrottleRetryAfter time.Duration
	// LowercaseAuthFault writes 401s with lowercase keys, as Intuit's gateway sometimes does.
	LowercaseAuthFault bool
	// CDCWindow is how far back changedSince may go (default 30 days) and
	// CDCMaxObjects how many objects one CDC response carries (default 1000).
	CDCWindow     time.Duration
	CDCMaxObjects int
	// WebhookRetries are the waits between webhook delivery attempts
	// (default Intuit's 0s, 10s, 20s, 30s, 5m, 20m, 2h, 4h, 6h).
	WebhookRetries []time.Duration
	// Now is the emulated clock's source (default time.Now); Advance moves it on.
	Now func() time.Time
}

// Emulator is an emulated QuickBooks Online company and its OAuth app.
type Emulator struct {
	opts   Options
	server *sandbox.Server

	mu       sync.Mutex
	offset   time.Duration
	data     *store
	auth     *authState
	throttle *throttle
	// events waiting for the next webhook delivery, and the lock that holds
	// later deliveries back until the earlier one is acknowledged.
	events    []Event
	deliverMu sync.Mutex
}

// New returns an emulator with an empty company and one valid refresh token.
func New(o Options) *Emulator {
	if o.RealmID == "" {
		o.RealmID = "9130355377398186"
	}
	if o.CompanyName == "" {
		o.CompanyName = "Acme Books LLC"
	}
	if o.ClientID == "" {
		o.ClientID = randomToken("AB")
	}
	if o.ClientSecret == "" {
		o.ClientSecret = randomToken("")
	}
	if o.WebhookVerifierToken == "" {
		o.WebhookVerifierToken = randomToken("")
	}
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = time.Hour
	}
	if o.RefreshIdleExpiry <= 0 {
		o.RefreshIdleExpiry = 100 * 24 * time.Hour
	}
	if o.RefreshHardExpiry <= 0 {
		o.RefreshHardExpiry = 5 * 365 * 24 * time.Hour
	}
	if o.RequestsPerMinute == 0 {
		o.RequestsPerMinute = 500
	}
	if o.Concurrent == 0 {
		o.Concurrent = 10
	}
	if o.CDCWindow <= 0 {
		o.CDCWindow = 30 * 24 * time.Hour
	}
	if o.CDCMaxObjects <= 0 {
		o.CDCMaxObjects = 1000
	}
	if o.WebhookRetries == nil {
		o.WebhookRetries = []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second,
			5 * time.Minute, 20 * time.Minute, 2 * time.Hour, 4 * time.Hour, 6 * time.Hour}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Emulator{opts: o, data: newStore()}
	e.auth = newAuthState()
	e.throttle = newThrottle(o.RequestsPerMinute, o.Concurrent)
	e.auth.issueRefresh(e.now())
	e.server = sandbox.NewServer(e.apiHandler(),
		sandbox.WithErrorBody(writeInjectedFault),
		sandbox.WithRequestKey(routeKey),
		sandbox.WithReset(e.resetData))
	e.adminRoutes()
	return e
}

// Handler serves the API and the /_sandbox/ endpoints.
func (e *Emulator) Handler() http.Handler { return e.server }

// Server is the shared sandbox plumbing (faults, request counts).
func (e *Emulator) Server() *sandbox.Server { return e.server }

// RealmID is the emulated company's ID.
func (e *Emulator) RealmID() string { return e.opts.RealmID }

// Credentials returns the data of a Secret that connects to this emulator:
// client-id, client-secret, the current refresh-token and webhook-verifier-token.
func (e *Emulator) Credentials() map[string][]byte {
	return map[string][]byte{
		"client-id":              []byte(e.opts.ClientID),
		"client-secret":          []byte(e.opts.ClientSecret),
		"refresh-token":          []byte(e.auth.currentRefresh()),
		"webhook-verifier-token": []byte(e.opts.WebhookVerifierToken),
	}
}

// now is the emulated time, at second resolution like QuickBooks timestamps.
func (e *Emulator) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.nowLocked()
}

func (e *Emulator) nowLocked() time.Time {
	return e.opts.Now().Add(e.offset).Truncate(time.Second)
}

// Now returns the emulated clock.
func (e *Emulator) Now() time.Time { return e.now() }

// Advance moves the emulated clock on (token expiry, the CDC window).
func (e *Emulator) Advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.offset += d
}

// resetData empties the company and its pending events; credentials stay valid.
func (e *Emulator) resetData() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.data = newStore()
	e.events = nil
}
