package connectors

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind classifies a provider error the way the controllers act on it.
type ErrorKind string

const (
	// KindTransient: network failure, timeout or 5xx. Retry with backoff.
	KindTransient ErrorKind = "Transient"
	// KindRateLimited: 429 or a throttle code. Retry after RetryAfter.
	KindRateLimited ErrorKind = "RateLimited"
	// KindAuth: credentials missing, invalid, expired or revoked. Terminal
	// until the Secret changes.
	KindAuth ErrorKind = "AuthenticationFailed"
	// KindNotFound: the list, audience, company or store does not exist. Terminal.
	KindNotFound ErrorKind = "NotFound"
	// KindInvalid: the request or configuration cannot succeed as it is. Terminal.
	KindInvalid ErrorKind = "Invalid"
	// KindQuotaExhausted: a daily quota is used up; retry after RetryAfter.
	KindQuotaExhausted ErrorKind = "QuotaExhausted"
)

// Error is a classified provider error. Its message never holds a secret
// nor a full email address.
type Error struct {
	Kind     ErrorKind
	Provider string
	// Op is what was being done ("list customers", "batch subscribe").
	Op string
	// StatusCode is the HTTP status, when there was a response.
	StatusCode int
	// RetryAfter is the provider's requested wait, when it gave one.
	RetryAfter time.Duration
	// Message is the provider's explanation, cleaned of secrets.
	Message string
	Err     error
}

func (e *Error) Error() string {
	msg := e.Provider + ": " + e.Op
	if e.StatusCode != 0 {
		msg += fmt.Sprintf(": HTTP %d", e.StatusCode)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err: the Kind of the first *Error in its chain,
// KindTransient for any other non-nil error, and "" for nil.
func KindOf(err error) ErrorKind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindTransient
}

// IsTerminal reports whether retrying err cannot help until the
// configuration or the credentials change.
func IsTerminal(err error) bool {
	switch KindOf(err) {
	case KindAuth, KindNotFound, KindInvalid:
		return true
	}
	return false
}

// RetryAfterOf returns the wait the provider asked for, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
