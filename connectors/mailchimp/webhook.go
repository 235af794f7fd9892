package mailchimp

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// Mailchimp webhooks carry no signature in API 3.0.55: the receiver's URL
// ends with a secret token, the Secret's webhook-token, and the request is
// genuine when that last path segment matches it.

// VerifyWebhook checks the token at the end of the request's path.
func (t *Target) VerifyWebhook(r *http.Request, _ []byte) error {
	const op = "verify webhook"
	if t.webhookToken == "" {
		return &connectors.Error{Kind: connectors.KindAuth, Provider: Provider, Op: op,
			Message: "the Secret has no webhook-token: add one and end the webhook URL registered in Mailchimp with it"}
	}
	path := strings.TrimRight(r.URL.Path, "/")
	got := path[strings.LastIndexByte(path, '/')+1:]
	if subtle.ConstantTimeCompare([]byte(got), []byte(t.webhookToken)) != 1 {
		return &connectors.Error{Kind: connectors.KindAuth, Provider: Provider, Op: op,
			Message: "the webhook URL's token does not match the Secret's webhook-token"}
	}
	return nil
}

// ParseWebhook reads a form-encoded event (type=unsubscribe|cleaned|upemail|
// profile|subscribe, data[...]). Only unsubscribes made by the contact or
// the account (data[action]=unsub) are opt-outs; a deletion
// (data[action]=delete), a bounce (cleaned), a profile or address change
// say nothing about consent and give an empty event.
func (t *Target) ParseWebhook(_ *http.Request, body []byte) (connectors.WebhookEvent, error) {
	const op = "parse webhook"
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return connectors.WebhookEvent{}, invalid(op, "the body is not form-encoded: "+err.Error())
	}
	typ := v.Get("type")
	switch typ {
	case "":
		return connectors.WebhookEvent{}, invalid(op, "the event has no type field")
	case "unsubscribe":
	default:
		return connectors.WebhookEvent{}, nil
	}
	if v.Get("data[action]") == "delete" {
		return connectors.WebhookEvent{}, nil
	}
	email := connectors.NormalizeEmail(v.Get("data[email]"))
	if email == "" {
		return connectors.WebhookEvent{}, invalid(op, "unsubscribe event without data[email]")
	}
	at := time.Now().UTC()
	if fired := v.Get("fired_at"); fired != "" {
		if at, err = time.Parse(time.DateTime, fired); err != nil {
			return connectors.WebhookEvent{}, invalid(op, "fired_at "+fired+" is not YYYY-MM-DD HH:MM:SS")
		}
	}
	return connectors.WebhookEvent{Unsubscribes: []connectors.Unsubscribe{{Email: email, At: at}}}, nil
}

// AnswerValidation answers Mailchimp's URL check: when a webhook is
// registered, Mailchimp sends a GET to the URL and requires a 2xx. It
// returns true when r was that check and has been answered; the receiver
// calls it before verifying a POST.
func AnswerValidation(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	w.WriteHeader(http.StatusOK)
	return true
}
