package constantcontacttest

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactsync/contactsync/internal/sandbox"
)

// pageQuery resolves the query of a collection GET: a cursor carries the
// original query and the offset, opaque to the client, as the vendor's
// base64 cursors do.
func pageQuery(w http.ResponseWriter, r *http.Request, maxLimit int) (url.Values, int, int, bool) {
	q := r.URL.Query()
	if cur := q.Get("cursor"); cur != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cur)
		if err == nil {
			q, err = url.ParseQuery(string(raw))
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, keyValidation, "cursor is invalid")
			return nil, 0, 0, false
		}
	}
	limit := 50
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			writeError(w, http.StatusBadRequest, keyValidation, "limit must be between 1 and "+strconv.Itoa(maxLimit))
			return nil, 0, 0, false
		}
		limit = n
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	return q, limit, offset, true
}

// nextLink is the _links.next.href of a page, or nil on the last page.
func nextLink(path string, q url.Values, offset, limit, total int) map[string]any {
	if offset+limit >= total {
		return map[string]any{}
	}
	n := url.Values{}
	for k, v := range q {
		if k != "cursor" && k != "offset" {
			n[k] = v
		}
	}
	n.Set("offset", strconv.Itoa(offset+limit))
	cur := base64.RawURLEncoding.EncodeToString([]byte(n.Encode()))
	return map[string]any{"next": map[string]string{"href": path + "?cursor=" + cur}}
}

// contactFilter is the search of GET /contacts.
type contactFilter struct {
	statuses                    []string
	email                       string
	lists                       []string
	updAfter, updBefore         time.Time
	createdAfter, createdBefore time.Time
	optoutAfter, optoutBefore   time.Time
}

func parseFilter(q url.Values) (contactFilter, string) {
	f := contactFilter{email: strings.ToLower(strings.TrimSpace(q.Get("email")))}
	for _, s := range strings.Split(q.Get("status"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains([]string{"all", "active", "deleted", PermNotSet, PermPending, PermTempHold, PermUnsubscribe,
			PermExplicit, PermImplicit}, s) {
			return f, "status does not have a valid value"
		}
		f.statuses = append(f.statuses, s)
	}
	if s := q.Get("lists"); s != "" {
		f.lists = strings.Split(s, ",")
		if len(f.lists) > 25 {
			return f, "lists accepts at most 25 list ids"
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"updated_after", &f.updAfter}, {"updated_before", &f.updBefore}, {"created_after", &f.createdAfter},
		{"created_before", &f.createdBefore}, {"optout_after", &f.optoutAfter}, {"optout_before", &f.optoutBefore}} {
		if s := q.Get(d.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return f, d.name + " must be an ISO-8601 date-time"
			}
			*d.dst = t
		}
	}
	return f, ""
}

func (f contactFilter) match(c *contact) bool {
	if f.email != "" && strings.ToLower(c.email) != f.email {
		return false
	}
	if !f.matchStatus(c) {
		return false
	}
	if len(f.lists) > 0 && !slices.ContainsFunc(f.lists, func(id string) bool { return slices.Contains(c.lists, id) }) {
		return false
	}
	after := func(t, bound time.Time) bool { return bound.IsZero() || t.After(bound) }
	before := func(t, bound time.Time) bool { return bound.IsZero() || t.Before(bound) }
	if !after(c.updated, f.updAfter) || !before(c.updated, f.updBefore) ||
		!after(c.created, f.createdAfter) || !before(c.created, f.createdBefore) {
		return false
	}
	if !f.optoutAfter.IsZero() || !f.optoutBefore.IsZero() {
		if c.optOutDate == nil || !after(*c.optOutDate, f.optoutAfter) || !before(*c.optOutDate, f.optoutBefore) {
			return false
		}
	}
	return true
}

// matchStatus: no status means every contact that is not deleted.
func (f contactFilter) matchStatus(c *contact) bool {
	if len(f.statuses) == 0 {
		return c.deleted == nil
	}
	for _, s := range f.statuses {
		switch s {
		case "all":
			return true
		case "deleted":
			if c.deleted != nil {
				return true
			}
		case "active":
			if c.deleted == nil {
				return true
			}
		default:
			if c.deleted == nil && c.permission == s {
				return true
			}
		}
	}
	return false
}

func (e *Emulator) getContacts(w http.ResponseWriter, r *http.Request) {
	q, limit, offset, ok := pageQuery(w, r, 500)
	if !ok {
		return
	}
	f, msg := parseFilter(q)
	if msg != "" {
		writeError(w, http.StatusBadRequest, keyValidation, msg)
		return
	}
	var matched []*contact
	if f.email != "" { // an index lookup, not a scan
		if c := e.byEmail[f.email]; c != nil && f.match(c) {
			matched = []*contact{c}
		}
	} else {
		for _, c := range e.order {
			if f.match(c) {
				matched = append(matched, c)
			}
		}
	}
	inc := map[string]bool{}
	for _, s := range strings.Split(q.Get("include"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			inc[s] = true
		}
	}
	page := []contactJSON{}
	for i := offset; i < len(matched) && i < offset+limit; i++ {
		page = append(page, matched[i].render(inc))
	}
	body := map[string]any{"contacts": page, "_links": nextLink("/v3/contacts", q, offset, limit, len(matched))}
	if q.Get("include_count") == "true" {
		body["contacts_count"] = len(matched)
	}
	sandbox.WriteJSON(w, http.StatusOK, body)
}
