package kibo

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// maxEventAge is how far an event's Date may be from our clock, as the
// Kibo SDK allows for signed application requests (capabilityTimeoutInSeconds).
const maxEventAge = 180 * time.Second

// signature is Kibo's event signature (Mozu SDK hash-stream.js): a double
// SHA-256, not an HMAC: k = base64(SHA256(secret+secret)),
// sig = base64(SHA256(k + Date + body)).
func signature(secret, date string, body []byte) string {
	k := sha256.Sum256([]byte(secret + secret))
	h := sha256.New()
	h.Write([]byte(base64.StdEncoding.EncodeToString(k[:])))
	h.Write([]byte(date))
	h.Write(body)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func webhookError(msg string) error {
	return &connectors.Error{Kind: connectors.KindAuth, Provider: provider, Op: "verify event", Message: msg}
}

// VerifyWebhook checks an event notification's x-vol-hmac-sha256 against
// the event secret (or the shared secret), its Date against our clock, and
// that it is for this connection's tenant.
func (s *Source) VerifyWebhook(r *http.Request, body []byte) error {
	got, date := r.Header.Get("x-vol-hmac-sha256"), r.Header.Get("Date")
	if got == "" || date == "" {
		return webhookError("the event has no x-vol-hmac-sha256 or Date header")
	}
	want := signature(s.eventSecret, date, body)
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return webhookError("the signature does not match; check event-secret (or shared-secret) in the Secret")
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return webhookError("the Date header is not an HTTP date")
	}
	if d := s.now().Sub(t); d > maxEventAge || d < -maxEventAge {
		return webhookError("the Date header is more than 180s from our clock (a replay or clock skew)")
	}
	if tenant := r.Header.Get("x-vol-tenant"); tenant != "" && tenant != s.tenant {
		return webhookError("the event is for tenant " + tenant + ", not " + s.tenant)
	}
	return nil
}

// event is the body of an event notification.
type event struct {
	EventID  string `json:"eventId"`
	Topic    string `json:"topic"`
	EntityID string `json:"entityId"`
}

// ParseWebhook turns a customer account, order or return event into a run
// of the tenant's ContactSyncs. The event carries no entity data, and the
// run reads the changes itself; other topics trigger nothing.
func (s *Source) ParseWebhook(r *http.Request, body []byte) (connectors.WebhookEvent, error) {
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		return connectors.WebhookEvent{}, &connectors.Error{Kind: connectors.KindInvalid, Provider: provider,
			Op: "parse event", Message: "the body is not an event notification", Err: err}
	}
	if ev.Topic == "" {
		return connectors.WebhookEvent{}, &connectors.Error{Kind: connectors.KindInvalid, Provider: provider,
			Op: "parse event " + ev.EventID, Message: "the event has no topic"}
	}
	topic := strings.ToLower(ev.Topic)
	for _, p := range []string{"customeraccount.", "order.", "return."} {
		if strings.HasPrefix(topic, p) {
			tenant := r.Header.Get("x-vol-tenant")
			if tenant == "" {
				tenant = s.tenant
			}
			return connectors.WebhookEvent{Accounts: []string{tenant}}, nil
		}
	}
	return connectors.WebhookEvent{}, nil
}
