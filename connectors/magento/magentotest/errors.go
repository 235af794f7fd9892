package magentotest

import (
	"net/http"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// apiError is Magento's error-response: a message with %-placeholders and
// their parameters, positional (array) or named (object), which clients
// substitute themselves.
type apiError struct {
	status     int
	Message    string `json:"message"`
	Parameters any    `json:"parameters,omitempty"`
}

func newError(status int, msg string, params any) *apiError {
	return &apiError{status: status, Message: msg, Parameters: params}
}

func badRequest(msg string, params any) *apiError {
	return newError(http.StatusBadRequest, msg, params)
}

func noSuchEntity(field string, value any) *apiError {
	return newError(http.StatusNotFound, "No such entity with %fieldName = %fieldValue",
		map[string]any{"fieldName": field, "fieldValue": value})
}

func notAuthorized(resource string) *apiError {
	return newError(http.StatusUnauthorized, "The consumer isn't authorized to access %resources.",
		map[string]any{"resources": resource})
}

var errNoRoute = newError(http.StatusNotFound, "Request does not match any route.", nil)

func (e *apiError) write(w http.ResponseWriter) { sandbox.WriteJSON(w, e.status, e) }

// writeFault writes an injected fault's body: Magento's JSON error, or the
// HTML page a WAF or CDN in front of the store sends (Options.HTMLFaults).
func (e *Emulator) writeFault(w http.ResponseWriter, _ *http.Request, status int) {
	if e.options().HTMLFaults {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html><head><title>" + http.StatusText(status) + "</title></head><body><h1>" +
			http.StatusText(status) + "</h1><p>Request blocked.</p></body></html>"))
		return
	}
	msg := "Internal Error. Details are available in Magento log file. Report ID: webapi-6512f1a0c3b42"
	if status == http.StatusTooManyRequests {
		msg = "Too Many Requests"
	}
	newError(status, msg, nil).write(w)
}
