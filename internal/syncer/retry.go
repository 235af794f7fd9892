package syncer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// Retry says how batch-level errors that are not terminal are retried.
// Zero fields take the defaults.
type Retry struct {
	// MaxAttempts per call, the first included (default 5).
	MaxAttempts int
	// BaseDelay is the first backoff (default 1s); it doubles per attempt.
	BaseDelay time.Duration
	// MaxDelay caps a backoff (default 1m). A Retry-After longer than this
	// fails the call at once: the run ends and the controller requeues it
	// instead of holding a worker for hours (daily quotas).
	MaxDelay time.Duration
	// Sleep waits d or until ctx ends (default: a timer). Tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (r Retry) withDefaults() Retry {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 5
	}
	if r.BaseDelay <= 0 {
		r.BaseDelay = time.Second
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = time.Minute
	}
	if r.Sleep == nil {
		r.Sleep = sleep
	}
	return r
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// delay is the wait before attempt+1: exponential backoff with jitter in
// [half, full], and never shorter than the provider's Retry-After.
func (r Retry) delay(attempt int, retryAfter time.Duration) time.Duration {
	d := r.BaseDelay << min(attempt-1, 30)
	if d <= 0 || d > r.MaxDelay {
		d = r.MaxDelay
	}
	d = d/2 + rand.N(d/2+1)
	return max(d, retryAfter)
}

// do runs f until it succeeds, fails terminally, or runs out of attempts.
func (r Retry) do(ctx context.Context, op string, f func() error) error {
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if connectors.IsTerminal(err) {
			return fmt.Errorf("%s: %w", op, err)
		}
		ra := connectors.RetryAfterOf(err)
		if attempt >= r.MaxAttempts {
			return fmt.Errorf("%s: gave up after %d attempts: %w", op, attempt, err)
		}
		if ra > r.MaxDelay {
			return fmt.Errorf("%s: the provider asks to wait %s: %w", op, ra, err)
		}
		if err := r.Sleep(ctx, r.delay(attempt, ra)); err != nil {
			return err
		}
	}
}
