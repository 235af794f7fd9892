package syncer

import (
	"context"
	"sync"

	"golang.org/x/time/rate"

	"github.com/contactsync/contactsync/connectors"
)

// Limiters shares request rate and concurrency per credential key between
// runs, for targets that do not go through the shared HTTP client (which
// already limits real connectors: do not limit those twice).
type Limiters struct {
	mu sync.Mutex
	m  map[string]*Limiter
}

// NewLimiters returns an empty registry.
func NewLimiters() *Limiters { return &Limiters{m: map[string]*Limiter{}} }

// Limiter bounds the calls made with one credential.
type Limiter struct {
	rate *rate.Limiter // nil: no rate limit
	sem  chan struct{} // nil: no concurrency limit
}

// For returns the limiter of key, creating it from l the first time: every
// run using the key shares it.
func (ls *Limiters) For(key string, l connectors.Limits) *Limiter {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if lim, ok := ls.m[key]; ok {
		return lim
	}
	lim := &Limiter{}
	if l.RequestsPerSecond > 0 {
		lim.rate = rate.NewLimiter(rate.Limit(l.RequestsPerSecond), max(l.Burst, 1))
	}
	if l.Concurrency > 0 {
		lim.sem = make(chan struct{}, l.Concurrency)
	}
	ls.m[key] = lim
	return lim
}

// acquire waits for a slot and the rate; release frees the slot.
func (l *Limiter) acquire(ctx context.Context) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	if l.sem != nil {
		select {
		case l.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	release = func() {
		if l.sem != nil {
			<-l.sem
		}
	}
	if l.rate != nil {
		if err := l.rate.Wait(ctx); err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}
