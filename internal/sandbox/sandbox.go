// Package sandbox is what every provider emulator shares: the /_sandbox/
// admin plumbing, fault injection (latency, 429s, 5xx, timeouts), request
// accounting, and realistic data generation. Emulators live beside their
// connectors (connectors/<p>/<p>test) and are built on this package, so
// fault injection and seeding work the same way for all of them.
//
// Admin endpoints every emulator has:
//
//	GET  /_sandbox/faults    the fault settings
//	PUT  /_sandbox/faults    replace them (JSON Faults)
//	GET  /_sandbox/requests  counts of API requests by "METHOD /path-pattern" and in total
//	POST /_sandbox/reset     clear the counts and the faults (emulators also clear their data)
//
// Emulators add their own (seed, state, webhooks) with Server.HandleAdmin.
package sandbox

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AdminPrefix is where the admin endpoints live.
const AdminPrefix = "/_sandbox/"

// Faults are injected into API requests (never into admin requests).
type Faults struct {
	// Latency is added to every API request.
	Latency Duration `json:"latency,omitempty"`
	// RateLimitShare of requests, in [0,1], get 429 with Retry-After.
	RateLimitShare float64 `json:"rateLimitShare,omitempty"`
	// RetryAfter is the Retry-After of injected 429s (default 1s).
	RetryAfter Duration `json:"retryAfter,omitempty"`
	// ServerErrorShare of requests, in [0,1], get a 5xx.
	ServerErrorShare float64 `json:"serverErrorShare,omitempty"`
	// TimeoutShare of requests, in [0,1], hang for Timeout (default 30s)
	// or until the client gives up, then get a 504.
	TimeoutShare float64  `json:"timeoutShare,omitempty"`
	Timeout      Duration `json:"timeout,omitempty"`
	// FailNext makes the next N API requests fail with FailStatus (default 503).
	FailNext   int `json:"failNext,omitempty"`
	FailStatus int `json:"failStatus,omitempty"`
	// Seed makes the random choices repeatable; 0 picks one.
	Seed uint64 `json:"seed,omitempty"`
}

// Duration is a time.Duration that reads and writes as "100ms" in JSON.
type Duration struct{ time.Duration }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return err
		}
		d.Duration = time.Duration(n * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	d.Duration = v
	return err
}

// ErrorWriter writes a provider's own error body for an injected fault, so
// that clients see exactly what the real API sends for a 429 or a 5xx.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, status int)

// Server wraps an emulator's API handler with the admin endpoints, fault
// injection and request accounting.
type Server struct {
	api   http.Handler
	admin *http.ServeMux
	// errorBody writes the provider-specific error body of injected faults.
	errorBody ErrorWriter
	// onReset clears the emulator's own data.
	onReset func()

	mu       sync.Mutex
	faults   Faults
	rng      *rand.Rand
	counts   map[string]int
	total    int
	patterns func(*http.Request) string
}

// Option configures a Server.
type Option func(*Server)

// WithErrorBody sets how injected faults are written (default: a JSON
// {"error": "..."} body).
func WithErrorBody(f ErrorWriter) Option { return func(s *Server) { s.errorBody = f } }

// WithReset registers the emulator's own reset, called by POST /_sandbox/reset.
func WithReset(f func()) Option { return func(s *Server) { s.onReset = f } }

// WithRequestKey sets how API requests are grouped in /_sandbox/requests
// (default: method and path). Emulators group by route pattern so counts
// read "GET /v3/contacts", not one line per ID.
func WithRequestKey(f func(*http.Request) string) Option { return func(s *Server) { s.patterns = f } }

// NewServer wraps api.
func NewServer(api http.Handler, opts ...Option) *Server {
	s := &Server{api: api, admin: http.NewServeMux(), counts: map[string]int{}, rng: rand.New(rand.NewPCG(1, 2))}
	for _, o := range opts {
		o(s)
	}
	if s.errorBody == nil {
		s.errorBody = func(w http.ResponseWriter, _ *http.Request, status int) {
			WriteJSON(w, status, map[string]string{"error": http.StatusText(status)})
		}
	}
	if s.patterns == nil {
		s.patterns = func(r *http.Request) string { return r.Method + " " + r.URL.Path }
	}
	s.admin.HandleFunc("GET /_sandbox/faults", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, s.Faults())
	})
	s.admin.HandleFunc("PUT /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		s.SetFaults(f)
		WriteJSON(w, http.StatusOK, s.Faults())
	})
	s.admin.HandleFunc("GET /_sandbox/requests", func(w http.ResponseWriter, _ *http.Request) {
		total, counts := s.Requests()
		WriteJSON(w, http.StatusOK, map[string]any{"total": total, "byRoute": counts})
	})
	s.admin.HandleFunc("POST /_sandbox/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	return s
}

// HandleAdmin adds an emulator-specific admin route; pattern is a
// net/http ServeMux pattern under /_sandbox/ ("POST /_sandbox/customers").
func (s *Server) HandleAdmin(pattern string, h http.HandlerFunc) {
	s.admin.HandleFunc(pattern, h)
}

// SetFaults replaces the fault settings.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	seed := f.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// Faults returns the current fault settings.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Requests returns the total of API requests and the counts by route.
func (s *Server) Requests() (int, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return s.total, out
}

// Reset clears faults, counts and (through WithReset) the emulator's data.
func (s *Server) Reset() {
	s.mu.Lock()
	s.faults = Faults{}
	s.counts = map[string]int{}
	s.total = 0
	s.mu.Unlock()
	if s.onReset != nil {
		s.onReset()
	}
}

// ResetCounts clears only the request counts.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.total = 0
}

type faultAction int

const (
	faultNone faultAction = iota
	faultRateLimit
	faultServerError
	faultTimeout
	faultFailNext
)

// decide counts the request and picks the fault to inject, if any.
func (s *Server) decide(r *http.Request) (Faults, faultAction, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	s.counts[s.patterns(r)]++
	f := s.faults
	if s.faults.FailNext > 0 {
		s.faults.FailNext--
		status := f.FailStatus
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		return f, faultFailNext, status
	}
	switch p := s.rng.Float64(); {
	case p < f.RateLimitShare:
		return f, faultRateLimit, http.StatusTooManyRequests
	case p < f.RateLimitShare+f.ServerErrorShare:
		codes := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
		return f, faultServerError, codes[s.rng.IntN(len(codes))]
	case p < f.RateLimitShare+f.ServerErrorShare+f.TimeoutShare:
		return f, faultTimeout, http.StatusGatewayTimeout
	}
	return f, faultNone, 0
}

// ServeHTTP routes admin requests to the admin mux and API requests through
// fault injection to the emulator.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, AdminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	f, action, status := s.decide(r)
	if f.Latency.Duration > 0 {
		if !sleep(r, f.Latency.Duration) {
			return
		}
	}
	switch action {
	case faultRateLimit:
		ra := f.RetryAfter.Duration
		if ra <= 0 {
			ra = time.Second
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
		s.errorBody(w, r, status)
	case faultServerError, faultFailNext:
		s.errorBody(w, r, status)
	case faultTimeout:
		d := f.Timeout.Duration
		if d <= 0 {
			d = 30 * time.Second
		}
		if sleep(r, d) {
			s.errorBody(w, r, status)
		}
	default:
		s.api.ServeHTTP(w, r)
	}
}

// sleep waits for d or until the client goes away; false if it went away.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// Start serves s on a loopback port for a test and returns the httptest server.
func (s *Server) Start() *httptest.Server { return httptest.NewServer(s) }

// WriteJSON writes v as JSON with the status code.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
