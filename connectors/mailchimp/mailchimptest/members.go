package mailchimptest

import (
	"net/http"
	"sort"
	"time"
)

// memberJSON is a member as GET returns it (targets.md §1.4): every merge
// field of the audience, "" when empty, and +00:00 timestamps.
func memberJSON(l *list, m *member) map[string]any {
	merge := make(map[string]any, len(l.fields))
	for _, f := range l.fields {
		v, ok := m.merge[f.tag]
		if !ok || v == nil {
			v = ""
		}
		merge[f.tag] = v
	}
	tags := make([]any, 0, len(m.tags))
	for _, t := range m.tags {
		if s := l.segments[t.id]; s != nil {
			tags = append(tags, map[string]any{"id": s.id, "name": s.name})
		}
	}
	out := map[string]any{
		"id": m.hash, "email_address": m.email, "unique_email_id": m.uniqueID, "contact_id": m.contactID,
		"full_name": fullName(str(m.merge["FNAME"]), str(m.merge["LNAME"])), "web_id": m.webID,
		"email_type": "html", "status": m.status, "consents_to_one_to_one_messaging": true,
		"merge_fields": merge, "stats": map[string]any{"avg_open_rate": 0, "avg_click_rate": 0},
		"ip_signup": "", "timestamp_signup": timestamp(m.signup), "ip_opt": "", "timestamp_opt": timestamp(m.opt),
		"member_rating": 2, "last_changed": timestamp(m.changed), "language": "", "vip": false, "email_client": "",
		"location": map[string]any{"latitude": 0, "longitude": 0, "gmtoff": 0, "dstoff": 0, "country_code": "",
			"timezone": "", "region": ""},
		"marketing_permissions": []any{}, "source": "API - Generic", "tags_count": len(tags), "tags": tags,
		"list_id": l.id, "_links": []any{},
	}
	if m.status == StatusUnsubscribed {
		out["unsubscribe_reason"] = m.unsubReason
	}
	return out
}

func fullName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}

var listableStatus = map[string]bool{StatusSubscribed: true, StatusUnsubscribed: true, StatusCleaned: true,
	StatusPending: true, StatusTransactional: true, StatusArchived: true}

// getMembers lists members with the documented filters (targets.md §1.10).
// Archived members appear only with status=archived.
func (e *Emulator) getMembers(l *list, r *http.Request) (int, any, *problem) {
	count, offset, p := paging(r)
	if p != nil {
		return 0, nil, p
	}
	q := r.URL.Query()
	status := q.Get("status")
	if status != "" && !listableStatus[status] {
		return 0, nil, errInvalid(fieldError{"status", "Value must be one of: subscribed, unsubscribed, cleaned, pending, transactional, archived"})
	}
	var bounds [3]time.Time
	for i, name := range []string{"since_last_changed", "before_last_changed", "unsubscribed_since"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return 0, nil, errInvalid(fieldError{name, "Please enter a valid ISO 8601 date and time."})
		}
		bounds[i] = t
	}
	if !bounds[2].IsZero() && status != StatusUnsubscribed {
		return 0, nil, errBadRequest("unsubscribed_since can only be used with status=unsubscribed.")
	}
	var ms []*member
	for _, h := range l.order {
		m := l.members[h]
		switch {
		case m == nil:
		case status == "" && m.status == StatusArchived, status != "" && m.status != status:
		case !bounds[0].IsZero() && !m.changed.After(bounds[0]):
		case !bounds[1].IsZero() && !m.changed.Before(bounds[1]):
		case !bounds[2].IsZero() && !m.changed.After(bounds[2]):
		default:
			ms = append(ms, m)
		}
	}
	if sf := q.Get("sort_field"); sf != "" {
		key := map[string]func(*member) time.Time{
			"timestamp_opt": func(m *member) time.Time { return m.opt }, "timestamp_signup": func(m *member) time.Time { return m.signup },
			"last_changed": func(m *member) time.Time { return m.changed },
		}[sf]
		if key == nil {
			return 0, nil, errInvalid(fieldError{"sort_field", "Value must be one of: timestamp_opt, timestamp_signup, last_changed"})
		}
		desc := q.Get("sort_dir") == "DESC"
		sort.SliceStable(ms, func(i, j int) bool {
			if desc {
				return key(ms[i]).After(key(ms[j]))
			}
			return key(ms[i]).Before(key(ms[j]))
		})
	}
	out := make([]any, 0, count)
	for _, m := range page(ms, count, offset) {
		out = append(out, memberJSON(l, m))
	}
	return 200, map[string]any{"members": out, "list_id": l.id, "total_items": len(ms), "_links": []any{}}, nil
}

func (e *Emulator) getMember(l *list, r *http.Request) (int, any, *problem) {
	m := l.lookup(r.PathValue("hash"))
	if m == nil {
		return 0, nil, errNotFound()
	}
	return 200, memberJSON(l, m), nil
}

