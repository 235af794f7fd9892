package constantcontact

import (
	"context"
	"net/url"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// Unsubscribes pages through the contacts unsubscribed and updated after
// since (Constant Contact has no unsubscribe webhooks for ordinary apps)
// and returns the latest updated_at seen as the next watermark.
func (t *Target) Unsubscribes(ctx context.Context, since time.Time, fn func([]connectors.Unsubscribe) error) (time.Time, error) {
	watermark := since
	q := url.Values{"status": {"unsubscribed"}, "limit": {pageSize},
		"updated_after": {since.UTC().Format(time.RFC3339)}}
	err := paginate(ctx, t.api, "read unsubscribes", "/contacts", q, func(p *contactsPage) error {
		var page []connectors.Unsubscribe
		for i := range p.Contacts {
			c := &p.Contacts[i]
			if c.UpdatedAt.After(watermark) {
				watermark = c.UpdatedAt
			}
			if c.EmailAddress == nil || c.EmailAddress.Permission != "unsubscribed" {
				continue
			}
			at := c.EmailAddress.OptOutDate
			if at.IsZero() {
				at = c.UpdatedAt
			}
			if !at.After(since) {
				continue // an old opt-out on a contact edited since
			}
			page = append(page, connectors.Unsubscribe{Email: connectors.NormalizeEmail(c.EmailAddress.Address), At: at})
			t.mu.Lock()
			if e := t.idx.get(connectors.NormalizeEmail(c.EmailAddress.Address)); e != nil {
				e.status = connectors.MemberOptedOut
			}
			t.mu.Unlock()
		}
		if len(page) == 0 {
			return nil
		}
		return fn(page)
	})
	if err != nil {
		return since, err
	}
	if watermark.After(since) {
		// updated_at has whole seconds and updated_after is strict: step
		// back one so a contact updated later in the same second is not
		// lost (a repeated opt-out is harmless).
		watermark = watermark.Add(-time.Second)
	}
	return watermark, nil
}

var _ connectors.UnsubscribeReader = (*Target)(nil)
var _ connectors.Target = (*Target)(nil)
