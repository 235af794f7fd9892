// Package transport is the HTTP plumbing every connector shares: per
// credential rate, concurrency and daily limits (shared by every ContactSync
// that uses the credential), retries with backoff that honour Retry-After,
// and the counting of API calls per run and per status code.
//
// Connectors get an *http.Client from Config.HTTPClient and never build their
// own, so the limits hold across all the connectors of one credential.
package transport

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/contactsync/contactsync/connectors"
)

// Observer is told the outcome of every request: the provider and the HTTP
// status code (0 for a network error). The controllers plug metrics in here.
type Observer func(provider string, code int)

// Limiter enforces one credential's limits.
type Limiter struct {
	rate  *rate.Limiter // nil: no rate limit
	slots chan struct{} // nil: no concurrency limit

	mu         sync.Mutex
	daily      int // 0: no daily limit
	day        string
	usedToday  int
	now        func() time.Time
	provider   string
	observe    Observer
	maxRetries int
	baseDelay  time.Duration
	maxDelay   time.Duration
}

// Options tune a Limiter's retries. Zero values take the defaults.
type Options struct {
	// MaxRetries after the first attempt (default 4; negative: none).
	MaxRetries int
	// BaseDelay of the exponential backoff (default 500ms) and its cap (default 30s).
	BaseDelay, MaxDelay time.Duration
	// Observer of every request, or nil.
	Observer Observer
	// Now is the clock (tests).
	Now func() time.Time
}

// NewLimiter builds a limiter for one credential of a provider.
func NewLimiter(provider string, l connectors.Limits, o Options) *Limiter {
	lim := &Limiter{provider: provider, daily: l.DailyRequests, observe: o.Observer, now: o.Now,
		maxRetries: o.MaxRetries, baseDelay: o.BaseDelay, maxDelay: o.MaxDelay}
	if l.RequestsPerSecond > 0 {
		burst := l.Burst
		if burst < 1 {
			burst = 1
		}
		lim.rate = rate.NewLimiter(rate.Limit(l.RequestsPerSecond), burst)
	}
	if l.Concurrency > 0 {
		lim.slots = make(chan struct{}, l.Concurrency)
	}
	if lim.now == nil {
		lim.now = time.Now
	}
	if lim.maxRetries == 0 {
		lim.maxRetries = 4
	} else if lim.maxRetries < 0 {
		lim.maxRetries = 0
	}
	if lim.baseDelay <= 0 {
		lim.baseDelay = 500 * time.Millisecond
	}
	if lim.maxDelay <= 0 {
		lim.maxDelay = 30 * time.Second
	}
	return lim
}

