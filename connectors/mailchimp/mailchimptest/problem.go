package mailchimptest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
)

// errorType is the "type" of Mailchimp's current problem documents.
const errorType = "https://mailchimp.com/developer/marketing/docs/errors/"

// fieldError is one entry of a problem document's "errors" array.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problem is a Mailchimp Problem Detail Document (research targets.md §1.12).
type problem struct {
	Status int
	Title  string
	Detail string
	Errors []fieldError
}

func (p *problem) Error() string { return p.Title + ": " + p.Detail }

// The exact bodies of targets.md §1.12; E is the member's address.
func errNotFound() *problem {
	return &problem{404, "Resource Not Found", "The requested resource could not be found.", nil}
}

func errKeyInvalid() *problem {
	return &problem{401, "API Key Invalid", "Your API key may be invalid, or you've attempted to access the wrong datacenter.", nil}
}

func errKeyMissing() *problem {
	return &problem{401, "API Key Missing", "Your request did not include an API key.", nil}
}

func errMemberExists(email string) *problem {
	return &problem{400, "Member Exists", email + " is already a list member. Use PUT to insert or update list members.", nil}
}

func errCompliance(email string) *problem {
	return &problem{400, "Member In Compliance State", email + " is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.", nil}
}

func errForgotten(email string) *problem {
	return &problem{400, "Forgotten Email Not Subscribed", email + " was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list.", nil}
}

func errFake(email string) *problem {
	return &problem{400, "Invalid Resource", email + " looks fake or invalid, please enter a real email address.", nil}
}

func errInvalid(errs ...fieldError) *problem {
	return &problem{400, "Invalid Resource", "The resource submitted could not be validated. For field-specific details, see the 'errors' array.", errs}
}

func errMergeFields(errs ...fieldError) *problem {
	return &problem{400, "Invalid Resource", "Your merge fields were invalid.", errs}
}

func errBadRequest(detail string) *problem {
	return &problem{400, "Bad Request", detail, nil}
}

func errJSON() *problem {
	return &problem{400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.", nil}
}

func errTooMany(limit int) *problem {
	return &problem{429, "Too Many Requests", fmt.Sprintf("You have exceeded the limit of %d simultaneous connections.", limit), nil}
}

func errArchive() *problem {
	return &problem{405, "Method Not Allowed", "This list member cannot be removed. Can not archive a contact that is bounced, pending or archived", nil}
}

func errServer() *problem {
	return &problem{500, "Internal Server Error", "An unexpected internal error has occurred. Please contact Support for more information.", nil}
}

// writeProblem writes p with the headers Mailchimp sends with every error:
// problem+json, X-Request-Id equal to the body's instance, and the Link to
// the schema. omitType drops "type", as some real responses do.
func (e *Emulator) writeProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	id := newUUID()
	body := map[string]any{"title": p.Title, "status": p.Status, "detail": p.Detail, "instance": id}
	if !e.opts.OmitProblemType {
		body["type"] = errorType
	}
	if len(p.Errors) > 0 {
		body["errors"] = p.Errors
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json; charset=utf-8")
	h.Set("X-Request-Id", id)
	h.Set("Link", `<http://`+r.Host+`/schema/3.0/Definitions/ProblemDetailDocument.json>; rel="describedBy"`)
	if p.Status == http.StatusMethodNotAllowed {
		h.Set("Allow", "GET, PUT")
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// writeFault writes the body of an injected fault: the documented 429
// problem (or an empty body when EmptyThrottleBody is set, as Mailchimp
// sends at very high volumes), Akamai's HTML page for 503, and the 500
// problem for other 5xx.
func (e *Emulator) writeFault(w http.ResponseWriter, r *http.Request, status int) {
	switch {
	case status == http.StatusTooManyRequests && e.opts.EmptyThrottleBody:
		w.WriteHeader(status)
	case status == http.StatusTooManyRequests:
		e.writeProblem(w, r, errTooMany(e.opts.MaxConnections))
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<HTML><HEAD><TITLE>Request Blocked</TITLE></HEAD><BODY>Request Blocked<p>Reference Number: %s</BODY></HTML>\n", newUUID()[:18])
	default:
		p := errServer()
		p.Status = status
		e.writeProblem(w, r, p)
	}
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
