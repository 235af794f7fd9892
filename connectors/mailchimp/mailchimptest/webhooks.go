package mailchimptest

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// delivery is one webhook POST waiting to be sent.
type delivery struct {
	url  string
	body string
}

func webhookJSON(l *list, h *webhook) map[string]any {
	return map[string]any{"id": h.id, "url": h.url, "events": h.events, "sources": h.sources, "list_id": l.id, "_links": []any{}}
}

func (e *Emulator) getWebhooks(l *list, _ *http.Request) (int, any, *problem) {
	all := []any{}
	for _, h := range l.webhooks {
		all = append(all, webhookJSON(l, h))
	}
	return 200, map[string]any{"webhooks": all, "list_id": l.id, "total_items": len(all), "_links": []any{}}, nil
}

// postWebhook registers a webhook after checking, as Mailchimp does, that
// the URL answers a GET with 2xx.
func (e *Emulator) postWebhook(l *list, r *http.Request) (int, any, *problem) {
	var in struct {
		URL     string          `json:"url"`
		Events  map[string]bool `json:"events"`
		Sources map[string]bool `json:"sources"`
	}
	if p := decode(r, &in); p != nil {
		return 0, nil, p
	}
	if u, err := url.Parse(in.URL); err != nil || u.Host == "" {
		return 0, nil, errInvalid(fieldError{"url", "Please enter a valid URL."})
	}
	if !validateURL(in.URL) {
		return 0, nil, errBadRequest("The resource submitted could not be validated. We couldn't verify the URL is working: it must answer a GET with 200.")
	}
	if in.Events == nil {
		in.Events = map[string]bool{"subscribe": true, "unsubscribe": true, "profile": true, "cleaned": true, "upemail": true, "campaign": true}
	}
	if in.Sources == nil {
		in.Sources = map[string]bool{"user": true, "admin": true, "api": false}
	}
	h := &webhook{id: randomHex(5), url: in.URL, events: in.Events, sources: in.Sources}
	l.webhooks = append(l.webhooks, h)
	return 200, webhookJSON(l, h), nil
}

func validateURL(u string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", "MailChimp.com WebHook Validator")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode/100 == 2
}

// fireWebhooks queues a form-encoded event for every webhook of the list
// that wants it. by is ByContact (source "user") or ByAPI (source "api").
func (e *Emulator) fireWebhooks(l *list, m *member, typ, by string) {
	source := "api"
	if by == ByContact {
		source = "user"
	}
	for _, h := range l.webhooks {
		if !h.events[typ] || !h.sources[source] {
			continue
		}
		v := url.Values{}
		v.Set("type", typ)
		v.Set("fired_at", e.now().Format(time.DateTime))
		v.Set("data[action]", "unsub")
		v.Set("data[reason]", "manual")
		v.Set("data[id]", m.hash)
		v.Set("data[list_id]", l.id)
		v.Set("data[email]", m.email)
		v.Set("data[email_type]", "html")
		v.Set("data[merges][EMAIL]", m.email)
		for _, tag := range []string{"FNAME", "LNAME"} {
			v.Set("data[merges]["+tag+"]", str(m.merge[tag]))
		}
		v.Set("data[ip_opt]", "10.20.10.30")
		e.outbox = append(e.outbox, delivery{h.url, v.Encode()})
	}
}

func (e *Emulator) takeOutbox() []delivery {
	out := e.outbox
	e.outbox = nil
	return out
}

// deliver posts queued events; failures are dropped (Mailchimp retries for
// 75 minutes, which a test does not wait for).
func (e *Emulator) deliver(out []delivery) {
	for _, d := range out {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, _ = sandbox.PostWebhook(ctx, d.url, []byte(d.body), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "MailChimp.com"})
		cancel()
	}
}
