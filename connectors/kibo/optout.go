package kibo

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactsync/contactsync/connectors"
)

// WriteOptOut sets acceptsMarketing=false on every account with this email,
// as Kibo's own Mailchimp integration does (several accounts may share an
// address). Each account is read and written back whole, so no other field
// is clobbered. Accounts already opted out are left alone.
func (s *Source) WriteOptOut(ctx context.Context, email string) (int, error) {
	email = strings.TrimSpace(email)
	masked := connectors.MaskEmail(email)
	if email == "" || strings.ContainsAny(email, "\"'()") {
		return 0, &connectors.Error{Kind: connectors.KindInvalid, Provider: provider, Op: "write opt-out",
			Message: "email " + strconv.Quote(masked) + " cannot be looked up in Kibo"}
	}
	var ids []string
	for start := 0; ; start += pageSize {
		q := url.Values{"startIndex": {strconv.Itoa(start)}, "pageSize": {strconv.Itoa(pageSize)},
			"filter": {`emailAddress eq "` + email + `"`}, "sortBy": {"id asc"}}
		var c collection[account]
		if err := s.call(ctx, "find accounts of "+masked, "GET", s.apiBase+"/commerce/customer/accounts?"+q.Encode(), nil, true, &c); err != nil {
			return 0, err
		}
		for _, a := range c.Items {
			// Re-check: the filter's case handling is Kibo's, identity is ours.
			if connectors.NormalizeEmail(a.EmailAddress) == connectors.NormalizeEmail(email) &&
				(a.AcceptsMarketing == nil || *a.AcceptsMarketing) {
				ids = append(ids, a.id())
			}
		}
		if len(c.Items) < pageSize || start+len(c.Items) >= c.TotalCount {
			break
		}
	}
	changed := 0
	for _, id := range ids {
		if err := s.optOutAccount(ctx, id); err != nil {
			return changed, err
		}
		changed++
	}
	return changed, nil
}

// optOutAccount is a GET-modify-PUT of one account that keeps every field
// it does not understand.
func (s *Source) optOutAccount(ctx context.Context, id string) error {
	u := s.apiBase + "/commerce/customer/accounts/" + url.PathEscape(id)
	var raw map[string]json.RawMessage
	if err := s.call(ctx, "get customer account "+id, "GET", u, nil, true, &raw); err != nil {
		return err
	}
	if raw == nil {
		return &connectors.Error{Kind: connectors.KindTransient, Provider: provider, Op: "get customer account " + id,
			Message: "the response has no account"}
	}
	raw["acceptsMarketing"] = json.RawMessage("false")
	return s.call(ctx, "opt out customer account "+id, "PUT", u, raw, true, nil)
}
