package quickbookstest

import (
	"net/http"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// faultError is one Error of a Fault (IntuitRestServiceDef.xsd).
type faultError struct {
	Message string `json:"Message"`
	Detail  string `json:"Detail,omitempty"`
	Code    string `json:"code"`
	Element string `json:"element,omitempty"`
}

// writeFault writes Intuit's error envelope.
func writeFault(w http.ResponseWriter, status int, faultType string, errs ...faultError) {
	sandbox.WriteJSON(w, status, map[string]any{
		"Fault": map[string]any{"Error": errs, "type": faultType},
		"time":  time.Now().In(pacific).Format("2006-01-02T15:04:05.000-07:00"),
	})
}

// writeAuthFault writes the 401 of a missing, wrong, expired or revoked
// token; lowercase reproduces the gateway's variant with lowercase keys.
func writeAuthFault(w http.ResponseWriter, lowercase bool) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="Intuit", error="invalid_token"`)
	if lowercase {
		sandbox.WriteJSON(w, http.StatusUnauthorized, map[string]any{"fault": map[string]any{
			"error": []map[string]string{{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
				"detail": "Token expired", "code": "3200"}},
			"type": "AUTHENTICATION"}})
		return
	}
	writeFault(w, http.StatusUnauthorized, "AUTHENTICATION", faultError{
		Message: "message=AuthenticationFailed; errorCode=003200; statusCode=401", Detail: "Token expired", Code: "3200"})
}

func writeThrottleFault(w http.ResponseWriter) {
	writeFault(w, http.StatusTooManyRequests, "ThrottleExceeded", faultError{
		Message: "message=ThrottleExceeded; errorCode=003001; statusCode=429",
		Detail:  "The request limit was reached.", Code: "3001"})
}

func writeValidationFault(w http.ResponseWriter, code, message, detail string) {
	writeFault(w, http.StatusBadRequest, "ValidationFault", faultError{Message: message, Detail: detail, Code: code})
}

// writeInjectedFault is the body of faults the sandbox injects: Intuit's
// throttle Fault for 429 and a SystemFault for 5xx.
func writeInjectedFault(w http.ResponseWriter, _ *http.Request, status int) {
	if status == http.StatusTooManyRequests {
		writeThrottleFault(w)
		return
	}
	writeFault(w, status, "SystemFault", faultError{
		Message: "An application error has occurred while processing your request",
		Detail:  "System Failure Error: An unexpected error occurred while accessing or saving your data.", Code: "10000"})
}
