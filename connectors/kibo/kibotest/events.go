package kibotest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// Signature is Kibo's event signature (Mozu SDK hash-stream.js): a plain
// double SHA-256, not an HMAC despite the header name x-vol-hmac-sha256:
// k = base64(SHA256(secret+secret)); sig = base64(SHA256(k + Date + body)).
func Signature(secret, date string, body []byte) string {
	k := sha256.Sum256([]byte(secret + secret))
	h := sha256.New()
	h.Write([]byte(base64.StdEncoding.EncodeToString(k[:])))
	h.Write([]byte(date))
	h.Write(body)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// Delivery records one event sent to a receiver.
type Delivery struct {
	EventID  string `json:"eventId"`
	Topic    string `json:"topic"`
	EntityID string `json:"entityId"`
	SiteID   int64  `json:"siteId"`
	URL      string `json:"url"`
	Attempts int    `json:"attempts"`
	// Status is the last HTTP status (0: no answer in time).
	Status    int  `json:"status"`
	Delivered bool `json:"delivered"`
}

// maxRetryAge is how long Kibo keeps requeueing an unacknowledged event.
const maxRetryAge = 14 * 24 * time.Hour

// tenantLevel topics fire once per site of the tenant.
func tenantLevel(topic string) bool {
	for _, p := range []string{"customeraccount.", "customersegment.", "customerinsegment."} {
		if strings.HasPrefix(topic, p) {
			return true
		}
	}
	return false
}

// SendWebhook pushes an event notification about entityID to url, signed
// as Kibo signs it, and retries every EventRetryInterval until the receiver
// answers 200 within EventTimeout, giving up after 14 days of emulated
// retries or when ctx ends. Tenant-level topics go once per site, and with
// DuplicateEvents each event goes twice.
func (e *Emulator) SendWebhook(ctx context.Context, url, topic, entityID string) ([]Delivery, error) {
	if topic == "" || entityID == "" {
		return nil, fmt.Errorf("kibotest: an event needs a topic and an entityId")
	}
	sites := []int64{e.opts.SiteID}
	if tenantLevel(topic) {
		sites = append(sites, e.opts.OtherSites...)
	}
	var out []Delivery
	for _, site := range sites {
		ev := Event{EventID: newID(), Topic: topic, EntityID: entityID,
			Timestamp: e.opts.Now().UTC(), CorrelationID: newID()}
		copies := 1
		if e.opts.DuplicateEvents {
			copies = 2
		}
		for range copies {
			d, err := e.deliver(ctx, url, site, ev)
			e.eventsMu.Lock()
			e.deliveries = append(e.deliveries, d)
			e.eventsMu.Unlock()
			out = append(out, d)
			if err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

func (e *Emulator) deliver(ctx context.Context, url string, site int64, ev Event) (Delivery, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return Delivery{}, err
	}
	d := Delivery{EventID: ev.EventID, Topic: ev.Topic, EntityID: ev.EntityID, SiteID: site, URL: url}
	for emulated := time.Duration(0); emulated <= maxRetryAge; emulated += e.opts.EventRetryInterval {
		d.Attempts++
		date := e.opts.Now().UTC().Format(http.TimeFormat)
		actx, cancel := context.WithTimeout(ctx, e.opts.EventTimeout)
		d.Status, err = sandbox.PostWebhook(actx, url, body, map[string]string{
			"x-vol-tenant":      itoa(e.opts.TenantID),
			"x-vol-site":        itoa(site),
			"x-vol-correlation": ev.CorrelationID,
			"Date":              date,
			"x-vol-hmac-sha256": Signature(e.opts.EventSecret, date, body),
		})
		cancel()
		if err == nil && d.Status == http.StatusOK {
			d.Delivered = true
			return d, nil
		}
		t := time.NewTimer(e.opts.EventRetryInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return d, ctx.Err()
		case <-t.C:
		}
	}
	return d, fmt.Errorf("kibotest: event %s not acknowledged after %d attempts (14 days)", ev.EventID, d.Attempts)
}

// Deliveries returns the events sent so far.
func (e *Emulator) Deliveries() []Delivery {
	e.eventsMu.Lock()
	defer e.eventsMu.Unlock()
	return append([]Delivery(nil), e.deliveries...)
}