// DailyRemaining returns the requests left today (UTC) and whether the
// provider has a daily limit at all.
func (l *Limiter) DailyRemaining() (int, bool) {
	if l.daily == 0 {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.day != l.now().UTC().Format(time.DateOnly) {
		return l.daily, true
	}
	return max(l.daily-l.usedToday, 0), true
}

// takeDaily counts one request against the daily quota, or says how long
// until the quota resets when it is used up.
func (l *Limiter) takeDaily() (time.Duration, bool) {
	if l.daily == 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now().UTC()
	if today := now.Format(time.DateOnly); l.day != today {
		l.day, l.usedToday = today, 0
	}
	if l.usedToday >= l.daily {
		midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
		return midnight.Sub(now), false
	}
	l.usedToday++
	return 0, true
}

// acquire waits for the rate limiter and a concurrency slot.
func (l *Limiter) acquire(ctx context.Context) (release func(), err error) {
	if l.rate != nil {
		if err := l.rate.Wait(ctx); err != nil {
			return nil, err
		}
	}
	if l.slots == nil {
		return func() {}, nil
	}
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Client returns an HTTP client whose requests go through the limiter.
// Requests are counted in the connectors.CallCounter of their context.
func (l *Limiter) Client() *http.Client {
	return &http.Client{Transport: &roundTripper{lim: l, next: http.DefaultTransport}}
}

// ClientWith is Client over another transport (tests, proxies).
func (l *Limiter) ClientWith(next http.RoundTripper) *http.Client {
	return &http.Client{Transport: &roundTripper{lim: l, next: next}}
}

type roundTripper struct {
	lim  *Limiter
	next http.RoundTripper
}

// RoundTrip sends the request under the credential's limits and retries it
// on network errors, 429 and 5xx while the context allows. Requests whose
// body cannot be replayed (no GetBody) are sent once.
func (t *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		if wait, ok := t.lim.takeDaily(); !ok {
			return nil, &connectors.Error{Kind: connectors.KindQuotaExhausted, Provider: t.lim.provider,
				Op: req.Method + " " + req.URL.Path, RetryAfter: wait, Message: "daily request quota used up"}
		}
		release, err := t.lim.acquire(ctx)
		if err != nil {
			return nil, err
		}
		r := req
		if attempt > 0 {
			r = req.Clone(ctx)
			if req.GetBody != nil {
				if r.Body, err = req.GetBody(); err != nil {
					release()
					return nil, err
				}
			}
		}
		connectors.CountCall(ctx)
		resp, err := t.next.RoundTrip(r)
		release()
		code := 0
		if err == nil {
			code = resp.StatusCode
		}
		if t.lim.observe != nil {
			t.lim.observe(t.lim.provider, code)
		}
		retryable := (err != nil && ctx.Err() == nil) || code == http.StatusTooManyRequests || code >= 500
		replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
		if !retryable || !replayable || attempt >= t.lim.maxRetries {
			return resp, err
		}
		delay := t.lim.backoff(attempt)
		if resp != nil {
			if ra := ParseRetryAfter(resp.Header.Get("Retry-After"), t.lim.now()); ra > 0 {
				delay = ra
			}
			// Drain so the connection can be reused.
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
			// Waiting would outlive the caller: give the last answer back.
			if resp != nil {
				return nil, &connectors.Error{Kind: kindOfCode(code), Provider: t.lim.provider,
					Op: req.Method + " " + req.URL.Path, StatusCode: code, RetryAfter: delay}
			}
			return nil, err
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

func kindOfCode(code int) connectors.ErrorKind {
	if code == http.StatusTooManyRequests {
		return connectors.KindRateLimited
	}
	return connectors.KindTransient
}

// backoff is exponential with full jitter, capped.
func (l *Limiter) backoff(attempt int) time.Duration {
	d := l.baseDelay << attempt
	if d <= 0 || d > l.maxDelay {
		d = l.maxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// ParseRetryAfter reads a Retry-After header in seconds or as an HTTP date.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// Pool hands out one Limiter per credential key, so every ContactSync that
// uses a credential shares its limits. The controllers key credentials by the
// Secret's UID and the key name.
type Pool struct {
	mu       sync.Mutex
	limiters map[string]*Limiter
	opts     Options
}

// NewPool returns an empty pool whose limiters take these options.
func NewPool(o Options) *Pool {
	return &Pool{limiters: map[string]*Limiter{}, opts: o}
}

// Limiter returns the limiter of a credential, creating it on first use.
func (p *Pool) Limiter(credentialKey, provider string, l connectors.Limits) *Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := provider + "/" + credentialKey
	if lim, ok := p.limiters[key]; ok {
		return lim
	}
	lim := NewLimiter(provider, l, p.opts)
	p.limiters[key] = lim
	return lim
}

// Forget drops a credential's limiter (its Secret was deleted).
func (p *Pool) Forget(credentialKey, provider string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.limiters, provider+"/"+credentialKey)
}

// ErrBodyTooLarge is returned by ReadBody when a response exceeds its limit.
var ErrBodyTooLarge = errors.New("response body too large")

// ReadBody reads at most limit bytes of a response body and closes it.
func ReadBody(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrBodyTooLarge
	}
	return b, nil
}
