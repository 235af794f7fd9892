package quickbookstest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Webhook payload forms.
const (
	// FormatLegacy is the eventNotifications body.
	FormatLegacy = "legacy"
	// FormatCloudEvents is the CloudEvents array Intuit migrates to in 2026.
	FormatCloudEvents = "cloudevents"
)

// SignatureHeader carries base64(HMAC-SHA256(verifier token, raw body)).
const SignatureHeader = "intuit-signature"

// Sign returns the intuit-signature of a body.
func (e *Emulator) Sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(e.opts.WebhookVerifierToken))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// WebhookBody renders events in a payload form.
func (e *Emulator) WebhookBody(format string, events []Event) ([]byte, error) {
	switch format {
	case FormatLegacy, "":
		type entity struct {
			Name        string `json:"name"`
			ID          string `json:"id"`
			Operation   string `json:"operation"`
			LastUpdated string `json:"lastUpdated"`
			DeletedID   string `json:"deletedId,omitempty"`
		}
		ents := make([]entity, 0, len(events))
		for _, ev := range events {
			ents = append(ents, entity{ev.Entity, ev.ID, ev.Operation, ev.Time.In(pacific).Format("2006-01-02T15:04:05-0700"), ev.DeletedID})
		}
		return json.Marshal(map[string]any{"eventNotifications": []map[string]any{{
			"realmId": e.opts.RealmID, "dataChangeEvent": map[string]any{"entities": ents}}}})
	case FormatCloudEvents:
		out := make([]map[string]any, 0, len(events))
		for _, ev := range events {
			data := map[string]any{}
			if ev.DeletedID != "" {
				data["deletedid"] = ev.DeletedID
			}
			out = append(out, map[string]any{
				"specversion": "1.0", "id": fmt.Sprintf("%s-%s-%s", randomToken("")[:16], ev.Entity, ev.ID),
				"source": "intuit.dsnBgbseACLLRZ6xn4dvCQqAGlCZmhF1yz", "datacontenttype": "application/json",
				"type":           fmt.Sprintf("qbo.%s.%s.v1", strings.ToLower(ev.Entity), pastTense(ev.Operation)),
				"time":           ev.Time.UTC().Format(time.RFC3339Nano),
				"intuitentityid": ev.ID, "intuitaccountid": e.opts.RealmID, "data": data,
			})
		}
		return json.Marshal(out)
	}
	return nil, fmt.Errorf("webhook format %q: want %q or %q", format, FormatLegacy, FormatCloudEvents)
}

func pastTense(op string) string {
	switch op {
	case "Create":
		return "created"
	case "Delete":
		return "deleted"
	case "Merge":
		return "merged"
	case "Void":
		return "voided"
	}
	return "updated"
}

// PendingEvents returns the changes not yet delivered by a webhook.
func (e *Emulator) PendingEvents() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.events...)
}

// SendWebhook delivers the pending events, aggregated into one signed
// notification, to url. It retries on Intuit's schedule (Options.WebhookRetries)
// until a 2xx, and holds later deliveries back until this one is
// acknowledged. Events of a delivery that never succeeds stay pending. It
// returns the last status and the number of events sent (0: none pending).
func (e *Emulator) SendWebhook(ctx context.Context, url, format string) (int, int, error) {
	e.deliverMu.Lock()
	defer e.deliverMu.Unlock()
	e.mu.Lock()
	events := e.events
	e.events = nil
	e.mu.Unlock()
	if len(events) == 0 {
		return 0, 0, nil
	}
	status, err := e.deliver(ctx, url, format, events)
	if err != nil {
		e.mu.Lock()
		e.events = append(events, e.events...)
		e.mu.Unlock()
	}
	return status, len(events), err
}

// SendEvents delivers the given events (not the pending ones) to url.
func (e *Emulator) SendEvents(ctx context.Context, url, format string, events []Event) (int, error) {
	e.deliverMu.Lock()
	defer e.deliverMu.Unlock()
	return e.deliver(ctx, url, format, events)
}

func (e *Emulator) deliver(ctx context.Context, url, format string, events []Event) (int, error) {
	body, err := e.WebhookBody(format, events)
	if err != nil {
		return 0, err
	}
	headers := map[string]string{SignatureHeader: e.Sign(body)}
	var status int
	for _, wait := range e.opts.WebhookRetries {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return status, ctx.Err()
		case <-t.C:
		}
		status, err = sandbox.PostWebhook(ctx, url, body, headers)
		if err == nil && status >= 200 && status < 300 {
			return status, nil
		}
	}
	if err == nil {
		err = fmt.Errorf("webhook to %s not acknowledged: last status %d", url, status)
	}
	return status, err
}

// StartWebhooks delivers pending events to url every window (Intuit's
// aggregation of 1, 3 or 5 minutes) until ctx ends.
func (e *Emulator) StartWebhooks(ctx context.Context, url, format string, window time.Duration) {
	go func() {
		tick := time.NewTicker(window)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_, _, _ = e.SendWebhook(ctx, url, format)
			}
		}
	}()
}
