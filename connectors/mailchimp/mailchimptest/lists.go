package mailchimptest

import (
	"net/http"
	"strings"
)

func (e *Emulator) getLists(r *http.Request) (int, any, *problem) {
	count, offset, p := paging(r)
	if p != nil {
		return 0, nil, p
	}
	all := make([]any, 0, len(e.order))
	for _, id := range e.order {
		all = append(all, listJSON(e.lists[id]))
	}
	return 200, map[string]any{
		"lists":       page(all, count, offset),
		"total_items": len(all),
		"constraints": map[string]any{"may_create": len(e.lists) < e.opts.MaxLists,
			"max_instances": e.opts.MaxLists, "current_total_instances": len(e.lists)},
		"_links": []any{},
	}, nil
}

func (e *Emulator) getList(l *list, _ *http.Request) (int, any, *problem) {
	return 200, listJSON(l), nil
}

// newListInput is the body of POST /lists.
type newListInput struct {
	Name               *string        `json:"name"`
	Contact            map[string]any `json:"contact"`
	PermissionReminder *string        `json:"permission_reminder"`
	CampaignDefaults   map[string]any `json:"campaign_defaults"`
	EmailTypeOption    *bool          `json:"email_type_option"`
	DoubleOptin        bool           `json:"double_optin"`
}

func (e *Emulator) postList(r *http.Request) (int, any, *problem) {
	var in newListInput
	if p := decode(r, &in); p != nil {
		return 0, nil, p
	}
	var errs []fieldError
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		errs = append(errs, fieldError{"name", "This value should not be blank."})
	}
	for _, k := range []string{"company", "address1", "city", "country"} {
		if str(in.Contact[k]) == "" {
			errs = append(errs, fieldError{"contact." + k, "This value should not be blank."})
		}
	}
	if in.PermissionReminder == nil {
		errs = append(errs, fieldError{"permission_reminder", "This value should not be blank."})
	}
	for _, k := range []string{"from_name", "from_email", "subject", "language"} {
		if str(in.CampaignDefaults[k]) == "" {
			errs = append(errs, fieldError{"campaign_defaults." + k, "This value should not be blank."})
		}
	}
	if in.EmailTypeOption == nil {
		errs = append(errs, fieldError{"email_type_option", "This value should not be blank."})
	}
	if len(errs) > 0 {
		return 0, nil, errInvalid(errs...)
	}
	if len(e.lists) >= e.opts.MaxLists {
		return 0, nil, &problem{403, "User Action Not Allowed", "This account has reached its audience limit; upgrade the plan to add audiences.", nil}
	}
	l := e.addList(*in.Name)
	l.contact, l.permission, l.defaults = in.Contact, *in.PermissionReminder, in.CampaignDefaults
	l.emailOption, l.doubleOptin = *in.EmailTypeOption, in.DoubleOptin
	return 200, listJSON(l), nil
}

// addList creates an audience with a 10-character hex id.
func (e *Emulator) addList(name string) *list {
	l := newList(randomHex(5), name, e.nextWebID(), e.now())
	l.contact = map[string]any{"company": "Acme", "address1": "1 Main St", "address2": "", "city": "Atlanta",
		"state": "GA", "zip": "30308", "country": "US", "phone": ""}
	l.permission = "You signed up on our website."
	l.defaults = map[string]any{"from_name": "Acme", "from_email": "news@acme.example", "subject": "", "language": "en"}
	e.lists[l.id] = l
	e.order = append(e.order, l.id)
	return l
}

func listJSON(l *list) map[string]any {
	var subscribed, unsub, cleaned, total int
	var lastSub, lastUnsub string
	for _, m := range l.members {
		if m.status == StatusArchived {
			continue
		}
		total++
		switch m.status {
		case StatusSubscribed:
			subscribed++
			if ts := timestamp(m.opt); ts > lastSub {
				lastSub = ts
			}
		case StatusUnsubscribed:
			unsub++
			if ts := timestamp(m.changed); ts > lastUnsub {
				lastUnsub = ts
			}
		case StatusCleaned:
			cleaned++
		}
	}
	stats := map[string]any{"member_count": subscribed, "total_contacts": total, "unsubscribe_count": unsub,
		"cleaned_count": cleaned, "member_count_since_send": subscribed, "unsubscribe_count_since_send": unsub,
		"cleaned_count_since_send": cleaned, "campaign_count": 0, "merge_field_count": len(l.fields),
		"avg_sub_rate": 0, "avg_unsub_rate": 0, "target_sub_rate": 0, "open_rate": 0, "click_rate": 0}
	if lastSub != "" {
		stats["last_sub_date"] = lastSub
	}
	if lastUnsub != "" {
		stats["last_unsub_date"] = lastUnsub
	}
	return map[string]any{
		"id": l.id, "web_id": l.webID, "name": l.name, "contact": l.contact,
		"permission_reminder": l.permission, "use_archive_bar": false, "campaign_defaults": l.defaults,
		"notify_on_subscribe": "", "notify_on_unsubscribe": "", "date_created": timestamp(l.created),
		"list_rating": 0, "email_type_option": l.emailOption,
		"subscribe_url_short": "http://eepurl.com/" + l.id[:6], "subscribe_url_long": "https://mailchimp.com/subscribe?id=" + l.id,
		"beamer_address": "us6-" + l.id + "@inbound.mailchimp.com", "visibility": "pub", "double_optin": l.doubleOptin,
		"has_welcome": false, "marketing_permissions": false, "modules": []any{}, "stats": stats, "_links": []any{},
	}
}
