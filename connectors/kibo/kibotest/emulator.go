// Package kibotest is a stateful, in-memory emulator of the Kibo eCommerce
// APIs a contact sync uses: classic application auth tickets (create,
// refresh with rotation, revoke) and the OAuth client-credentials token,
// tenant and site routing, customer accounts (list with Kibo's filter,
// sortBy and offset paging; get; update), orders, commerce summaries, the
// 429 throttle and Kibo's error bodies, and signed event notifications.
//
// It is written from the vendor documentation summarised in
// shared/research/sources.md §3, never from the connector, so that it
// catches the connector's misreadings. Every path is served under one base
// URL (the connection's endpoint override): /api/platform/... for auth
// tickets and /api/commerce/... for the tenant API.
package kibotest

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Options configure an Emulator. Zero values take the defaults.
type Options struct {
	TenantID int64 // default 12345
	SiteID   int64 // default 23456
	// OtherSites of the tenant: tenant-level events are sent once per site.
	OtherSites []int64
	// ApplicationID and SharedSecret of the installed application.
	ApplicationID string // default "contactsync.kibo.1.0.0.Release"
	SharedSecret  string // default "emulator-shared-secret"
	// EventSecret signs event notifications; default: SharedSecret, as
	// Kibo signs with the application's shared secret.
	EventSecret string
	// AccessTokenTTL and RefreshTokenTTL of issued tickets (default 1h, 24h).
	AccessTokenTTL, RefreshTokenTTL time.Duration
	// RejectOversizePage answers pageSize > 200 with 400 instead of clamping.
	RejectOversizePage bool
	// RouteLimitPerMinute throttles each route (0: no limit) with Kibo's
	// 429: empty body, Retry-After: 60.
	RouteLimitPerMinute int
	// EventRetryInterval between deliveries of an unacknowledged event
	// (default 1 minute, as Kibo); EventTimeout per delivery (default 45 s).
	EventRetryInterval, EventTimeout time.Duration
	// DuplicateEvents delivers every event twice, as Kibo may.
	DuplicateEvents bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.TenantID == 0 {
		o.TenantID = 12345
	}
	if o.SiteID == 0 {
		o.SiteID = 23456
	}
	if o.ApplicationID == "" {
		o.ApplicationID = "contactsync.kibo.1.0.0.Release"
	}
	if o.SharedSecret == "" {
		o.SharedSecret = "emulator-shared-secret"
	}
	if o.EventSecret == "" {
		o.EventSecret = o.SharedSecret
	}
	if o.AccessTokenTTL == 0 {
		o.AccessTokenTTL = time.Hour
	}
	if o.RefreshTokenTTL == 0 {
		o.RefreshTokenTTL = 24 * time.Hour
	}
	if o.EventRetryInterval == 0 {
		o.EventRetryInterval = time.Minute
	}
	if o.EventTimeout == 0 {
		o.EventTimeout = 45 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Emulator is one Kibo tenant with one installed application.
type Emulator struct {
	opts    Options
	store   *store
	tickets *tickets
	server  *sandbox.Server
	mux     *http.ServeMux

	throttleMu sync.Mutex
	window     time.Time
	perRoute   map[string]int

	eventsMu   sync.Mutex
	deliveries []Delivery
}

// New builds an emulator with no data; seed it with Generate or PutAccount.
func New(o Options) *Emulator {
	o.defaults()
	e := &Emulator{opts: o, store: newStore(), tickets: newTickets(), mux: http.NewServeMux(), perRoute: map[string]int{}}
	e.routes()
	e.server = sandbox.NewServer(e.withPlumbing(e.mux),
		sandbox.WithErrorBody(writeFault),
		sandbox.WithRequestKey(e.routeOf),
		sandbox.WithReset(e.reset))
	e.adminRoutes()
	return e
}

// Handler serves the API and the /_sandbox/ admin endpoints.
func (e *Emulator) Handler() http.Handler { return e.server }

// Sandbox gives access to fault injection and request counts.
func (e *Emulator) Sandbox() *sandbox.Server { return e.server }

// TenantID and SiteID the emulator serves.
func (e *Emulator) TenantID() int64 { return e.opts.TenantID }
func (e *Emulator) SiteID() int64   { return e.opts.SiteID }

// Credentials are the Secret data a SourceConnection needs for this emulator.
func (e *Emulator) Credentials() map[string][]byte {
	c := map[string][]byte{
		"application-id": []byte(e.opts.ApplicationID),
		"shared-secret":  []byte(e.opts.SharedSecret),
	}
	if e.opts.EventSecret != e.opts.SharedSecret {
		c["event-secret"] = []byte(e.opts.EventSecret)
	}
	return c
}

func (e *Emulator) reset() {
	e.store.mu.Lock()
	e.store.clear()
	e.store.mu.Unlock()
	e.tickets.clear()
	e.throttleMu.Lock()
	e.perRoute = map[string]int{}
	e.throttleMu.Unlock()
	e.eventsMu.Lock()
	e.deliveries = nil
	e.eventsMu.Unlock()
}

// routeOf names a request by its route pattern for /_sandbox/requests.
func (e *Emulator) routeOf(r *http.Request) string {
	if _, p := e.mux.Handler(r); p != "" {
		return p
	}
	return r.Method + " " + r.URL.Path
}

// withPlumbing adds what every Kibo response carries (x-vol-correlation,
// Date) and the per-route throttle.
func (e *Emulator) withPlumbing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-vol-correlation", newID())
		// The emulator's clock is the server's: clients read it from Date.
		w.Header().Set("Date", e.opts.Now().UTC().Format(http.TimeFormat))
		if e.throttled(e.routeOf(r)) {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// throttled counts a request against its route's budget for this minute.
func (e *Emulator) throttled(route string) bool {
	if e.opts.RouteLimitPerMinute <= 0 {
		return false
	}
	e.throttleMu.Lock()
	defer e.throttleMu.Unlock()
	if now := e.opts.Now().Truncate(time.Minute); !now.Equal(e.window) {
		e.window, e.perRoute = now, map[string]int{}
	}
	e.perRoute[route]++
	return e.perRoute[route] > e.opts.RouteLimitPerMinute
}

// writeFault writes injected faults as Kibo does: 429 with an empty body,
// anything else with the ApiError JSON.
func writeFault(w http.ResponseWriter, _ *http.Request, status int) {
	w.Header().Set("x-vol-correlation", newID())
	if status == http.StatusTooManyRequests {
		w.WriteHeader(status)
		return
	}
	writeError(w, status, "SERVICE_UNAVAILABLE", "Platform", http.StatusText(status))
}

// writeError writes Kibo's ApiError body.
func writeError(w http.ResponseWriter, status int, code, app, msg string) {
	sandbox.WriteJSON(w, status, APIError{
		Message: msg, ErrorCode: code, ApplicationName: app,
		AdditionalErrorData: []NameValue{}, Items: []APIErrorItem{},
		ExceptionDetail: ExceptionDetail{Type: "Mozu.Core.Exceptions.VaeException", Message: msg},
	})
}

func atoiDefault(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}
