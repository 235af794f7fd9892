package mailchimp

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/contactsync/contactsync/connectors"
)

// mcTime is the timestamp form Mailchimp documents: ISO 8601 with +00:00.
const mcTime = "2006-01-02T15:04:05+00:00"

// Unsubscribes pages through the members unsubscribed after since, oldest
// change first, 1000 a call (targets.md §1.10), and returns the latest
// last_changed seen as the next watermark. An idle poll is one call.
func (t *Target) Unsubscribes(ctx context.Context, since time.Time, fn func([]connectors.Unsubscribe) error) (time.Time, error) {
	listID, err := t.listID(ctx)
	if err != nil {
		return since, err
	}
	mark := since
	for offset := 0; ; {
		q := url.Values{"status": {"unsubscribed"}, "count": {strconv.Itoa(pageSize)}, "offset": {strconv.Itoa(offset)},
			"sort_field": {"last_changed"}, "sort_dir": {"ASC"},
			"fields": {"total_items,members.email_address,members.last_changed"}}
		if !since.IsZero() {
			q.Set("since_last_changed", since.UTC().Format(mcTime))
		}
		var page struct {
			Members []struct {
				Email       string `json:"email_address"`
				LastChanged string `json:"last_changed"`
			} `json:"members"`
			TotalItems int `json:"total_items"`
		}
		if err := t.call(ctx, "list unsubscribes", "GET", "/lists/"+listID+"/members?"+q.Encode(), nil, &page); err != nil {
			return mark, err
		}
		if len(page.Members) == 0 {
			return mark, nil
		}
		before := mark
		batch := make([]connectors.Unsubscribe, 0, len(page.Members))
		for _, m := range page.Members {
			at, err := time.Parse(time.RFC3339, m.LastChanged)
			if err != nil {
				return mark, errorf(connectors.KindTransient, "list unsubscribes",
					"member %s: last_changed %q is not an ISO 8601 time", connectors.MaskEmail(m.Email), m.LastChanged)
			}
			batch = append(batch, connectors.Unsubscribe{Email: connectors.NormalizeEmail(m.Email), At: at})
			if at.After(mark) {
				mark = at
			}
		}
		if err := fn(batch); err != nil {
			return before, err
		}
		offset += len(page.Members)
		if offset >= page.TotalItems {
			return mark, nil
		}
	}
}
