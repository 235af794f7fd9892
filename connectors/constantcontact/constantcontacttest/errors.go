package constantcontacttest

import (
	"net/http"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Error keys and messages as targets.md §2.10 documents them.
const (
	keyValidation = "contacts.api.validation.error"
	keyNotFound   = "contacts.api.not_found"
	keyConflict   = "contacts.api.conflict"
	msgConflict   = "Conflict. The resource you are creating or updating conflicts with an existing resource."
)

// apiError is one entry of Constant Contact's error array.
type apiError struct {
	ErrorKey     string `json:"error_key"`
	ErrorMessage string `json:"error_message"`
}

// writeError writes the documented array body: [{"error_key","error_message"}].
func writeError(w http.ResponseWriter, status int, key, msg string) {
	sandbox.WriteJSON(w, status, []apiError{{ErrorKey: key, ErrorMessage: msg}})
}

// writeUnauthorized writes the 401 body: an object by default, as the
// spec's AuthorizationErrorSchema has it.
func (e *Emulator) writeUnauthorized(w http.ResponseWriter) {
	body := apiError{ErrorKey: "unauthorized", ErrorMessage: "Unauthorized"}
	if e.opts.ArrayAuthErrors {
		sandbox.WriteJSON(w, http.StatusUnauthorized, []apiError{body})
		return
	}
	sandbox.WriteJSON(w, http.StatusUnauthorized, body)
}

// faultBody writes Constant Contact's own body for injected faults: the
// throttle body for 429 (the vendor sends no Retry-After, but the sandbox
// adds one for injected faults, which clients may honour), the service
// messages of the spec for 5xx.
func (e *Emulator) faultBody(w http.ResponseWriter, _ *http.Request, status int) {
	switch {
	case status == http.StatusTooManyRequests:
		writeError(w, status, "throttled", "Too Many Requests")
	case status == http.StatusServiceUnavailable:
		writeError(w, status, "service_unavailable", "Our internal service is temporarily unavailable.")
	case status >= 500:
		writeError(w, status, "server_error", "There was a problem with our internal service.")
	default:
		writeError(w, status, "error", http.StatusText(status))
	}
}
