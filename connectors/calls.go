package connectors

import (
	"context"
	"sync/atomic"
)

// CallCounter counts API requests. The engine puts one in the context of
// each side's calls, and the shared HTTP client (package transport)
// increments it, so a run reports its API calls per side without connectors
// keeping per-run state.
type CallCounter struct{ n atomic.Int64 }

// Add counts n requests.
func (c *CallCounter) Add(n int64) {
	if c != nil {
		c.n.Add(n)
	}
}

// Load returns the count so far.
func (c *CallCounter) Load() int64 {
	if c == nil {
		return 0
	}
	return c.n.Load()
}

type callCounterKey struct{}

// WithCallCounter returns a context whose API requests are counted in c.
func WithCallCounter(ctx context.Context, c *CallCounter) context.Context {
	return context.WithValue(ctx, callCounterKey{}, c)
}

// CountCall counts one request against the counter in ctx, if any.
func CountCall(ctx context.Context) {
	if c, ok := ctx.Value(callCounterKey{}).(*CallCounter); ok {
		c.Add(1)
	}
}