func (e *Emulator) postMember(l *list, r *http.Request) (int, any, *problem) {
	return e.writeOne(l, r, "", modeCreate)
}

func (e *Emulator) putMember(l *list, r *http.Request) (int, any, *problem) {
	return e.writeOne(l, r, r.PathValue("hash"), modeUpsert)
}

func (e *Emulator) patchMember(l *list, r *http.Request) (int, any, *problem) {
	return e.writeOne(l, r, r.PathValue("hash"), modeUpdate)
}

func (e *Emulator) writeOne(l *list, r *http.Request, key string, mode int) (int, any, *problem) {
	var in memberInput
	if p := decode(r, &in); p != nil {
		return 0, nil, p
	}
	if mode == modeUpsert && in.Email != "" && len(key) == 32 && Hash(in.Email) != key && l.lookup(key) == nil {
		return 0, nil, errInvalid(fieldError{"email_address", "The email address does not match the subscriber hash in the URL."})
	}
	if mode != modeCreate && len(in.Tags) > 0 {
		// tags are only accepted when creating (POST); PUT and PATCH ignore them.
		in.Tags = nil
	}
	m, _, p := e.write(l, key, in, mode, boolParam(r, "skip_merge_validation"))
	if p != nil {
		return 0, nil, p
	}
	return 200, memberJSON(l, m), nil
}

// archiveMember is DELETE: it archives, except bounced, pending or archived members.
func (e *Emulator) archiveMember(l *list, r *http.Request) (int, any, *problem) {
	m := l.lookup(r.PathValue("hash"))
	if m == nil {
		return 0, nil, errNotFound()
	}
	switch m.status {
	case StatusCleaned, StatusPending, StatusArchived:
		return 0, nil, errArchive()
	}
	m.archivedFrom, m.status, m.changed = m.status, StatusArchived, e.now()
	return http.StatusNoContent, nil, nil
}

// deletePermanent forgets a member: it is gone, and can never be re-added.
func (e *Emulator) deletePermanent(l *list, r *http.Request) (int, any, *problem) {
	m := l.lookup(r.PathValue("hash"))
	if m == nil {
		return 0, nil, errNotFound()
	}
	for _, t := range m.tags {
		if s := l.segments[t.id]; s != nil {
			delete(s.members, m.hash)
		}
	}
	delete(l.members, m.hash)
	l.forgotten[m.hash] = true
	return http.StatusNoContent, nil, nil
}

// batchInput is the body of batch subscribe, POST /lists/{list_id}.
type batchInput struct {
	Members        []memberInput `json:"members"`
	UpdateExisting bool          `json:"update_existing"`
	SyncTags       bool          `json:"sync_tags"`
}

// batchSubscribe adds or updates up to 500 members (targets.md §1.8). It
// answers 200 even when members fail: each refusal is an entry of errors[].
func (e *Emulator) batchSubscribe(l *list, r *http.Request) (int, any, *problem) {
	var in batchInput
	if p := decode(r, &in); p != nil {
		return 0, nil, p
	}
	if in.Members == nil {
		return 0, nil, errInvalid(fieldError{"members", "This value should not be blank."})
	}
	if len(in.Members) > 500 {
		return 0, nil, errInvalid(fieldError{"members", "You may only add or update 500 members at a time."})
	}
	mode := modeBatchNew
	if in.UpdateExisting {
		mode = modeBatchUpsert
	}
	skipMerge, skipDup := boolParam(r, "skip_merge_validation"), boolParam(r, "skip_duplicate_check")
	created, updated, errs := []any{}, []any{}, []any{}
	seen := map[string]bool{}
	for _, item := range in.Members {
		h := Hash(item.Email)
		if seen[h] {
			if !skipDup {
				errs = append(errs, map[string]any{"email_address": item.Email, "error": item.Email + " was found more than once in this batch.",
					"error_code": "ERROR_GENERIC", "field": "email_address", "field_message": "Duplicate"})
			}
			continue
		}
		seen[h] = true
		item.Tags = nil // not part of the batch member schema
		m, isNew, p := e.write(l, "", item, mode, skipMerge)
		switch {
		case p != nil:
			code := "ERROR_GENERIC"
			if p.Title == "Member Exists" {
				code = "ERROR_CONTACT_EXISTS"
			}
			entry := map[string]any{"email_address": item.Email, "error": p.Detail, "error_code": code, "field": "", "field_message": ""}
			if len(p.Errors) > 0 {
				entry["field"], entry["field_message"] = p.Errors[0].Field, p.Errors[0].Message
			}
			errs = append(errs, entry)
		case isNew:
			created = append(created, memberJSON(l, m))
		default:
			updated = append(updated, memberJSON(l, m))
		}
	}
	return 200, map[string]any{"new_members": created, "updated_members": updated, "errors": errs,
		"total_created": len(created), "total_updated": len(updated), "error_count": len(errs), "_links": []any{}}, nil
}
